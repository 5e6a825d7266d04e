import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registry } from '@app/observability';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ALBUM_API_UUID, ISSUER, KEYCLOAK_URL } from '../scripts/dev-realm/realm.ts';
import { requestRpt } from '../scripts/dev-realm/rpt.ts';
import { accessTokens, login } from '../scripts/dev-realm/tokens.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { HttpFaultProxy } from './support/http-fault-proxy.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { ProtectionApi } from './support/uma.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

interface Ticket {
  readonly id: string;
  readonly scopeName?: string;
  readonly granted: boolean;
}

/** How long a clean-up may take to show, polled every 200 ms. */
const POLL = { timeout: 60_000, interval: 200 };

/**
 * A revocation is in force once the grant record is narrowed: when Keycloak fails to drop its
 * grants, the route still succeeds, the RPT is refused at once, and the clean-up relay finishes
 * the work in Keycloak once it answers again, without undoing a share made meanwhile.
 */
describe('a revocation while Keycloak fails', () => {
  const protection = new ProtectionApi();
  const keycloakAdmin = new KeycloakAdmin();
  const proxy = new HttpFaultProxy(new URL(KEYCLOAK_URL));
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  let albums: RunningService;
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;
  let admin: string;

  beforeAll(async () => {
    await db.connect();
    // The only permission service of this suite reaches Keycloak through the proxy, so no other
    // clean-up relay finishes the work behind the test's back.
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService, {
        KEYCLOAK_URL: await proxy.listen(),
        KEYCLOAK_ISSUER: ISSUER,
        GRANT_CLEANUP_POLL_INTERVAL_MS: '100',
        GRANT_CLEANUP_MAX_BACKOFF_MS: '500',
      }),
    ]);
    [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
    admin = (await login('admin')).access_token;
  });
  afterAll(async () => {
    proxy.heal();
    await Promise.all([albums.close(), permissions.close()]);
    await proxy.close();
    await db.end();
  });

  async function registeredAlbum(name: string): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    return { ...album, resourceId: await registeredResourceId(albums.url, alice, album.id) };
  }

  async function share(albumId: string, scopes: string[], username = 'jdoe'): Promise<void> {
    const response = await call(permissions.url, 'PUT', `/albums/${albumId}/shares/${username}`, {
      token: alice,
      body: { scopes },
    });
    expect(response.status).toBe(200);
  }

  /** The printshop's share permission on the resource, as Keycloak's admin API lists it. */
  async function printshopShares(resourceId: string): Promise<unknown[]> {
    const name = encodeURIComponent(`share ${resourceId} partner-printshop`);
    const { body } = await keycloakAdmin.call<unknown[]>(
      'GET',
      `/clients/${ALBUM_API_UUID}/authz/resource-server/permission/scope?name=${name}&first=0&max=10`,
    );
    return body;
  }

  /** jdoe's tickets on the resource as Keycloak has them, with their scopes' names. */
  async function tickets(resourceId: string): Promise<Ticket[]> {
    const { body } = await protection.request<Ticket[]>(
      'GET',
      `/permission/ticket?resourceId=${resourceId}&returnNames=true`,
    );
    return body;
  }

  /** The clean-up of jdoe's grants on the resource, if one is recorded. */
  async function cleanup(
    resourceId: string,
  ): Promise<{ status: string; attempts: number } | undefined> {
    const { rows } = await db.query<{ status: string; attempts: number }>(
      `SELECT c.status, c.attempts FROM permission_service.grant_cleanups c
        WHERE c.resource_id = $1`,
      [resourceId],
    );
    return rows[0];
  }

  async function read(albumId: string, rpt: string): Promise<number> {
    return (await call(albums.url, 'GET', `/albums/${albumId}`, { token: rpt })).status;
  }

  function failTicketDeletions(): void {
    proxy.failWhen((method, path) => method === 'DELETE' && path.includes('/permission/ticket/'));
  }

  it('answers 204, refuses the RPT at once, and removes the grants once Keycloak answers', async () => {
    const album = await registeredAlbum('Revoked while Keycloak fails');
    await share(album.id, ['album:view', 'album:edit']);
    const rpt =
      (await requestRpt(jdoe, [`${album.resourceId}#album:view,album:edit`])).body.access_token ??
      '';
    expect(await read(album.id, rpt)).toBe(200);
    failTicketDeletions();

    const revoked = await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
    });
    expect(revoked.status).toBe(204);
    expect(await read(album.id, rpt)).toBe(401);
    expect(await cleanup(album.resourceId)).toMatchObject({ status: 'pending' });
    expect((await tickets(album.resourceId)).length).toBeGreaterThan(0);
    // The owner's list shows what RPTs are honoured for: nothing of jdoe's.
    const listed = await call<{ items: unknown[] }>(
      permissions.url,
      'GET',
      `/albums/${album.id}/shares`,
      { token: alice },
    );
    expect(listed.body.items).toEqual([]);
    const status = await call(permissions.url, 'GET', '/admin/grants/cleanups', { token: admin });
    expect(status.status).toBe(200);
    expect(status.body['pending']).toBeGreaterThanOrEqual(1);
    expect(await registry.getSingleMetricAsString('photoz_grant_cleanups')).toMatch(
      /photoz_grant_cleanups\{status="pending"\} [1-9]/,
    );
    expect(await registry.getSingleMetricAsString('photoz_grant_cleanups_total')).toMatch(
      /result="recorded"\} [1-9]/,
    );

    proxy.heal();
    await expect.poll(() => tickets(album.resourceId), POLL).toEqual([]);
    await expect.poll(() => cleanup(album.resourceId), POLL).toBe(undefined);
    expect(await read(album.id, rpt)).toBe(401);
  });

  it('keeps a share made while the clean-up is pending', async () => {
    const album = await registeredAlbum('Shared again while the clean-up waits');
    await share(album.id, ['album:view', 'album:edit']);
    failTicketDeletions();
    const revoked = await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
    });
    expect(revoked.status).toBe(204);
    expect(await cleanup(album.resourceId)).toMatchObject({ status: 'pending' });

    // The owner shares again, narrower; Keycloak still fails to delete anything.
    await share(album.id, ['album:view']);
    proxy.heal();
    await expect
      .poll(
        async () =>
          (await tickets(album.resourceId)).map((ticket) => [ticket.scopeName, ticket.granted]),
        POLL,
      )
      .toEqual([['album:view', true]]);
    await expect.poll(() => cleanup(album.resourceId), POLL).toBe(undefined);
    const rpt = (await requestRpt(jdoe, [`${album.resourceId}#album:view`])).body.access_token;
    expect(await read(album.id, rpt ?? '')).toBe(200);
    const listed = await call<{ items: { username: string; scopes: string[] }[] }>(
      permissions.url,
      'GET',
      `/albums/${album.id}/shares`,
      { token: alice },
    );
    expect(listed.body.items).toEqual([
      expect.objectContaining({ username: 'jdoe', scopes: ['album:view'] }),
    ]);
  });

  it("revokes what the record holds when Keycloak cannot even list the party's tickets", async () => {
    const album = await registeredAlbum('Revoked while the ticket search fails');
    await share(album.id, ['album:view']);
    const asked = await call(permissions.url, 'POST', '/permission-requests', {
      token: jdoe,
      body: { albumId: album.id, scopes: ['album:edit'] },
    });
    expect(asked.status).toBe(202);
    const rpt =
      (await requestRpt(jdoe, [`${album.resourceId}#album:view`])).body.access_token ?? '';
    expect(await read(album.id, rpt)).toBe(200);
    expect(await tickets(album.resourceId)).toHaveLength(2);
    proxy.failWhen((_, path) => path.includes('/permission/ticket'));

    const revoked = await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
    });
    expect(revoked.status).toBe(204);
    expect(await read(album.id, rpt)).toBe(401);
    expect(await cleanup(album.resourceId)).toMatchObject({ status: 'pending' });

    proxy.heal();
    // The grant and the pending request alike.
    await expect.poll(() => tickets(album.resourceId), POLL).toEqual([]);
    await expect.poll(() => cleanup(album.resourceId), POLL).toBe(undefined);
  });

  it("narrows a partner's share once Keycloak answers again", async () => {
    const album = await registeredAlbum('Partner share revoked while Keycloak fails');
    await share(album.id, ['album:view', 'album:edit'], 'service-account-partner-printshop');
    expect(await printshopShares(album.resourceId)).toHaveLength(1);
    proxy.failWhen(
      (method, path) => method === 'DELETE' && path.includes('/authz/resource-server/policy/'),
    );

    const revoked = await call(
      permissions.url,
      'DELETE',
      `/albums/${album.id}/shares/service-account-partner-printshop`,
      { token: alice },
    );
    expect(revoked.status).toBe(204);
    expect(await cleanup(album.resourceId)).toMatchObject({ status: 'pending' });
    expect(await printshopShares(album.resourceId)).toHaveLength(1);

    proxy.heal();
    await expect.poll(() => printshopShares(album.resourceId), POLL).toEqual([]);
    await expect.poll(() => cleanup(album.resourceId), POLL).toBe(undefined);
  });

  it('ends the clean-up of an album deleted meanwhile', async () => {
    const album = await registeredAlbum('Deleted while its clean-up waits');
    await share(album.id, ['album:view']);
    failTicketDeletions();
    const revoked = await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
    });
    expect(revoked.status).toBe(204);
    expect(await cleanup(album.resourceId)).toMatchObject({ status: 'pending' });

    const deleted = await call(albums.url, 'DELETE', `/albums/${album.id}`, { token: alice });
    expect(deleted.status).toBe(204);
    await expect.poll(() => protection.resource(album.resourceId), POLL).toBe(undefined);
    proxy.heal();
    await expect.poll(() => cleanup(album.resourceId), POLL).toBe(undefined);
  });

  it('lists a parked clean-up for operators and puts it back in line', async () => {
    const album = await registeredAlbum('Parked clean-up');
    await share(album.id, ['album:view']);
    // A clean-up the relay gave up on, as it leaves one once parked.
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO permission_service.grant_cleanups
         (resource_id, subject, album_id, party_id, party_username, partner, status, attempts,
          last_error)
       SELECT $1::varchar, subject, $2::uuid, subject, 'jdoe', false, 'parked', 10, 'Keycloak refused'
         FROM uma_access.current_grants WHERE resource_id = $1::varchar
       RETURNING id`,
      [album.resourceId, album.id],
    );
    const id = rows[0]?.id ?? '';
    const listed = await call<{ parked: number; parkedCleanups: { id: string }[] }>(
      permissions.url,
      'GET',
      '/admin/grants/cleanups',
      { token: admin },
    );
    expect(listed.status).toBe(200);
    expect(listed.body.parked).toBeGreaterThanOrEqual(1);
    expect(listed.body.parkedCleanups).toContainEqual(
      expect.objectContaining({ id, albumId: album.id, lastError: 'Keycloak refused' }),
    );
    expect(
      (await call(permissions.url, 'GET', '/admin/grants/cleanups', { token: alice })).status,
    ).toBe(403);
    expect(
      (await call(permissions.url, 'POST', '/admin/grants/cleanups/x1/retry', { token: admin }))
        .status,
    ).toBe(400);
    expect(
      (
        await call(permissions.url, 'POST', '/admin/grants/cleanups/999999999/retry', {
          token: admin,
        })
      ).status,
    ).toBe(404);

    const retried = await call(permissions.url, 'POST', `/admin/grants/cleanups/${id}/retry`, {
      token: admin,
    });
    expect(retried.status).toBe(204);
    await expect.poll(() => cleanup(album.resourceId), POLL).toBe(undefined);
    // The record still holds the share: the clean-up left Keycloak's grant in place.
    const kept = await tickets(album.resourceId);
    expect(kept.map((ticket) => [ticket.scopeName, ticket.granted])).toEqual([
      ['album:view', true],
    ]);
  });
});
