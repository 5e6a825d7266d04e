import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { PARTNER_NOAUDIENCE_SECRET, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';
import { createAlbum, registeredResourceId, uploadPhoto } from './support/albums.ts';
import { realmSigningKey } from './support/forge.ts';
import { DatabaseTables, FixtureRows } from './support/fuzz-db.ts';
import { closeFuzzAgent, type FuzzResponse, LeakDetector, send } from './support/fuzz-http.ts';
import {
  type FuzzCase,
  fuzzCaseArbitrary,
  type FuzzFixtures,
  type RealId,
  type Who,
} from './support/fuzz-cases.ts';
import { documentedRoutes, type FuzzRoute, routeName } from './support/fuzz-routes.ts';
import { type ConcreteRequest, describeRequest, materialize } from './support/fuzz-wire.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { clientToken, decodeJwt, login, accessTokens } from '../scripts/dev-realm/tokens.ts';
import { exchangeTicket } from '../scripts/dev-realm/rpt.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';

/*
 * Bounded and reproducible: a fixed number of runs per route and property, from a fixed seed.
 * FUZZ_RUNS and FUZZ_SEED override them; a failure prints the seed and the shrunk counterexample.
 */
const RUNS = Number(process.env['FUZZ_RUNS'] ?? 100);
const SEED = Number(process.env['FUZZ_SEED'] ?? 20_260_517);
/** FUZZ_STATS=1 prints how each route answered: a check that the cases reach past the guards. */
const STATS = process.env['FUZZ_STATS'] === '1';
/** Access tokens live 5 minutes in the dev realm; fresher ones are fetched well before. */
const TOKEN_MAX_AGE_MS = 120_000;
/**
 * The rate limits raised out of the way: a property sends RUNS requests per route with the same
 * few callers, and a 429 would keep a case from reaching the route (test/limits tests the limits).
 */
const UNLIMITED = {
  RATE_LIMIT_READS: '1000000',
  RATE_LIMIT_WRITES: '1000000',
  RATE_LIMIT_COSTLY: '1000000',
};
/** Above the suite's default: a property sends RUNS requests to each of some thirty routes. */
const PROPERTY_TIMEOUT_MS = 300_000;

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.alloc(256, 7),
]);

async function uploadFixturePhoto(base: string, token: string, albumId: string): Promise<string> {
  const uploaded = await uploadPhoto(base, token, albumId, {
    bytes: PNG,
    type: 'image/png',
    name: 'fixture.png',
  });
  expect(uploaded.status).toBe(201);
  return uploaded.body.id;
}

/** Routes docs/architecture.md documents: the OpenAPI documents must list at least these. */
const KNOWN_ROUTES = [
  'album-service POST /albums',
  'album-service GET /albums/{id}',
  'album-service POST /albums/{id}/photos',
  'album-service GET /albums/{id}/photos/{photoId}/content',
  'album-service POST /admin/uma/outbox/{eventId}/retry',
  'permission-service POST /permission-requests',
  'permission-service POST /permission-requests/{id}/approve',
  'permission-service PUT /albums/{albumId}/shares/{username}',
  'permission-service GET /albums/{albumId}/audit',
  'permission-service POST /albums/{albumId}/links',
  'permission-service DELETE /albums/{albumId}/links/{linkId}',
  'permission-service POST /links/redeem',
];

/** The tables a refused request must leave unchanged; the snapshot covers every table, these at least. */
const WATCHED_TABLES = [
  'album_service.albums',
  'album_service.photos',
  'album_service.uma_outbox',
  'permission_service.audit_events',
  'permission_service.pending_requests',
  'uma_access.current_grants',
];

