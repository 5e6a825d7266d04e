import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import {
  ALBUM_API_UUID,
  ISSUER,
  PARTNER_NOAUDIENCE_SECRET,
  PARTNER_PRINTSHOP_SECRET,
} from '../scripts/dev-realm/realm.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { clientToken, accessTokens } from '../scripts/dev-realm/tokens.ts';
import { exchangeTicket, refreshToken } from '../scripts/dev-realm/rpt.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}
interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}
interface Share {
  readonly username: string;
  readonly scopes: string[];
}

const PRINTSHOP = { clientId: 'partner-printshop', secret: PARTNER_PRINTSHOP_SECRET };
const NOAUDIENCE = { clientId: 'partner-noaudience', secret: PARTNER_NOAUDIENCE_SECRET };

/** Waits until the clock is in a later whole second (JWT times have whole seconds). */
function nextSecond(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1_100));
}

/** The problem as a caller sees it, without what differs per request. */
function sameAnswer(response: { status: number; body: unknown }) {
  const { type, title, status, detail } = response.body as Problem;
  return { httpStatus: response.status, type, title, status, detail };
}

/**
 * Each case here is an attack that worked before the guarantee it tests existed (docs/security.md,
 * "Security guarantees"): every path to a token, a ticket or a grant is tried the way an attacker
 * would.
 */
