/**
 * Benchmark of the album registrations in Keycloak (the UMA outbox relay) and of
 * `npm run uma:reconcile`, against album services that are already running (built, started from
 * `dist/apps/album-service/src/main.js`, one or several instances sharing one database).
 *
 * Plain TypeScript that Node runs with type stripping (no decorators, enums or parameter
 * properties): the benchmark orchestrator imports it from a plain node script.
 *
 * - `measureRegistrations` creates albums through `POST /albums`, spread over the instances, and
 *   times how long after the first create every one of them is registered in Keycloak (linked in
 *   `uma_resource_links`, its outbox events gone), polling the database; a parked event fails it.
 * - `measureReconcile` runs the built reconciliation command, times it and checks that it found
 *   nothing to repair.
 * - `cleanupRegistrations` removes the benchmark's albums (by their name prefix) from the
 *   database and their resources from Keycloak, so that repeated runs do not pile them up.
 */
import { inParallel } from '../../libs/common/src/concurrency.ts';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { ROOT } from '../../scripts/lib/paths.ts';

/** The album service's schema (`ALBUM_SERVICE_SCHEMA`). */
const SCHEMA = 'album_service';
/** Every album the benchmark creates is named so, and only those are cleaned up. */
export const BENCH_ALBUM_PREFIX = 'bench-registration ';
const ALBUM_RESOURCE_TYPE = 'urn:photoz:album';

type Log = (line: string) => void;

export interface RegistrationOptions {
  /** Base URLs of the running album service instances; the creates are spread over them. */
  readonly albumUrls: readonly string[];
  /** An access token of the user who creates (and owns) the albums. */
  readonly token: string;
  /** The database the instances share. */
  readonly databaseUrl: string;
  readonly count: number;
  /** Creates in flight at once, over all instances (default 16). */
  readonly concurrency?: number;
  /** Gives up waiting for the registrations after this long (default 300 s). */
  readonly timeoutMs?: number;
  readonly log?: Log;
}

export interface RegistrationResult {
  readonly count: number;
  /** From the first create until every create was answered. */
  readonly createSeconds: number;
  /** From the first create until every album was registered in Keycloak. */
  readonly registeredSeconds: number;
  /** How long after its creation each album was registered: the median and the longest. */
  readonly lagSeconds: { readonly median: number; readonly max: number };
  /** How many were registered when the last create was answered. */
  readonly linkedWhenCreated: number;
  /**
   * Registrations a second from the last create's answer until the last registration: the
   * relays alone, no create competing with them for the machine (`NaN` when that was too short).
   */
  readonly drainPerSecond: number;
}

function seconds(since: number): number {
  return Math.round((performance.now() - since) / 10) / 100;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolveSleep) => setTimeout(resolveSleep, ms));
}

