import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { GrantExpirySweep } from '../apps/permission-service/src/grants/grant-expiry.sweep.ts';
import { GrantReconciler } from '../apps/permission-service/src/grants/grant-reconciler.ts';
import { KeycloakWatch } from '../apps/permission-service/src/grants/keycloak-watch.ts';
import { PendingRequestImport } from '../apps/permission-service/src/permission-requests/pending-request.import.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ALBUM_API_UUID, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { exchangeTicket, requestRpt } from '../scripts/dev-realm/rpt.ts';
import { accessTokens, clientToken } from '../scripts/dev-realm/tokens.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

interface Share {
  readonly username: string;
  readonly scopes: string[];
  readonly expiresAt: string | null;
}
interface SharedAlbum {
  readonly albumId: string;
  readonly scopes: string[];
  readonly expiresAt: string | null;
}
interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}
interface AuditEvent {
  readonly action: string;
  readonly actor: string;
  readonly subject: string;
  readonly scopes: string[];
}
interface Ticket {
  readonly id: string;
  readonly scopeName?: string;
  readonly granted: boolean;
}
interface Problem {
  readonly status: number;
  readonly code: string;
  readonly errors?: { field: string; message: string }[];
}

/** How long an expiry, a clean-up or a refusal may take to show, polled every 100 ms. */
const POLL = { timeout: 30_000, interval: 100 };
/** How far ahead a share that must still open the album for a few requests ends. */
const SOON_MS = 5_000;
const HOUR_MS = 3_600_000;
const PRINTSHOP = { clientId: 'partner-printshop', secret: PARTNER_PRINTSHOP_SECRET };
const PRINTSHOP_USER = 'service-account-partner-printshop';

/** An instant `ms` from now, as the API takes it. */
function fromNow(ms: number): string {
  return new Date(Date.now() + ms).toISOString();
}

/**
 * A share may end on its own (`expiresAt`): from that instant every RPT is refused for it on every
 * instance, from the grant record alone, before the sweep has removed anything; the sweep then
 * removes the grant, audits `expired`, and Keycloak's tickets go through the clean-up relay.
 */
