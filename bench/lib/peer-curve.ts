/**
 * The peer's cost curve: our guarded read and nest-keycloak-connect's, side by side, while the
 * same Keycloak grows from what it holds at the start to the largest size asked for.
 *
 * Our read asks Keycloak nothing on the allowed path; the peer asks it for a decision on every
 * request (and, with the module's default `tokenValidation: ONLINE`, introspects the token too).
 * So the peer's rate depends on how fast Keycloak answers, and that could depend on what
 * Keycloak holds. At each size, this measures in interleaved rounds: our `GET /albums/:id` with
 * the owner's token, the peer as a careful user configures it (offline token validation: one
 * Keycloak call a request) and, when given, the peer with the module's defaults (two calls).
 *
 * A size is the number of album resources in the `album-api` resource server. Keycloak is grown
 * to it as Photoz grows: one user for every {@link ALBUMS_PER_USER} albums (created through the
 * admin API), the albums' resources owned by those users round robin (created through the admin
 * API path the relay uses, as `measureKeycloakCeiling` does), and one album in
 * {@link ALBUMS_PER_SHARE} shared with another of them (a granted `album:view` permission ticket,
 * through the protection API). What Keycloak already holds at the start (the albums an earlier
 * part of the run registered) counts towards the first size: a size it already holds is
 * measured as it is.
 *
 * Plain TypeScript that Node runs with type stripping, like the rest of the bench.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { inParallel } from '../../libs/common/src/concurrency.ts';
import { ALBUM_API_SECRET, DEV_ADMIN, REALM } from '../../scripts/dev-realm/realm.ts';
import { login } from '../../scripts/dev-realm/tokens.ts';
import { registeredAlbum } from './api.ts';
import { load, type LoadResult } from './load.ts';
import { grantOwnerView, startNkcPeer } from './nkc-peer.ts';
import { type BenchProcess, cpuMicros } from './processes.ts';

/** Albums for each seeded user, about what the dev Keycloak held (~2,800 albums, ~120 users). */
export const ALBUMS_PER_USER = 25;
/** One seeded album in this many is shared with another seeded user. */
export const ALBUMS_PER_SHARE = 10;
const ALBUM_RESOURCE_TYPE = 'urn:photoz:album';
/**
 * The warm-up before the first size: each route once, then the peer alone, a round at a time,
 * until its rate stops climbing (see `warmKeycloakUp`), at most this many rounds.
 */
const WARM_UP_MAX_ROUNDS = 10;
/**
 * Rounds before the warm-up may stop: a Keycloak started a minute ago climbs for 20 s or more,
 * and on a shared machine its first rounds can dip while it does.
 */
const WARM_UP_MIN_ROUNDS = 5;
const WARM_UP_SETTLED = 0.1;
/** Requests in flight at once while seeding (Keycloak's best create concurrency on 2 cores). */
const SEED_CONCURRENCY = 8;

type Log = (line: string) => void;

/** A server whose read is measured: its URL for the album and the token it takes. */
export interface CurveRoute {
  /** Short key in the figures (`ours`, `nkc`, `nkcOnline`). */
  readonly key: string;
  readonly name: string;
  /** The album's URL on that server. */
  readonly url: string;
  /** The server's process, whose CPU time per answer is reported. */
  readonly pid: number;
  /** Whether each answer asks Keycloak: Keycloak's CPU time per answer is reported too. */
  readonly asksKeycloak: boolean;
}

export interface PeerCurveOptions {
  readonly keycloakUrl: string;
  /** The album service's environment: `KEYCLOAK_CLIENT_SECRET`, `KEYCLOAK_CLIENT_UUID`, ... */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Our read of the album. */
  readonly ours: CurveRoute;
  /** The peer as a careful user configures it: the ratio is ours over it. */
  readonly peer: CurveRoute;
  /** The peer with the module's defaults, measured beside it when given. */
  readonly peerDefaults?: CurveRoute;
  /** A fresh access token of the album's owner (each round takes a new one). */
  readonly ownerToken: () => Promise<string>;
  /** The sizes to measure, in album resources, smallest first. */
  readonly sizes: readonly number[];
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
  /**
   * Remove what was seeded at the end (users, and with them nothing else; resources by id):
   * for a Keycloak the run did not start itself.
   */
  readonly cleanUp: boolean;
  readonly log?: Log;
}

/** What Keycloak held when a size was measured. */
export interface Holding {
  readonly resources: number;
  readonly users: number;
  readonly tickets: number;
}

