import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { openEventStream } from './support/event-stream.ts';
import { createAlbum } from './support/albums.ts';
import { requestHead, slowRequest } from './support/raw-socket.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens } from '../scripts/dev-realm/tokens.ts';

/*
 * The album service started with short bounds, so that each is seen to hold within seconds: a
 * client that sends headers, a body or nothing too slowly gets `408` or a closed connection.
 */
const BOUNDS = {
  HTTP_HEADERS_TIMEOUT_MS: '1000',
  HTTP_BODY_TIMEOUT_MS: '1000',
  HTTP_UPLOAD_TIMEOUT_MS: '6000',
  HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000',
};
/** Well past every bound above, and short of forever. */
const WAIT_MS = 10_000;

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  randomBytes(4096),
]);

/** A multipart body with one PNG in the field `file`, and its content type. */
function multipartPhoto(): { body: Buffer; contentType: string } {
  const boundary = 'photozslowclient';
  return {
    body: Buffer.concat([
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.png"\r\nContent-Type: image/png\r\n\r\n`,
      ),
      PNG,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]),
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}

/** `body` cut into `count` pieces of about the same size. */
function piecesOf(body: Buffer, count: number): Buffer[] {
  const size = Math.ceil(body.length / count);
  return Array.from({ length: count }, (_, index) =>
    body.subarray(index * size, (index + 1) * size),
  ).filter((piece) => piece.length > 0);
}

describe('slow and idle clients', () => {
  let albums: RunningService;
  let alice: string;

  beforeAll(async () => {
    albums = await startService(albumService, BOUNDS);
    [alice = ''] = await accessTokens('alice');
  });
  afterAll(async () => {
    await albums.close();
  });

  it('answers a body sent without a token at once, without waiting for it', async () => {
    const outcome = await slowRequest(albums.url, {
      head: requestHead('POST', '/albums', {
        'Content-Type': 'application/json',
        'Content-Length': '100',
      }),
      drip: { pieces: ['{', '"'], everyMs: 20_000 },
      waitMs: WAIT_MS,
    });
    expect(outcome.status).toBe(401);
    expect(outcome.received).toMatch(/www-authenticate: Bearer realm="photoz"/i);
    expect(outcome.closed).toBe(true);
  });

  it('answers a JSON body that arrives too slowly with 408 and closes the connection', async () => {
    const outcome = await slowRequest(albums.url, {
      head: requestHead('POST', '/albums', {
        Authorization: `Bearer ${alice}`,
        'Content-Type': 'application/json',
        'Content-Length': '100',
      }),
      // A byte now and then: the connection is never idle, the body never complete.
      drip: { pieces: '{"name":"slow"'.split(''), everyMs: 300 },
      waitMs: WAIT_MS,
    });
    expect(outcome.status).toBe(408);
    expect(outcome.received).toContain('urn:photoz:problem:body-timeout');
    expect(outcome.closed).toBe(true);
  });

  it('closes a connection whose headers never end, with 408', async () => {
    const outcome = await slowRequest(albums.url, {
      head: requestHead('GET', '/albums', { Authorization: `Bearer ${alice}` }, false),
      drip: {
        pieces: Array.from({ length: 40 }, (_, index) => `X-Slow-${index}: a\r\n`),
        everyMs: 200,
      },
      waitMs: WAIT_MS,
    });
    expect(outcome.status).toBe(408);
    expect(outcome.closed).toBe(true);
  });

  it('closes a connection that never sends a byte', async () => {
    const outcome = await slowRequest(albums.url, { waitMs: WAIT_MS });
    expect(outcome.closed).toBe(true);
  });

  it('closes a kept-alive connection left idle after its answer', async () => {
    const outcome = await slowRequest(albums.url, {
      head: requestHead('GET', '/health/live', { Connection: 'keep-alive' }),
      waitMs: WAIT_MS,
    });
    expect(outcome.status).toBe(200);
    expect(outcome.closed).toBe(true);
  });

  it('takes an upload slower than a JSON body may be, and cuts one slower than an upload may be', async () => {
    const album = await createAlbum(albums.url, alice, 'Slow uploads');
    const { body, contentType } = multipartPhoto();
    const head = requestHead('POST', `/albums/${album.id}/photos`, {
      Authorization: `Bearer ${alice}`,
      'Content-Type': contentType,
      'Content-Length': String(body.length),
      Connection: 'close',
    });
    // About 2.5 s: past the JSON bound (1 s), within the upload bound (6 s).
    const accepted = await slowRequest(albums.url, {
      head,
      drip: { pieces: piecesOf(body, 5), everyMs: 500 },
      waitMs: WAIT_MS,
    });
    expect(accepted.status).toBe(201);

    // Never finished: cut at the upload bound.
    const cut = await slowRequest(albums.url, {
      head,
      drip: { pieces: piecesOf(body, 100), everyMs: 500 },
      waitMs: 15_000,
    });
    expect(cut.status).toBe(408);
    expect(cut.closed).toBe(true);
    const photos = await call<unknown[]>(albums.url, 'GET', `/albums/${album.id}/photos`, {
      token: alice,
    });
    expect(photos.body).toHaveLength(1);
  }, 30_000);

  describe('with a cap of two connections', () => {
    let capped: RunningService;

    beforeAll(async () => {
      capped = await startService(albumService, {
        HTTP_MAX_CONNECTIONS: '2',
        HTTP_HEADERS_TIMEOUT_MS: '8000',
        UMA_RELAY_ENABLED: 'false',
      });
    });
    afterAll(async () => {
      await capped.close();
    });

    it('closes a connection past the cap at once, and serves again once one is free', async () => {
      // Two idle connections hold the cap (the test's own fetch keeps none open).
      const holders = [0, 1].map(() => slowRequest(capped.url, { waitMs: 3_000 }));
      await new Promise((resolve) => setTimeout(resolve, 300));
      const third = await slowRequest(capped.url, {
        head: requestHead('GET', '/health/live', { Connection: 'close' }),
        waitMs: 2_000,
      });
      expect(third.closed).toBe(true);
      expect(third.status).toBeUndefined();
      for (const holder of await Promise.all(holders)) {
        expect(holder.closed).toBe(false);
      }
      // The server learns of the holders' close a moment after they sent it: ask again until a
      // connection is served, for at most 5 s.
      const deadline = Date.now() + 5_000;
      let after = third;
      while (after.status === undefined && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        after = await slowRequest(capped.url, {
          head: requestHead('GET', '/health/live', { Connection: 'close' }),
          waitMs: 2_000,
        });
      }
      expect(after.status).toBe(200);
    });
  });

  describe('a notification stream', () => {
    let permissions: RunningService;

    beforeAll(async () => {
      permissions = await startService(permissionService, {
        ...BOUNDS,
        HTTP_UPLOAD_TIMEOUT_MS: '1000',
        NOTIFICATION_STREAM_HEARTBEAT_MS: '1000',
      });
    });
    afterAll(async () => {
      await permissions.close();
    });

    it('outlives every request bound: a response that goes on is not a request that is late', async () => {
      const stream = await openEventStream(`${permissions.url}/notifications/stream`, {
        authorization: `Bearer ${alice}`,
      });
      try {
        expect(stream.status).toBe(200);
        // Heartbeats keep coming well past the 1 s bounds on headers, bodies, requests and idle
        // connections, and the stream is still open.
        await expect.poll(() => stream.comments(), { timeout: WAIT_MS }).toBeGreaterThanOrEqual(3);
        const ended = await Promise.race([
          stream.ended.then(() => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 100)),
        ]);
        expect(ended).toBe(false);
      } finally {
        stream.close();
      }
    });
  });
});
