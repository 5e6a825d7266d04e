import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ISSUER, KEYCLOAK_URL, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { createAlbum, registeredResourceId } from './support/albums.ts';
import { HttpFaultProxy } from './support/http-fault-proxy.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens, clientToken } from '../scripts/dev-realm/tokens.ts';
import { ProtectionApi } from './support/uma.ts';

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