describe('sharing that cannot be outwitted', () => {
  const protection = new ProtectionApi();
  const admin = new KeycloakAdmin();
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
      startService(permissionService),
    ]);
    [alice = '', jdoe = '', bob = ''] = await accessTokens('alice', 'jdoe', 'bob');
  });
  afterAll(async () => {
    await Promise.all([albums.close(), secondAlbums.close(), permissions.close()]);
  });

  /** Removes the partner's client policy, so a test starts from a realm that does not know it. */
  async function deletePartnerPolicy(clientId: string): Promise<void> {
    const { body } = await admin.call<{ id: string; name: string }[]>(
      'GET',
      `/clients/${ALBUM_API_UUID}/authz/resource-server/policy?type=client&first=0&max=1000`,
    );
    for (const policy of body.filter((candidate) => candidate.name === `partner ${clientId}`)) {
      await admin.call(
        'DELETE',
        `/clients/${ALBUM_API_UUID}/authz/resource-server/policy/${policy.id}`,
      );
    }
  }

  async function registeredAlbum(name: string): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    return { ...album, resourceId: await registeredResourceId(albums.url, alice, album.id) };
  }

  async function share(albumId: string, username: string, scopes: string[]): Promise<void> {
    const response = await call(permissions.url, 'PUT', `/albums/${albumId}/shares/${username}`, {
      token: alice,
      body: { scopes },
    });
    expect(response.status).toBe(200);
  }

  /** jdoe's UMA grant for the album's challenge: an RPT and, as he has a session, a refresh token. */
  async function jdoeRptFor(album: Album): Promise<{ rpt: string; refresh: string }> {
    const challenge = await call(albums.url, 'GET', `/albums/${album.id}`, { token: jdoe });
    const { ticket } = parseUmaChallenge(challenge.headers.get('www-authenticate'));
    const exchange = await exchangeTicket(ticket, { bearer: jdoe });
    expect(exchange.status).toBe(200);
    expect(exchange.body.refresh_token).toEqual(expect.any(String));
    return { rpt: exchange.body.access_token ?? '', refresh: exchange.body.refresh_token ?? '' };
  }

  describe('1. an RPT is honoured only for what its holder holds now', () => {
    it('refuses an RPT refreshed after the revocation, on every instance', async () => {
      const album = await registeredAlbum('Refreshed after revocation');
      await share(album.id, 'jdoe', ['album:view']);
      const { rpt, refresh } = await jdoeRptFor(album);
      expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status).toBe(
        200,
      );

      const revoked = await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/jdoe`, {
        token: alice,
      });
      expect(revoked.status).toBe(204);
      // Keycloak's refresh grant copies the permissions into a token with a fresh iat: refreshed
      // a second after the revocation, it is newer than any cut-off by issue time.
      await nextSecond();
      const refreshed = await refreshToken(refresh);
      expect(refreshed.status).toBe(200);
      const fresh = refreshed.body.access_token ?? '';
      for (const instance of [albums, secondAlbums]) {
        for (const token of [rpt, fresh]) {
          const read = await call(instance.url, 'GET', `/albums/${album.id}`, { token });
          expect(read.status).toBe(401);
          expect(read.headers.get('www-authenticate')).toMatch(/^UMA /);
        }
      }
    });

    it('refuses the dropped scope to an RPT refreshed after a share was narrowed', async () => {
      const album = await registeredAlbum('Narrowed');
      await share(album.id, 'jdoe', ['album:view', 'album:edit']);
      const edit = await call(albums.url, 'PATCH', `/albums/${album.id}`, {
        token: jdoe,
        body: { name: 'x' },
      });
      const ticket = parseUmaChallenge(edit.headers.get('www-authenticate')).ticket;
      const exchange = await exchangeTicket(ticket, { bearer: jdoe });
      expect(exchange.status).toBe(200);

      await share(album.id, 'jdoe', ['album:view']);
      await nextSecond();
      const refreshed = await refreshToken(exchange.body.refresh_token ?? '');
      expect(refreshed.status).toBe(200);
      const token = refreshed.body.access_token ?? '';
      const patched = await call(albums.url, 'PATCH', `/albums/${album.id}`, {
        token,
        body: { name: 'Renamed by jdoe' },
      });
      expect(patched.status).toBe(401);
      expect(
        (await call(albums.url, 'GET', `/albums/${album.id}`, { token: alice })).body,
      ).toMatchObject({ name: 'Narrowed' });
    });
  });

  describe('2. no unverified ticket is believed', () => {
    function forgedTicket(resourceId: string, scopes: string[]): string {
      const payload = Buffer.from(JSON.stringify({ permissions: [{ rsid: resourceId, scopes }] }));
      return `x.${payload.toString('base64url')}.x`;
    }

    it.each([
      ['no scopes', [] as string[]],
      ['a scope', ['album:view']],
    ])(
      'refuses a made-up ticket naming an album (%s) and tells nothing about it',
      async (_, scopes) => {
        const album = await registeredAlbum('Secret name 7f3a');
        const response = await call(permissions.url, 'POST', '/permission-requests', {
          token: bob,
          body: { ticket: forgedTicket(album.resourceId, scopes) },
        });
        expect(response.status).toBe(400);
        expect(response.text).not.toMatch(/Secret name 7f3a|alice|granted|pending/);
      },
    );

    it('refuses a real ticket whose payload was changed to name another album', async () => {
      const target = await registeredAlbum('Someone else 9c1d');
      const bait = await createAlbum(albums.url, bob, "Bob's own");
      await registeredResourceId(albums.url, bob, bait.id);
      const challenge = await call(albums.url, 'GET', `/albums/${bait.id}`, { token: jdoe });
      const [header, payload, signature] = parseUmaChallenge(
        challenge.headers.get('www-authenticate'),
      ).ticket.split('.');
      const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as {
        permissions: { rsid: string }[];
      };
      for (const permission of claims.permissions) {
        permission.rsid = target.resourceId;
      }
      const tampered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
      const response = await call(permissions.url, 'POST', '/permission-requests', {
        token: jdoe,
        body: { ticket: tampered },
      });
      expect(response.status).toBe(400);
      expect(response.text).not.toMatch(/Someone else 9c1d|alice/);
    });
  });

  describe('3. drift heals', () => {
    it('answers a stranger 403 while a resource deleted in Keycloak is registered again, then challenges', async () => {
      const album = await registeredAlbum('Deleted behind our back');
      expect(await protection.deleteResource(album.resourceId)).toBe(204);

      const stranger = await call<Problem>(albums.url, 'GET', `/albums/${album.id}`, {
        token: bob,
      });
      expect(stranger.status).toBe(403);
      expect(stranger.body.type).toBe('urn:photoz:problem:not-shareable-yet');
      expect(stranger.headers.get('retry-after')).toBe('5');

      await expect
        .poll(
          async () =>
            (await call<Album>(albums.url, 'GET', `/albums/${album.id}`, { token: alice })).body
              .keycloakResourceId,
          { timeout: 60_000, interval: 250 },
        )
        .not.toBe(album.resourceId);
      const repaired = (
        await call<Album>(albums.url, 'GET', `/albums/${album.id}`, { token: alice })
      ).body.keycloakResourceId;
      expect(repaired).toEqual(expect.any(String));
      expect((await protection.resource(repaired ?? ''))?.owner?.id).toBe(album.ownerId);
      const challenged = await call(albums.url, 'GET', `/albums/${album.id}`, { token: bob });
      expect(challenged.status).toBe(401);
      expect(challenged.headers.get('www-authenticate')).toMatch(/^UMA /);
    });
  });

  describe('4. an RPT is a pass for its permissions, not an identity', () => {
    it('opens the shared album to a client without our audience, and nothing else', async () => {
      const album = await registeredAlbum('Shared with a stranger client');
      await share(album.id, 'service-account-partner-noaudience', ['album:view']);
      try {
        expect(await useRptOfClientWithoutAudience(album)).toBe('refused everywhere but the album');
      } finally {
        // Other suites rely on partner-noaudience being unknown to the service (no policy).
        await call(
          permissions.url,
          'DELETE',
          `/albums/${album.id}/shares/service-account-partner-noaudience`,
          { token: alice },
        );
        await deletePartnerPolicy('partner-noaudience');
      }
    });

    async function useRptOfClientWithoutAudience(
      album: Album & { resourceId: string },
    ): Promise<string> {
      const rpt = await requestRptWithClient(album.resourceId);
      expect((await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt })).status).toBe(
        200,
      );
      for (const [base, method, path] of [
        [albums.url, 'POST', '/albums'],
        [albums.url, 'GET', '/albums'],
        [albums.url, 'GET', '/me'],
        [permissions.url, 'GET', '/me'],
        [permissions.url, 'GET', '/shared-with-me'],
      ] as const) {
        const response = await call(base, method, path, {
          token: rpt,
          ...(method === 'POST' ? { body: { name: 'Created with an RPT' } } : {}),
        });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(
          /error_description="an RPT is accepted only where a permission is asked for"/,
        );
      }
      return 'refused everywhere but the album';
    }

    it("does not let the owner's own RPT act as the owner", async () => {
      const shared = await registeredAlbum('Shared with jdoe');
      await share(shared.id, 'jdoe', ['album:view']);
      const own = await createAlbum(albums.url, jdoe, "jdoe's own");
      await registeredResourceId(albums.url, jdoe, own.id);
      const { rpt } = await jdoeRptFor(shared);
      const response = await call(albums.url, 'DELETE', `/albums/${own.id}`, { token: rpt });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^UMA /);
    });

    async function requestRptWithClient(resourceId: string): Promise<string> {
      const response = await fetch(`${ISSUER}/protocol/openid-connect/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${NOAUDIENCE.clientId}:${NOAUDIENCE.secret}`).toString('base64')}`,
        },
        body: new URLSearchParams({
          grant_type: 'urn:ietf:params:oauth:grant-type:uma-ticket',
          audience: 'album-api',
          permission: `${resourceId}#album:view`,
        }),
      });
      expect(response.status).toBe(200);
      return ((await response.json()) as { access_token: string }).access_token;
    }
  });

  describe('5. one answer for every name, and reads never write', () => {
    async function partnerPolicies(): Promise<string[]> {
      const { body } = await admin.call<{ name: string }[]>(
        'GET',
        `/clients/${ALBUM_API_UUID}/authz/resource-server/policy?type=client&first=0&max=1000`,
      );
      return body.map((policy) => policy.name).sort();
    }

    it('answers an unknown user, a made-up name and a user without a share alike', async () => {
      const album = await registeredAlbum('Probed');
      const answers = await Promise.all(
        ['nobody-at-all', 'bob', 'no%20such%20name', 'service-account-nothing-here'].map(
          async (name) =>
            sameAnswer(
              await call(permissions.url, 'DELETE', `/albums/${album.id}/shares/${name}`, {
                token: alice,
              }),
            ),
        ),
      );
      expect(answers[0]?.httpStatus).toBe(404);
      expect(new Set(answers.map((answer) => JSON.stringify(answer))).size).toBe(1);
    });

    it('answers a share with an unknown user and a made-up name alike', async () => {
      const album = await registeredAlbum('Probed by sharing');
      const answers = await Promise.all(
        ['nobody-at-all', 'no%20such%20name'].map(async (name) =>
          sameAnswer(
            await call(permissions.url, 'PUT', `/albums/${album.id}/shares/${name}`, {
              token: alice,
              body: { scopes: ['album:view'] },
            }),
          ),
        ),
      );
      expect(answers[0]?.httpStatus).toBe(404);
      expect(answers[1]).toEqual(answers[0]);
    });

    it('creates nothing in Keycloak when a partner name is only looked up', async () => {
      const album = await registeredAlbum('Looked up');
      await deletePartnerPolicy('album-api');
      const before = await partnerPolicies();
      expect(before).not.toContain('partner album-api');
      const removed = await call(
        permissions.url,
        'DELETE',
        `/albums/${album.id}/shares/service-account-album-api`,
        { token: alice },
      );
      expect(removed.status).toBe(404);
      expect(
        (await call(permissions.url, 'GET', `/albums/${album.id}/shares`, { token: alice })).status,
      ).toBe(200);
      expect(await partnerPolicies()).toEqual(before);
    });
  });

  describe("7. another deployment's albums stay out of sight", () => {
    it("lists no request on another deployment's album, and answers for it as for none", async () => {
      // Deployments sharing a realm (the dev stack and the tests, say) tell their albums apart by
      // the resources' deployment attribute.
      const albumId = randomUUID();
      const foreign = await protection.createResource({
        name: `album-${albumId}`,
        displayName: 'Another deployment 3e1f',
        type: 'urn:photoz:album',
        owner: (await call<{ subject: string }>(albums.url, 'GET', '/me', { token: alice })).body
          .subject,
        ownerManagedAccess: true,
        uris: [`/albums/${albumId}`],
        resource_scopes: ['album:view', 'album:edit', 'album:delete'],
        attributes: { deployment: ['another-deployment'] },
      });
      try {
        const { body } = await protection.request<{ ticket: string }>('POST', '/permission', [
          { resource_id: foreign._id, resource_scopes: ['album:view'] },
        ]);
        const asked = await exchangeTicket(body.ticket, { bearer: jdoe });
        expect(asked.body.error_description).toBe('request_submitted');

        const incoming = await call<{ items: { albumId: string }[] }>(
          permissions.url,
          'GET',
          '/permission-requests/incoming?limit=100',
          { token: alice },
        );
        expect(incoming.body.items.map((item) => item.albumId)).not.toContain(albumId);
        const shares = await call(permissions.url, 'GET', `/albums/${albumId}/shares`, {
          token: alice,
        });
        expect(shares.status).toBe(404);
      } finally {
        await protection.deleteResource(foreign._id);
      }
    });
  });

  describe('6. partner approvals merge scopes', () => {
    it("keeps a partner's earlier share when alice approves its request for another scope", async () => {
      const album = await registeredAlbum('Merged for the print shop');
      await share(album.id, 'service-account-partner-printshop', ['album:view']);
      const partner = (await clientToken(PRINTSHOP.clientId, PRINTSHOP.secret)).access_token;
      const asked = await call<{ id: string }>(permissions.url, 'POST', '/permission-requests', {
        token: partner,
        body: { albumId: album.id, scopes: ['album:delete'] },
      });
      expect(asked.status).toBe(202);
      const approved = await call(
        permissions.url,
        'POST',
        `/permission-requests/${asked.body.id}/approve`,
        { token: alice },
      );
      expect(approved.status).toBe(200);
      const shares = await call<Page<Share>>(permissions.url, 'GET', `/albums/${album.id}/shares`, {
        token: alice,
      });
      expect(shares.body.items).toEqual([
        expect.objectContaining({
          username: 'service-account-partner-printshop',
          scopes: ['album:delete', 'album:view'],
        }),
      ]);
      const rpt = await exchangeTicket(
        parseUmaChallenge(
          (await call(albums.url, 'GET', `/albums/${album.id}`, { token: partner })).headers.get(
            'www-authenticate',
          ),
        ).ticket,
        PRINTSHOP,
      );
      expect(rpt.status).toBe(200);
      expect(
        (await call(albums.url, 'GET', `/albums/${album.id}`, { token: rpt.body.access_token }))
          .status,
      ).toBe(200);
    });
  });
});
