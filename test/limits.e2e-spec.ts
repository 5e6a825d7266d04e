import { connect } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ISSUER, KEYCLOAK_URL, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';
import { createAlbum, registeredResourceId, uploadPhoto } from './support/albums.ts';
import { HttpFaultProxy } from './support/http-fault-proxy.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens, clientToken, decodeJwt } from '../scripts/dev-realm/tokens.ts';

interface Problem {
  readonly type: string;
  readonly status: number;
  readonly detail: string;
  readonly [member: string]: unknown;
}

interface PermissionRequest {
  readonly id: string;
  readonly status: string;
  readonly pendingScopes: string[];
}

/** A PNG signature and `size - 8` bytes more: the service judges the type by the signature. */
function png(size: number): Buffer {
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    Buffer.alloc(size - 8, 7),
  ]);
}

/** `count` answers of the same request, one after the other. */
async function repeat<T>(count: number, send: () => Promise<T>): Promise<T[]> {
  const answers: T[] = [];
  for (let index = 0; index < count; index += 1) {
    answers.push(await send());
  }
  return answers;
}

/**
 * Sends only the head of an upload whose `Content-Length` declares `declared` bytes, and the first
 * bytes of its body; returns the status line the service answers before the rest is sent, or ''
 * when it waits for the body (within `waitMs`).
 */
function uploadHead(
  base: string,
  token: string,
  albumId: string,
  declared: number,
  waitMs = 5_000,
): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    let received = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(received.split('\r\n')[0] ?? '');
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n')) {
        done();
      }
    });
    socket.on('error', done);
    socket.write(
      [
        `POST /albums/${albumId}/photos HTTP/1.1`,
        `Host: ${hostname}:${port}`,
        `Authorization: Bearer ${token}`,
        'Content-Type: multipart/form-data; boundary=limits',
        `Content-Length: ${declared}`,
        '',
        '--limits',
        'Content-Disposition: form-data; name="file"; filename="large.png"',
        'Content-Type: image/png',
        '',
        png(64).toString('latin1'),
      ].join('\r\n'),
      'latin1',
    );
  });
}

/**
 * Limits on abuse: per-caller rate limits (people and partners apart), per-owner quotas, and a
 * repeated permission request answered without Keycloak. Each service here is configured with
 * small limits through the variables production reads.
 */