describe('expiring shares', () => {
  const protection = new ProtectionApi();
  const keycloakAdmin = new KeycloakAdmin();
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  let albums: RunningService;
  let secondAlbums: RunningService;
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;

  beforeAll(async () => {
    await db.connect();
    [albums, secondAlbums, permissions] = await Promise.all([
      startService(albumService),
      startService(albumService),
      // The sweep runs only when a test calls it: an expiry must bite without it.
      startService(permissionService, {
        GRANT_EXPIRY_SWEEP_ENABLED: 'false',
        GRANT_CLEANUP_POLL_INTERVAL_MS: '100',
      }),
    ]);
    [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
  });
  afterAll(async () => {
    await Promise.all([albums.close(), secondAlbums.close(), permissions.close()]);
    await db.end();
  });

  async function registeredAlbum(name: string): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    return { ...album, resourceId: await registeredResourceId(albums.url, alice, album.id) };
  }

  function put(albumId: string, body: Record<string, unknown>, username = 'jdoe') {
    return call<Share & Problem>(permissions.url, 'PUT', `/albums/${albumId}/shares/${username}`, {
      token: alice,
      body,
    });
  }

  async function share(albumId: string, body: Record<string, unknown>, username = 'jdoe') {
    const response = await put(albumId, body, username);
    expect(response.status).toBe(200);
    return response.body;
  }

  async function shares(albumId: string): Promise<Share[]> {
    const response = await call<Page<Share>>(permissions.url, 'GET', `/albums/${albumId}/shares`, {
      token: alice,
    });
    expect(response.status).toBe(200);
    return response.body.items;
  }

  async function sharedWithJdoe(albumId: string): Promise<SharedAlbum | undefined> {
    const response = await call<Page<SharedAlbum>>(
      permissions.url,
      'GET',
      '/shared-with-me?limit=100',
      { token: jdoe },
    );
    expect(response.status).toBe(200);
    return response.body.items.find((item) => item.albumId === albumId);
  }

  async function audit(albumId: string): Promise<[string, string, string, string[]][]> {
    const response = await call<Page<AuditEvent>>(
      permissions.url,
      'GET',
      `/albums/${albumId}/audit`,
      { token: alice },
    );
    return response.body.items.map((event) => [
      event.action,
      event.actor,
      event.subject,
      event.scopes,
    ]);
  }

  async function rpt(token: string, resourceId: string, scopes = 'album:view'): Promise<string> {
    const exchange = await requestRpt(token, [`${resourceId}#${scopes}`]);
    expect(exchange.status).toBe(200);
    return exchange.body.access_token ?? '';
  }

  async function read(instance: RunningService, albumId: string, token: string): Promise<number> {
    return (await call(instance.url, 'GET', `/albums/${albumId}`, { token })).status;
  }

  /** jdoe's (or anyone's) tickets on the resource as Keycloak has them, with scope names. */
  async function tickets(resourceId: string): Promise<Ticket[]> {
    const { body } = await protection.request<Ticket[]>(
      'GET',
      `/permission/ticket?resourceId=${resourceId}&returnNames=true`,
    );
    return body;
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

  /** The grant record's rows of the resource, expired ones included. */
  async function recorded(resourceId: string): Promise<{ scopes: string[]; expired: boolean }[]> {
    const { rows } = await db.query<{ scopes: string[]; expired: boolean }>(
      `SELECT scopes, coalesce(expires_at <= now(), false) AS expired FROM uma_access.current_grants
        WHERE resource_id = $1`,
      [resourceId],
    );
    return rows;
  }

  async function cleanupOf(resourceId: string): Promise<unknown> {
    const { rows } = await db.query(
      'SELECT status FROM permission_service.grant_cleanups WHERE resource_id = $1',
      [resourceId],
    );
    return rows[0];
  }

  const sweep = () => permissions.app.get(GrantExpirySweep).sweep();

  describe('a share that ends', () => {
    let album: Album & { resourceId: string };
    let jdoeRpt: string;
    let expiresAt: string;

    it('opens the album on both instances until its instant and shows when it ends', async () => {
      album = await registeredAlbum('Until the end of the holidays');
      expiresAt = fromNow(SOON_MS);
      const shared = await share(album.id, { scopes: ['album:view'], expiresAt });
      expect(shared).toMatchObject({ username: 'jdoe', scopes: ['album:view'], expiresAt });
      jdoeRpt = await rpt(jdoe, album.resourceId);
      expect(await read(albums, album.id, jdoeRpt)).toBe(200);
      expect(await read(secondAlbums, album.id, jdoeRpt)).toBe(200);
      expect(await shares(album.id)).toEqual([
        expect.objectContaining({ username: 'jdoe', scopes: ['album:view'], expiresAt }),
      ]);
      expect(await sharedWithJdoe(album.id)).toMatchObject({ scopes: ['album:view'], expiresAt });
    });

    it('refuses the same RPT on both instances from its instant on, with no sweep run', async () => {
      await expect.poll(() => read(albums, album.id, jdoeRpt), POLL).toBe(401);
      expect(await read(secondAlbums, album.id, jdoeRpt)).toBe(401);
      // The row is still there: the refusal is the reads', not the sweep's.
      expect(await recorded(album.resourceId)).toEqual([{ scopes: ['album:view'], expired: true }]);
      // Keycloak still holds the granted ticket, and gives out an RPT: the record refuses it too.
      expect(await tickets(album.resourceId)).toEqual([
        expect.objectContaining({ scopeName: 'album:view', granted: true }),
      ]);
      const fresh = await rpt(jdoe, album.resourceId);
      expect(await read(albums, album.id, fresh)).toBe(401);
      expect(await read(secondAlbums, album.id, fresh)).toBe(401);
      // The lists show what RPTs are honoured for: nothing.
      expect(await shares(album.id)).toEqual([]);
      expect(await sharedWithJdoe(album.id)).toBeUndefined();
    });

    it("is not brought back by the watch of Keycloak, the reconciliation or the requests' import", async () => {
      const app = permissions.app;
      await app.get(GrantReconciler).reconcileResource(album.resourceId);
      await app.get(GrantReconciler).reconcileAll();
      await app.get(KeycloakWatch).readEvents();
      await app.get(PendingRequestImport).importAll();
      expect(await read(albums, album.id, jdoeRpt)).toBe(401);
      expect(await recorded(album.resourceId)).toEqual([{ scopes: ['album:view'], expired: true }]);
      expect(await shares(album.id)).toEqual([]);
    });

    it('is swept once (one sweep at a time), audited as expired, and its ticket leaves Keycloak', async () => {
      const removed = await Promise.all([sweep(), sweep(), sweep()]);
      expect(removed.reduce((sum, count) => sum + count, 0)).toBe(1);
      expect(await recorded(album.resourceId)).toEqual([]);
      expect(await audit(album.id)).toEqual([
        ['shared', 'alice', 'jdoe', ['album:view']],
        ['expired', 'alice', 'jdoe', ['album:view']],
      ]);
      await expect.poll(() => tickets(album.resourceId), POLL).toEqual([]);
      await expect.poll(() => cleanupOf(album.resourceId), POLL).toBeUndefined();
      expect(await sweep()).toBe(0);
    });

    it('can be shared again, and then reads with a fresh RPT on both instances', async () => {
      expect(await share(album.id, { scopes: ['album:view'] })).toMatchObject({ expiresAt: null });
      const fresh = await rpt(jdoe, album.resourceId);
      expect(await read(albums, album.id, fresh)).toBe(200);
      expect(await read(secondAlbums, album.id, fresh)).toBe(200);
      expect(await sharedWithJdoe(album.id)).toMatchObject({ expiresAt: null });
    });
  });

  it('keeps a share made again after the expiry but before the sweep, without the scopes it had', async () => {
    const album = await registeredAlbum('Shared again before the sweep');
    await share(album.id, { scopes: ['album:view', 'album:edit'], expiresAt: fromNow(SOON_MS) });
    const before = await rpt(jdoe, album.resourceId, 'album:view,album:edit');
    expect(await read(albums, album.id, before)).toBe(200);
    await expect.poll(() => read(albums, album.id, before), POLL).toBe(401);

    // Shared again, for less: the expired grant is replaced, never added to.
    expect(await share(album.id, { scopes: ['album:view'] })).toMatchObject({
      scopes: ['album:view'],
      expiresAt: null,
    });
    expect(await recorded(album.resourceId)).toEqual([{ scopes: ['album:view'], expired: false }]);
    expect(await sweep()).toBe(0);
    expect(await shares(album.id)).toEqual([
      expect.objectContaining({ username: 'jdoe', scopes: ['album:view'], expiresAt: null }),
    ]);
    // The expired grant's end is audited once, before the new share.
    expect(await audit(album.id)).toEqual([
      ['shared', 'alice', 'jdoe', ['album:edit', 'album:view']],
      ['expired', 'alice', 'jdoe', ['album:edit', 'album:view']],
      ['shared', 'alice', 'jdoe', ['album:view']],
    ]);
    // Keycloak keeps the new share's grant and loses the rest, once the clean-up is done.
    await expect.poll(() => cleanupOf(album.resourceId), POLL).toBeUndefined();
    expect((await tickets(album.resourceId)).map((ticket) => ticket.scopeName)).toEqual([
      'album:view',
    ]);
    const fresh = await rpt(jdoe, album.resourceId);
    expect(await read(albums, album.id, fresh)).toBe(200);
    expect(await read(secondAlbums, album.id, fresh)).toBe(200);
  });

  it('is extended, shortened, narrowed and widened with its expiry, and made permanent by a PUT without one', async () => {
    const album = await registeredAlbum('Extended in time');
    const soon = fromNow(SOON_MS);
    await share(album.id, { scopes: ['album:view', 'album:edit'], expiresAt: soon });
    const jdoeRpt = await rpt(jdoe, album.resourceId);
    expect(await read(albums, album.id, jdoeRpt)).toBe(200);

    // Extended before its instant: the RPT still opens the album after it.
    const later = fromNow(HOUR_MS);
    expect(
      await share(album.id, { scopes: ['album:view', 'album:edit'], expiresAt: later }),
    ).toMatchObject({ expiresAt: later });
    await sleep(Math.max(0, Date.parse(soon) - Date.now() + 500));
    expect(await read(albums, album.id, jdoeRpt)).toBe(200);
    expect(await read(secondAlbums, album.id, jdoeRpt)).toBe(200);

    // Narrowed with an expiry, widened with another, then shortened: each is what the list shows.
    const narrowed = fromNow(2 * HOUR_MS);
    await share(album.id, { scopes: ['album:view'], expiresAt: narrowed });
    expect(await shares(album.id)).toEqual([
      expect.objectContaining({ scopes: ['album:view'], expiresAt: narrowed }),
    ]);
    const widened = fromNow(3 * HOUR_MS);
    await share(album.id, { scopes: ['album:view', 'album:edit'], expiresAt: widened });
    expect(await shares(album.id)).toEqual([
      expect.objectContaining({ scopes: ['album:edit', 'album:view'], expiresAt: widened }),
    ]);

    // Without expiresAt the share lasts until revoked.
    expect(await share(album.id, { scopes: ['album:view', 'album:edit'] })).toMatchObject({
      expiresAt: null,
    });
    expect(await shares(album.id)).toEqual([
      expect.objectContaining({ scopes: ['album:edit', 'album:view'], expiresAt: null }),
    ]);
    expect(await sharedWithJdoe(album.id)).toMatchObject({ expiresAt: null });

    // Shortened to a few seconds: it ends then.
    await share(album.id, { scopes: ['album:view', 'album:edit'], expiresAt: fromNow(SOON_MS) });
    expect(await read(albums, album.id, jdoeRpt)).toBe(200);
    await expect.poll(() => read(secondAlbums, album.id, jdoeRpt), POLL).toBe(401);
    expect((await audit(album.id)).map(([action]) => action)).toEqual([
      'shared',
      'shared',
      'shared',
      'revoked',
      'shared',
      'shared',
      'shared',
    ]);
  });

  it("ends a partner's share and removes its share permission from Keycloak", async () => {
    const album = await registeredAlbum('Printed until Friday');
    await share(album.id, { scopes: ['album:view'], expiresAt: fromNow(SOON_MS) }, PRINTSHOP_USER);
    // The partner has nothing but its client id and secret: the UMA challenge, then its ticket.
    const printshop = (await clientToken(PRINTSHOP.clientId, PRINTSHOP.secret)).access_token;
    const challenged = await call(albums.url, 'GET', `/albums/${album.id}`, { token: printshop });
    expect(challenged.status).toBe(401);
    const { ticket } = parseUmaChallenge(challenged.headers.get('www-authenticate'));
    const exchange = await exchangeTicket(ticket, PRINTSHOP);
    expect(exchange.status).toBe(200);
    const partnerRpt = exchange.body.access_token ?? '';
    expect(await read(albums, album.id, partnerRpt)).toBe(200);
    expect(await printshopShares(album.resourceId)).toHaveLength(1);

    await expect.poll(() => read(albums, album.id, partnerRpt), POLL).toBe(401);
    expect(await read(secondAlbums, album.id, partnerRpt)).toBe(401);
    // Other tests leave expired shares too: this one's at least is swept.
    expect(await sweep()).toBeGreaterThanOrEqual(1);
    expect(await recorded(album.resourceId)).toEqual([]);
    expect((await audit(album.id)).at(-1)).toEqual([
      'expired',
      'alice',
      PRINTSHOP_USER,
      ['album:view'],
    ]);
    await expect.poll(() => printshopShares(album.resourceId), POLL).toEqual([]);
  });

  it('is swept in the background once, by one of two instances that both sweep', async () => {
    const sweepers = await Promise.all([
      startService(permissionService, { GRANT_EXPIRY_SWEEP_INTERVAL_MS: '100' }),
      startService(permissionService, { GRANT_EXPIRY_SWEEP_INTERVAL_MS: '100' }),
    ]);
    try {
      const album = await registeredAlbum('Swept by whichever instance');
      await share(album.id, { scopes: ['album:view'], expiresAt: fromNow(SOON_MS) });
      expect(await recorded(album.resourceId)).toEqual([
        { scopes: ['album:view'], expired: false },
      ]);
      await expect.poll(() => recorded(album.resourceId), POLL).toEqual([]);
      await expect.poll(() => tickets(album.resourceId), POLL).toEqual([]);
      expect(await audit(album.id)).toEqual([
        ['shared', 'alice', 'jdoe', ['album:view']],
        ['expired', 'alice', 'jdoe', ['album:view']],
      ]);
    } finally {
      await Promise.all(sweepers.map((sweeper) => sweeper.close()));
    }
  });

  describe('an approval with an expiry', () => {
    let album: Album & { resourceId: string };

    async function ask(): Promise<{ status: number; body: { id: string; status: string } }> {
      return call<{ id: string; status: string }>(permissions.url, 'POST', '/permission-requests', {
        token: jdoe,
        body: { albumId: album.id, scopes: ['album:view'] },
      });
    }

    function approve(id: string, body: Record<string, unknown>) {
      return call<Problem>(permissions.url, 'POST', `/permission-requests/${id}/approve`, {
        token: alice,
        body,
      });
    }

    it('is refused when the expiry is not a valid one, and the request stays pending', async () => {
      album = await registeredAlbum('Approved for a while');
      const asked = await ask();
      expect(asked.status).toBe(202);
      const refused = await approve(asked.body.id, { expiresAt: fromNow(-60_000) });
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toEqual([
        { field: 'expiresAt', message: 'expiresAt must be in the future' },
      ]);
      expect((await ask()).body.status).toBe('pending');
    });

    it('grants until the expiry; after it, asking again is a new pending request', async () => {
      const asked = await ask();
      const expiresAt = fromNow(SOON_MS);
      const approved = await approve(asked.body.id, { expiresAt });
      expect(approved.status).toBe(200);
      expect(await shares(album.id)).toEqual([
        expect.objectContaining({ username: 'jdoe', scopes: ['album:view'], expiresAt }),
      ]);
      const jdoeRpt = await rpt(jdoe, album.resourceId);
      expect(await read(albums, album.id, jdoeRpt)).toBe(200);
      await expect.poll(() => read(albums, album.id, jdoeRpt), POLL).toBe(401);
      expect(await read(secondAlbums, album.id, jdoeRpt)).toBe(401);

      // Before any sweep: Keycloak's granted ticket does not answer the new request.
      const again = await ask();
      expect(again.status).toBe(202);
      expect(again.body.status).toBe('pending');
      expect((await audit(album.id)).map(([action]) => action)).toEqual([
        'requested',
        'approved',
        'expired',
        'requested',
      ]);
      const reapproved = await approve(again.body.id, {});
      expect(reapproved.status).toBe(200);
      expect(await shares(album.id)).toEqual([
        expect.objectContaining({ scopes: ['album:view'], expiresAt: null }),
      ]);
      const fresh = await rpt(jdoe, album.resourceId);
      expect(await read(secondAlbums, album.id, fresh)).toBe(200);
    });
  });

  it.each([
    ['in the past', () => fromNow(-1_000), 'expiresAt must be in the future'],
    [
      'beyond SHARE_MAX_DURATION_DAYS',
      () => fromNow(366 * 24 * HOUR_MS),
      'expiresAt must be at most 365 days ahead (SHARE_MAX_DURATION_DAYS)',
    ],
    [
      'not a date',
      () => 'next friday',
      'expiresAt must be a date and time with its offset (ISO 8601), such as 2030-01-31T12:00:00Z',
    ],
    [
      'without an offset',
      () => '2031-01-01T12:00:00',
      'expiresAt must be a date and time with its offset (ISO 8601), such as 2030-01-31T12:00:00Z',
    ],
    ['a number', () => Date.now() + HOUR_MS, 'expiresAt must be a date and time (ISO 8601)'],
  ])('refuses an expiresAt %s with a 400, changing nothing', async (_name, value, message) => {
    const album = await registeredAlbum(`Refused expiry ${_name}`);
    await share(album.id, { scopes: ['album:view'] });
    const refused = await put(album.id, {
      scopes: ['album:view', 'album:edit'],
      expiresAt: value(),
    });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.errors).toEqual(expect.arrayContaining([{ field: 'expiresAt', message }]));
    expect(await shares(album.id)).toEqual([
      expect.objectContaining({ scopes: ['album:view'], expiresAt: null }),
    ]);
  });
});