export interface CurvePoint {
  /** The size asked for, in album resources. */
  readonly size: number;
  readonly held: Holding;
  /** Each route's median round (by rate). */
  readonly results: Readonly<Record<string, LoadResult>>;
  /**
   * CPU time per answer over the size's rounds, in µs: each route's server's and, for a route
   * that asks Keycloak, Keycloak's (`<key>Keycloak`); absent when Keycloak's process is unknown.
   */
  readonly cpuMicrosPerAnswer: Readonly<Record<string, number>>;
  /** Ours over the peer, in each round. */
  readonly ratios: readonly number[];
  /** The median of `ratios`. */
  readonly ratio: number;
  /** Seconds spent growing Keycloak to this size. */
  readonly seedSeconds: number;
}

/**
 * The process listening on a TCP port on this machine (Linux `/proc`), e.g. Keycloak, whether or
 * not this run started it; undefined when none is found or its file descriptors are not readable.
 */
export function listenerPid(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // local_address is `<ip>:<port>` in hex; state 0A is LISTEN; the inode is the 10th field.
      if (fields[1]?.endsWith(`:${hexPort}`) === true && fields[3] === '0A' && fields[9]) {
        inodes.add(`socket:[${fields[9]}]`);
      }
    }
  }
  if (inodes.size === 0) {
    return undefined;
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) {
      continue;
    }
    try {
      for (const fd of readdirSync(`/proc/${entry}/fd`)) {
        if (inodes.has(readlinkSync(`/proc/${entry}/fd/${fd}`))) {
          return Number(entry);
        }
      }
    } catch {
      // Gone, or not ours to read.
    }
  }
  return undefined;
}

/** `1k`, `10k`, `2.5k`, `500`: how a size is named in the summary line. */
export function sizeLabel(size: number): string {
  if (size >= 1_000 && size % 100 === 0) {
    return `${size / 1_000}k`;
  }
  return String(size);
}

/** The median of some numbers (NaN for none). */
export function medianOf(values: readonly number[]): number {
  const sorted = values.filter((value) => !Number.isNaN(value)).sort((a, b) => a - b);
  if (sorted.length === 0) {
    return Number.NaN;
  }
  return (
    ((sorted[Math.floor((sorted.length - 1) / 2)] ?? 0) +
      (sorted[Math.floor(sorted.length / 2)] ?? 0)) /
    2
  );
}

function byRate(results: readonly LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) {
    throw new Error('no rounds measured');
  }
  return middle;
}

async function expectJson(response: Response, what: string, expected: number): Promise<unknown> {
  const text = await response.text();
  if (response.status !== expected) {
    throw new Error(`${what}: Keycloak answered ${response.status} ${text.slice(0, 300)}`);
  }
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}

/** The calls that grow Keycloak, with the tokens they need (renewed before each size). */
class KeycloakSeeder {
  private pat = '';
  private admin = '';
  private readonly env: Readonly<Record<string, string | undefined>>;
  private readonly run: string;
  private readonly base: string;
  private readonly realmUrl: string;
  private readonly resourceUrl: string;
  /** Seeded users (id), resources (id) and tickets so far. */
  readonly users: string[] = [];
  readonly resources: string[] = [];
  tickets = 0;

  constructor(keycloakUrl: string, env: Readonly<Record<string, string | undefined>>, run: string) {
    this.env = env;
    this.run = run;
    this.base = keycloakUrl.replace(/\/+$/, '');
    this.realmUrl = `${this.base}/realms/${REALM}`;
    const uuid = env['KEYCLOAK_CLIENT_UUID'];
    if (uuid === undefined) {
      throw new Error('the peer curve needs KEYCLOAK_CLIENT_UUID in env');
    }
    this.resourceUrl = `${this.base}/admin/realms/${REALM}/clients/${encodeURIComponent(uuid)}/authz/resource-server/resource`;
  }

