import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ALBUM_API_UUID, ISSUER, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens, clientToken, decodeJwt } from '../scripts/dev-realm/tokens.ts';
import { exchangeTicket } from '../scripts/dev-realm/rpt.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';

interface Share {
  readonly username: string;
  readonly scopes: string[];
}

const PRINTSHOP = { clientId: 'partner-printshop', secret: PARTNER_PRINTSHOP_SECRET };
const PRINTSHOP_USERNAME = 'service-account-partner-printshop';
/** The permission service's default watch interval is 2 s: a narrowing shows well within this. */
const WATCH_BOUND_MS = 10_000;
/** The full reconciliation runs every 10 s here (its least interval): what no event announces. */
const RECONCILE_INTERVAL_MS = 10_000;
const RECONCILE_BOUND_MS = 4 * RECONCILE_INTERVAL_MS;

/**
 * A narrowing made in Keycloak itself, outside the permission service, is honoured by the API: at
 * every moment the parties whose RPTs open an album are those its owner sees in the shares list,
 * both read from the grant record (docs/security.md, "What a caller holds now, and revocation").
 */
describe('narrowings made in Keycloak itself', () => {
  const admin = new KeycloakAdmin();
  const protection = new ProtectionApi();
  let albums: RunningService;
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;

  beforeAll(async () => {
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService, {
        KEYCLOAK_RECONCILE_INTERVAL_MS: String(RECONCILE_INTERVAL_MS),
      }),
    ]);
    [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
  });
  afterAll(async () => {
    await Promise.all([albums.close(), permissions.close()]);
  });

  async function sharedAlbum(
    name: string,
    username: string,
  ): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    const resourceId = await registeredResourceId(albums.url, alice, album.id);
    const shared = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/${username}`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    expect(shared.status).toBe(200);
    return { ...album, resourceId };
  }

  /** An RPT for the album's challenge, as a person (bearer) or a partner (its credentials). */
  async function rptFor(
    album: Album,
    auth: { bearer: string } | { clientId: string; secret: string },
  ): Promise<string> {
    const token =
      'bearer' in auth
        ? auth.bearer
        : (await clientToken(PRINTSHOP.clientId, PRINTSHOP.secret)).access_token;
    const challenge = await call(albums.url, 'GET', `/albums/${album.id}`, { token });
    const exchange = await exchangeTicket(
      parseUmaChallenge(challenge.headers.get('www-authenticate')).ticket,
      auth,
    );
    expect(exchange.status).toBe(200);
    const rpt = exchange.body.access_token ?? '';
    expect(await reads(album, rpt)).toBe(true);
    return rpt;
  }

  async function reads(album: Album, rpt: string): Promise<boolean> {
    return (await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status === 200;
  }

  async function listed(album: Album): Promise<string[]> {
    const shares = await call<{ items: Share[] }>(
      permissions.url,
      'GET',
      `/albums/${album.id}/shares?limit=100`,
      { token: alice },
    );
    expect(shares.status).toBe(200);
    return shares.body.items.map((share) => share.username);
  }

  /** Waits until `check` holds, at most `withinMs`; whether it did. */
  async function eventually(check: () => Promise<boolean>, withinMs: number): Promise<boolean> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      if (await check()) {
        return true;
      }
      if (Date.now() >= deadline) {
        return false;
      }
      await sleep(250);
    }
  }

  /** Deletes the ticket granting jdoe the album through the protection API: no event says so. */
  async function deleteJdoeTicketBehindTheServicesBack(resourceId: string): Promise<void> {
    const { body: tickets } = await protection.request<{ id: string; granted?: boolean }[]>(
      'GET',
      `/permission/ticket?resourceId=${resourceId}&granted=true`,
    );
    expect(tickets).toHaveLength(1);
    for (const ticket of tickets) {
      expect((await protection.request('DELETE', `/permission/ticket/${ticket.id}`)).status).toBe(
        204,
      );
    }
  }

  it("keeps the Account API's sharing closed, so the owner's list and the API still agree", async () => {
    const album = await sharedAlbum('Revoked in the Account Console', 'jdoe');
    const rpt = await rptFor(album, { bearer: jdoe });

    const revoked = await fetch(`${ISSUER}/account/resources/${album.resourceId}/permissions`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ username: 'jdoe', scopes: [] }]),
    });
    const parties = await listed(album);
    const served = (await reads(album, rpt)) ? ['jdoe'] : [];
    expect(served).toEqual(parties);
    // Keycloak's Account REST API is off in this realm: the revocation did not happen there.
    expect(revoked.status).toBe(404);
    expect(parties).toEqual(['jdoe']);
  });

  it("stops a partner's RPT within seconds of its share permission being deleted in the admin console", async () => {
    const album = await sharedAlbum('Unshared in the admin console', PRINTSHOP_USERNAME);
    const rpt = await rptFor(album, PRINTSHOP);
    const resourceServer = `/clients/${ALBUM_API_UUID}/authz/resource-server`;
    const { body: permissionsFound } = await admin.call<{ id: string; name: string }[]>(
      'GET',
      `${resourceServer}/permission?type=scope&name=${encodeURIComponent(`share ${album.resourceId}`)}`,
    );
    const share = permissionsFound.find(
      (permission) => permission.name === `share ${album.resourceId} ${PRINTSHOP.clientId}`,
    );
    expect(share).toBeDefined();

    // What the admin console's "Delete" on the permission sends.
    const deleted = await admin.call(
      'DELETE',
      `${resourceServer}/permission/scope/${share?.id ?? ''}`,
    );
    expect(deleted.status).toBe(204);

    expect(await eventually(async () => !(await reads(album, rpt)), WATCH_BOUND_MS)).toBe(true);
    expect(await listed(album)).toEqual([]);
  });

  it('stops an RPT whose grant was deleted behind the service by the full reconciliation, and the owner sees it go', async () => {
    const album = await sharedAlbum('Ticket deleted through the protection API', 'jdoe');
    const rpt = await rptFor(album, { bearer: jdoe });
    await deleteJdoeTicketBehindTheServicesBack(album.resourceId);

    // No event announces it: the list does not ask Keycloak, and follows the reconciliation.
    expect(await eventually(async () => !(await reads(album, rpt)), RECONCILE_BOUND_MS)).toBe(true);
    expect(await listed(album)).toEqual([]);
  });

  it('leaves a denied requester nothing Keycloak does not grant, though he held it before', async () => {
    const album = await sharedAlbum('Asked again, then denied', 'jdoe');
    const rpt = await rptFor(album, { bearer: jdoe });
    await deleteJdoeTicketBehindTheServicesBack(album.resourceId);

    const asked = await call<{ id: string; status: string }>(
      permissions.url,
      'POST',
      '/permission-requests',
      { token: jdoe, body: { albumId: album.id, scopes: ['album:view'] } },
    );
    expect(asked.status).toBe(202);
    expect(asked.body.id).toBe(`${album.resourceId}.${String(decodeJwt(jdoe).payload['sub'])}`);
    const denied = await call(
      permissions.url,
      'POST',
      `/permission-requests/${asked.body.id}/deny`,
      {
        token: alice,
      },
    );
    expect(denied.status).toBe(204);

    expect(await reads(album, rpt)).toBe(false);
    expect(await listed(album)).toEqual([]);
  });
});
