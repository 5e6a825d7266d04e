import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ISSUER, KEYCLOAK_URL, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { createAlbum, registeredResourceId } from './support/albums.ts';
import { HttpFaultProxy } from './support/http-fault-proxy.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens, clientToken, loginWith } from '../scripts/dev-realm/tokens.ts';
import { ProtectionApi } from './support/uma.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

const PRINTSHOP_USER = 'service-account-partner-printshop';
/** Other people who hold something on the crowded album. */
const OTHERS = 4;

/**
 * Calls to Keycloak the service makes on its own account, not for the request being answered: the
 * PAT, discovery and keys, and the watch of admin events.
 */
function answersRequest(seen: string): boolean {
  return !/\/protocol\/openid-connect\/(token|certs)|\.well-known|admin-events/.test(seen);
}

/**
 * What an owner's answer costs in calls to Keycloak: the service asks about the party concerned
 * only, so an approval costs the same on an album nobody else holds anything on as on one that
 * many people hold something on.
 */
describe('calls to Keycloak per approval', () => {
  const admin = new KeycloakAdmin();
  const protection = new ProtectionApi();
  const proxy = new HttpFaultProxy(new URL(KEYCLOAK_URL));
  const others: string[] = [];
  let albums: RunningService;
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;
  let printshop: string;

  beforeAll(async () => {
    albums = await startService(albumService);
    // One instance, watching admin events rarely and finishing no revocation left by another
    // suite: the calls counted are the request's own.
    permissions = await startService(permissionService, {
      KEYCLOAK_URL: await proxy.listen(),
      KEYCLOAK_ISSUER: ISSUER,
      KEYCLOAK_WATCH_INTERVAL_MS: '60000',
      GRANT_CLEANUP_ENABLED: 'false',
    });
    [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
    printshop = (await clientToken('partner-printshop', PARTNER_PRINTSHOP_SECRET)).access_token;
    const prefix = `calls-${randomBytes(3).toString('hex')}`;
    for (let index = 0; index < OTHERS; index += 1) {
      others.push(await admin.createUser(`${prefix}-${index}`));
    }
    // The watch's first pass (a full reconciliation on a fresh database) is over before counting.
    for (let settled = -1; settled !== proxy.seen.length;) {
      settled = proxy.seen.length;
      await sleep(1_000);
    }
  });
  afterAll(async () => {
    await Promise.all(others.map((id) => admin.deleteUser(id)));
    await Promise.all([albums.close(), permissions.close()]);
    await proxy.close();
  });

  /** An album of alice's; `crowded`: the other people hold album:view on it, and the partner too. */
  async function album(crowded: boolean): Promise<string> {
    const created = await createAlbum(
      albums.url,
      alice,
      `Counted ${crowded ? 'crowded' : 'empty'}`,
    );
    const resourceId = await registeredResourceId(albums.url, alice, created.id);
    if (crowded) {
      const names = await Promise.all(
        others.map(
          async (id) => (await admin.call<{ username: string }>('GET', `/users/${id}`)).body,
        ),
      );
      for (const { username } of names) {
        await protection.share(resourceId, username, 'album:view');
      }
    }
    return created.id;
  }

  /** The calls to Keycloak alice's approval of `token`'s request for album:view makes. */
  async function approvalCalls(albumId: string, token: string): Promise<string[]> {
    const asked = await call<{ id: string }>(permissions.url, 'POST', '/permission-requests', {
      token,
      body: { albumId, scopes: ['album:view'] },
    });
    expect(asked.status).toBe(202);
    const before = proxy.seen.length;
    const approved = await call<{ status: string }>(
      permissions.url,
      'POST',
      `/permission-requests/${asked.body.id}/approve`,
      { token: alice },
    );
    expect(approved.status).toBe(200);
    expect(approved.body.status).toBe('granted');
    return proxy.seen.slice(before).filter(answersRequest);
  }

  it("a person's approval costs the same whoever else holds something on the album", async () => {
    // The first approval fills what the service keeps for good (scope names, partner policies).
    await approvalCalls(await album(false), jdoe);
    const empty = await approvalCalls(await album(false), jdoe);
    const crowdedAlbum = await album(true);
    // The partner holds album:view too, through its share permission.
    const shared = await call(
      permissions.url,
      'PUT',
      `/albums/${crowdedAlbum}/shares/${PRINTSHOP_USER}`,
      { token: alice, body: { scopes: ['album:view'] } },
    );
    expect(shared.status).toBe(200);
    const crowded = await approvalCalls(crowdedAlbum, jdoe);
    console.log(
      `person's approval: ${empty.length} calls (album nobody else holds), ${crowded.length} calls (${OTHERS} people and a partner hold it)\n  ${crowded.join('\n  ')}`,
    );
    expect(crowded.length).toBe(empty.length);
    expect(empty.length).toBeLessThanOrEqual(4);
  });

  it("a partner's approval costs the same whoever else holds something on the album", async () => {
    await approvalCalls(await album(false), printshop);
    const empty = await approvalCalls(await album(false), printshop);
    const crowded = await approvalCalls(await album(true), printshop);
    console.log(
      `partner's approval: ${empty.length} calls (album nobody else holds), ${crowded.length} calls (${OTHERS} people hold it)\n  ${crowded.join('\n  ')}`,
    );
    expect(crowded.length).toBe(empty.length);
    expect(empty.length).toBeLessThanOrEqual(6);
  });
});

/** Items in each long list: real shares and requests, made through the API. */
const ITEMS = 30;
/** A small page, so that walking a long list takes several. */
const PAGE = 7;

interface Listed {
  readonly id?: string;
  readonly albumId?: string;
  readonly userId?: string;
}

/**
 * What a list read costs in calls to Keycloak: none, whatever the number of items, as the lists
 * are read from the service's own tables; and walking a list page by page returns every item
 * exactly once.
 */
describe('calls to Keycloak per list read', () => {
  const admin = new KeycloakAdmin();
  const proxy = new HttpFaultProxy(new URL(KEYCLOAK_URL));
  const userIds: string[] = [];
  let albums: RunningService;
  let permissions: RunningService;
  /** Tokens by role: each list has a caller with ITEMS items and one with a single item. */
  const token: Record<string, string> = {};
  const people: { username: string; token: string }[] = [];
  const album: Record<string, string> = {};

  async function person(username: string): Promise<string> {
    userIds.push(await admin.createUser(username));
    return (await loginWith(username, username)).access_token;
  }

  async function registered(owner: string, name: string): Promise<string> {
    const created = await createAlbum(albums.url, owner, name);
    await registeredResourceId(albums.url, owner, created.id);
    return created.id;
  }

  async function share(owner: string, albumId: string, username: string): Promise<void> {
    const shared = await call(permissions.url, 'PUT', `/albums/${albumId}/shares/${username}`, {
      token: owner,
      body: { scopes: ['album:view'] },
    });
    expect(shared.status).toBe(200);
  }

  async function ask(requester: string, albumId: string): Promise<void> {
    const asked = await call(permissions.url, 'POST', '/permission-requests', {
      token: requester,
      body: { albumId, scopes: ['album:view'] },
    });
    expect(asked.status).toBe(202);
  }

  /** `work` for each of `items`, a few at a time. */
  async function inBatches<T>(items: readonly T[], work: (item: T) => Promise<void>) {
    for (let start = 0; start < items.length; start += 5) {
      await Promise.all(items.slice(start, start + 5).map(work));
    }
  }

  beforeAll(async () => {
    // Many albums, shares and requests by a few callers: no rate limit in the way.
    const unlimited = {
      RATE_LIMIT_READS: '1000000',
      RATE_LIMIT_WRITES: '1000000',
      RATE_LIMIT_COSTLY: '1000000',
    };
    albums = await startService(albumService, unlimited);
    // Nothing in the background while counting: the admin events, the import of Keycloak's
    // pending tickets and the full reconciliation run at start only.
    permissions = await startService(permissionService, {
      KEYCLOAK_URL: await proxy.listen(),
      KEYCLOAK_ISSUER: ISSUER,
      KEYCLOAK_WATCH_INTERVAL_MS: '60000',
      KEYCLOAK_REQUEST_IMPORT_INTERVAL_MS: '3600000',
      ...unlimited,
    });
    const prefix = `lists-${randomBytes(3).toString('hex')}`;
    for (const role of ['bigOwner', 'smallOwner', 'holdersOwner', 'bigHolder', 'smallHolder']) {
      token[role] = await person(`${prefix}-${role.toLowerCase()}`);
    }
    for (let index = 0; index < ITEMS; index += 1) {
      const username = `${prefix}-${index}`;
      people.push({ username, token: await person(username) });
    }
    const { bigOwner = '', smallOwner = '', holdersOwner = '' } = token;
    // The owners' albums: one asked for and one shared by everyone (or by one person).
    album['bigAsked'] = await registered(bigOwner, 'Asked by many');
    album['bigShared'] = await registered(bigOwner, 'Shared with many');
    album['smallAsked'] = await registered(smallOwner, 'Asked by one');
    album['smallShared'] = await registered(smallOwner, 'Shared with one');
    const [first = { username: '', token: '' }] = people;
    await inBatches(people, async ({ username, token: requester }) => {
      await ask(requester, album['bigAsked'] ?? '');
      await share(bigOwner, album['bigShared'] ?? '', username);
    });
    await ask(first.token, album['smallAsked'] ?? '');
    await share(smallOwner, album['smallShared'] ?? '', first.username);
    // The holders: ITEMS albums shared with one, one album with the other (by a third owner).
    const holderName = (role: string) => `${prefix}-${role.toLowerCase()}`;
    await inBatches(
      Array.from({ length: ITEMS }, (_, index) => index),
      async (index) => {
        const albumId = await registered(holdersOwner, `Shared album ${index}`);
        await share(holdersOwner, albumId, holderName('bigHolder'));
      },
    );
    await share(
      holdersOwner,
      await registered(holdersOwner, 'Shared with the other'),
      holderName('smallHolder'),
    );
    // The watch's first passes are over before counting.
    for (let settled = -1; settled !== proxy.seen.length;) {
      settled = proxy.seen.length;
      await sleep(1_000);
    }
  });
  afterAll(async () => {
    await Promise.all(userIds.map((id) => admin.deleteUser(id)));
    await Promise.all([albums.close(), permissions.close()]);
    await proxy.close();
  });

  /** Each list, read by the caller with many items and by the caller with one. */
  const lists = () => [
    {
      name: 'GET /albums/:albumId/shares',
      path: (albumId: string) => `/albums/${albumId}/shares`,
      big: { token: token['bigOwner'] ?? '', albumId: album['bigShared'] ?? '' },
      small: { token: token['smallOwner'] ?? '', albumId: album['smallShared'] ?? '' },
      key: (item: Listed) => item.userId,
    },
    {
      name: 'GET /shared-with-me',
      path: () => '/shared-with-me',
      big: { token: token['bigHolder'] ?? '', albumId: '' },
      small: { token: token['smallHolder'] ?? '', albumId: '' },
      key: (item: Listed) => item.albumId,
    },
    {
      name: 'GET /permission-requests/incoming (pending)',
      path: () => '/permission-requests/incoming?status=pending',
      big: { token: token['bigOwner'] ?? '', albumId: '' },
      small: { token: token['smallOwner'] ?? '', albumId: '' },
      key: (item: Listed) => item.id,
    },
    {
      name: 'GET /permission-requests/incoming (granted)',
      path: () => '/permission-requests/incoming?status=granted',
      big: { token: token['bigOwner'] ?? '', albumId: '' },
      small: { token: token['smallOwner'] ?? '', albumId: '' },
      key: (item: Listed) => item.id,
    },
    {
      name: 'GET /permission-requests/outgoing',
      path: () => '/permission-requests/outgoing',
      big: { token: token['bigHolder'] ?? '', albumId: '' },
      small: { token: token['smallHolder'] ?? '', albumId: '' },
      key: (item: Listed) => item.id,
    },
  ];

  /** One page of a list, and the calls to Keycloak its read made. */
  async function page(
    path: string,
    caller: string,
    limit: number,
    cursor?: string,
  ): Promise<{ items: Listed[]; nextCursor: string | null; calls: string[] }> {
    const query = `limit=${limit}${cursor === undefined ? '' : `&cursor=${cursor}`}`;
    const before = proxy.seen.length;
    const read = await call<{ items: Listed[]; nextCursor: string | null }>(
      permissions.url,
      'GET',
      `${path}${path.includes('?') ? '&' : '?'}${query}`,
      { token: caller },
    );
    expect(read.status).toBe(200);
    return { ...read.body, calls: proxy.seen.slice(before).filter(answersRequest) };
  }

  it('reads every list without a call to Keycloak, with one item or many', async () => {
    for (const list of lists()) {
      const big = await page(list.path(list.big.albumId), list.big.token, 100);
      const small = await page(list.path(list.small.albumId), list.small.token, 100);
      console.log(
        `${list.name}: ${big.calls.length} calls for ${big.items.length} items, ${small.calls.length} for ${small.items.length}`,
      );
      expect({ list: list.name, items: big.items.length }).toEqual({
        list: list.name,
        items: ITEMS,
      });
      expect({ list: list.name, items: small.items.length }).toEqual({ list: list.name, items: 1 });
      expect({ list: list.name, calls: [...big.calls, ...small.calls] }).toEqual({
        list: list.name,
        calls: [],
      });
    }
  });

  it('returns every item exactly once, page by page', async () => {
    for (const list of lists()) {
      const seen: (string | undefined)[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const next = await page(list.path(list.big.albumId), list.big.token, PAGE, cursor);
        expect(next.items.length).toBeLessThanOrEqual(PAGE);
        expect(next.calls).toEqual([]);
        seen.push(...next.items.map(list.key));
        cursor = next.nextCursor ?? undefined;
        pages += 1;
      } while (cursor !== undefined && pages < 100);
      expect({ list: list.name, pages }).toEqual({
        list: list.name,
        pages: Math.ceil(ITEMS / PAGE),
      });
      expect(seen.every((key) => key !== undefined)).toBe(true);
      expect({ list: list.name, distinct: new Set(seen).size, total: seen.length }).toEqual({
        list: list.name,
        distinct: ITEMS,
        total: ITEMS,
      });
    }
  });

  it('names a holder the party record lacks through Keycloak once, in its place by username', async () => {
    const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
    try {
      const [forgotten = { username: '' }] = people.slice(-1);
      // As a grant recorded before the service kept names.
      const removed = await db.query(
        'DELETE FROM permission_service.parties WHERE username = $1 RETURNING subject',
        [forgotten.username],
      );
      expect(removed.rowCount).toBe(1);
      const path = `/albums/${album['bigShared'] ?? ''}/shares`;
      const walked: string[] = [];
      let cursor: string | undefined;
      do {
        const next = await page(path, token['bigOwner'] ?? '', PAGE, cursor);
        walked.push(...next.items.map((item) => (item as { username: string }).username));
        cursor = next.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(walked).toHaveLength(ITEMS);
      expect(walked).toContain(forgotten.username);
      expect(walked).toEqual([...walked].sort());
      const kept = await db.query('SELECT 1 FROM permission_service.parties WHERE username = $1', [
        forgotten.username,
      ]);
      expect(kept.rowCount).toBe(1);
    } finally {
      await db.end();
    }
  });

  it('refuses a cursor it did not hand out', async () => {
    for (const list of lists()) {
      const path = list.path(list.big.albumId);
      const read = await call(
        permissions.url,
        'GET',
        `${path}${path.includes('?') ? '&' : '?'}cursor=bm90LWEtY3Vyc29y`,
        { token: list.big.token },
      );
      expect({ list: list.name, status: read.status }).toEqual({ list: list.name, status: 400 });
    }
  });
});