  /** Fresh tokens: the service account's (resources, tickets) and the dev admin's (users). */
  async renewTokens(): Promise<void> {
    const secret = this.env['KEYCLOAK_CLIENT_SECRET'];
    if (secret === undefined) {
      throw new Error('the peer curve needs KEYCLOAK_CLIENT_SECRET in env');
    }
    const clientId = this.env['KEYCLOAK_CLIENT_ID'] ?? 'album-api';
    const token = async (realm: string, form: Record<string, string>, basic?: string) => {
      const body = (await expectJson(
        await fetch(`${this.base}/realms/${realm}/protocol/openid-connect/token`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...(basic === undefined ? {} : { authorization: `Basic ${basic}` }),
          },
          body: new URLSearchParams(form),
        }),
        `a token for the ${realm} realm`,
        200,
      )) as { access_token: string };
      return body.access_token;
    };
    this.pat = await token(
      REALM,
      { grant_type: 'client_credentials' },
      Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString(
        'base64',
      ),
    );
    this.admin = await token('master', {
      grant_type: 'password',
      client_id: 'admin-cli',
      username: DEV_ADMIN.username,
      password: DEV_ADMIN.password,
    });
  }

  private post(url: string, token: string, body: unknown, what: string): Promise<Response> {
    return fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (response) => {
      // Keycloak answers a create with 201, a permission ticket's with 200.
      if (response.status !== 201 && response.status !== 200) {
        await expectJson(response, what, 201);
      }
      return response;
    });
  }

  /** What the resource server holds now: its resources, the realm's users, the tickets. */
  async holding(): Promise<Holding> {
    const pat = { authorization: `Bearer ${this.pat}` };
    const admin = { authorization: `Bearer ${this.admin}` };
    // Ids only: the protection API lists them without loading each resource's details.
    const resources = (await expectJson(
      await fetch(`${this.realmUrl}/authz/protection/resource_set?first=0&max=-1`, {
        headers: pat,
      }),
      'the resource list',
      200,
    )) as string[];
    const users = (await expectJson(
      await fetch(`${this.base}/admin/realms/${REALM}/users/count`, { headers: admin }),
      'the user count',
      200,
    )) as number;
    const tickets = (await expectJson(
      await fetch(`${this.realmUrl}/authz/protection/permission/ticket/count`, { headers: pat }),
      'the ticket count',
      200,
    )) as number;
    return { resources: resources.length, users, tickets };
  }

  /** Users up to `count` seeded ones, named after the run. */
  async growUsers(count: number): Promise<void> {
    const indexes = Array.from(
      { length: Math.max(0, count - this.users.length) },
      (_, offset) => this.users.length + offset,
    );
    await inParallel(indexes, SEED_CONCURRENCY, async (index) => {
      const response = await this.post(
        `${this.base}/admin/realms/${REALM}/users`,
        this.admin,
        { username: `bench-curve-${this.run}-${index}`, enabled: true },
        'creating a user',
      );
      // Keycloak answers the new user's URL; its id is the last segment.
      const id = response.headers.get('location')?.split('/').at(-1);
      if (id === undefined) {
        throw new Error('creating a user: Keycloak answered no Location');
      }
      this.users.push(id);
    });
  }

  /**
   * `count` more album resources, owned by the seeded users round robin; one in
   * {@link ALBUMS_PER_SHARE} shared with the next user (a granted `album:view` ticket).
   */
  async growResources(count: number, deployment: string): Promise<void> {
    const owners = this.users;
    if (owners.length === 0) {
      throw new Error('growResources needs seeded users first');
    }
    const first = this.resources.length;
    await inParallel(
      Array.from({ length: count }, (_, offset) => first + offset),
      SEED_CONCURRENCY,
      async (index) => {
        const id = crypto.randomUUID();
        const owner = owners[index % owners.length] ?? '';
        const response = await this.post(
          this.resourceUrl,
          this.pat,
          {
            name: `album-${id}`,
            displayName: `bench-curve ${this.run}`,
            type: ALBUM_RESOURCE_TYPE,
            owner,
            ownerManagedAccess: true,
            uris: [`/albums/${id}`],
            resource_scopes: ['album:view', 'album:edit', 'album:delete'],
            attributes: { deployment: [deployment] },
          },
          'creating a resource',
        );
        const resource = ((await response.json()) as { _id: string })._id;
        this.resources.push(resource);
        if (index % ALBUMS_PER_SHARE === 0 && owners.length > 1) {
          await this.post(
            `${this.realmUrl}/authz/protection/permission/ticket`,
            this.pat,
            {
              resource,
              requester: owners[(index + 1) % owners.length],
              scopeName: 'album:view',
              granted: true,
            },
            'creating a ticket',
          );
          this.tickets += 1;
        }
      },
    );
  }

  /** Deletes the seeded resources (their tickets go with them) and users. */
  async removeAll(): Promise<void> {
    await this.renewTokens();
    const remove = async (url: string, token: string): Promise<void> => {
      const response = await fetch(url, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${token}` },
      });
      await response.text();
      if (response.status !== 204 && response.status !== 404) {
        throw new Error(`deleting ${url} answered ${response.status}`);
      }
    };
    await inParallel(this.resources.splice(0), SEED_CONCURRENCY, (id) =>
      remove(`${this.realmUrl}/authz/protection/resource_set/${encodeURIComponent(id)}`, this.pat),
    );
    await inParallel(this.users.splice(0), SEED_CONCURRENCY, (id) =>
      remove(`${this.base}/admin/realms/${REALM}/users/${encodeURIComponent(id)}`, this.admin),
    );
  }
}

/**
 * Loads a route that asks Keycloak on every request (the peer's), `seconds` at a time, until its
 * rate stops climbing (two rounds in a row not {@link WARM_UP_SETTLED} above the best so far,
 * after at least {@link WARM_UP_MIN_ROUNDS}) or after {@link WARM_UP_MAX_ROUNDS} rounds: Keycloak's JIT compiles its decision path over the first
 * tens of thousands of requests, and a Keycloak started minutes ago answers several times slower.
 * Returns the last round's rate.
 */
export async function warmKeycloakUp(options: {
  readonly url: string;
  readonly token: string;
  readonly seconds: number;
  readonly connections: number;
  readonly log?: Log;
}): Promise<number> {
  let best = 0;
  let last = 0;
  // Rounds in a row that did not beat the best one so far: on a shared machine one round can
  // dip while Keycloak is still warming, so it takes two.
  let flat = 0;
  for (
    let round = 0;
    round < WARM_UP_MAX_ROUNDS && (round < WARM_UP_MIN_ROUNDS || flat < 2);
    round += 1
  ) {
    const { requestsPerSecond } = await load({
      url: options.url,
      token: options.token,
      seconds: options.seconds,
      connections: options.connections,
    });
    options.log?.(`  warming Keycloak up: the peer at ${Math.round(requestsPerSecond)} req/s`);
    flat = requestsPerSecond > best * (1 + WARM_UP_SETTLED) ? 0 : flat + 1;
    best = Math.max(best, requestsPerSecond);
    last = requestsPerSecond;
  }
  return last;
}

/**
 * Grows Keycloak through `sizes` (see the module's comment) and measures, at each, the routes in
 * `rounds` interleaved rounds of `seconds`, after a discarded warm-up before the first size
 * (see {@link WARM_UP_MAX_ROUNDS}). Every answer must be a 200.
 * Returns one point for each size.
 */
export async function peerCurve(options: PeerCurveOptions): Promise<CurvePoint[]> {
  const log = options.log ?? (() => undefined);
  const run = Date.now().toString(36);
  const deployment = `${options.env['UMA_DEPLOYMENT'] ?? 'bench'}-curve`;
  const seeder = new KeycloakSeeder(options.keycloakUrl, options.env, run);
  const routes = [
    options.ours,
    options.peer,
    ...(options.peerDefaults ? [options.peerDefaults] : []),
  ];
  const keycloakPid = listenerPid(Number(new URL(options.keycloakUrl).port || 80));
  const cpuOf = (pid: number | undefined): number => {
    try {
      return pid === undefined ? Number.NaN : cpuMicros(pid);
    } catch {
      return Number.NaN;
    }
  };
  const measureRound = async (
    results: Map<string, LoadResult[]>,
    seconds = options.seconds,
    cpu = new Map<string, { micros: number; answers: number }>(),
  ): Promise<number> => {
    const token = await options.ownerToken();
    const rates = new Map<string, number>();
    for (const route of routes) {
      const serverBefore = cpuOf(route.pid);
      const keycloakBefore = cpuOf(keycloakPid);
      const result = await load({
        url: route.url,
        token,
        seconds,
        connections: options.connections,
      });
      const unexpected = Object.keys(result.statusCodes).filter((code) => code !== '200');
      if (unexpected.length > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(`${route.name}: expected only 200, got ${JSON.stringify(result)}`);
      }
      results.get(route.key)?.push(result);
      const spent = (key: string, micros: number): void => {
        const sum = cpu.get(key) ?? { micros: 0, answers: 0 };
        cpu.set(key, { micros: sum.micros + micros, answers: sum.answers + result.requests });
      };
      spent(route.key, cpuOf(route.pid) - serverBefore);
      if (route.asksKeycloak) {
        spent(`${route.key}Keycloak`, cpuOf(keycloakPid) - keycloakBefore);
      }
      rates.set(route.key, result.requestsPerSecond);
    }
    return (
      (rates.get(options.ours.key) ?? Number.NaN) / (rates.get(options.peer.key) ?? Number.NaN)
    );
  };
  // The warm-up, untimed: each server's code paths, then Keycloak's decision path until its JIT
  // has settled (a Keycloak started minutes ago answers the peer several times slower).
  await measureRound(new Map());
  await warmKeycloakUp({
    url: options.peer.url,
    token: await options.ownerToken(),
    seconds: options.seconds,
    connections: options.connections,
    log,
  });
  const points: CurvePoint[] = [];
  try {
    for (const size of options.sizes) {
      const seedStarted = performance.now();
      await seeder.renewTokens();
      const before = await seeder.holding();
      const missing = size - before.resources;
      if (missing > 0) {
        await seeder.growUsers(Math.ceil((seeder.resources.length + missing) / ALBUMS_PER_USER));
        await seeder.renewTokens();
        await seeder.growResources(missing, deployment);
      }
      const seedSeconds = Math.round((performance.now() - seedStarted) / 100) / 10;
      // The dev admin's token lives a minute: a fresh one for the count.
      const held = missing > 0 ? await seeder.renewTokens().then(() => seeder.holding()) : before;
      log(
        `  Keycloak holds ${held.resources} resources, ${held.users} users, ${held.tickets} tickets` +
          (missing > 0 ? ` (grown in ${seedSeconds} s)` : ''),
      );
      const results = new Map<string, LoadResult[]>(routes.map((route) => [route.key, []]));
      const ratios: number[] = [];
      const cpu = new Map<string, { micros: number; answers: number }>();
      for (let round = 0; round < options.rounds; round += 1) {
        ratios.push(await measureRound(results, options.seconds, cpu));
      }
      const cpuMicrosPerAnswer = Object.fromEntries(
        [...cpu.entries()]
          .filter(([, sum]) => !Number.isNaN(sum.micros) && sum.answers > 0)
          .map(([key, sum]) => [key, Math.round(sum.micros / sum.answers)]),
      );
      const medians = Object.fromEntries(
        routes.map((route) => [route.key, byRate(results.get(route.key) ?? [])]),
      );
      const point: CurvePoint = {
        size,
        held,
        results: medians,
        cpuMicrosPerAnswer,
        ratios: ratios.map((ratio) => Math.round(ratio * 100) / 100),
        ratio: medianOf(ratios),
        seedSeconds,
      };
      log(
        `  ${sizeLabel(size)}: ` +
          routes
            .map((route) => {
              const result = medians[route.key];
              return `${route.key} ${Math.round(result?.requestsPerSecond ?? 0)} req/s p50 ${result?.p50Ms ?? 0} ms`;
            })
            .join(', ') +
          `; ours/peer ${point.ratio.toFixed(1)}x (rounds ${point.ratios.join(', ')}); ` +
          `CPU µs/answer ${JSON.stringify(cpuMicrosPerAnswer)}`,
      );
      points.push(point);
    }
  } finally {
    if (options.cleanUp) {
      const started = performance.now();
      const resources = seeder.resources.length;
      const users = seeder.users.length;
      await seeder.removeAll();
      log(
        `  removed the curve's ${resources} resources and ${users} users in ${Math.round((performance.now() - started) / 1000)} s`,
      );
    }
  }
  return points;
}

