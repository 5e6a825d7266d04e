import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { log, registry } from '@app/observability';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { LOG_DIR } from '../scripts/lib/paths.ts';
import { exchangeTicket } from '../scripts/dev-realm/rpt.ts';
import { accessTokens, clientToken } from '../scripts/dev-realm/tokens.ts';
import { serviceEnv, TEST_DATABASE_URL } from './setup/test-env.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { type BuiltService, ensureBuilt, startBuiltService } from './support/built-service.ts';
import { scanLogFile } from './support/log-scan.ts';
import { OtlpReceiver } from './support/otlp-receiver.ts';
import {
  call,
  type HttpResult,
  type RunningService,
  startService,
} from './support/service-harness.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';

interface Link {
  readonly id: string;
  readonly albumId: string;
  readonly scopes: string[];
  readonly expiresAt: string | null;
  readonly maxUses: number | null;
  readonly uses: number;
  readonly createdAt: string;
  readonly state: 'active' | 'expired' | 'used-up';
}
interface CreatedLink extends Link {
  readonly token: string;
  readonly url: string;
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
  readonly linkId: string | null;
}

const PRINTSHOP_USER = 'service-account-partner-printshop';
const LOG_FILE = process.env['LOG_FILE'] ?? '';
const FAILURES = 'permission_service.invitation_redeem_failures';

/** A well-formed secret that no link has. */
const madeUpToken = () => randomBytes(32).toString('base64url');

/** A problem body without what differs per request (its correlation id). */
function sameForEveryRequest(result: HttpResult): Record<string, unknown> {
  const { correlationId: _correlationId, ...rest } = result.body as Record<string, unknown>;
  return rest;
}

function flushLogs(): Promise<void> {
  return new Promise((resolve, reject) => {
    log.flush((error) => (error ? reject(error) : resolve()));
  });
}

