/**
 * `npm run bench`: the cost of protecting `GET /albums/:id`, side by side in one process tree,
 * against the real Keycloak and PostgreSQL. Every server is a child process of this one, and so is
 * the load generator (autocannon, one route at a time, in interleaved rounds; each route's median
 * round is reported):
 *
 * - bare:       Fastify + `pg`, one prepared statement, no auth (what the machine allows);
 * - public:     our `GET /albums/:id` marked `@Public()` (the same Nest app and pipeline);
 * - owner:      the real route with the owner's access token;
 * - RPT:        the real route with another user's RPT (adds the current-grant check);
 * - challenge:  the real route with an access token but no RPT: 401 + UMA ticket;
 * - nkc:        nest-keycloak-connect reading the same row (bench/peers), as a careful user
 *               configures it: offline token validation, one Keycloak decision a request.
 *
 * Then: the owner's read at a fixed rate, alone and while a client with a valid token sends nested
 * bodies, slow bodies and a request flood to the same instance (hostile), a revocation raced
 * against reads on two instances (P5), how the lists and the sharing writes grow with the work
 * (each list's first page at 1,000 items against one, each sharing write on an album with 1,000
 * shares against one with one: bench/lib/lists.ts, bench/lib/share-writes.ts), Keycloak's own ceiling for resource creates (straight
 * through the admin API path the relay uses, at a few concurrencies), 10,000 album registrations
 * (their rate after the last create against that ceiling), 100 more albums created one at a time
 * (each one's delay until it is registered) and a reconciliation over them (P4), and each
 * service's resident memory, and the peer's curve: ours and nest-keycloak-connect while the same
 * Keycloak grows to a few sizes (bench/lib/peer-curve.ts). Each ratio of the summary is the
 * median of its per-round ratios; their spread (min–max) is printed beside it and written to
 * latest.json. Prints a table,
 * and as its last line the `bench:` summary; writes the figures to bench/results/latest.json.
 * `BENCH_QUICK=1`: shorter rounds (the same line, in under 5 minutes).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ALBUM_API_SECRET } from '../scripts/dev-realm/realm.ts';
import { requestRpt } from '../scripts/dev-realm/rpt.ts';
import { login } from '../scripts/dev-realm/tokens.ts';
import { LOG_DIR, ROOT } from '../scripts/lib/paths.ts';
import { callJson, expectStatus, registeredAlbum } from './lib/api.ts';
import { ensureKeycloak } from './lib/keycloak.ts';
import { load, type LoadResult, median } from './lib/load.ts';
import { type BenchProcess, cpuMicros, pin, pinning, startNodeServer } from './lib/processes.ts';
import {
  ALBUM_SERVICE_MAIN,
  buildServices,
  freshDatabase,
  PERMISSION_SERVICE_MAIN,
  serviceEnv,
  startService,
  startServices,
  withProductionLimits,
} from './lib/stack.ts';
import { revocationRace } from './lib/revocation-race.ts';
import { hostileScenario } from './lib/hostile.ts';

const QUICK = process.env['BENCH_QUICK'] === '1';
const SECONDS = Number(process.env['BENCH_DURATION_SECONDS'] ?? (QUICK ? 3 : 5));
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? (QUICK ? 3 : 5));
/** The discarded warm-up round: each route this long before the measured rounds. */
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? SECONDS);
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 16);
const REGISTRATIONS = Number(process.env['BENCH_REGISTRATIONS'] ?? 10_000);
/** Albums created one at a time after the 10,000, each timed from creation to registration. */
const PACED_ALBUMS = 100;
/** Resource creates at each concurrency when measuring Keycloak's own ceiling. */
const CEILING_CREATES = Number(process.env['BENCH_CEILING_CREATES'] ?? (QUICK ? 500 : 1_000));
/**
 * Parts to leave out while working on another
 * (`reads,nkc,hostile,race,lists,share-writes,registrations`).
 */
const SKIP = new Set((process.env['BENCH_SKIP'] ?? '').split(',').filter((part) => part !== ''));
/**
 * Keycloak sizes (album resources it holds) at which the peer's curve measures ours beside
 * nest-keycloak-connect, grown from the smallest to the largest (`nkc-curve`).
 */