export interface PeerCurveScenarioOptions {
  readonly keycloakUrl: string;
  readonly databaseUrl: string;
  /** The album service's environment (see `serviceEnv`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Our album service (the one the read is measured on). */
  readonly album: BenchProcess;
  /** Whether the run started Keycloak itself (then what is seeded is not removed). */
  readonly ownKeycloak: boolean;
  readonly sizes: readonly number[];
  readonly seconds: number;
  readonly rounds: number;
  readonly connections: number;
  /** The peers started here are pushed onto it, for the caller to stop. */
  readonly started: BenchProcess[];
  readonly log?: Log;
}

export interface PeerCurveScenario {
  readonly points: readonly CurvePoint[];
  /** For latest.json: per size, the ratio, each route's rate and p50, what Keycloak held. */
  readonly figures: Readonly<Record<string, number>>;
  /** For the summary line: ` vs-nkc-1k=…x vs-nkc-10k=…x`. */
  readonly summary: string;
  /** One line with each size's rates and p50s. */
  readonly detail: string;
}

/**
 * The whole scenario: a new album of alice's on our album service, registered and granted to
 * her in Keycloak (the peer's route needs the ticket), the peer started twice (a careful user's
 * configuration and the module's defaults), and {@link peerCurve} over `sizes`.
 */