describe('invitation links', () => {
  const protection = new ProtectionApi();
  const handedOut: string[] = [];
  let albums: RunningService;
  let permissions: RunningService;
  let database: pg.Client;
  let alice: string;
  let jdoe: string;
  let bob: string;

  beforeAll(async () => {
    [albums, permissions] = await Promise.all([
      startService(albumService),
      // The suite's failures all come from one address: the guessing case has instances of its own.
      startService(permissionService, {
        INVITATION_REDEEM_FAILURE_LIMIT: '1000',
        RATE_LIMIT_COSTLY: '1000',
      }),
    ]);
    [alice = '', jdoe = '', bob = ''] = await accessTokens('alice', 'jdoe', 'bob');
    database = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await database.connect();
  });
  afterAll(async () => {
    // The failures counted from this address would refuse the next suites' redemptions.
    await database?.query(`DELETE FROM ${FAILURES}`);
    await Promise.all([albums?.close(), permissions?.close(), database?.end()]);
  });

  async function registeredAlbum(name: string): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    return { ...album, resourceId: await registeredResourceId(albums.url, alice, album.id) };
  }

  async function createLink(
    albumId: string,
    body: Record<string, unknown>,
    token = alice,
  ): Promise<HttpResult<CreatedLink>> {
    const created = await call<CreatedLink>(permissions.url, 'POST', `/albums/${albumId}/links`, {
      token,
      body,
    });
    if (created.status === 201) {
      handedOut.push(created.body.token);
    }
    return created;
  }

  async function link(albumId: string, body: Record<string, unknown>): Promise<CreatedLink> {
    const created = await createLink(albumId, body);
    expect(created.status).toBe(201);
    return created.body;
  }

  function redeem(secret: unknown, token: string, service = permissions) {
    return call(service.url, 'POST', '/links/redeem', {
      token,
      body: { token: secret },
    });
  }

  async function links(albumId: string, token = alice): Promise<HttpResult<Page<Link>>> {
    return call<Page<Link>>(permissions.url, 'GET', `/albums/${albumId}/links`, { token });
  }

  async function shares(albumId: string): Promise<Share[]> {
    const listed = await call<Page<Share>>(permissions.url, 'GET', `/albums/${albumId}/shares`, {
      token: alice,
    });
    expect(listed.status).toBe(200);
    return listed.body.items;
  }

  /** An RPT for `token` on the album, through the UMA flow: challenge, ticket, exchange. */
  async function rpt(
    token: string,
    albumId: string,
    exchangeAs: { bearer: string } | { clientId: string; secret: string } = { bearer: token },
  ): Promise<string> {
    const challenge = await call(albums.url, 'GET', `/albums/${albumId}`, { token });
    expect(challenge.status).toBe(401);
    const exchange = await exchangeTicket(
      parseUmaChallenge(challenge.headers.get('www-authenticate')).ticket,
      exchangeAs,
    );
    expect(exchange.status).toBe(200);
    return exchange.body.access_token ?? '';
  }

  const readAlbum = async (albumId: string, token: string) =>
    (await call(albums.url, 'GET', `/albums/${albumId}`, { token })).status;

  it('hands out the secret once, in the fragment of the URL, and keeps only its hash', async () => {
    const album = await registeredAlbum('Invited: secret once');
    const created = await createLink(album.id, { scopes: ['album:view'], maxUses: 5 });
    expect(created.status).toBe(201);
    const { token, url, id } = created.body;
    expect(created.body).toMatchObject({
      albumId: album.id,
      scopes: ['album:view'],
      expiresAt: null,
      maxUses: 5,
      uses: 0,
      state: 'active',
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url).toBe(`http://localhost:5173/invite#${token}`);

    const listed = await links(album.id);
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([
      {
        id,
        albumId: album.id,
        scopes: ['album:view'],
        expiresAt: null,
        maxUses: 5,
        uses: 0,
        createdAt: created.body.createdAt,
        state: 'active',
      },
    ]);
    expect(listed.text).not.toContain(token);

    const { rows } = await database.query<{ row: string; token_hash: Buffer }>(
      `SELECT l::text AS row, token_hash FROM permission_service.invitation_links l WHERE id = $1`,
      [id],
    );
    expect(rows[0]?.token_hash).toEqual(createHash('sha256').update(token).digest());
    expect(rows[0]?.row).not.toContain(token);
    expect(rows[0]?.row).not.toContain(Buffer.from(token).toString('hex'));
  });

  it('lets jdoe redeem a link and read the album through the UMA flow; the audit names the link', async () => {
    const album = await registeredAlbum('Invited: jdoe');
    const invitation = await link(album.id, { scopes: ['album:view'] });
    expect(await readAlbum(album.id, jdoe)).toBe(401);

    const redeemed = await redeem(invitation.token, jdoe);
    expect(redeemed.status).toBe(200);
    expect(redeemed.body).toEqual({
      albumId: album.id,
      albumName: 'Invited: jdoe',
      ownerUsername: 'alice',
      scopes: ['album:view'],
    });
    expect(await readAlbum(album.id, await rpt(jdoe, album.id))).toBe(200);
    expect(await shares(album.id)).toEqual([
      expect.objectContaining({ username: 'jdoe', kind: 'person', scopes: ['album:view'] }),
    ]);
    expect((await links(album.id)).body.items[0]).toMatchObject({ uses: 1, state: 'active' });

    const audit = await call<Page<AuditEvent>>(
      permissions.url,
      'GET',
      `/albums/${album.id}/audit`,
      { token: alice },
    );
    expect(audit.body.items).toEqual([
      expect.objectContaining({
        action: 'redeemed',
        actor: 'jdoe',
        subject: 'jdoe',
        scopes: ['album:view'],
        linkId: invitation.id,
      }),
    ]);
  });

  it('widens what the redeemer holds and never narrows it', async () => {
    const album = await registeredAlbum('Invited: widen');
    const shared = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
      body: { scopes: ['album:view', 'album:delete'] },
    });
    expect(shared.status).toBe(200);
    const invitation = await link(album.id, { scopes: ['album:view', 'album:edit'] });
    const redeemed = await redeem(invitation.token, jdoe);
    expect(redeemed.status).toBe(200);
    expect(redeemed.body['scopes']).toEqual(['album:delete', 'album:edit', 'album:view']);
    expect((await shares(album.id))[0]?.scopes).toEqual([
      'album:delete',
      'album:edit',
      'album:view',
    ]);
  });

  it('answers a used-up link with 404: bob comes after jdoe took the only use', async () => {
    const album = await registeredAlbum('Invited: one use');
    const invitation = await link(album.id, { scopes: ['album:view'], maxUses: 1 });
    expect((await redeem(invitation.token, jdoe)).status).toBe(200);
    expect((await redeem(invitation.token, bob)).status).toBe(404);
    expect((await links(album.id)).body.items[0]).toMatchObject({ uses: 1, state: 'used-up' });
    expect((await shares(album.id)).map((share) => share.username)).toEqual(['jdoe']);
  });

  it('answers an expired link with 404', async () => {
    const album = await registeredAlbum('Invited: expired');
    const invitation = await link(album.id, {
      scopes: ['album:view'],
      expiresAt: new Date(Date.now() + 1_500).toISOString(),
    });
    await expect
      .poll(async () => (await links(album.id)).body.items[0]?.state, { timeout: 5_000 })
      .toBe('expired');
    expect((await redeem(invitation.token, jdoe)).status).toBe(404);
    expect(await shares(album.id)).toEqual([]);
  });

  it('answers a deleted link with 404, and no longer lists it', async () => {
    const album = await registeredAlbum('Invited: deleted');
    const invitation = await link(album.id, { scopes: ['album:view'] });
    const deleted = await call(
      permissions.url,
      'DELETE',
      `/albums/${album.id}/links/${invitation.id}`,
      { token: alice },
    );
    expect(deleted.status).toBe(204);
    expect((await redeem(invitation.token, jdoe)).status).toBe(404);
    expect((await links(album.id)).body.items).toEqual([]);
    expect(
      (
        await call(permissions.url, 'DELETE', `/albums/${album.id}/links/${invitation.id}`, {
          token: alice,
        })
      ).status,
    ).toBe(404);
  });

  it('answers unknown, malformed, used-up, expired, deleted and album-gone links alike', async () => {
    const album = await registeredAlbum('Invited: alike');
    const usedUp = await link(album.id, { scopes: ['album:view'], maxUses: 1 });
    expect((await redeem(usedUp.token, bob)).status).toBe(200);
    const expiring = await link(album.id, {
      scopes: ['album:view'],
      expiresAt: new Date(Date.now() + 1_500).toISOString(),
    });
    const deleted = await link(album.id, { scopes: ['album:view'] });
    expect(
      (
        await call(permissions.url, 'DELETE', `/albums/${album.id}/links/${deleted.id}`, {
          token: alice,
        })
      ).status,
    ).toBe(204);
    const gone = await registeredAlbum('Invited: gone');
    const ofGoneAlbum = await link(gone.id, { scopes: ['album:view'] });
    expect((await call(albums.url, 'DELETE', `/albums/${gone.id}`, { token: alice })).status).toBe(
      204,
    );
    await expect
      .poll(async () => protection.resource(gone.resourceId), { timeout: 15_000 })
      .toBeUndefined();
    await expect
      .poll(
        async () => (await links(album.id)).body.items.find((l) => l.id === expiring.id)?.state,
        {
          timeout: 5_000,
        },
      )
      .toBe('expired');

    const answers = await Promise.all(
      [
        madeUpToken(),
        'not-a-token',
        usedUp.token,
        expiring.token,
        deleted.token,
        ofGoneAlbum.token,
      ].map((secret) => redeem(secret, jdoe)),
    );
    for (const answer of answers) {
      expect(answer.status).toBe(404);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    const [first, ...rest] = answers.map(sameForEveryRequest);
    expect(first).toMatchObject({
      type: 'urn:photoz:problem:not-found',
      instance: '/links/redeem',
    });
    for (const body of rest) {
      expect(body).toEqual(first);
    }
  });

  it('revokes every share made through a link when deleted with revokeShares=true, at once', async () => {
    const album = await registeredAlbum('Invited: revoke all');
    const invitation = await link(album.id, { scopes: ['album:view'] });
    const kept = await link(album.id, { scopes: ['album:view'] });
    expect((await redeem(invitation.token, jdoe)).status).toBe(200);
    expect((await redeem(kept.token, bob)).status).toBe(200);
    const jdoeRpt = await rpt(jdoe, album.id);
    expect(await readAlbum(album.id, jdoeRpt)).toBe(200);

    const deleted = await call(
      permissions.url,
      'DELETE',
      `/albums/${album.id}/links/${invitation.id}?revokeShares=true`,
      { token: alice },
    );
    expect(deleted.status).toBe(204);
    // At once: the first request after the DELETE returned.
    expect(await readAlbum(album.id, jdoeRpt)).toBe(401);
    expect((await shares(album.id)).map((share) => share.username)).toEqual(['bob']);
    const audit = await call<Page<AuditEvent>>(
      permissions.url,
      'GET',
      `/albums/${album.id}/audit`,
      { token: alice },
    );
    expect(audit.body.items.at(-1)).toMatchObject({
      action: 'revoked',
      actor: 'alice',
      subject: 'jdoe',
    });
  });

  it('leaves the shares a deleted link made when revokeShares is not asked for', async () => {
    const album = await registeredAlbum('Invited: keep shares');
    const invitation = await link(album.id, { scopes: ['album:view'] });
    expect((await redeem(invitation.token, jdoe)).status).toBe(200);
    const jdoeRpt = await rpt(jdoe, album.id);
    const deleted = await call(
      permissions.url,
      'DELETE',
      `/albums/${album.id}/links/${invitation.id}?revokeShares=false`,
      { token: alice },
    );
    expect(deleted.status).toBe(204);
    expect(await readAlbum(album.id, jdoeRpt)).toBe(200);
    expect((await shares(album.id)).map((share) => share.username)).toEqual(['jdoe']);
  });

  it('lets a partner redeem a link by API and read the album with an RPT', async () => {
    const album = await registeredAlbum('Invited: partner');
    const invitation = await link(album.id, { scopes: ['album:view'] });
    const partner = (await clientToken('partner-printshop', PARTNER_PRINTSHOP_SECRET)).access_token;
    const redeemed = await redeem(invitation.token, partner);
    expect(redeemed.status).toBe(200);
    expect(redeemed.body).toMatchObject({ albumId: album.id, scopes: ['album:view'] });
    expect(await shares(album.id)).toEqual([
      expect.objectContaining({
        username: PRINTSHOP_USER,
        kind: 'partner',
        scopes: ['album:view'],
      }),
    ]);
    const partnerRpt = await rpt(partner, album.id, {
      clientId: 'partner-printshop',
      secret: PARTNER_PRINTSHOP_SECRET,
    });
    expect(await readAlbum(album.id, partnerRpt)).toBe(200);

    expect(
      (
        await call(
          permissions.url,
          'DELETE',
          `/albums/${album.id}/links/${invitation.id}?revokeShares=true`,
          { token: alice },
        )
      ).status,
    ).toBe(204);
    expect(await readAlbum(album.id, partnerRpt)).toBe(401);
  });

  it("answers the owner's own link with 409 and takes no use", async () => {
    const album = await registeredAlbum('Invited: own');
    const invitation = await link(album.id, { scopes: ['album:view'], maxUses: 1 });
    const refused = await redeem(invitation.token, alice);
    expect(refused.status).toBe(409);
    expect(refused.body['type']).toBe('urn:photoz:problem:own-album');
    expect((await links(album.id)).body.items[0]).toMatchObject({ uses: 0, state: 'active' });
  });

  it('gives the last use of a link to exactly one of two concurrent redemptions', async () => {
    const album = await registeredAlbum('Invited: race');
    const invitation = await link(album.id, { scopes: ['album:view'], maxUses: 1 });
    const second = await startService(permissionService, {
      INVITATION_REDEEM_FAILURE_LIMIT: '1000',
    });
    try {
      const answers = await Promise.all([
        redeem(invitation.token, jdoe),
        redeem(invitation.token, bob, second),
      ]);
      expect(answers.map((answer) => answer.status).sort((a, b) => a - b)).toEqual([200, 404]);
    } finally {
      await second.close();
    }
    expect(await shares(album.id)).toHaveLength(1);
    expect((await links(album.id)).body.items[0]).toMatchObject({ uses: 1, state: 'used-up' });
  });

  it('lets no one but the owner create, list or delete links, answering as for no album', async () => {
    const album = await registeredAlbum('Invited: owner only');
    const invitation = await link(album.id, { scopes: ['album:view'] });
    const partner = (await clientToken('partner-printshop', PARTNER_PRINTSHOP_SECRET)).access_token;
    for (const token of [bob, jdoe, partner]) {
      const created = await createLink(album.id, { scopes: ['album:view'] }, token);
      expect(created.status).toBe(404);
      expect((await links(album.id, token)).status).toBe(404);
      const deleted = await call(
        permissions.url,
        'DELETE',
        `/albums/${album.id}/links/${invitation.id}?revokeShares=true`,
        { token },
      );
      expect(deleted.status).toBe(404);
      expect(sameForEveryRequest(deleted)).toMatchObject({
        type: 'urn:photoz:problem:not-found',
        detail: `No album ${album.id}`,
      });
    }
    expect((await links(album.id)).body.items.map((listed) => listed.id)).toEqual([invitation.id]);
  });

  it.each([
    ['no scopes', { scopes: [] }],
    ['a scope that is not an album scope', { scopes: ['album:own'] }],
    ['maxUses 0', { scopes: ['album:view'], maxUses: 0 }],
    ['maxUses 1001', { scopes: ['album:view'], maxUses: 1001 }],
    ['maxUses 1.5', { scopes: ['album:view'], maxUses: 1.5 }],
    ['expiresAt in the past', { scopes: ['album:view'], expiresAt: '2020-01-01T00:00:00Z' }],
    [
      'expiresAt past the longest duration',
      { scopes: ['album:view'], expiresAt: new Date(Date.now() + 91 * 86_400_000).toISOString() },
    ],
    ['expiresAt not a date', { scopes: ['album:view'], expiresAt: 'tomorrow' }],
  ])('refuses to create a link with %s (400)', async (_name, body) => {
    const album = await registeredAlbum('Invited: invalid');
    const created = await createLink(album.id, body);
    expect(created.status).toBe(400);
    expect((created.body as unknown as { type: string }).type).toBe(
      'urn:photoz:problem:validation',
    );
    expect((await links(album.id)).body.items).toEqual([]);
  });

  it('lists an album’s links newest first, a page at a time', async () => {
    const album = await registeredAlbum('Invited: pages');
    const made: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      made.push((await link(album.id, { scopes: ['album:view'] })).id);
    }
    const first = await call<Page<Link>>(
      permissions.url,
      'GET',
      `/albums/${album.id}/links?limit=2`,
      { token: alice },
    );
    expect(first.body.items.map((item) => item.id)).toEqual([made[2], made[1]]);
    const second = await call<Page<Link>>(
      permissions.url,
      'GET',
      `/albums/${album.id}/links?limit=2&cursor=${first.body.nextCursor ?? ''}`,
      { token: alice },
    );
    expect(second.body).toEqual({
      items: [expect.objectContaining({ id: made[0] })],
      nextCursor: null,
    });
  });

  describe('guessing', () => {
    let guarded: RunningService[] = [];

    beforeAll(async () => {
      await database.query(`DELETE FROM ${FAILURES}`);
      guarded = await Promise.all(
        [0, 1].map(() =>
          startService(permissionService, {
            INVITATION_REDEEM_FAILURE_LIMIT: '3',
            INVITATION_REDEEM_FAILURE_WINDOW_SECONDS: '600',
          }),
        ),
      );
    });
    afterEach(async () => {
      await database.query(`DELETE FROM ${FAILURES}`);
    });
    afterAll(async () => {
      await Promise.all(guarded.map((service) => service.close()));
    });

    it('is refused with 429 and Retry-After once failures reach the limit, on every instance', async () => {
      const [one, other] = guarded as [RunningService, RunningService];
      const album = await registeredAlbum('Invited: guessed');
      const invitation = await link(album.id, { scopes: ['album:view'] });
      expect((await redeem(madeUpToken(), bob, one)).status).toBe(404);
      expect((await redeem('x', bob, other)).status).toBe(404);
      // A redemption that works does not count.
      expect((await redeem(invitation.token, bob, one)).status).toBe(200);
      expect((await redeem(madeUpToken(), bob, other)).status).toBe(404);

      for (const [service, secret] of [
        [one, madeUpToken()],
        [other, madeUpToken()],
        // Even the right secret: a guesser learns nothing from a refusal.
        [one, invitation.token],
      ] as const) {
        const refused = await redeem(secret, bob, service);
        expect(refused.status).toBe(429);
        expect(refused.body).toMatchObject({
          type: 'urn:photoz:problem:rate-limited',
          'violated-policies': ['invitation-redeem-failures'],
        });
        const wait = Number(refused.headers.get('retry-after'));
        expect(wait).toBeGreaterThan(0);
        expect(wait).toBeLessThanOrEqual(600);
      }
    });

    it('counts failures per client address too: another caller from it is refused', async () => {
      const [one] = guarded as [RunningService];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        expect((await redeem(madeUpToken(), bob, one)).status).toBe(404);
      }
      expect((await redeem(madeUpToken(), jdoe, one)).status).toBe(429);
    });
  });

  it('puts no secret of a link in a trace attribute or a log line of the service as deployed', async () => {
    const main = 'apps/permission-service/src/main.js';
    ensureBuilt(main);
    const receiver = new OtlpReceiver();
    const endpoint = await receiver.listen();
    const inherited = Object.fromEntries(
      Object.entries(process.env).filter(([name]) => !name.startsWith('OTEL_')),
    );
    let traced: BuiltService | undefined;
    try {
      traced = await startBuiltService('invitation-links-traced', main, {
        ...inherited,
        ...serviceEnv({ METRICS_PORT: '0' }),
        OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      });
      const album = await registeredAlbum('Invited: traced');
      const created = await call<CreatedLink>(traced.url, 'POST', `/albums/${album.id}/links`, {
        token: alice,
        body: { scopes: ['album:view'], maxUses: 1 },
      });
      expect(created.status).toBe(201);
      const { token } = created.body;
      const requests = [
        [jdoe, token, 200],
        [bob, token, 404],
        [bob, `${token.slice(0, 42)}!`, 404],
      ] as const;
      const requestIds: string[] = [];
      for (const [caller, secret, status] of requests) {
        const requestId = `invitation-${randomBytes(8).toString('hex')}`;
        requestIds.push(requestId);
        const answer = await call(traced.url, 'POST', '/links/redeem', {
          token: caller,
          body: { token: secret },
          headers: { 'x-request-id': requestId },
        });
        expect(answer.status).toBe(status);
        expect(answer.text).not.toContain(secret);
      }
      for (const requestId of requestIds) {
        const [span] = await receiver.waitFor(
          (candidate) => candidate.attributes['photoz.request_id'] === requestId,
        );
        expect(span?.name).toBe('POST /links/redeem');
        // The request's queries are in the same trace.
        await expect
          .poll(
            () =>
              receiver.spans.filter(
                (query) =>
                  query.traceId === span?.traceId &&
                  query.scope === '@opentelemetry/instrumentation-pg',
              ).length,
          )
          .toBeGreaterThan(0);
      }
      const exported = JSON.stringify(receiver.spans);
      expect(exported).not.toContain(token);
      expect(exported).not.toContain(token.slice(0, 42));
      await traced.stop();
      traced = undefined;
      const { lines, problems } = scanLogFile(`${LOG_DIR}/e2e-invitation-links-traced.log`, [
        token,
        token.slice(0, 42),
      ]);
      expect(lines).toBeGreaterThan(3);
      expect(problems).toEqual([]);
    } finally {
      await traced?.stop();
      await receiver.close();
    }
  });

  it('puts no secret of a link in a log line or a metric', async () => {
    expect(handedOut.length).toBeGreaterThan(5);
    await flushLogs();
    const { problems } = scanLogFile(LOG_FILE, handedOut);
    expect(problems).toEqual([]);
    const metrics = await registry.metrics();
    for (const secret of handedOut) {
      expect(metrics).not.toContain(secret);
    }
  });
});