const NKC_CURVE_SIZES = (process.env['BENCH_NKC_CURVE_SIZES'] ?? '100,1000,10000')
  .split(',')
  .map(Number);
/** Read routes to measure (`bare,public,owner,rpt,challenge,nkc,nkcPublic`); default all. */
/**
 * The owner's reads a second in the hostile scenario: a person reading fast (900 a minute), within
 * the production read limit (1,200 a minute).
 */
const HOSTILE_OWNER_RATE = 15;
/**
 * The sizes the lists are measured at, each against one item (`BENCH_LIST_SIZES`, ascending); the
 * largest one's is the summary's figure, and the sharing writes run on an album with that many shares.
 */
const LIST_SIZES = (process.env['BENCH_LIST_SIZES'] ?? '1000')
  .split(',')
  .map(Number)
  .filter((size) => Number.isInteger(size) && size > 1)
  .sort((a, b) => a - b);
const ONLY = new Set((process.env['BENCH_ROUTES'] ?? '').split(',').filter((key) => key !== ''));

/** The user id (`sub`) of an access token. */
function subjectOf(token: string): string {
  const payload = token.split('.')[1] ?? '';
  return (JSON.parse(Buffer.from(payload, 'base64url').toString()) as { sub: string }).sub;
}

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** The ratio in each round, in the order the rounds ran. */
  readonly rounds: readonly number[];
}

function spreadOf(values: readonly number[]): Spread {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  const middle =
    sorted.length === 0
      ? Number.NaN
      : ((sorted[Math.floor((sorted.length - 1) / 2)] ?? 0) +
          (sorted[Math.floor(sorted.length / 2)] ?? 0)) /
        2;
  return {
    median: middle,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    rounds: values.map((value) => Math.round(value * 1000) / 1000),
  };
}

/** The ratios of the summary line: each from two routes' rates in one round. */
const RATIOS: readonly {
  readonly figure: string;
  /** The summary line's name. */
  readonly label: string;
  /** The table's row that shows it. */
  readonly route: string;
  readonly of: (rate: (key: string) => number) => number;
}[] = [
  {
    figure: 'publicVsBare',
    label: 'public-vs-bare',
    route: 'public',
    of: (rate) => rate('public') / rate('bare'),
  },
  { figure: 'owner', label: 'owner', route: 'owner', of: (rate) => rate('owner') / rate('public') },
  { figure: 'rpt', label: 'rpt', route: 'rpt', of: (rate) => rate('rpt') / rate('public') },
  {
    figure: 'challenge',
    label: 'challenge',
    route: 'challenge',
    of: (rate) => rate('challenge') / rate('owner'),
  },
  {
    figure: 'vsNkc',
    label: 'vs-nkc',
    route: 'nkc',
    of: (rate) => Math.min(rate('owner'), rate('rpt')) / rate('nkc'),
  },
];

function say(line: string): void {
  console.log(`[bench] ${line}`);
}

const started: BenchProcess[] = [];
async function stopAll(): Promise<void> {
  await Promise.allSettled(started.splice(0).map((server) => server.stop()));
}

async function main(): Promise<void> {
  const keycloak = await ensureKeycloak(say);
  try {
    await run(keycloak.url, keycloak.started);
  } finally {
    await stopAll();
    await keycloak.stop();
  }
}