export async function peerCurveScenario(
  options: PeerCurveScenarioOptions,
): Promise<PeerCurveScenario> {
  const log = options.log ?? (() => undefined);
  const ownerToken = async (): Promise<string> => (await login('alice')).access_token;
  const album = await registeredAlbum(options.album.url, await ownerToken(), 'Peer curve');
  await grantOwnerView({
    keycloakUrl: options.keycloakUrl,
    secret: ALBUM_API_SECRET,
    resourceId: album.resourceId,
  });
  // One after the other: the first installs and builds the peer when needed.
  const peers: Record<'offline' | 'online', BenchProcess> = {
    offline: await startNkcPeer({
      databaseUrl: options.databaseUrl,
      keycloakUrl: options.keycloakUrl,
      secret: ALBUM_API_SECRET,
      tokenValidation: 'offline',
      log,
    }),
    online: await startNkcPeer({
      databaseUrl: options.databaseUrl,
      keycloakUrl: options.keycloakUrl,
      secret: ALBUM_API_SECRET,
      tokenValidation: 'online',
      log,
    }),
  };
  options.started.push(peers.offline, peers.online);
  const points = await peerCurve({
    keycloakUrl: options.keycloakUrl,
    env: options.env,
    ours: {
      key: 'ours',
      name: 'our GET /albums/:id',
      url: `${options.album.url}/albums/${album.id}`,
      pid: options.album.pid,
      asksKeycloak: false,
    },
    peer: {
      key: 'nkc',
      name: 'nest-keycloak-connect, offline token validation',
      url: `${peers.offline.url}/albums/${album.id}`,
      pid: peers.offline.pid,
      asksKeycloak: true,
    },
    peerDefaults: {
      key: 'nkcDefaults',
      name: 'nest-keycloak-connect, its defaults',
      url: `${peers.online.url}/albums/${album.id}`,
      pid: peers.online.pid,
      asksKeycloak: true,
    },
    ownerToken,
    sizes: options.sizes,
    seconds: options.seconds,
    rounds: options.rounds,
    connections: options.connections,
    cleanUp: !options.ownKeycloak,
    log,
  });
  const figures: Record<string, number> = {};
  for (const point of points) {
    const at = `At${point.size}`;
    figures[`vsNkc${at}`] = Math.round(point.ratio * 100) / 100;
    figures[`nkcCurveResources${at}`] = point.held.resources;
    figures[`nkcCurveUsers${at}`] = point.held.users;
    figures[`nkcCurveTickets${at}`] = point.held.tickets;
    for (const [key, result] of Object.entries(point.results)) {
      figures[`nkcCurve_${key}RequestsPerSecond${at}`] = Math.round(result.requestsPerSecond);
      figures[`nkcCurve_${key}P50Ms${at}`] = result.p50Ms;
    }
    for (const [key, micros] of Object.entries(point.cpuMicrosPerAnswer)) {
      figures[`nkcCurve_${key}CpuMicrosPerAnswer${at}`] = micros;
    }
  }
  const summary = points
    .map((point) => ` vs-nkc-${sizeLabel(point.size)}=${point.ratio.toFixed(1)}x`)
    .join('');
  const route = (point: CurvePoint, key: string, name: string): string => {
    const result = point.results[key];
    return `${name} ${Math.round(result?.requestsPerSecond ?? 0)} req/s p50 ${result?.p50Ms ?? 0} ms`;
  };
  const detail = points
    .map(
      (point) =>
        `${sizeLabel(point.size)} (${point.held.resources} resources, ${point.held.users} users, ${point.held.tickets} tickets): ` +
        `${route(point, 'ours', 'ours')}, ${route(point, 'nkc', 'nkc')}, ${route(point, 'nkcDefaults', 'nkc defaults')}, ` +
        `${point.ratio.toFixed(1)}x (${Math.min(...point.ratios).toFixed(1)}–${Math.max(...point.ratios).toFixed(1)})`,
    )
    .join('; ');
  return { points, figures, summary, detail };
}
