import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { PARTNER_NOAUDIENCE_SECRET, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { type Album, createAlbum, registeredResourceId, uploadPhoto } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import {
  accessTokens,
  clientToken,
  login,
  loginWith,
  logout,
} from '../scripts/dev-realm/tokens.ts';
import { exchangeTicket, requestRpt } from '../scripts/dev-realm/rpt.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';

interface PermissionRequest {
  readonly id: string;
  readonly albumId: string;
  readonly albumName: string;
  readonly requester: { id: string; username: string; partner: boolean };
  readonly status: 'pending' | 'granted';
  readonly pendingScopes: string[];
  readonly grantedScopes: string[];
}
interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}
interface Share {
  readonly username: string;
  readonly kind: 'person' | 'partner';
  readonly scopes: string[];
}
interface AuditEvent {
  readonly action: string;
  readonly actor: string;
  readonly subject: string;
  readonly scopes: string[];
}

const PRINTSHOP = { clientId: 'partner-printshop', secret: PARTNER_PRINTSHOP_SECRET };
const PRINTSHOP_USER = 'service-account-partner-printshop';

describe('permission requests, sharing and revocation', () => {
  const protection = new ProtectionApi();
  let albums: RunningService;
  let secondAlbums: RunningService;
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;
  let bob: string;

  beforeAll(async () => {
    [albums, secondAlbums, permissions] = await Promise.all([
      startService(albumService),
      startService(albumService),
      // Requests made at Keycloak directly (an RPT exchange) reach the inbox by the import; a
      // denied requester may ask again after a second (test/request-conditions.e2e-spec.ts
      // covers the interval itself).
      startService(permissionService, {
        KEYCLOAK_REQUEST_IMPORT_INTERVAL_MS: '500',
        PERMISSION_REQUEST_REASK_SECONDS: '1',
      }),
    ]);
    const tokens = await accessTokens('alice', 'jdoe', 'bob');
    [alice = '', jdoe = '', bob = ''] = tokens;
  });
  afterAll(async () => {
    await Promise.all([albums.close(), secondAlbums.close(), permissions.close()]);
  });

  async function registeredAlbum(name: string): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    return { ...album, resourceId: await registeredResourceId(albums.url, alice, album.id) };
  }

  /** The ticket of the UMA challenge `token` gets for `method path`. */
  async function challenge(token: string, path: string, method = 'GET'): Promise<string> {
    const response = await call(albums.url, method, path, { token });
    expect(response.status).toBe(401);
    return parseUmaChallenge(response.headers.get('www-authenticate')).ticket;
  }

  async function incoming(token: string, status = 'pending'): Promise<PermissionRequest[]> {
    const response = await call<Page<PermissionRequest>>(
      permissions.url,
      'GET',
      `/permission-requests/incoming?status=${status}&limit=100`,
      { token },
    );
    expect(response.status).toBe(200);
    return response.body.items;
  }
  /**
   * The pending request on the album in `token`'s inbox, once listed: a request made at Keycloak
   * directly (an RPT exchange that submits it) is listed once the service imports Keycloak's
   * pending tickets, within its interval.
   */
  async function importedRequest(
    token: string,
    albumId: string,
  ): Promise<PermissionRequest | undefined> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const request = (await incoming(token)).find((entry) => entry.albumId === albumId);
      if (request !== undefined) {
        return request;
      }
      await sleep(200);
    }
    return undefined;
  }

  async function requestAccess(token: string, body: Record<string, unknown>) {
    return call<PermissionRequest>(permissions.url, 'POST', '/permission-requests', {
      token,
      body,
    });
  }

  describe('the seed story: alice, her album and jdoe', () => {
    let album: Album & { resourceId: string };
    let request: PermissionRequest;
    let jdoeRpt: string;

    it('1. jdoe is challenged, asks for album:view, and only alice can approve', async () => {
      album = await registeredAlbum('Italy 2026');
      await challenge(jdoe, `/albums/${album.id}`);

      const asked = await requestAccess(jdoe, { albumId: album.id, scopes: ['album:view'] });
      expect(asked.status).toBe(202);
      expect(asked.body).toMatchObject({
        albumId: album.id,
        albumName: 'Italy 2026',
        status: 'pending',
        pendingScopes: ['album:view'],
        requester: { username: 'jdoe', partner: false },
      });
      request = asked.body;

      const pending = await incoming(alice);
      expect(pending.find((entry) => entry.id === request.id)).toMatchObject({
        albumName: 'Italy 2026',
        requester: { username: 'jdoe' },
        pendingScopes: ['album:view'],
      });
      expect((await incoming(bob)).map((entry) => entry.albumId)).not.toContain(album.id);

      for (const token of [bob, jdoe]) {
        const approve = await call(
          permissions.url,
          'POST',
          `/permission-requests/${request.id}/approve`,
          { token },
        );
        expect(approve.status).toBe(404);
      }

      const approved = await call<PermissionRequest>(
        permissions.url,
        'POST',
        `/permission-requests/${request.id}/approve`,
        { token: alice },
      );
      expect(approved.status).toBe(200);
      expect(approved.body).toMatchObject({ status: 'granted', grantedScopes: ['album:view'] });

      const exchange = await exchangeTicket(await challenge(jdoe, `/albums/${album.id}`), {
        bearer: jdoe,
      });
      expect(exchange.status).toBe(200);
      jdoeRpt = exchange.body.access_token ?? '';
      expect(
        (await call(albums.url, 'GET', `/albums/${album.id}`, { token: jdoeRpt })).body,
      ).toMatchObject({ name: 'Italy 2026' });
      const deletion = await call(albums.url, 'DELETE', `/albums/${album.id}`, { token: jdoeRpt });
      expect(deletion.status).toBe(401);
      expect(deletion.headers.get('www-authenticate')).toMatch(/^UMA /);
    });

    it('2. alice sees jdoe among the shares, jdoe sees the album shared with him', async () => {
      const shares = await call<Page<Share>>(permissions.url, 'GET', `/albums/${album.id}/shares`, {
        token: alice,
      });
      expect(shares.status).toBe(200);
      expect(shares.body.items).toEqual([
        expect.objectContaining({ username: 'jdoe', kind: 'person', scopes: ['album:view'] }),
      ]);
      const mine = await call<Page<{ albumId: string; scopes: string[] }>>(
        permissions.url,
        'GET',
        '/shared-with-me?limit=100',
        { token: jdoe },
      );
      expect(mine.body.items).toContainEqual(
        expect.objectContaining({
          albumId: album.id,
          albumName: 'Italy 2026',
          ownerUsername: 'alice',
          scopes: ['album:view'],
        }),
      );
      expect(
        (await call(permissions.url, 'GET', `/albums/${album.id}/shares`, { token: jdoe })).status,
      ).toBe(404);
    });

    it("3. alice revokes: jdoe's RPT is refused at once on every instance, a new exchange is denied", async () => {
      const revoked = await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
        token: alice,
      });
      expect(revoked.status).toBe(204);
      // At once: the first request after the DELETE returned, on either instance.
      for (const instance of [albums, secondAlbums]) {
        expect(
          (await call(instance.url, 'GET', `/albums/${album.id}`, { token: jdoeRpt })).status,
        ).toBe(401);
      }

      const again = await exchangeTicket(await challenge(jdoe, `/albums/${album.id}`), {
        bearer: jdoe,
      });
      expect(again.status).toBe(403);
      expect(again.body.access_token).toBeUndefined();

      const audit = await call<Page<AuditEvent>>(
        permissions.url,
        'GET',
        `/albums/${album.id}/audit`,
        { token: alice },
      );
      expect(audit.body.items.map((event) => [event.action, event.actor, event.subject])).toEqual([
        ['requested', 'jdoe', 'jdoe'],
        ['approved', 'alice', 'jdoe'],
        ['revoked', 'alice', 'jdoe'],
      ]);
      expect(
        (await call(permissions.url, 'GET', `/albums/${album.id}/audit`, { token: bob })).status,
      ).toBe(404);
    });

    it('3b. re-approval opens the album again, to a fresh RPT and the earlier one alike', async () => {
      // The exchange above left a new pending request: alice approves it.
      const pending = await importedRequest(alice, album.id);
      expect(pending?.requester.username).toBe('jdoe');
      const approved = await call(
        permissions.url,
        'POST',
        `/permission-requests/${pending?.id ?? ''}/approve`,
        { token: alice },
      );
      expect(approved.status).toBe(200);
      // jdoe asked at Keycloak directly: the audit learns of it with alice's answer, in order.
      const audit = await call<Page<AuditEvent>>(
        permissions.url,
        'GET',
        `/albums/${album.id}/audit`,
        { token: alice },
      );
      expect(audit.body.items.slice(-3).map((event) => [event.action, event.actor])).toEqual([
        ['revoked', 'alice'],
        ['requested', 'jdoe'],
        ['approved', 'alice'],
      ]);
      const exchange = await exchangeTicket(await challenge(jdoe, `/albums/${album.id}`), {
        bearer: jdoe,
      });
      expect(exchange.status).toBe(200);
      const fresh = exchange.body.access_token ?? '';
      expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: fresh })).status).toBe(
        200,
      );
      // An RPT is honoured for what its holder holds now: the one from before the revocation
      // lists album:view, which jdoe holds again.
      expect(
        (await call(albums.url, 'GET', `/albums/${album.id}`, { token: jdoeRpt })).status,
      ).toBe(200);
    });
  });

  describe('4. deny, withdraw and repeated requests', () => {
    // One album through a deny and a withdrawal, in order (as in the seed story above).
    describe('deny and withdrawal', () => {
      let album: Album & { resourceId: string };
      let denied: PermissionRequest;
      let withdrawn: PermissionRequest;

      beforeAll(async () => {
        album = await registeredAlbum('Deny and withdraw');
      });

      it('takes a request made with the ticket of a challenge', async () => {
        const asked = await requestAccess(bob, {
          ticket: await challenge(bob, `/albums/${album.id}`),
        });
        expect(asked.status).toBe(202);
        expect(asked.body.pendingScopes).toEqual(['album:view']);
        denied = asked.body;
      });

      it('leaves no pending request after a deny', async () => {
        expect(
          (
            await call(permissions.url, 'POST', `/permission-requests/${denied.id}/deny`, {
              token: alice,
            })
          ).status,
        ).toBe(204);
        expect((await incoming(alice)).map((entry) => entry.albumId)).not.toContain(album.id);
      });

      it('lets the requester ask again after a deny, once the re-ask interval is over', async () => {
        await expect
          .poll(
            async () => {
              const again = await requestAccess(bob, { albumId: album.id, scopes: ['album:view'] });
              withdrawn = again.body;
              return again.status;
            },
            { timeout: 30_000, interval: 500 },
          )
          .toBe(202);
      });

      it('lets only the requester withdraw: for the owner the request does not exist', async () => {
        expect(
          (
            await call(permissions.url, 'DELETE', `/permission-requests/${withdrawn.id}`, {
              token: alice,
            })
          ).status,
        ).toBe(404);
        expect(
          (
            await call(permissions.url, 'DELETE', `/permission-requests/${withdrawn.id}`, {
              token: bob,
            })
          ).status,
        ).toBe(204);
      });

      it('leaves no request, incoming or outgoing, after a withdrawal', async () => {
        expect((await incoming(alice)).map((entry) => entry.albumId)).not.toContain(album.id);
        const outgoing = await call<Page<PermissionRequest>>(
          permissions.url,
          'GET',
          '/permission-requests/outgoing?limit=100',
          { token: bob },
        );
        expect(outgoing.body.items.map((entry) => entry.albumId)).not.toContain(album.id);
      });

      it('leaves no permission ticket in Keycloak', async () => {
        const tickets = await protection.request<unknown[]>(
          'GET',
          `/permission/ticket?resourceId=${album.resourceId}`,
        );
        expect(tickets.body).toEqual([]);
      });
    });

    it('keeps one request when the same access is asked for twice', async () => {
      const album = await registeredAlbum('Asked twice');
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const asked = await requestAccess(jdoe, { albumId: album.id, scopes: ['album:edit'] });
        expect(asked.status).toBe(202);
        expect(asked.body.pendingScopes).toEqual(['album:edit']);
      }
      expect((await incoming(alice)).filter((entry) => entry.albumId === album.id)).toHaveLength(1);
      const tickets = await protection.request<unknown[]>(
        'GET',
        `/permission/ticket?resourceId=${album.resourceId}`,
      );
      expect(tickets.body).toHaveLength(1);
      const outgoing = await call<Page<PermissionRequest>>(
        permissions.url,
        'GET',
        '/permission-requests/outgoing?limit=100',
        { token: jdoe },
      );
      expect(outgoing.body.items.find((entry) => entry.albumId === album.id)).toMatchObject({
        status: 'pending',
        pendingScopes: ['album:edit'],
      });
    });

    it('keeps one request when the same access is asked for twice at once', async () => {
      const album = await registeredAlbum('Asked twice at once');
      const results = await Promise.all(
        [0, 1].map(() => requestAccess(bob, { albumId: album.id, scopes: ['album:view'] })),
      );
      expect(results.map((result) => result.status)).toEqual([202, 202]);
      const tickets = await protection.request<unknown[]>(
        'GET',
        `/permission/ticket?resourceId=${album.resourceId}`,
      );
      expect(tickets.body).toHaveLength(1);
    });

    it('answers 200 granted when the access already exists', async () => {
      const album = await registeredAlbum('Already shared');
      expect(
        (
          await call(permissions.url, 'PUT', `/albums/${album.id}/shares/bob`, {
            token: alice,
            body: { scopes: ['album:view'] },
          })
        ).status,
      ).toBe(200);
      const asked = await requestAccess(bob, { albumId: album.id, scopes: ['album:view'] });
      expect(asked.status).toBe(200);
      expect(asked.body).toMatchObject({ status: 'granted', grantedScopes: ['album:view'] });
    });

    describe('refuses invalid shares and requests', () => {
      let album: Album & { resourceId: string };

      beforeAll(async () => {
        album = await registeredAlbum('Validation');
      });

      function share(token: string, username: string, body: unknown) {
        return call<{ errors?: { field: string; message: string }[] }>(
          permissions.url,
          'PUT',
          `/albums/${album.id}/shares/${username}`,
          { token, body },
        );
      }

      it('refuses to share with an unknown user', async () => {
        expect((await share(alice, 'nobody-here', { scopes: ['album:view'] })).status).toBe(404);
      });

      it('refuses to share a scope albums do not have', async () => {
        expect((await share(alice, 'jdoe', { scopes: ['album:admin'] })).status).toBe(400);
      });

      it('refuses to share no scope at all', async () => {
        expect((await share(alice, 'jdoe', { scopes: [] })).status).toBe(400);
      });

      it('refuses to share with oneself, saying so', async () => {
        const self = await share(alice, 'alice', { scopes: ['album:view'] });
        expect(self.status).toBe(400);
        expect(self.body.errors?.[0]?.message).toMatch(/yourself/);
      });

      it("refuses to share another owner's album, as if it did not exist", async () => {
        expect((await share(bob, 'jdoe', { scopes: ['album:view'] })).status).toBe(404);
      });

      it('refuses a malformed album id', async () => {
        expect(
          (await call(permissions.url, 'GET', '/albums/not-an-id/shares', { token: alice })).status,
        ).toBe(400);
      });

      it('refuses a request naming both a ticket and an album', async () => {
        expect(
          (await requestAccess(jdoe, { albumId: album.id, scopes: ['album:view'], ticket: 'x' }))
            .status,
        ).toBe(400);
      });

      it("refuses the owner's request for her own album", async () => {
        expect(
          (await requestAccess(alice, { albumId: album.id, scopes: ['album:view'] })).status,
        ).toBe(400);
      });

      it('refuses a request with a malformed ticket', async () => {
        expect((await requestAccess(jdoe, { ticket: 'not-a-ticket' })).status).toBe(400);
      });
    });

    it('answers two concurrent identical shares alike, with one grant', async () => {
      const album = await registeredAlbum('Shared twice at once');
      const share = () =>
        call<Share>(permissions.url, 'PUT', `/albums/${album.id}/shares/bob`, {
          token: alice,
          body: { scopes: ['album:view'] },
        });
      const results = await Promise.all([share(), share(), share()]);
      expect(results.map((result) => result.status)).toEqual([200, 200, 200]);
      const tickets = await protection.request<unknown[]>(
        'GET',
        `/permission/ticket?resourceId=${album.resourceId}`,
      );
      expect(tickets.body).toHaveLength(1);
    });

    // One album through a partial approval, a share and a narrower re-share, in order.
    describe('partial approval and re-sharing', () => {
      let album: Album & { resourceId: string };
      let asked: PermissionRequest;
      let rename: (name: string) => Promise<{ status: number }>;

      beforeAll(async () => {
        album = await registeredAlbum('Partly');
      });

      it('approves only the chosen scopes, leaving the others pending', async () => {
        const requested = await requestAccess(jdoe, {
          albumId: album.id,
          scopes: ['album:view', 'album:edit'],
        });
        expect(requested.body.pendingScopes).toEqual(['album:edit', 'album:view']);
        asked = requested.body;
        const approved = await call<PermissionRequest>(
          permissions.url,
          'POST',
          `/permission-requests/${asked.id}/approve`,
          { token: alice, body: { scopes: ['album:view'] } },
        );
        expect(approved.body).toMatchObject({
          status: 'pending',
          pendingScopes: ['album:edit'],
          grantedScopes: ['album:view'],
        });
      });

      it('refuses to approve a scope that was not asked for', async () => {
        const notPending = await call(
          permissions.url,
          'POST',
          `/permission-requests/${asked.id}/approve`,
          { token: alice, body: { scopes: ['album:delete'] } },
        );
        expect(notPending.status).toBe(400);
      });

      it('answers the pending request with a share that covers it', async () => {
        const shared = await call<Share>(
          permissions.url,
          'PUT',
          `/albums/${album.id}/shares/jdoe`,
          { token: alice, body: { scopes: ['album:view', 'album:edit'] } },
        );
        expect(shared.body.scopes).toEqual(['album:edit', 'album:view']);
        expect((await incoming(alice)).map((entry) => entry.albumId)).not.toContain(album.id);
        const rpt = (await requestRpt(jdoe, [`${album.resourceId}#album:view,album:edit`])).body
          .access_token;
        rename = (name) =>
          call(albums.url, 'PATCH', `/albums/${album.id}`, { token: rpt, body: { name } });
        expect((await rename('Renamed by jdoe')).status).toBe(200);
      });

      it('revokes at once a scope a re-share drops', async () => {
        const narrowed = await call<Share>(
          permissions.url,
          'PUT',
          `/albums/${album.id}/shares/jdoe`,
          { token: alice, body: { scopes: ['album:view'] } },
        );
        expect(narrowed.body).toMatchObject({ username: 'jdoe', scopes: ['album:view'] });
        expect((await rename('Again')).status).toBe(401);
      });
    });
  });

  describe('5. partners', () => {
    it('shares an album with a partner, which reads it with an RPT until it is revoked', async () => {
      const album = await registeredAlbum('For the print shop');
      const bytes = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(4096)]);
      const uploaded = await uploadPhoto(albums.url, alice, album.id, {
        bytes,
        type: 'image/jpeg',
        name: 'print.jpg',
      });
      expect(uploaded.status).toBe(201);
      const photo = uploaded.body;

      const shared = await call<Share>(
        permissions.url,
        'PUT',
        `/albums/${album.id}/shares/${PRINTSHOP_USER}`,
        { token: alice, body: { scopes: ['album:view'] } },
      );
      expect(shared.status).toBe(200);
      expect(shared.body).toMatchObject({ username: PRINTSHOP_USER, kind: 'partner' });

      // The partner has nothing but its client id and secret.
      const partner = (await clientToken(PRINTSHOP.clientId, PRINTSHOP.secret)).access_token;
      const ticket = await challenge(partner, `/albums/${album.id}/photos/${photo.id}/content`);
      const exchange = await exchangeTicket(ticket, PRINTSHOP);
      expect(exchange.status).toBe(200);
      const rpt = exchange.body.access_token ?? '';
      expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status).toBe(
        200,
      );
      const content = await fetch(`${albums.url}/albums/${album.id}/photos/${photo.id}/content`, {
        headers: { authorization: `Bearer ${rpt}` },
      });
      expect(content.status).toBe(200);
      expect(Buffer.from(await content.arrayBuffer()).equals(bytes)).toBe(true);

      const mine = await call<Page<{ albumId: string }>>(
        permissions.url,
        'GET',
        '/shared-with-me?limit=100',
        { token: partner },
      );
      expect(mine.body.items.map((entry) => entry.albumId)).toContain(album.id);

      expect(
        (
          await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/${PRINTSHOP_USER}`, {
            token: alice,
          })
        ).status,
      ).toBe(204);
      await expect
        .poll(
          async () => (await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status,
          { timeout: 1_000, interval: 50 },
        )
        .toBe(401);
      const refused = await exchangeTicket(
        await challenge(partner, `/albums/${album.id}`),
        PRINTSHOP,
      );
      expect(refused.status).toBe(403);
      expect(refused.body.error_description).toBe('request_submitted');

      // That exchange asked alice again, as a person's would: she sees the partner's request.
      const request = await importedRequest(alice, album.id);
      expect(request).toMatchObject({
        requester: { username: PRINTSHOP_USER, partner: true },
        pendingScopes: ['album:view'],
      });
      const approved = await call(
        permissions.url,
        'POST',
        `/permission-requests/${request?.id ?? ''}/approve`,
        { token: alice },
      );
      expect(approved.status).toBe(200);
      const renewed = await exchangeTicket(
        await challenge(partner, `/albums/${album.id}`),
        PRINTSHOP,
      );
      expect(renewed.status).toBe(200);
      expect(
        (
          await call(albums.url, 'GET', `/albums/${album.id}`, {
            token: renewed.body.access_token ?? '',
          })
        ).status,
      ).toBe(200);
      const shares = await call<Page<Share>>(permissions.url, 'GET', `/albums/${album.id}/shares`, {
        token: alice,
      });
      expect(shares.body.items).toEqual([
        expect.objectContaining({
          username: PRINTSHOP_USER,
          kind: 'partner',
          scopes: ['album:view'],
        }),
      ]);
      // The partner holds album:view again, so its earlier RPT opens the album again too.
      expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status).toBe(
        200,
      );
    });

    it('will not approve a client it cannot name, whose RPTs a revocation could not reach', async () => {
      const album = await registeredAlbum('Asked by a stranger');
      // Tickets are not bound to a requester: any client can exchange one at Keycloak.
      const ticket = await challenge(jdoe, `/albums/${album.id}`);
      const asked = await exchangeTicket(ticket, {
        clientId: 'partner-noaudience',
        secret: PARTNER_NOAUDIENCE_SECRET,
      });
      expect(asked.body.error_description).toBe('request_submitted');
      const request = await importedRequest(alice, album.id);
      expect(request?.requester).toMatchObject({ partner: true });
      expect(request?.requester.username).toMatch(/^client:/);
      const approve = await call<{ type: string }>(
        permissions.url,
        'POST',
        `/permission-requests/${request?.id ?? ''}/approve`,
        { token: alice },
      );
      expect(approve.status).toBe(409);
      expect(approve.body.type).toBe('urn:photoz:problem:partner-unknown');
      // alice can still deny it.
      expect(
        (
          await call(permissions.url, 'POST', `/permission-requests/${request?.id ?? ''}/deny`, {
            token: alice,
          })
        ).status,
      ).toBe(204);
    });

    describe('refuses partner-noaudience, whose tokens lack the album API audience', () => {
      let album: Album & { resourceId: string };
      let stranger: string;

      beforeAll(async () => {
        album = await registeredAlbum('Not for strangers');
        stranger = (await clientToken('partner-noaudience', PARTNER_NOAUDIENCE_SECRET))
          .access_token;
      });

      it.each([
        ['album-service', 'GET', '/albums/:id'],
        ['album-service', 'GET', '/albums'],
        ['permission-service', 'GET', '/shared-with-me'],
        ['permission-service', 'POST', '/permission-requests'],
        ['permission-service', 'GET', '/albums/:id/shares'],
      ] as const)('on %s %s %s', async (service, method, route) => {
        const base = service === 'album-service' ? albums.url : permissions.url;
        const response = await call(base, method, route.replace(':id', album.id), {
          token: stranger,
          ...(method === 'POST' ? { body: { albumId: album.id, scopes: ['album:view'] } } : {}),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(
          /error_description="audience not accepted"/,
        );
      });
    });
  });

  describe("6. stale tokens and requests for one's own album", () => {
    let album: Album & { resourceId: string };

    beforeAll(async () => {
      album = await registeredAlbum('Stale tokens');
    });

    /** The bearer challenge for a refused token: the caller's to renew, not a server error. */
    function expectTokenNoLongerActive(response: Awaited<ReturnType<typeof requestAccess>>) {
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(
        /^Bearer realm="photoz", error="invalid_token", error_description="[^"]+"$/,
      );
    }

    it('answers a requester whose session was logged out with 401 invalid_token', async () => {
      const session = await login('jdoe');
      const ticket = await challenge(session.access_token, `/albums/${album.id}`);
      await logout(session);
      expectTokenNoLongerActive(
        await requestAccess(session.access_token, { albumId: album.id, scopes: ['album:view'] }),
      );
      expectTokenNoLongerActive(await requestAccess(session.access_token, { ticket }));
      expect((await incoming(alice)).map((entry) => entry.albumId)).not.toContain(album.id);
    });

    it('answers a requester disabled since the token was issued with 401 invalid_token', async () => {
      const admin = new KeycloakAdmin();
      const username = `i16-disabled-${randomBytes(4).toString('hex')}`;
      const userId = await admin.createUser(username);
      try {
        const { access_token: token } = await loginWith(username, username);
        await admin.setUserEnabled(userId, false);
        expectTokenNoLongerActive(
          await requestAccess(token, { albumId: album.id, scopes: ['album:view'] }),
        );
      } finally {
        await admin.deleteUser(userId);
      }
    });

    it("refuses the owner's request for her own album by ticket with 400, and records nothing", async () => {
      const ticket = await challenge(bob, `/albums/${album.id}`);
      const asked = await requestAccess(alice, { ticket });
      expect(asked.status).toBe(400);
      expect((asked.body as unknown as { errors: { field: string }[] }).errors[0]?.field).toBe(
        'ticket',
      );
      const audit = await call<Page<AuditEvent>>(
        permissions.url,
        'GET',
        `/albums/${album.id}/audit`,
        { token: alice },
      );
      expect(audit.body.items).toEqual([]);
    });
  });

  describe('requests answered in Keycloak directly', () => {
    it('leaves the inbox and the outbox once the pending ticket is gone from Keycloak', async () => {
      const album = await registeredAlbum('Answered behind the service');
      const asked = await call<PermissionRequest>(permissions.url, 'POST', '/permission-requests', {
        token: bob,
        body: { albumId: album.id, scopes: ['album:view'] },
      });
      expect(asked.status).toBe(202);
      expect((await incoming(alice)).map((entry) => entry.id)).toContain(asked.body.id);

      const { body: tickets } = await protection.request<{ id: string }[]>(
        'GET',
        `/permission/ticket?resourceId=${album.resourceId}&granted=false`,
      );
      expect(tickets).toHaveLength(1);
      for (const ticket of tickets) {
        expect((await protection.request('DELETE', `/permission/ticket/${ticket.id}`)).status).toBe(
          204,
        );
      }

      // No event says so: the import of Keycloak's pending tickets finds it gone.
      let listed = true;
      for (let attempt = 0; listed && attempt < 100; attempt += 1) {
        listed = (await incoming(alice)).some((entry) => entry.id === asked.body.id);
        if (listed) {
          await sleep(200);
        }
      }
      expect(listed).toBe(false);
      const outgoing = await call<Page<PermissionRequest>>(
        permissions.url,
        'GET',
        '/permission-requests/outgoing?limit=100',
        { token: bob },
      );
      expect(outgoing.body.items.map((entry) => entry.id)).not.toContain(asked.body.id);
    });
  });
});