/** `ownKeycloak`: started here, in memory, and discarded at the end: nothing to clean up in it. */
async function run(keycloakUrl: string, ownKeycloak: boolean): Promise<void> {
  buildServices(say);
  const databaseUrl = await freshDatabase(say);
  const env = serviceEnv(keycloakUrl, databaseUrl);
  const profile =
    process.env['BENCH_CPU_PROF'] === '1'
      ? ['--cpu-prof', `--cpu-prof-dir=${join(ROOT, '.photoz', 'profiles')}`]
      : [];
  say('starting the servers ...');
  const [{ albumA, albumB, permissions }, bare] = await Promise.all([
    startServices(env, started, profile),
    startNodeServer({
      name: 'bare',
      script: join(ROOT, 'bench/servers/bare.ts'),
      env,
      readyPath: '/health/live',
      logFile: join(LOG_DIR, 'bench-bare.log'),
    }).then((server) => {
      started.push(server);
      return server;
    }),
  ]);
  const figures: Record<string, number> = {};
  const spreads: Record<string, Spread> = {};
  const cpuSpreads: Record<string, Spread> = {};
  const table: Record<string, string | number>[] = [];
  /** The scale scenarios' points, written to latest.json beside the figures. */
  const details: Record<string, unknown> = {};

  let alice = (await login('alice')).access_token;
  let jdoe = (await login('jdoe')).access_token;
  const rptFor = async (resourceId: string): Promise<string> => {
    const exchange = await requestRpt(jdoe, [`${resourceId}#album:view`]);
    if (exchange.body.access_token === undefined) {
      throw new Error(`no RPT: ${exchange.status}`);
    }
    return exchange.body.access_token;
  };

  if (!SKIP.has('reads')) {
    const album = await registeredAlbum(albumA.url, alice, 'Benchmark');
    expectStatus(
      'share',
      await callJson(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
        token: alice,
        body: { scopes: ['album:view'] },
      }),
      200,
    );
    let nkc: BenchProcess | undefined;
    if (!SKIP.has('nkc')) {
      say('starting the nest-keycloak-connect peer ...');
      const { grantOwnerView, startNkcPeer } = await import('./lib/nkc-peer.ts');
      // Keycloak grants the peer's owner only what a ticket grants (see the peer's README).
      await grantOwnerView({ keycloakUrl, secret: ALBUM_API_SECRET, resourceId: album.resourceId });
      nkc = await startNkcPeer({
        databaseUrl,
        keycloakUrl,
        secret: ALBUM_API_SECRET,
        log: say,
      });
      started.push(nkc);
    }
    let rpt = await rptFor(album.resourceId);
    interface Route {
      readonly key: string;
      readonly name: string;
      readonly url: string;
      readonly token: () => string | undefined;
      readonly status: number;
      /** The process that answers it, whose CPU time per answer is reported. */
      readonly server: BenchProcess;
    }
    const routes: Route[] = [
      {
        key: 'bare',
        name: 'bare Fastify + pg, prepared statement',
        url: `${bare.url}/albums/${album.id}`,
        token: () => undefined,
        status: 200,
        server: bare,
      },
      {
        key: 'public',
        name: 'GET /albums/:id as @Public()',
        url: `${albumA.url}/bench/public/albums/${album.id}`,
        token: () => undefined,
        status: 200,
        server: albumA,
      },
      {
        key: 'owner',
        name: "GET /albums/:id, owner's token",
        url: `${albumA.url}/albums/${album.id}`,
        token: () => alice,
        status: 200,
        server: albumA,
      },
      {
        key: 'rpt',
        name: 'GET /albums/:id, RPT',
        url: `${albumA.url}/albums/${album.id}`,
        token: () => rpt,
        status: 200,
        server: albumA,
      },
      {
        key: 'challenge',
        name: 'GET /albums/:id, no RPT: UMA challenge',
        url: `${albumA.url}/albums/${album.id}`,
        token: () => jdoe,
        status: 401,
        server: albumA,
      },
      ...(nkc === undefined
        ? []
        : [
            {
              key: 'nkc',
              name: 'nest-keycloak-connect, owner (offline token validation)',
              url: `${nkc.url}/albums/${album.id}`,
              token: () => alice,
              status: 200,
              server: nkc,
            },
            {
              key: 'nkcPublic',
              name: 'nest-keycloak-connect, @Public()',
              url: `${nkc.url}/public/albums/${album.id}`,
              token: () => undefined,
              status: 200,
              server: nkc,
            },
          ]),
    ].filter((route) => ONLY.size === 0 || ONLY.has(route.key));
    say(
      `reads: ${routes.length} routes, ${ROUNDS} rounds of ${SECONDS} s, ${CONNECTIONS} connections`,
    );
    const cpus = pinning();
    say(
      cpus === undefined
        ? 'reads: load generator and servers unpinned'
        : `reads: load generator on CPU ${cpus.load}, the measured server on CPU ${cpus.server}`,
    );
    /** One route's load, with its server alone on its CPUs while it lasts. */
    const measure = async (route: Route, seconds: number): Promise<LoadResult> => {
      if (cpus !== undefined) {
        pin(route.server.pid, cpus.server);
      }
      try {
        return await load({
          url: route.url,
          token: route.token(),
          seconds,
          connections: CONNECTIONS,
          cpus: cpus?.load,
        });
      } finally {
        if (cpus !== undefined) {
          pin(route.server.pid, cpus.all);
        }
      }
    };
    // A warm-up round, discarded: every route as long as a measured round, in the same order.
    for (const route of routes) {
      await measure(route, WARMUP_SECONDS);
    }
    const nkcRoute = routes.find((route) => route.key === 'nkc');
    if (nkcRoute !== undefined) {
      // The peer's rate is Keycloak's: measured against a warm Keycloak, not one just started.
      const { warmKeycloakUp } = await import('./lib/peer-curve.ts');
      await warmKeycloakUp({
        url: nkcRoute.url,
        token: alice,
        seconds: SECONDS,
        connections: CONNECTIONS,
        log: say,
      });
    }
    const rounds = new Map<string, LoadResult[]>(routes.map((route) => [route.key, []]));
    // The answering process's CPU time and answers over every round: its cost per answer, which
    // the other processes on the machine do not move as they move the rates.
    const cpu = new Map<string, { micros: number; answers: number }>(
      routes.map((route) => [route.key, { micros: 0, answers: 0 }]),
    );
    /** Each round's CPU time per answer of each route, in µs. */
    const cpuRounds = new Map<string, number[]>(routes.map((route) => [route.key, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      // Access tokens and RPTs live 5 minutes in the dev realm: fresh ones each round.
      alice = (await login('alice')).access_token;
      jdoe = (await login('jdoe')).access_token;
      rpt = await rptFor(album.resourceId);
      for (const route of routes) {
        const cpuBefore = cpuMicros(route.server.pid);
        const result = await measure(route, SECONDS);
        const spent = cpu.get(route.key);
        const micros = cpuMicros(route.server.pid) - cpuBefore;
        if (spent !== undefined) {
          spent.micros += micros;
          spent.answers += result.requests;
        }
        cpuRounds
          .get(route.key)
          ?.push(result.requests === 0 ? Number.NaN : micros / result.requests);
        const unexpected = Object.entries(result.statusCodes).filter(
          ([code]) => Number(code) !== route.status,
        );
        if (unexpected.length > 0 || result.errors > 0 || result.timeouts > 0) {
          throw new Error(
            `${route.name}: expected only ${route.status}, got ${JSON.stringify(result)}`,
          );
        }
        rounds.get(route.key)?.push(result);
      }
    }
    const results = new Map(
      routes.map((route) => [route.key, median(rounds.get(route.key) ?? [])]),
    );
    const rate = (key: string): number => results.get(key)?.requestsPerSecond ?? Number.NaN;
    const cpuPerAnswer = (key: string): number => {
      const spent = cpu.get(key);
      return spent === undefined || spent.answers === 0 ? Number.NaN : spent.micros / spent.answers;
    };
    // Each ratio of the summary is taken within each round (its two routes ran back to back, so
    // what else the machine did moves both alike) and reported as the median of the rounds, with
    // their spread.
    const roundRate = (key: string, round: number): number =>
      rounds.get(key)?.[round]?.requestsPerSecond ?? Number.NaN;
    for (const ratio of RATIOS) {
      const perRound = Array.from({ length: ROUNDS }, (_, round) =>
        ratio.of((key) => roundRate(key, round)),
      );
      const spread = spreadOf(perRound);
      figures[ratio.figure] = spread.median;
      spreads[ratio.figure] = spread;
      // The same ratio from the servers' CPU time per answer instead of their answers a second:
      // what a route costs, whatever share of the machine its server got in the round.
      cpuSpreads[ratio.figure] = spreadOf(
        Array.from({ length: ROUNDS }, (_, round) =>
          ratio.of((key) => 1 / (cpuRounds.get(key)?.[round] ?? Number.NaN)),
        ),
      );
    }
    const ratioOfRoute = (key: string): string => {
      const ratio = RATIOS.find((candidate) => candidate.route === key);
      const spread = ratio === undefined ? undefined : spreads[ratio.figure];
      return spread === undefined || Number.isNaN(spread.median)
        ? ''
        : `${ratio?.label ?? ''} ${spread.median.toFixed(2)} (${spread.min.toFixed(2)}–${spread.max.toFixed(2)})`;
    };
    for (const route of routes) {
      const result = results.get(route.key);
      table.push({
        route: route.name,
        'req/s': Math.round(result?.requestsPerSecond ?? 0),
        'p50 ms': result?.p50Ms ?? 0,
        'p99 ms': result?.p99Ms ?? 0,
        'vs @Public()': (rate(route.key) / rate('public')).toFixed(2),
        'CPU µs/answer': Math.round(cpuPerAnswer(route.key)),
        'ratio, median of rounds (min–max)': ratioOfRoute(route.key),
      });
    }
    for (const route of routes) {
      figures[`${route.key}RequestsPerSecond`] = Math.round(rate(route.key));
      figures[`${route.key}CpuMicrosPerAnswer`] = Math.round(cpuPerAnswer(route.key));
    }
  }

  if (!SKIP.has('hostile')) {
    say(
      'hostile: the owner reads at a fixed rate, alone and while bob attacks the same instance ' +
        '(an album service and a permission service with the production limits) ...',
    );
    const production = withProductionLimits(env);
    const [albumHostile, permissionsHostile] = await Promise.all([
      startService(
        'album-service-hostile',
        ALBUM_SERVICE_MAIN,
        production,
        started,
        // BENCH_CPU_PROF=1 profiles the attacked instance too.
        profile,
      ),
      startService('permission-service-hostile', PERMISSION_SERVICE_MAIN, production, started),
    ]);
    alice = (await login('alice')).access_token;
    const bob = (await login('bob')).access_token;
    const album = await registeredAlbum(albumHostile.url, alice, 'Under attack');
    const hostile = await hostileScenario({
      albumUrl: albumHostile.url,
      permissionUrl: permissionsHostile.url,
      albumId: album.id,
      ownerToken: alice,
      attackerToken: bob,
      seconds: QUICK ? 10 : 20,
      rounds: 3,
      ownerRate: HOSTILE_OWNER_RATE,
      ownerConnections: 2,
      // Just under the JSON body limit (32 KiB): the most the service reads and checks; a larger
      // body is refused by its Content-Length before a byte of it is read.
      nestedBytes: 32 * 1024 - 64,
      nestedWorkers: 2,
      slowSockets: 64,
      floodWorkers: 16,
    });
    const statuses = (tally: Readonly<Record<string, number>>): string =>
      Object.entries(tally)
        .map(([status, n]) => `${status}: ${n}`)
        .join(', ');
    say(
      `hostile: p99 ratios of the rounds ${hostile.ratios.map((ratio) => ratio.toFixed(2)).join(', ')}; ` +
        `the median round: owner p99 ${hostile.quiet.p99Ms} ms quiet, ${hostile.hostile.p99Ms} ms under attack ` +
        `(p50 ${hostile.quiet.p50Ms} -> ${hostile.hostile.p50Ms} ms, ` +
        `${Math.round(hostile.hostile.requestsPerSecond)} of ${HOSTILE_OWNER_RATE} req/s served, ` +
        `statuses ${statuses(hostile.hostile.statusCodes)})`,
    );
    say(
      `hostile: nested bodies ${hostile.traffic.nestedSent} (${statuses(hostile.traffic.nestedStatuses)}); ` +
        `flood ${hostile.traffic.floodSent} (${statuses(hostile.traffic.floodStatuses)}); ` +
        `slow bodies: ${hostile.traffic.slowOpened} connections, ${hostile.traffic.slowClosedByServer} closed by the server`,
    );
    figures['hostileP99Ratio'] = hostile.p99Ratio;
    figures['hostileQuietP99Ms'] = hostile.quiet.p99Ms;
    figures['hostileP99Ms'] = hostile.hostile.p99Ms;
  }

  if (!SKIP.has('race')) {
    say('P5: revocation raced against RPT reads on two instances ...');
    const race = await revocationRace({
      albumUrls: [albumA.url, albumB.url],
      permissionUrl: permissions.url,
      ownerToken: alice,
      requesterToken: jdoe,
      rptFor,
      workers: CONNECTIONS,
      beforeMs: 2_000,
      afterMs: 2_000,
    });
    say(
      `P5: ${race.requests} reads, ${race.startedAfterRevocation} started after the DELETE returned ` +
        `(${race.revocationMs.toFixed(0)} ms), ${race.servedAfterRevocation} of them served`,
    );
    figures['revokedServed'] = race.servedAfterRevocation;
    figures['revokedRequests'] = race.startedAfterRevocation;
  }

  if (!SKIP.has('registrations')) {
    say(`P4: ${REGISTRATIONS} albums created over two instances, until all are registered ...`);
    const { cleanupRegistrations, measureKeycloakCeiling, measureReconcile, measureRegistrations } =
      await import('./lib/registrations.ts');
    alice = (await login('alice')).access_token;
    say(
      `P4: Keycloak's ceiling first: resource creates straight through the admin API path the relay uses, ${CEILING_CREATES} at each concurrency ...`,
    );
    const ceiling = await measureKeycloakCeiling({
      keycloakUrl,
      env,
      ownerId: subjectOf(alice),
      creates: CEILING_CREATES,
      log: say,
    });
    say(
      `P4: Keycloak's ceiling: ${ceiling.bestPerSecond} creates/s at concurrency ${ceiling.bestConcurrency}`,
    );
    figures['keycloakCreatesPerSecond'] = ceiling.bestPerSecond;
    figures['keycloakBestConcurrency'] = ceiling.bestConcurrency;
    for (const { concurrency, perSecond } of ceiling.perConcurrency) {
      figures[`keycloakCreatesPerSecondAt${concurrency}`] = perSecond;
    }
    const registrations = await measureRegistrations({
      albumUrls: [albumA.url, albumB.url],
      token: alice,
      databaseUrl,
      count: REGISTRATIONS,
      log: say,
    });
    figures['registrationsSeconds'] = registrations.registeredSeconds;
    figures['createSeconds'] = registrations.createSeconds;
    figures['registrationsPerSecond'] = Math.round(
      registrations.count / registrations.registeredSeconds,
    );
    // The relays alone (after the last create was answered) against Keycloak alone.
    figures['relayDrainPerSecond'] = Math.round(registrations.drainPerSecond);
    figures['registrationsVsKeycloak'] = registrations.drainPerSecond / ceiling.bestPerSecond;
    // The whole run, the two instances also answering the 10,000 creates.
    figures['registrationsOverallVsKeycloak'] =
      registrations.count / registrations.registeredSeconds / ceiling.bestPerSecond;
    figures['burstLagMedianSeconds'] = registrations.lagSeconds.median;
    figures['burstLagMaxSeconds'] = registrations.lagSeconds.max;
    say(
      `P4: each album's registration once Keycloak is warm: ${PACED_ALBUMS} albums created one at a time ...`,
    );
    // The burst may have outlived alice's token (5 minutes) on a loaded machine.
    alice = (await login('alice')).access_token;
    const paced = await measureRegistrations({
      albumUrls: [albumA.url, albumB.url],
      token: alice,
      databaseUrl,
      count: PACED_ALBUMS,
      concurrency: 1,
      log: say,
    });
    figures['registrationLagMedianSeconds'] = paced.lagSeconds.median;
    figures['registrationLagMaxSeconds'] = paced.lagSeconds.max;
    // The ceiling again, Keycloak now holding the 10,100 resources: what the relays were up against.
    const after = await measureKeycloakCeiling({
      keycloakUrl,
      env,
      ownerId: subjectOf(alice),
      creates: CEILING_CREATES,
      concurrencies: [ceiling.bestConcurrency],
      warmUp: 0,
      log: say,
    });
    say(
      `P4: Keycloak's ceiling holding ${REGISTRATIONS + PACED_ALBUMS} more resources: ${after.bestPerSecond} creates/s at concurrency ${after.bestConcurrency}`,
    );
    figures['keycloakCreatesPerSecondAfter'] = after.bestPerSecond;
    figures['registrationsVsKeycloakAfter'] = registrations.drainPerSecond / after.bestPerSecond;
    say(
      `P4: the relays alone: ${Math.round(registrations.drainPerSecond)} registrations/s, ${(registrations.drainPerSecond / ceiling.bestPerSecond).toFixed(2)} of Keycloak's ceiling before the registrations, ${(registrations.drainPerSecond / after.bestPerSecond).toFixed(2)} of its ceiling after them`,
    );
    const reconcile = await measureReconcile({
      databaseUrl,
      keycloakUrl,
      env,
      log: say,
    });
    figures['reconcileSeconds'] = reconcile.seconds;
    if (!ownKeycloak) {
      await cleanupRegistrations({ databaseUrl, keycloakUrl, env, log: say });
    }
  }
  // After the registrations: the thousand people holding grants here make Keycloak's resource
  // creates several times slower, which is not what the registrations measure.
  if (!SKIP.has('lists') || !SKIP.has('share-writes')) {
    const { ScalePopulation } = await import('./lib/population.ts');
    const population = new ScalePopulation({
      keycloakUrl,
      albumUrls: [albumA.url, albumB.url],
      permissionUrl: permissions.url,
      log: say,
    });
    say(`scale: seeding through the API (${LIST_SIZES.join(', ')} items) ...`);
    await population.start();
    if (!SKIP.has('lists')) {
      const { measureLists } = await import('./lib/lists.ts');
      const points = [];
      for (const size of LIST_SIZES) {
        await Promise.all([population.growCrowded(size), population.growLists(size)]);
        const measured = await measureLists(population, permissions.url, size, {
          warmUp: 3,
          minCalls: 5,
          maxCalls: QUICK ? 60 : 150,
          budgetMs: QUICK ? 4_000 : 8_000,
        });
        for (const point of measured) {
          if (point.error !== undefined) {
            say(`lists: ${point.list} at ${point.size} failed: ${point.error}`);
          }
          say(
            `lists: ${point.list} first page at ${point.size} vs 1: ${point.large.medianMs.toFixed(1)} ms vs ` +
              `${point.small.medianMs.toFixed(1)} ms (medians of ${point.large.calls} calls), ratio ${point.ratio.toFixed(2)}`,
          );
          figures[`list-${point.list}-${point.size}-ms`] = point.large.medianMs;
          figures[`list-${point.list}-1-ms`] = point.small.medianMs;
          figures[`list-${point.list}-${point.size}-ratio`] = point.ratio;
        }
        points.push(...measured);
      }
      const largest = LIST_SIZES.at(-1) ?? 0;
      const atLargest = points.filter((point) => point.size === largest);
      figures['lists1kVs1'] = Math.max(...atLargest.map((point) => point.ratio));
      details['lists'] = points;
      say(
        `lists-1k-vs-1 (first page at ${largest} vs 1, medians in ms): ${atLargest
          .map(
            (point) =>
              `${point.list} ${point.large.medianMs.toFixed(1)}/${point.small.medianMs.toFixed(1)}=${point.ratio.toFixed(2)}`,
          )
          .join(' ')}`,
      );
    }
    if (!SKIP.has('share-writes')) {
      const { measureShareWrites } = await import('./lib/share-writes.ts');
      await population.growCrowded(LIST_SIZES.at(-1) ?? 1_000);
      const writes = await measureShareWrites(population, permissions.url, {
        repetitions: QUICK ? 8 : 15,
        warmUp: 2,
      });
      for (const point of writes) {
        figures[`share-write-${point.write}-${point.size}-ms`] = point.largeMs;
        figures[`share-write-${point.write}-1-ms`] = point.smallMs;
      }
      figures['shares1kVs1'] = Math.max(
        ...writes.filter((point) => point.write !== 'request').map((point) => point.ratio),
      );
      details['shareWrites'] = writes;
      say(
        `shares-1k-vs-1 (on an album with ${population.crowdedShares} shares vs 1, medians of ` +
          `${writes[0]?.repetitions ?? 0} in ms): ${writes
            .map(
              (point) =>
                `${point.write === 'request' ? '(not in the figure) request' : point.write} ${point.largeMs.toFixed(1)}/${point.smallMs.toFixed(1)}=${point.ratio.toFixed(2)}`,
            )
            .join(' ')}`,
      );
    }
  }

  let curveSummary = '';
  let curveDetail = '';
  if (!SKIP.has('nkc-curve')) {
    say(
      `the peer's curve: ours and nest-keycloak-connect while Keycloak grows to ${NKC_CURVE_SIZES.join(', ')} album resources ...`,
    );
    const { peerCurveScenario } = await import('./lib/peer-curve.ts');
    const curve = await peerCurveScenario({
      keycloakUrl,
      databaseUrl,
      env,
      album: albumA,
      ownKeycloak,
      sizes: NKC_CURVE_SIZES,
      seconds: SECONDS,
      rounds: QUICK ? 2 : 3,
      connections: CONNECTIONS,
      started,
      log: say,
    });
    Object.assign(figures, curve.figures);
    curveSummary = curve.summary;
    curveDetail = curve.detail;
  }

  // At the very end, after every scenario.
  figures['rssAlbumMb'] = Math.max(albumA.rssMb(), albumB.rssMb());
  figures['rssPermissionMb'] = permissions.rssMb();
  // What the resident memory is made of: the V8 heap (live and committed) and what lies outside.
  for (const service of [albumA, albumB, permissions]) {
    const heap = await service.heapMb().catch(() => undefined);
    if (heap !== undefined) {
      say(
        `memory at the end: ${service.name} RSS ${service.rssMb().toFixed(0)} MB, V8 heap ` +
          `${heap.used.toFixed(0)} MB used of ${heap.total.toFixed(0)} MB, external ${heap.external.toFixed(0)} MB`,
      );
    }
  }

  if (table.length > 0) {
    console.table(table);
  }
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'latest.json'),
    `${JSON.stringify({ date: new Date().toISOString(), quick: QUICK, connections: CONNECTIONS, seconds: SECONDS, rounds: ROUNDS, warmupSeconds: WARMUP_SECONDS, pinned: pinning() !== undefined, table, figures, spreads, cpuSpreads, details }, null, 2)}
`,
  );
  const fixed = (key: string, digits: number): string =>
    (figures[key] ?? Number.NaN).toFixed(digits);
  console.log(
    `bench: public-vs-bare=${fixed('publicVsBare', 2)} owner=${fixed('owner', 2)} rpt=${fixed('rpt', 2)} ` +
      `challenge=${fixed('challenge', 2)} vs-nkc=${fixed('vsNkc', 1)}x${curveSummary} ` +
      `hostile-p99-ratio=${fixed('hostileP99Ratio', 2)} ` +
      `registrations-10k-s=${fixed('registrationsSeconds', 0)} ` +
      `registrations-vs-keycloak=${fixed('registrationsVsKeycloak', 2)} ` +
      `registration-lag-s=${fixed('registrationLagMedianSeconds', 2)}/${fixed('registrationLagMaxSeconds', 2)} ` +
      `reconcile-10k-s=${fixed('reconcileSeconds', 0)} ` +
      `lists-1k-vs-1=${fixed('lists1kVs1', 2)} shares-1k-vs-1=${fixed('shares1kVs1', 2)} ` +
      `rss-album-mb=${fixed('rssAlbumMb', 0)} rss-permission-mb=${fixed('rssPermissionMb', 0)}`,
  );
  if (Object.keys(spreads).length > 0) {
    console.log(
      `bench-spread (min–max over ${ROUNDS} rounds): ${RATIOS.filter(
        (ratio) =>
          spreads[ratio.figure] !== undefined &&
          !Number.isNaN(spreads[ratio.figure]?.median ?? Number.NaN),
      )
        .map(
          (ratio) =>
            `${ratio.label}=${spreads[ratio.figure]?.min.toFixed(2) ?? ''}–${spreads[ratio.figure]?.max.toFixed(2) ?? ''}`,
        )
        .join(' ')}`,
    );
    console.log(
      `bench-cpu-ratios (from CPU µs per answer, median (min–max) over ${ROUNDS} rounds): ${RATIOS.filter(
        // The peer's CPU per answer leaves out Keycloak's, which answers it on every request.
        (ratio) =>
          ratio.figure !== 'vsNkc' && !Number.isNaN(cpuSpreads[ratio.figure]?.median ?? Number.NaN),
      )
        .map((ratio) => {
          const spread = cpuSpreads[ratio.figure];
          return `${ratio.label}=${spread?.median.toFixed(2) ?? ''} (${spread?.min.toFixed(2) ?? ''}–${spread?.max.toFixed(2) ?? ''})`;
        })
        .join(' ')}`,
    );
  }
  if (curveDetail !== '') {
    console.log(`bench-nkc-curve: ${curveDetail}`);
  }
}

try {
  await main();
} catch (error) {
  console.error(
    `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
}
