import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { log } from '@app/observability';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { ALBUM_API_SECRET, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { createAlbum, registeredResourceId } from './support/albums.ts';
import { logLineProblem, scanLogFile } from './support/log-scan.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens, login } from '../scripts/dev-realm/tokens.ts';

const LOG_FILE = process.env['LOG_FILE'] ?? '';

function flushLogs(): Promise<void> {
  return new Promise((resolve, reject) => {
    log.flush((error) => (error ? reject(error) : resolve()));
  });
}

describe('logs', () => {
  let albums: RunningService;

  beforeAll(async () => {
    albums = await startService(albumService);
  });
  afterAll(async () => {
    await albums.close();
  });

  it('tells a bad line from a good one', () => {
    expect(logLineProblem('{"level":"info","msg":"request"}')).toBeUndefined();
    expect(logLineProblem('\u001b[32m[Nest] LOG\u001b[39m started')).toBe('not JSON');
    expect(logLineProblem('{"msg":"Bearer abcdefgh12345678"}')).toBe(
      'contains a bearer credential',
    );
    expect(logLineProblem('{"t":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig"}')).toBe(
      'contains a JWT',
    );
    expect(logLineProblem('{"s":"x-album-api-dev-secret-y"}', ['album-api-dev-secret'])).toBe(
      'contains a secret',
    );
  });

  it('writes one JSON line per request with route, status, duration and caller, and never a token', async () => {
    const { access_token: alice, refresh_token: refresh } = await login('alice');
    const [jdoe] = await accessTokens('jdoe');
    const album = await createAlbum(albums.url, alice, 'Logged');
    await registeredResourceId(albums.url, alice, album.id);
    const requestId = `logs-${Date.now()}`;
    const read = await fetch(`${albums.url}/albums/${album.id}`, {
      headers: { authorization: `Bearer ${alice}`, 'x-request-id': requestId, cookie: 'a=b' },
    });
    expect(read.status).toBe(200);
    expect(
      (await call(albums.url, 'GET', `/albums/${album.id}`, { token: jdoe ?? '' })).status,
    ).toBe(401);
    // A refused token, and a refresh token where an access token belongs.
    expect((await call(albums.url, 'GET', '/me', { token: `${alice}x` })).status).toBe(401);
    expect((await call(albums.url, 'GET', '/me', { token: refresh ?? '' })).status).toBe(401);
    await flushLogs();

    const lines = readFileSync(LOG_FILE, 'utf8')
      .split('\n')
      .filter((line) => line !== '');
    const requestLine = lines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .find((entry) => entry['requestId'] === requestId);
    expect(requestLine).toMatchObject({
      level: 'info',
      msg: 'request',
      method: 'GET',
      route: '/albums/:id',
      status: 200,
      clientId: 'photoz-cli',
      subject: album.ownerId,
    });
    expect(typeof requestLine?.['durationMs']).toBe('number');
    const secrets = [alice, jdoe ?? '', refresh ?? '', ALBUM_API_SECRET, PARTNER_PRINTSHOP_SECRET];
    const { lines: scanned, problems } = scanLogFile(LOG_FILE, secrets);
    expect(scanned).toBeGreaterThan(4);
    expect(problems).toEqual([]);
  });
});