describe('bad input, fuzzed at every route of both services', () => {
  const protection = new ProtectionApi();
  let albums: RunningService;
  let permissions: RunningService;
  let tables: DatabaseTables;
  let fixtureRows: FixtureRows;
  let routes: FuzzRoute[] = [];
  let ids: Record<RealId, string>;
  let fixtures: FuzzFixtures;
  let tokensIssuedAt = 0;
  let realm: { kid: string; pem: string };
  const statuses = new Map<string, Map<number, number>>();
  const samples = new Map<string, string>();
  const leaks = new LeakDetector();
  const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;

  async function issueTokens(): Promise<void> {
    const [alice, jdoe, bob, admin, printshop, noaudience] = await Promise.all([
      login('alice'),
      login('jdoe'),
      login('bob'),
      login('admin'),
      clientToken('partner-printshop', PARTNER_PRINTSHOP_SECRET),
      clientToken('partner-noaudience', PARTNER_NOAUDIENCE_SECRET),
    ]);
    // jdoe holds album:view on alice's album (granted again: a fuzzed request may have revoked
    // it), and his RPT comes from a challenge ticket.
    const share = await call(permissions.url, 'PUT', `/albums/${ids.album}/shares/jdoe`, {
      token: alice.access_token,
      body: { scopes: ['album:view'] },
    });
    expect(share.status).toBe(200);
    const challenge = await call(albums.url, 'GET', `/albums/${ids.album}`, {
      token: jdoe.access_token,
    });
    const exchange = await exchangeTicket(
      parseUmaChallenge(challenge.headers.get('www-authenticate')).ticket,
      { bearer: jdoe.access_token },
    );
    expect(exchange.status).toBe(200);
    const tokens: Record<Who, string> = {
      alice: alice.access_token,
      jdoe: jdoe.access_token,
      bob: bob.access_token,
      admin: admin.access_token,
      printshop: printshop.access_token,
      noaudience: noaudience.access_token,
      jdoeRpt: exchange.body.access_token ?? '',
      aliceIdToken: alice.id_token ?? '',
      aliceRefreshToken: alice.refresh_token ?? '',
    };
    fixtures = { ids, tokens, realmKid: realm.kid, realmPem: realm.pem, foreignKey };
    tokensIssuedAt = Date.now();
  }

  beforeAll(async () => {
    realm = await realmSigningKey();
    // Setup needs the outbox relay to register the fixture albums in Keycloak.
    const setupAlbums = await startService(albumService, UNLIMITED);
    // Keycloak's pending tickets are imported at start only: the pending requests stay still.
    permissions = await startService(permissionService, {
      ...UNLIMITED,
      KEYCLOAK_REQUEST_IMPORT_INTERVAL_MS: '3600000',
    });
    try {
      const [alice, jdoe, bob] = await accessTokens('alice', 'jdoe', 'bob');
      const aliceAlbum = await createAlbum(setupAlbums.url, alice ?? '', 'fuzz: alice');
      const bobAlbum = await createAlbum(setupAlbums.url, bob ?? '', 'fuzz: bob');
      const [resource, otherResource, photo, otherPhoto] = await Promise.all([
        registeredResourceId(setupAlbums.url, alice ?? '', aliceAlbum.id),
        registeredResourceId(setupAlbums.url, bob ?? '', bobAlbum.id),
        uploadFixturePhoto(setupAlbums.url, alice ?? '', aliceAlbum.id),
        uploadFixturePhoto(setupAlbums.url, bob ?? '', bobAlbum.id),
      ]);
      const asked = await call<{ id: string }>(permissions.url, 'POST', '/permission-requests', {
        token: bob,
        body: { albumId: aliceAlbum.id, scopes: ['album:edit'] },
      });
      if (asked.status !== 202) {
        throw new Error(`bob's permission request answered ${asked.status}: ${asked.text}`);
      }
      ids = {
        album: aliceAlbum.id,
        otherAlbum: bobAlbum.id,
        photo,
        otherPhoto,
        resource,
        otherResource,
        request: asked.body.id,
        aliceSub: aliceAlbum.ownerId,
        jdoeSub: String(decodeJwt(jdoe ?? '').payload['sub']),
        outboxEvent: '1',
        alice: 'alice',
        jdoe: 'jdoe',
        bob: 'bob',
        admin: 'admin',
        partner: 'service-account-partner-printshop',
      };
    } finally {
      await setupAlbums.close();
    }
    // Fuzzed with the relay off: no background writer, so every change to a table during a
    // request is the request's own doing.
    albums = await startService(albumService, { ...UNLIMITED, UMA_RELAY_ENABLED: 'false' });
    tables = await DatabaseTables.open(TEST_DATABASE_URL);
    fixtureRows = await FixtureRows.capture(tables, [ids.album, ids.otherAlbum]);
    const { rows } = await tables.query<{ id: string }>(
      'SELECT coalesce(max(id), 1)::text AS id FROM album_service.uma_outbox',
    );
    ids.outboxEvent = rows[0]?.id ?? '1';
    await issueTokens();
    routes = [
      ...(await documentedRoutes('album-service', albums.url)),
      ...(await documentedRoutes('permission-service', permissions.url)),
    ];
  });

  afterAll(async () => {
    if (STATS) {
      for (const [route, counts] of statuses) {
        const answers = [...counts].sort(([a], [b]) => a - b);
        console.log(`${route}: ${answers.map(([status, n]) => `${status}×${n}`).join(' ')}`);
      }
      for (const [key, sample] of samples) {
        console.log(`  ${key}: ${sample}`);
      }
    }
    closeFuzzAgent();
    // The fuzzed redemptions that failed, all from this address, would refuse the next suites'.
    await tables?.query('DELETE FROM permission_service.invitation_redeem_failures');
    await Promise.all([albums?.close(), permissions?.close(), tables?.close()]);
    // The fixture albums' resources live in the realm the other suites share.
    for (const resource of [ids?.resource, ids?.otherResource]) {
      if (resource !== undefined) {
        await protection.deleteResource(resource);
      }
    }
  });

  function report(
    route: FuzzRoute,
    what: string,
    request: ConcreteRequest,
    response: FuzzResponse,
  ): string {
    return [
      `${routeName(route)}: ${what}`,
      '--- request',
      describeRequest(request),
      `--- response ${response.status}`,
      response.text.slice(0, 2000),
    ].join('\n');
  }

  /** Sends one fuzzed request; a request that succeeds after all may have changed the fixtures. */
  async function fuzzOnce(
    route: FuzzRoute,
    fuzz: FuzzCase,
  ): Promise<{ request: ConcreteRequest; response: FuzzResponse }> {
    const request = materialize(route, fuzz, fixtures);
    leaks.remember(request.inputs);
    const response = await send(route.base, request);
    if (STATS) {
      const counts = statuses.get(routeName(route)) ?? new Map<number, number>();
      counts.set(response.status, (counts.get(response.status) ?? 0) + 1);
      statuses.set(routeName(route), counts);
      const sample = `${routeName(route)} ${response.status}`;
      if (!samples.has(sample)) {
        samples.set(sample, response.text.slice(0, 300));
      }
    }
    if (response.status < 300 && route.method !== 'GET') {
      await fixtureRows.restore();
    }
    return { request, response };
  }

  /**
   * Checks one property at every route, `RUNS` cases each, and reports every route that breaks
   * it (with fast-check's seed, path and shrunk counterexample), not only the first.
   */
  async function expectPropertyAtEveryRoute(
    check: (route: FuzzRoute, fuzz: FuzzCase) => Promise<void>,
  ): Promise<void> {
    expect(routes.length).toBeGreaterThan(0);
    const failures: string[] = [];
    for (const route of routes) {
      if (Date.now() - tokensIssuedAt > TOKEN_MAX_AGE_MS) {
        await issueTokens();
      }
      try {
        await fc.assert(
          fc.asyncProperty(fuzzCaseArbitrary(route), (fuzz) => check(route, fuzz)),
          { numRuns: RUNS, seed: SEED, includeErrorInReport: true },
        );
      } catch (error) {
        failures.push(`### ${routeName(route)}\n${(error as Error).message}`);
      }
    }
    if (failures.length > 0) {
      throw new Error(
        `${failures.length} of ${routes.length} routes failed:\n\n${failures.join('\n\n')}`,
      );
    }
  }

  it('fuzzes every route both OpenAPI documents list', () => {
    const names = routes.map(routeName);
    expect(names).toEqual(expect.arrayContaining(KNOWN_ROUTES));
    expect(tables.names).toEqual(expect.arrayContaining(WATCHED_TABLES));
  });

  it(
    'answers no fuzzed request with a server error',
    async () => {
      await expectPropertyAtEveryRoute(async (route, fuzz) => {
        const { request, response } = await fuzzOnce(route, fuzz);
        if (response.status >= 500) {
          throw new Error(report(route, `answered ${response.status}`, request, response));
        }
      });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'puts no stack trace or internal detail in any answer',
    async () => {
      await expectPropertyAtEveryRoute(async (route, fuzz) => {
        const { request, response } = await fuzzOnce(route, fuzz);
        const challenge = response.headers['www-authenticate'];
        const found = leaks.leaksIn(
          `${response.text}\n${Array.isArray(challenge) ? challenge.join('\n') : (challenge ?? '')}`,
        );
        if (found.length > 0) {
          throw new Error(report(route, `leaks ${found.join('; ')}`, request, response));
        }
      });
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'stores nothing when it refuses a request',
    async () => {
      await expectPropertyAtEveryRoute(async (route, fuzz) => {
        const before = await tables.snapshot();
        const { request, response } = await fuzzOnce(route, fuzz);
        if (response.status < 400) {
          return;
        }
        const after = await tables.snapshot();
        const changed = Object.keys(before).filter((table) => before[table] !== after[table]);
        if (changed.length > 0) {
          throw new Error(
            report(
              route,
              `refused with ${response.status} but changed ${changed
                .map((table) => `${table} (${before[table]} -> ${after[table]})`)
                .join(', ')}`,
              request,
              response,
            ),
          );
        }
      });
    },
    PROPERTY_TIMEOUT_MS,
  );
});