describe('limits on abuse', () => {
  let alice: string;
  let jdoe: string;
  let bob: string;
  let admin: string;
  let printshop: string;

  beforeAll(async () => {
    [alice = '', jdoe = '', bob = '', admin = ''] = await accessTokens(
      'alice',
      'jdoe',
      'bob',
      'admin',
    );
    printshop = (await clientToken('partner-printshop', PARTNER_PRINTSHOP_SECRET)).access_token;
  });

  describe('rate limits', () => {
    let albums: RunningService;
    let permissions: RunningService;

    beforeAll(async () => {
      [albums, permissions] = await Promise.all([
        startService(albumService, { RATE_LIMIT_READS: '5', RATE_LIMIT_WINDOW_SECONDS: '60' }),
        startService(permissionService, { RATE_LIMIT_COSTLY: '2', RATE_LIMIT_READS: '50' }),
      ]);
    });
    afterAll(async () => {
      await Promise.all([albums.close(), permissions.close()]);
    });

    const readAlbums = (token: string) =>
      call(albums.url, 'GET', '/albums', {
        token,
        headers: { origin: 'http://localhost:5173' },
      });

    it('answers 429 with Retry-After and the RateLimit fields once a caller is over the limit', async () => {
      const answers = await repeat(6, () => readAlbums(alice));
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 429]);
      const first = answers[0]?.headers;
      expect(first?.get('ratelimit-policy')).toBe('"user-read";q=5;w=60');
      expect(first?.get('ratelimit')).toMatch(/^"user-read";r=4;t=(60|59)$/);
      // The web app reads them across origins.
      expect(first?.get('access-control-expose-headers')?.toLowerCase().split(/, */)).toEqual(
        expect.arrayContaining(['ratelimit', 'ratelimit-policy', 'retry-after']),
      );
      const refused = answers[5];
      expect(refused?.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(refused?.body).toMatchObject({
        type: 'urn:photoz:problem:rate-limited',
        status: 429,
        'violated-policies': ['user-read'],
      });
      expect(Number(refused?.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused?.headers.get('ratelimit')).toMatch(/^"user-read";r=0;t=\d+$/);
      expect(refused?.headers.get('ratelimit-policy')).toBe('"user-read";q=5;w=60');
    });

    it('keeps a caller that retries at once waiting for each refusal, its flood slowed to its own pace', async () => {
      // alice is over the limit since the test above: each refusal waits the default 1 s, so
      // four retries at once from one connection take at least 4 s and all are refused.
      const started = performance.now();
      const answers = await repeat(4, () => readAlbums(alice));
      expect(answers.map((answer) => answer.status)).toEqual([429, 429, 429, 429]);
      expect(performance.now() - started).toBeGreaterThanOrEqual(3_900);
    });

    it('counts a partner apart from the people', async () => {
      const spent = await repeat(6, () => readAlbums(jdoe));
      expect(spent.at(-1)?.status).toBe(429);
      const partner = await readAlbums(printshop);
      expect(partner.status).toBe(200);
      expect(partner.headers.get('ratelimit-policy')).toBe('"partner-read";q=5;w=60');
      expect(partner.headers.get('ratelimit')).toMatch(/^"partner-read";r=4;/);
    });

    it('counts each person apart', async () => {
      const spent = await repeat(6, () => readAlbums(bob));
      expect(spent.at(-1)?.status).toBe(429);
      const other = await readAlbums(admin);
      expect(other.status).toBe(200);
      expect(other.headers.get('ratelimit')).toMatch(/^"user-read";r=4;/);
    });

    it("spends nothing of a person's limit on tokens that fail verification, whatever they claim", async () => {
      const before = await readAlbums(admin);
      expect(before.headers.get('ratelimit')).toMatch(/^"user-read";r=3;/);
      const [header, payload = '', signature] = admin.split('.');
      // admin's own claims under a signature that no longer matches them.
      const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as object;
      const forged = `${header}.${Buffer.from(JSON.stringify({ ...claims, jti: 'forged' })).toString('base64url')}.${signature}`;
      const refused = await repeat(6, () => readAlbums(forged));
      expect(refused.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401, 401]);
      expect(refused[0]?.headers.get('ratelimit')).toBeNull();
      expect((await readAlbums(admin)).headers.get('ratelimit')).toMatch(/^"user-read";r=2;/);
    });

    it('counts costly routes against their own, tighter limit', async () => {
      const album = await createAlbum(albums.url, alice, 'Rate-limited requests');
      const ask = () =>
        call(permissions.url, 'POST', '/permission-requests', {
          token: bob,
          body: { albumId: album.id, scopes: ['album:view'] },
        });
      const answers = await repeat(3, ask);
      expect(answers[2]?.status).toBe(429);
      expect(answers[2]?.headers.get('ratelimit-policy')).toBe('"user-costly";q=2;w=60');
      expect(answers[2]?.body).toMatchObject({ 'violated-policies': ['user-costly'] });
      const read = await call(permissions.url, 'GET', '/permission-requests/outgoing', {
        token: bob,
      });
      expect(read.status).toBe(200);
      expect(read.headers.get('ratelimit')).toMatch(/^"user-read";r=49;/);
    });
  });

  describe('quotas per owner', () => {
    const database = new pg.Pool({ connectionString: TEST_DATABASE_URL, max: 1 });
    let bobId: string;
    const started: RunningService[] = [];

    beforeAll(() => {
      bobId = String(decodeJwt(bob).payload['sub']);
    });
    afterAll(async () => {
      await Promise.all(started.map((service) => service.close()));
      await database.end();
    });

    /** What bob owns now: albums, and the bytes of all his photos. */
    async function bobUsage(): Promise<{ albums: number; bytes: number }> {
      const { rows } = await database.query<{ albums: number; bytes: string }>(
        `SELECT (SELECT count(*)::int FROM album_service.albums WHERE owner_id = $1) AS albums,
            (SELECT coalesce(sum(p.size), 0)::bigint FROM album_service.photos p
              JOIN album_service.albums a ON a.id = p.album_id WHERE a.owner_id = $1) AS bytes`,
        [bobId],
      );
      return { albums: rows[0]?.albums ?? 0, bytes: Number(rows[0]?.bytes ?? 0) };
    }

    async function albumServiceWith(env: Record<string, string>): Promise<RunningService> {
      const service = await startService(albumService, { UMA_RELAY_ENABLED: 'false', ...env });
      started.push(service);
      return service;
    }

    it("refuses an album over the owner's quota with a 409 naming the quota, the usage and the limit", async () => {
      const { albums: owned } = await bobUsage();
      const service = await albumServiceWith({ QUOTA_ALBUMS_PER_OWNER: String(owned + 1) });
      await createAlbum(service.url, bob, 'The last album bob may have');
      const refused = await call<Problem>(service.url, 'POST', '/albums', {
        token: bob,
        body: { name: 'One album too many' },
      });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        type: 'urn:photoz:problem:quota-exceeded',
        quota: 'albums-per-owner',
        usage: owned + 1,
        limit: owned + 1,
      });
      expect((await bobUsage()).albums).toBe(owned + 1);
    });

    it('refuses a photo over the album quota with a 409 naming it', async () => {
      const service = await albumServiceWith({ QUOTA_PHOTOS_PER_ALBUM: '2' });
      const album = await createAlbum(service.url, bob, 'Two photos at most');
      for (const name of ['one.png', 'two.png']) {
        expect(
          (await uploadPhoto(service.url, bob, album.id, { bytes: png(100), name })).status,
        ).toBe(201);
      }
      const refused = await uploadPhoto(service.url, bob, album.id, { bytes: png(100) });
      expect(refused.status).toBe(409);
      expect(refused.body).toMatchObject({
        type: 'urn:photoz:problem:quota-exceeded',
        quota: 'photos-per-album',
        usage: 2,
        limit: 2,
      });
    });

    it("refuses a photo over the owner's bytes with a 413 naming the quota", async () => {
      const { bytes } = await bobUsage();
      const service = await albumServiceWith({ QUOTA_BYTES_PER_OWNER: String(bytes + 1000) });
      const album = await createAlbum(service.url, bob, 'A thousand bytes left');
      expect((await uploadPhoto(service.url, bob, album.id, { bytes: png(600) })).status).toBe(201);
      const refused = await uploadPhoto(service.url, bob, album.id, { bytes: png(600) });
      expect(refused.status).toBe(413);
      expect(refused.body).toMatchObject({
        type: 'urn:photoz:problem:quota-exceeded',
        quota: 'bytes-per-owner',
        usage: bytes + 600,
        limit: bytes + 1000,
      });
      expect((await bobUsage()).bytes).toBe(bytes + 600);
    });

    it('refuses an upload whose Content-Length exceeds the room left before reading its body', async () => {
      const { bytes } = await bobUsage();
      const service = await albumServiceWith({ QUOTA_BYTES_PER_OWNER: String(bytes + 1000) });
      const album = await createAlbum(service.url, bob, 'No room for ten megabytes');
      expect(await uploadHead(service.url, bob, album.id, 10_000_000)).toMatch(/^HTTP\/1\.1 413 /);
    });

    it('lets only one of several concurrent uploads take the last photo of an album', async () => {
      const service = await albumServiceWith({ QUOTA_PHOTOS_PER_ALBUM: '1' });
      const album = await createAlbum(service.url, bob, 'One photo, five uploads');
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, index) =>
          uploadPhoto(service.url, bob, album.id, { bytes: png(200), name: `race-${index}.png` }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort((a, b) => a - b)).toEqual([
        201, 409, 409, 409, 409,
      ]);
      const photos = await call<unknown[]>(service.url, 'GET', `/albums/${album.id}/photos`, {
        token: bob,
      });
      expect(photos.body).toHaveLength(1);
    });

    it("lets only one of several concurrent uploads take the owner's last bytes", async () => {
      const { bytes } = await bobUsage();
      const service = await albumServiceWith({ QUOTA_BYTES_PER_OWNER: String(bytes + 1000) });
      const album = await createAlbum(service.url, bob, 'Room for one of five');
      const answers = await Promise.all(
        Array.from({ length: 5 }, (_, index) =>
          uploadPhoto(service.url, bob, album.id, { bytes: png(600), name: `race-${index}.png` }),
        ),
      );
      expect(answers.map((answer) => answer.status).sort((a, b) => a - b)).toEqual([
        201, 413, 413, 413, 413,
      ]);
      expect((await bobUsage()).bytes).toBe(bytes + 600);
    });

    it("gives the owner's bytes back when a photo, or an album with its photos, is deleted", async () => {
      /** The bytes the quota counts (a row kept with every photo written), next to the photos'. */
      const counted = async () => {
        const { rows } = await database.query<{ bytes: string }>(
          'SELECT bytes FROM album_service.owner_usage WHERE owner_id = $1',
          [bobId],
        );
        return Number(rows[0]?.bytes ?? 0);
      };
      const { bytes } = await bobUsage();
      expect(await counted()).toBe(bytes);
      const service = await albumServiceWith({ QUOTA_BYTES_PER_OWNER: String(bytes + 1000) });
      const upload = async (albumId: string) =>
        uploadPhoto(service.url, bob, albumId, { bytes: png(600) });
      const first = await createAlbum(service.url, bob, 'Room for one photo at a time');
      const photo = await upload(first.id);
      expect(photo.status).toBe(201);
      expect((await upload(first.id)).status).toBe(413);
      const photoId = photo.body.id;
      const removed = await call(service.url, 'DELETE', `/albums/${first.id}/photos/${photoId}`, {
        token: bob,
      });
      expect(removed.status).toBe(204);
      expect(await counted()).toBe(bytes);
      expect((await upload(first.id)).status).toBe(201);
      expect(await counted()).toBe(bytes + 600);
      const deleted = await call(service.url, 'DELETE', `/albums/${first.id}`, { token: bob });
      expect(deleted.status).toBe(204);
      expect(await counted()).toBe(bytes);
      const second = await createAlbum(service.url, bob, 'Room again');
      expect((await upload(second.id)).status).toBe(201);
      expect(await counted()).toBe((await bobUsage()).bytes);
    });
  });

  describe('a repeated permission request', () => {
    const keycloak = new HttpFaultProxy(new URL(KEYCLOAK_URL));
    let albums: RunningService;
    let permissions: RunningService;
    let albumId: string;

    beforeAll(async () => {
      albums = await startService(albumService);
      // No clean-up of a revocation left by another suite: the calls counted are the request's own.
      permissions = await startService(permissionService, {
        KEYCLOAK_URL: await keycloak.listen(),
        KEYCLOAK_ISSUER: ISSUER,
        GRANT_CLEANUP_ENABLED: 'false',
        // Asking again right after a denial is what is counted here, not the re-ask interval
        // (test/request-conditions.e2e-spec.ts).
        PERMISSION_REQUEST_REASK_SECONDS: '0',
      });
      const album = await createAlbum(albums.url, alice, 'Asked for again and again');
      await registeredResourceId(albums.url, alice, album.id);
      albumId = album.id;
    });
    afterAll(async () => {
      await Promise.all([albums.close(), permissions.close()]);
      await keycloak.close();
    });

    const ask = (scopes: string[]) =>
      call<PermissionRequest>(permissions.url, 'POST', '/permission-requests', {
        token: jdoe,
        body: { albumId, scopes },
      });

    /** The calls the permission service makes to Keycloak while `work` runs. */
    async function keycloakCallsDuring(work: () => Promise<unknown>): Promise<string[]> {
      const before = keycloak.seen.length;
      await work();
      return keycloak.seen.slice(before);
    }

    it('answers an identical pending request again without calling Keycloak', async () => {
      const first = await ask(['album:view']);
      expect(first.status).toBe(202);
      let repeated: Awaited<ReturnType<typeof ask>>[] = [];
      const calls = await keycloakCallsDuring(async () => {
        repeated = await repeat(5, () => ask(['album:view']));
      });
      expect(repeated.map((answer) => answer.status)).toEqual([202, 202, 202, 202, 202]);
      expect(repeated.map((answer) => answer.body)).toEqual(Array(5).fill(first.body));
      expect(calls).toEqual([]);
    });

    it('asks Keycloak for a request with other scopes, then repeats that one without it', async () => {
      let changed: Awaited<ReturnType<typeof ask>> | undefined;
      const asked = await keycloakCallsDuring(async () => {
        changed = await ask(['album:view', 'album:edit']);
      });
      expect(asked.length).toBeGreaterThan(0);
      expect(changed?.status).toBe(202);
      expect(changed?.body.pendingScopes).toEqual(['album:edit', 'album:view']);
      expect(await keycloakCallsDuring(() => ask(['album:edit', 'album:view']))).toEqual([]);
    });

    it('asks Keycloak again after the owner denied the request, so that it is pending again', async () => {
      const pending = await ask(['album:view']);
      const denied = await call(
        permissions.url,
        'POST',
        `/permission-requests/${pending.body.id}/deny`,
        { token: alice },
      );
      expect(denied.status).toBe(204);
      let again: Awaited<ReturnType<typeof ask>> | undefined;
      const asked = await keycloakCallsDuring(async () => {
        again = await ask(['album:view']);
      });
      expect(asked.length).toBeGreaterThan(0);
      expect(again?.status).toBe(202);
      const incoming = await call<{ items: { id: string; pendingScopes: string[] }[] }>(
        permissions.url,
        'GET',
        '/permission-requests/incoming?limit=100',
        { token: alice },
      );
      expect(incoming.body.items.find((entry) => entry.id === pending.body.id)).toMatchObject({
        pendingScopes: ['album:view'],
      });
      expect(await keycloakCallsDuring(() => ask(['album:view']))).toEqual([]);
    });

    it('answers that access exists once the owner approved a request it repeated', async () => {
      const pending = await ask(['album:view']);
      expect(await keycloakCallsDuring(() => ask(['album:view']))).toEqual([]);
      const approved = await call(
        permissions.url,
        'POST',
        `/permission-requests/${pending.body.id}/approve`,
        { token: alice },
      );
      expect(approved.status).toBe(200);
      const again = await ask(['album:view']);
      expect(again.status).toBe(200);
      expect(again.body.status).toBe('granted');
    });
  });
});
