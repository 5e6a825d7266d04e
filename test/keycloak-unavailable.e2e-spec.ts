import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KEYCLOAK_UNAVAILABLE_DETAIL } from '@app/platform';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ISSUER, KEYCLOAK_URL } from '../scripts/dev-realm/realm.ts';
import { createAlbum, registeredResourceId } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { accessTokens } from '../scripts/dev-realm/tokens.ts';

/**
 * One answer for an unreachable Keycloak, on every route of both services that needs it: `503`
 * `authorization-server-unavailable` with `Retry-After`, never a generic `500`.
 */
describe('an unreachable Keycloak', () => {
  const keycloak = new URL(KEYCLOAK_URL);
  const proxy = new TcpProxy('127.0.0.1', Number(keycloak.port || 80));
  let albums: RunningService;
  let permissions: RunningService;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    const port = await proxy.listen();
    // Both services reach Keycloak only through the proxy; the tests' own logins do not.
    const env = { KEYCLOAK_URL: `http://127.0.0.1:${port}`, KEYCLOAK_ISSUER: ISSUER };
    [albums, permissions] = await Promise.all([
      startService(albumService, env),
      startService(permissionService, env),
    ]);
    [alice = '', bob = ''] = await accessTokens('alice', 'bob');
  });
  afterAll(async () => {
    await Promise.all([albums.close(), permissions.close()]);
    await proxy.close();
  });

  it('answers 503 authorization-server-unavailable with Retry-After, in both services', async () => {
    const album = await createAlbum(albums.url, alice, 'Keycloak goes away');
    await registeredResourceId(albums.url, alice, album.id);
    // Tokens are validated offline once the realm's keys are known: only Keycloak's own work fails.
    for (const service of [albums, permissions]) {
      expect((await call(service.url, 'GET', '/me', { token: alice })).status).toBe(200);
    }
    proxy.cut();
    try {
      const answers = await Promise.all([
        call(permissions.url, 'GET', `/albums/${album.id}/audit`, { token: alice }),
        call(permissions.url, 'POST', '/permission-requests', {
          token: bob,
          body: { albumId: album.id, scopes: ['album:view'] },
        }),
        // A stranger's UMA challenge needs a permission ticket from Keycloak.
        call(albums.url, 'GET', `/albums/${album.id}`, { token: bob }),
      ]);
      for (const answer of answers) {
        expect({
          status: answer.status,
          retryAfter: answer.headers.get('retry-after'),
          body: answer.body,
        }).toMatchObject({
          status: 503,
          retryAfter: '5',
          body: {
            type: 'urn:photoz:problem:authorization-server-unavailable',
            status: 503,
            detail: KEYCLOAK_UNAVAILABLE_DETAIL,
          },
        });
      }
      // The owner's own reads need no Keycloak at all, nor do the lists of shares and requests.
      expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: alice })).status).toBe(
        200,
      );
      for (const path of [
        `/albums/${album.id}/shares`,
        '/permission-requests/incoming',
        '/permission-requests/outgoing',
        '/shared-with-me',
      ]) {
        expect((await call(permissions.url, 'GET', path, { token: alice })).status).toBe(200);
      }
    } finally {
      proxy.restore();
    }
  });
});