async function createAlbum(base: string, token: string, name: string): Promise<string> {
  const response = await fetch(`${base}/albums`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const text = await response.text();
  if (response.status !== 201) {
    throw new Error(`POST ${base}/albums answered ${response.status}: ${text.slice(0, 300)}`);
  }
  return (JSON.parse(text) as { id: string }).id;
}

/** Those of `ids` that are linked to their Keycloak resource now. */
async function linkedAmong(client: pg.Client, ids: readonly string[]): Promise<Set<string>> {
  const { rows } = await client.query<{ entity_id: string }>(
    `SELECT entity_id FROM ${SCHEMA}.uma_resource_links
      WHERE entity_type = 'album' AND entity_id = ANY($1::text[])`,
    [ids],
  );
  return new Set(rows.map((row) => row.entity_id));
}

/** How many events of `ids` are in the outbox, and how many of them are parked. */
async function queuedAmong(
  client: pg.Client,
  ids: readonly string[],
): Promise<{ queued: number; parked: number }> {
  const { rows } = await client.query<{ queued: number; parked: number }>(
    `SELECT count(*)::int AS queued, count(*) FILTER (WHERE status = 'parked')::int AS parked
       FROM ${SCHEMA}.uma_outbox WHERE entity_type = 'album' AND entity_id = ANY($1::text[])`,
    [ids],
  );
  return rows[0] ?? { queued: 0, parked: 0 };
}

/** How long after its creation (`albums.created_at`) each album was linked (`registered_at`). */
async function lagOf(
  client: pg.Client,
  ids: readonly string[],
): Promise<{ median: number; max: number }> {
  const { rows } = await client.query<{ median: number; max: number }>(
    `SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY lag)::numeric, 2)::float AS median,
            round(max(lag)::numeric, 2)::float AS max
       FROM (SELECT extract(epoch FROM l.registered_at - a.created_at) AS lag
               FROM ${SCHEMA}.albums a
               JOIN ${SCHEMA}.uma_resource_links l
                 ON l.entity_type = 'album' AND l.entity_id = a.id::text
              WHERE a.id = ANY($1::uuid[])) lags`,
    [ids],
  );
  return rows[0] ?? { median: 0, max: 0 };
}

/** Fails when any event of `ids` is parked: their events must all be delivered, in order. */
async function assertNoneParked(client: pg.Client, ids: ReadonlySet<string>): Promise<void> {
  // Parked events are few: reading them all is cheaper than looking each album up.
  const { rows } = await client.query<{ entity_id: string; last_error: string | null }>(
    `SELECT entity_id, last_error FROM ${SCHEMA}.uma_outbox
      WHERE entity_type = 'album' AND status = 'parked'`,
  );
  const ours = rows.filter((row) => ids.has(row.entity_id));
  if (ours.length > 0) {
    throw new Error(
      `${ours.length} outbox event(s) of the benchmark's albums were parked, e.g.: ${ours[0]?.last_error ?? ''}`,
    );
  }
}

/**
 * Creates `count` albums through `POST /albums` (round robin over `albumUrls`) and waits until
 * the relays have registered every one of them in Keycloak: the album is linked to its resource
 * (the relay writes the link in the transaction that completes the album's event) and, at the
 * end, no event of any of them is left in the outbox. It polls the albums not linked yet, every
 * 100 ms, so that polling costs the database less and less. Fails on a parked event (an album's
 * events must all be delivered, in order) or when the registrations take longer than `timeoutMs`.
 */
export async function measureRegistrations(
  options: RegistrationOptions,
): Promise<RegistrationResult> {
  const log = options.log ?? (() => undefined);
  const concurrency = options.concurrency ?? 16;
  const timeoutMs = options.timeoutMs ?? 300_000;
  if (options.albumUrls.length === 0) {
    throw new Error('measureRegistrations needs at least one album service URL');
  }
  const run = Date.now().toString(36);
  const names = Array.from(
    { length: options.count },
    (_, index) => `${BENCH_ALBUM_PREFIX}${run} ${index}`,
  );
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  try {
    const ids: string[] = [];
    const started = performance.now();
    await inParallel(names, concurrency, async (name, index) => {
      const base = options.albumUrls[index % options.albumUrls.length] ?? '';
      ids.push(await createAlbum(base, options.token, name));
    });
    const createSeconds = seconds(started);
    const linkedWhenCreated = (await linkedAmong(client, ids)).size;
    log(
      `created ${ids.length} albums over ${options.albumUrls.length} instance(s) in ${createSeconds} s`,
    );

    const all = new Set(ids);
    let waiting = ids;
    const deadline = Date.now() + timeoutMs;
    let lastLogged = performance.now();
    while (waiting.length > 0) {
      const linked = await linkedAmong(client, waiting);
      waiting = waiting.filter((id) => !linked.has(id));
      if (waiting.length === 0) {
        break;
      }
      await assertNoneParked(client, all);
      if (Date.now() > deadline) {
        throw new Error(
          `only ${ids.length - waiting.length} of ${ids.length} albums were registered within ${timeoutMs} ms`,
        );
      }
      if (performance.now() - lastLogged >= 2_000) {
        lastLogged = performance.now();
        log(`  ${seconds(started)} s: ${ids.length - waiting.length} registered`);
      }
      await sleep(100);
    }
    const registeredSeconds = seconds(started);
    await assertNoneParked(client, all);
    const { queued } = await queuedAmong(client, ids);
    if (queued > 0) {
      throw new Error(`${queued} outbox event(s) of the benchmark's albums are still queued`);
    }
    const lagSeconds = await lagOf(client, ids);
    const drainSeconds = registeredSeconds - createSeconds;
    const drainPerSecond =
      drainSeconds > 0.5 ? (ids.length - linkedWhenCreated) / drainSeconds : Number.NaN;
    log(
      `registered ${ids.length} albums ${registeredSeconds} s after the first create (${Math.round(ids.length / registeredSeconds)} registrations/s); each ${lagSeconds.median} s (median), at most ${lagSeconds.max} s after its creation`,
    );
    if (!Number.isNaN(drainPerSecond)) {
      log(
        `  ${linkedWhenCreated} were registered when the last create was answered; the relays alone registered the other ${ids.length - linkedWhenCreated} in ${Math.round(drainSeconds * 100) / 100} s (${Math.round(drainPerSecond)} registrations/s)`,
      );
    }
    return {
      count: ids.length,
      createSeconds,
      registeredSeconds,
      lagSeconds,
      linkedWhenCreated,
      drainPerSecond,
    };
  } finally {
    await client.end();
  }
}

export interface ReconcileOptions {
  readonly databaseUrl: string;
  readonly keycloakUrl: string;
  /** The album service's environment (client secret, realm, deployment...). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The built command (default `dist/apps/album-service/src/cli/uma-reconcile.js`). */
  readonly script?: string;
  readonly log?: Log;
}

/**
 * Runs the built `uma:reconcile` command (what `npm run uma:reconcile` runs after the build)
 * with the service's environment and times it. Fails when it exits with an error or when it
 * found anything to repair: after `measureRegistrations` everything must match.
 */
export async function measureReconcile(
  options: ReconcileOptions,
): Promise<{ seconds: number; report: string }> {
  const log = options.log ?? (() => undefined);
  const script =
    options.script ?? join(ROOT, 'dist', 'apps', 'album-service', 'src', 'cli', 'uma-reconcile.js');
  const started = performance.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>(
    (resolveRun, rejectRun) => {
      const child = spawn(process.execPath, [script], {
        cwd: ROOT,
        env: {
          ...process.env,
          ...options.env,
          DATABASE_URL: options.databaseUrl,
          KEYCLOAK_URL: options.keycloakUrl,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
      child.on('error', rejectRun);
      child.on('close', (exitCode) => resolveRun({ code: exitCode, output: text }));
    },
  );
  const elapsed = seconds(started);
  const report = output.trim();
  if (code !== 0) {
    throw new Error(`uma:reconcile exited with ${code}: ${report}`);
  }
  if (!report.includes('everything matches')) {
    throw new Error(`uma:reconcile found something to repair:\n${report}`);
  }
  const summary = report.split('\n').find((line) => /^\S+: \d+ in the database/.test(line));
  log(`uma:reconcile took ${elapsed} s: ${summary ?? report.split('\n')[0] ?? ''}`);
  return { seconds: elapsed, report };
}

export interface CleanupOptions {
  readonly databaseUrl: string;
  readonly keycloakUrl: string;
  /**
   * The album service's environment: `KEYCLOAK_CLIENT_SECRET` (required), and
   * `KEYCLOAK_REALM`, `KEYCLOAK_CLIENT_ID`, `UMA_DEPLOYMENT` when not the defaults.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Keycloak deletes in flight at once (default 16). */
  readonly concurrency?: number;
  readonly log?: Log;
}

interface ListedResource {
  readonly _id: string;
  readonly displayName?: string;
  readonly attributes?: Record<string, string[]>;
}

/** The protection API of the service's realm, as the service's client. */
async function protectionApi(
  options: CleanupOptions,
): Promise<{ url: string; headers: Record<string, string> }> {
  const { env } = options;
  const realm = env['KEYCLOAK_REALM'] ?? 'photoz';
  const secret = env['KEYCLOAK_CLIENT_SECRET'];
  if (secret === undefined) {
    throw new Error('cleanupRegistrations needs KEYCLOAK_CLIENT_SECRET in env');
  }
  const clientId = env['KEYCLOAK_CLIENT_ID'] ?? 'album-api';
  const keycloak = options.keycloakUrl.replace(/\/+$/, '');
  const response = await fetch(`${keycloak}/realms/${realm}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  if (!response.ok) {
    throw new Error(`the protection API token was refused: ${response.status}`);
  }
  const pat = ((await response.json()) as { access_token: string }).access_token;
  return {
    url: `${keycloak}/realms/${realm}/authz/protection/resource_set`,
    headers: { authorization: `Bearer ${pat}` },
  };
}

/**
 * Removes every album the benchmark created (named with {@link BENCH_ALBUM_PREFIX}) and its
 * Keycloak resource. It waits a little for the relays to finish their events (an event delivered
 * after the delete would register its album again), deletes the albums (their photos go with
 * them), links and leftover events in one transaction, and deletes the linked resources by id.
 * Then it lists Keycloak's album resources for what is left of this deployment's benchmark
 * albums (by display name), e.g. from an interrupted run. Listing first would be slower:
 * Keycloak keeps every listed resource in its authorization cache (up to 10,000 entries by
 * default), and each resource write scans that cache. Returns how many albums and resources
 * went.
 */
export async function cleanupRegistrations(
  options: CleanupOptions,
): Promise<{ albums: number; resources: number }> {
  const log = options.log ?? (() => undefined);
  const concurrency = options.concurrency ?? 16;
  const started = performance.now();
  const client = new pg.Client({ connectionString: options.databaseUrl });
  await client.connect();
  let albums = 0;
  const linked: string[] = [];
  try {
    const { rows } = await client.query<{ id: string }>(
      `SELECT id::text AS id FROM ${SCHEMA}.albums WHERE starts_with(name, $1)`,
      [BENCH_ALBUM_PREFIX],
    );
    const ids = rows.map((row) => row.id);
    const deadline = Date.now() + 60_000;
    while (ids.length > 0 && (await queuedAmong(client, ids)).queued > 0 && Date.now() < deadline) {
      await sleep(200);
    }
    await client.query('BEGIN');
    try {
      await client.query(
        `DELETE FROM ${SCHEMA}.uma_outbox WHERE entity_type = 'album' AND entity_id = ANY($1::text[])`,
        [ids],
      );
      const links = await client.query<{ resource_id: string }>(
        `DELETE FROM ${SCHEMA}.uma_resource_links
          WHERE entity_type = 'album' AND entity_id = ANY($1::text[]) RETURNING resource_id`,
        [ids],
      );
      linked.push(...links.rows.map((row) => row.resource_id));
      albums =
        (await client.query(`DELETE FROM ${SCHEMA}.albums WHERE id = ANY($1::uuid[])`, [ids]))
          .rowCount ?? 0;
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  } finally {
    await client.end();
  }

  const api = await protectionApi(options);
  let deleted = 0;
  const remove = async (id: string): Promise<void> => {
    const response = await fetch(`${api.url}/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: api.headers,
    });
    await response.text();
    if (response.status === 204) {
      deleted += 1;
    } else if (response.status !== 404) {
      throw new Error(`deleting resource ${id} failed: ${response.status}`);
    }
  };
  await inParallel(linked, concurrency, remove);

  const deployment =
    options.env['UMA_DEPLOYMENT'] ??
    decodeURIComponent(new URL(options.databaseUrl).pathname.replace(/^\//, ''));
  const leftovers: string[] = [];
  const pageSize = 1_000;
  for (let first = 0; ; first += pageSize) {
    const params = new URLSearchParams({
      type: ALBUM_RESOURCE_TYPE,
      deep: 'true',
      first: String(first),
      max: String(pageSize),
    });
    const response = await fetch(`${api.url}?${params.toString()}`, { headers: api.headers });
    if (!response.ok) {
      throw new Error(`listing Keycloak's resources failed: ${response.status}`);
    }
    const page = (await response.json()) as ListedResource[];
    for (const resource of page) {
      if (
        resource.displayName?.startsWith(BENCH_ALBUM_PREFIX) === true &&
        resource.attributes?.['deployment']?.includes(deployment) === true
      ) {
        leftovers.push(resource._id);
      }
    }
    if (page.length < pageSize) {
      break;
    }
  }
  await inParallel(leftovers, concurrency, remove);
  log(
    `cleanup: ${albums} albums and ${deleted} Keycloak resources (${leftovers.length} of them unlinked) removed in ${seconds(started)} s`,
  );
  return { albums, resources: deleted };
}

export interface CeilingOptions {
  readonly keycloakUrl: string;
  /** The album service's environment: `KEYCLOAK_CLIENT_SECRET`, `KEYCLOAK_CLIENT_UUID`, ... */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The Keycloak user id who owns the resources (as the relay's albums' owner). */
  readonly ownerId: string;
  /** The concurrencies to try (default 1, 2, 4, 8, 16, 32). */
  readonly concurrencies?: readonly number[];
  /** Creates at each concurrency (default 500). */
  readonly creates?: number;
  /** Untimed creates first, to warm Keycloak up (default `creates`). */
  readonly warmUp?: number;
  readonly log?: Log;
}

export interface CeilingResult {
  /** Creates a second at each concurrency tried. */
  readonly perConcurrency: readonly { readonly concurrency: number; readonly perSecond: number }[];
  readonly bestConcurrency: number;
  readonly bestPerSecond: number;
}

/**
 * Keycloak's own ceiling for what the relay does per album: resource creates through the admin
 * API path the relay uses (`AuthorizationAdminClient.createResource`: `POST
 * …/clients/{uuid}/authz/resource-server/resource` with the service account's token and the same
 * representation, owned by `ownerId`), `creates` at each of `concurrencies`, nothing else sent.
 * The resources of each concurrency are deleted (untimed) before the next one, so that every
 * concurrency starts from the same Keycloak. Returns the creates a second at each and the best.
 */
export async function measureKeycloakCeiling(options: CeilingOptions): Promise<CeilingResult> {
  const log = options.log ?? (() => undefined);
  const concurrencies = options.concurrencies ?? [1, 2, 4, 8, 16, 32];
  const creates = options.creates ?? 500;
  const uuid = options.env['KEYCLOAK_CLIENT_UUID'];
  if (uuid === undefined) {
    throw new Error('measureKeycloakCeiling needs KEYCLOAK_CLIENT_UUID in env');
  }
  const realm = options.env['KEYCLOAK_REALM'] ?? 'photoz';
  const deployment = `${options.env['UMA_DEPLOYMENT'] ?? 'bench'}-ceiling`;
  const api = await protectionApi({
    databaseUrl: '',
    keycloakUrl: options.keycloakUrl,
    env: options.env,
  });
  const adminUrl = `${options.keycloakUrl.replace(/\/+$/, '')}/admin/realms/${encodeURIComponent(realm)}/clients/${encodeURIComponent(uuid)}/authz/resource-server/resource`;
  const create = async (id: string): Promise<string> => {
    const response = await fetch(adminUrl, {
      method: 'POST',
      headers: { ...api.headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: `album-${id}`,
        displayName: `${BENCH_ALBUM_PREFIX}ceiling`,
        type: ALBUM_RESOURCE_TYPE,
        owner: options.ownerId,
        ownerManagedAccess: true,
        uris: [`/albums/${id}`],
        resource_scopes: ['album:view', 'album:edit', 'album:delete'],
        attributes: { deployment: [deployment] },
      }),
    });
    const text = await response.text();
    if (response.status !== 201) {
      throw new Error(`creating a resource answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return (JSON.parse(text) as { _id: string })._id;
  };
  const remove = async (id: string): Promise<void> => {
    const response = await fetch(`${api.url}/${encodeURIComponent(id)}`, {
      method: 'DELETE',
      headers: api.headers,
    });
    await response.text();
    if (response.status !== 204 && response.status !== 404) {
      throw new Error(`deleting resource ${id} failed: ${response.status}`);
    }
  };
  // Untimed creates first, as many as a measured step: the token, the connections and
  // Keycloak's code paths (its JIT) warm.
  const warm: string[] = [];
  await inParallel(
    Array.from({ length: options.warmUp ?? creates }, () => crypto.randomUUID()),
    8,
    async (id) => {
      warm.push(await create(id));
    },
  );
  await inParallel(warm, 8, remove);
  const perConcurrency: { concurrency: number; perSecond: number }[] = [];
  for (const concurrency of concurrencies) {
    const ids = Array.from({ length: creates }, () => crypto.randomUUID());
    const made: string[] = [];
    const started = performance.now();
    await inParallel(ids, concurrency, async (id) => {
      made.push(await create(id));
    });
    const elapsed = (performance.now() - started) / 1000;
    const perSecond = Math.round(creates / elapsed);
    perConcurrency.push({ concurrency, perSecond });
    log(
      `  Keycloak alone: ${creates} creates at concurrency ${concurrency}: ${perSecond} creates/s`,
    );
    await inParallel(made, 8, remove);
  }
  const best = perConcurrency.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
  return { perConcurrency, bestConcurrency: best.concurrency, bestPerSecond: best.perSecond };
}
