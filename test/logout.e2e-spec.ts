import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { BACKCHANNEL_LOGOUT_EVENT } from '../libs/auth/src/logout-token.ts';
import { ISSUER } from '../scripts/dev-realm/realm.ts';
import { createAlbum, registeredResourceId } from './support/albums.ts';
import { foreignKeyPair, forgeToken, realmSigningKey, rs256 } from './support/forge.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import {
  call,
  type HttpResult,
  type RunningService,
  startService,
} from './support/service-harness.ts';
import { accessTokens, decodeJwt, login, type TokenResponse } from '../scripts/dev-realm/tokens.ts';
import { requestRpt } from '../scripts/dev-realm/rpt.ts';

const LOGOUT_PATH = '/auth/backchannel-logout';
const SESSION_ENDED = /error="invalid_token", error_description="session ended"/;

interface Client {
  readonly id: string;
  readonly attributes?: Record<string, string>;
}

/**
 * Logout and disabled users, against the real Keycloak: Keycloak calls the album service's
 * back-channel logout endpoint (the test points `photoz-cli`'s URL at its own instance), and
 * every instance of both services must refuse the ended session's tokens.
 */
describe('logout and disabled users', () => {
  const admin = new KeycloakAdmin();
  let albums: RunningService;
  let secondAlbums: RunningService;
  let permissions: RunningService;
  let cli: Client;
  const users: string[] = [];

  beforeAll(async () => {
    // A reload interval far beyond the bounds below: what they see is the notification.
    const env = { ENDED_SESSIONS_RELOAD_MS: '600000' };
    [albums, secondAlbums, permissions] = await Promise.all([
      startService(albumService, env),
      startService(albumService, env),
      startService(permissionService, env),
    ]);
    const { body } = await admin.call<Client[]>('GET', '/clients?clientId=photoz-cli');
    cli = body[0] as Client;
    await setBackchannelLogoutUrl(`${albums.url}${LOGOUT_PATH}`);
  });

  afterAll(async () => {
    // Keycloak keeps attributes an update leaves out: the URL is set back explicitly ('' removes it).
    await admin.call('PUT', `/clients/${cli.id}`, {
      ...cli,
      attributes: {
        ...cli.attributes,
        'backchannel.logout.url': cli.attributes?.['backchannel.logout.url'] ?? '',
      },
    });
    for (const id of users) {
      await admin.call('DELETE', `/users/${id}`);
    }
    await Promise.all([albums.close(), secondAlbums.close(), permissions.close()]);
  });

  async function setBackchannelLogoutUrl(url: string): Promise<void> {
    const { status } = await admin.call('PUT', `/clients/${cli.id}`, {
      ...cli,
      attributes: {
        ...cli.attributes,
        'backchannel.logout.url': url,
        'backchannel.logout.session.required': 'true',
      },
    });
    expect(status).toBe(204);
  }

  /** A new realm user (password = username), removed after the suite. */
  async function newUser(): Promise<{ id: string; username: string }> {
    const username = `logout-${randomBytes(4).toString('hex')}`;
    const { status, location } = await admin.call('POST', '/users', {
      username,
      enabled: true,
      email: `${username}@photoz.test`,
      emailVerified: true,
      firstName: 'Logout',
      lastName: 'Test',
      credentials: [{ type: 'password', value: username, temporary: false }],
    });
    expect(status).toBe(201);
    const id = location?.split('/').at(-1) ?? '';
    users.push(id);
    return { id, username };
  }

  async function endSessionAtKeycloak(session: TokenResponse): Promise<number> {
    const response = await fetch(`${ISSUER}/protocol/openid-connect/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        client_id: 'photoz-cli',
        refresh_token: session.refresh_token ?? '',
      }),
    });
    return response.status;
  }

  const everyInstance = () => [
    ['album-service', albums.url],
    ['a second album-service', secondAlbums.url],
    ['permission-service', permissions.url],
  ];

  const me = (base: string, token: string) => call(base, 'GET', '/me', { token });

  function expectSessionEnded(response: HttpResult): void {
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(SESSION_ENDED);
  }

  /** Every instance refuses `token` as of a session that ended, within a notification's delay. */
  async function expectRefusedEverywhere(token: string): Promise<void> {
    for (const [, base] of everyInstance()) {
      await expect
        .poll(async () => (await me(base ?? '', token)).status, { timeout: 2_000, interval: 50 })
        .toBe(401);
      expectSessionEnded(await me(base ?? '', token));
    }
  }

  async function expectAcceptedEverywhere(token: string): Promise<void> {
    for (const [name, base] of everyInstance()) {
      expect({ name, status: (await me(base ?? '', token)).status }).toEqual({ name, status: 200 });
    }
  }

  async function postLogoutToken(logoutToken: string | undefined): Promise<HttpResult> {
    const response = await fetch(`${albums.url}${LOGOUT_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(logoutToken === undefined ? {} : { logout_token: logoutToken }),
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text === '' ? undefined : JSON.parse(text),
      text,
    };
  }

  describe('back-channel logout from Keycloak', () => {
    it("refuses a logged-out session's token on both services and every instance at once, while the user's other session keeps working", async () => {
      const user = await newUser();
      const [loggedOut, other] = [await login(user.username), await login(user.username)];
      // Both tokens verified (and remembered) everywhere before the logout.
      await expectAcceptedEverywhere(loggedOut.access_token);
      await expectAcceptedEverywhere(other.access_token);

      expect(await endSessionAtKeycloak(loggedOut)).toBe(204);

      // Keycloak called the first instance during the logout: it refuses at once.
      expectSessionEnded(await me(albums.url, loggedOut.access_token));
      expectSessionEnded(
        await call(albums.url, 'GET', '/albums', { token: loggedOut.access_token }),
      );
      await expectRefusedEverywhere(loggedOut.access_token);
      await expectAcceptedEverywhere(other.access_token);
    });

    it('refuses an RPT issued in a logged-out session', async () => {
      const [alice = ''] = await accessTokens('alice');
      const album = await createAlbum(albums.url, alice, 'Logout: RPT');
      const resourceId = await registeredResourceId(albums.url, alice, album.id);
      const user = await newUser();
      const shared = await call(
        permissions.url,
        'PUT',
        `/albums/${album.id}/shares/${user.username}`,
        { token: alice, body: { scopes: ['album:view'] } },
      );
      expect(shared.status).toBe(200);
      const session = await login(user.username);
      const rpt = (await requestRpt(session.access_token, [`${resourceId}#album:view`])).body
        .access_token;
      expect(decodeJwt(rpt ?? '').payload['sid']).toBe(
        decodeJwt(session.access_token).payload['sid'],
      );
      for (const [name, base] of everyInstance().slice(0, 2)) {
        const read = await call(base ?? '', 'GET', `/albums/${album.id}`, { token: rpt });
        expect({ name, status: read.status }).toEqual({ name, status: 200 });
      }

      expect(await endSessionAtKeycloak(session)).toBe(204);

      for (const [, base] of everyInstance().slice(0, 2)) {
        await expect
          .poll(
            async () =>
              (await call(base ?? '', 'GET', `/albums/${album.id}`, { token: rpt })).headers.get(
                'www-authenticate',
              ),
            { timeout: 2_000, interval: 50 },
          )
          .toMatch(SESSION_ENDED);
      }
    });

    it('refuses the session of a user an administrator signs out, on every instance', async () => {
      const user = await newUser();
      const session = await login(user.username);
      await expectAcceptedEverywhere(session.access_token);

      expect((await admin.call('POST', `/users/${user.id}/logout`)).status).toBe(204);

      await expectRefusedEverywhere(session.access_token);
      // A new login is a new session, and works.
      await expectAcceptedEverywhere((await login(user.username)).access_token);
    });

    it('refuses every session of a user when an administrator signs out each session', async () => {
      const user = await newUser();
      const sessions = [await login(user.username), await login(user.username)];
      const listed = await admin.call<{ id: string }[]>('GET', `/users/${user.id}/sessions`);
      expect(listed.body).toHaveLength(2);

      for (const { id } of listed.body) {
        expect((await admin.call('DELETE', `/sessions/${id}`)).status).toBe(204);
      }

      for (const session of sessions) {
        await expectRefusedEverywhere(session.access_token);
      }
    });

    // Keycloak 26.5.6 signed every session out but notified one per client; 26.7.3 notifies each.
    // docs/security.md says so, and this notices when a Keycloak upgrade changes it again.
    it('gets a logout token for each session when an administrator signs out a user with two sessions (Keycloak 26.7.3)', async () => {
      const user = await newUser();
      const sessions = [await login(user.username), await login(user.username)];

      expect((await admin.call('POST', `/users/${user.id}/logout`)).status).toBe(204);
      expect((await admin.call<unknown[]>('GET', `/users/${user.id}/sessions`)).body).toEqual([]);

      const statuses = await Promise.all(
        sessions.map(async (session) => (await me(albums.url, session.access_token)).status),
      );
      expect(statuses).toEqual([401, 401]);
    });
  });

  describe("logout tokens that are not the realm's logout of our clients", () => {
    const ownKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
    let providerId: string;
    let kid: string;

    beforeAll(async () => {
      // A key the realm publishes (lowest priority: Keycloak keeps signing with its own), so
      // that each made-up token below is refused for the one defect it has, not its signature.
      providerId = await admin.addKeyProvider('logout-test-key', 'rsa', {
        priority: ['1'],
        active: ['true'],
        enabled: ['true'],
        algorithm: ['RS256'],
        privateKey: [ownKey.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
      });
      kid = await admin.kidOf(providerId);
    });

    afterAll(async () => {
      await admin.removeComponent(providerId);
    });

    function logoutToken(
      session: TokenResponse,
      claims: Record<string, unknown> = {},
      header: Record<string, unknown> = {},
    ): string {
      const { payload } = decodeJwt(session.access_token);
      const now = Math.floor(Date.now() / 1000);
      return forgeToken(
        { alg: 'RS256', typ: 'logout+jwt', kid, ...header },
        {
          iss: ISSUER,
          aud: 'photoz-cli',
          iat: now,
          exp: now + 120,
          jti: randomBytes(8).toString('hex'),
          sub: payload['sub'],
          sid: payload['sid'],
          events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
          ...claims,
        },
        rs256(ownKey.privateKey),
      );
    }

    it('refuses each (400) and ends nothing; the same token without the defect ends the session', async () => {
      const user = await newUser();
      const session = await login(user.username);
      const realmKid = (await realmSigningKey()).kid;
      const refusals: [string, string | undefined][] = [
        ['no logout_token', undefined],
        [
          'unsigned',
          forgeToken(
            { alg: 'none', typ: 'logout+jwt' },
            decodeJwt(logoutToken(session)).payload,
            () => '',
          ),
        ],
        [
          "forged with the realm key's kid",
          logoutToken(session, {}, { kid: realmKid }).replace(
            /\.[^.]+$/,
            `.${rs256(foreignKeyPair().privateKey)('x')}`,
          ),
        ],
        ['for another audience', logoutToken(session, { aud: 'album-api' })],
        ['without events', logoutToken(session, { events: undefined })],
        ['with another event', logoutToken(session, { events: { 'urn:example:other': {} } })],
        ['with a nonce', logoutToken(session, { nonce: 'n' })],
        ['without sid and sub', logoutToken(session, { sid: undefined, sub: undefined })],
        ['of another issuer', logoutToken(session, { iss: `${ISSUER}x` })],
        ['issued long ago', logoutToken(session, { iat: Math.floor(Date.now() / 1000) - 3_600 })],
        ['an access token of the session itself', session.access_token],
      ];
      for (const [name, token] of refusals) {
        const response = await postLogoutToken(token);
        expect({ name, status: response.status }).toEqual({ name, status: 400 });
        expect(response.headers.get('content-type')).toContain('application/problem+json');
      }
      const invalid = await postLogoutToken(logoutToken(session, { aud: 'album-api' }));
      const problem = invalid.body as { type?: string; detail?: string };
      expect(problem.type).toBe('urn:photoz:problem:invalid-logout-token');
      expect(problem.detail).toContain('audience not accepted');
      await expectAcceptedEverywhere(session.access_token);

      const valid = await postLogoutToken(logoutToken(session));
      expect(valid.status).toBe(200);
      expect(valid.headers.get('cache-control')).toBe('no-store');
      await expectRefusedEverywhere(session.access_token);
      // A replay changes nothing.
      expect((await postLogoutToken(logoutToken(session))).status).toBe(200);
    });
  });

  describe('disabled users', () => {
    it("keeps a disabled user's session at Keycloak (the token lives until exp, refresh fails) until an administrator signs the user out, which ends it at once", async () => {
      const user = await newUser();
      const session = await login(user.username);
      const { payload } = decodeJwt(session.access_token);
      // The bound: the realm's access-token lifespan.
      expect(Number(payload['exp']) - Number(payload['iat'])).toBeLessThanOrEqual(300);

      expect((await admin.call('PUT', `/users/${user.id}`, { enabled: false })).status).toBe(204);

      const sessions = await admin.call<unknown[]>('GET', `/users/${user.id}/sessions`);
      expect(sessions.body).toHaveLength(1);
      await expectAcceptedEverywhere(session.access_token);
      const refreshed = await fetch(`${ISSUER}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'refresh_token',
          client_id: 'photoz-cli',
          refresh_token: session.refresh_token ?? '',
        }),
      });
      expect(refreshed.status).toBe(400);

      expect((await admin.call('POST', `/users/${user.id}/logout`)).status).toBe(204);
      await expectRefusedEverywhere(session.access_token);
    });

    it("refuses to share with a disabled user, and to approve a disabled user's request, granting nothing", async () => {
      const [alice = ''] = await accessTokens('alice');
      const album = await createAlbum(albums.url, alice, 'Logout: disabled user');
      await registeredResourceId(albums.url, alice, album.id);
      const user = await newUser();
      const asked = await call(permissions.url, 'POST', '/permission-requests', {
        token: (await login(user.username)).access_token,
        body: { albumId: album.id, scopes: ['album:view'] },
      });
      expect(asked.status).toBe(202);
      expect((await admin.call('PUT', `/users/${user.id}`, { enabled: false })).status).toBe(204);

      const shared = await call(
        permissions.url,
        'PUT',
        `/albums/${album.id}/shares/${user.username}`,
        {
          token: alice,
          body: { scopes: ['album:view'] },
        },
      );
      expect(shared.status).toBe(409);
      expect(shared.body).toMatchObject({ type: 'urn:photoz:problem:user-disabled' });

      const incoming = await call<{
        items: { id: string; albumId: string; pendingScopes: string[] }[];
      }>(permissions.url, 'GET', '/permission-requests/incoming?status=pending&limit=100', {
        token: alice,
      });
      const request = incoming.body.items.find((item) => item.albumId === album.id);
      expect(request?.pendingScopes).toEqual(['album:view']);
      const approved = await call(
        permissions.url,
        'POST',
        `/permission-requests/${request?.id ?? ''}/approve`,
        { token: alice },
      );
      expect(approved.status).toBe(409);
      expect(approved.body).toMatchObject({ type: 'urn:photoz:problem:user-disabled' });

      const shares = await call<{ items: unknown[] }>(
        permissions.url,
        'GET',
        `/albums/${album.id}/shares`,
        { token: alice },
      );
      expect(shares.body.items).toEqual([]);
      // The request waits: the owner may still deny it.
      expect(
        (
          await call(permissions.url, 'POST', `/permission-requests/${request?.id ?? ''}/deny`, {
            token: alice,
          })
        ).status,
      ).toBe(204);
    });
  });
});
