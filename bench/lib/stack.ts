import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureDatabase } from '../../libs/common/src/database/postgres.ts';
import { migrateAll, resetSchemas } from '../../scripts/lib/database.ts';
import { ALBUM_API_SECRET, ALBUM_API_UUID } from '../../scripts/dev-realm/realm.ts';
import { LOG_DIR, ROOT } from '../../scripts/lib/paths.ts';
import { SERVICE_NODE_FLAGS } from '../../scripts/lib/service-runtime.ts';
import { type BenchProcess, startNodeServer } from './processes.ts';

const DIST = join(ROOT, 'dist');

/** Builds the services and the benchmark's album service (`npm run build`). */
export function buildServices(say: (line: string) => void): void {
  say('building the services ...');
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  if (build.status !== 0) {
    throw new Error('the build failed');
  }
}

/** The benchmark's database (BENCH_DATABASE_URL), with fresh schemas; returns its URL. */
export async function freshDatabase(say: (line: string) => void): Promise<string> {
  const url =
    process.env['BENCH_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/photoz_bench';
  say(`database ${url}: fresh schemas`);
  await ensureDatabase(url);
  await resetSchemas(url);
  await migrateAll(url);
  return url;
}

/** The services' environment: production mode, and a deployment of this run's own. */
export function serviceEnv(keycloakUrl: string, databaseUrl: string): Record<string, string> {
  return {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    // Several instances on one machine: each management port picked free.
    METRICS_PORT: '0',
    DATABASE_URL: databaseUrl,
    KEYCLOAK_URL: keycloakUrl,
    KEYCLOAK_CLIENT_SECRET: ALBUM_API_SECRET,
    KEYCLOAK_CLIENT_UUID: ALBUM_API_UUID,
    // Each run its own deployment: resources an earlier run left in Keycloak are not this one's.
    UMA_DEPLOYMENT: `bench-${Date.now().toString(36)}`,
    // One token loads a route at thousands of requests a second, and 10,000 albums are one
    // owner's: the limits still count every request (their cost is measured), but never refuse
    // unless the environment says otherwise.
    RATE_LIMIT_READS: process.env['RATE_LIMIT_READS'] ?? '100000000',
    RATE_LIMIT_WRITES: process.env['RATE_LIMIT_WRITES'] ?? '100000000',
    RATE_LIMIT_COSTLY: process.env['RATE_LIMIT_COSTLY'] ?? '100000000',
    QUOTA_ALBUMS_PER_OWNER: process.env['QUOTA_ALBUMS_PER_OWNER'] ?? '1000000',
  };
}

export interface BenchStack {
  /** The album service with the `@Public()` twin route (bench/servers/album-service-bench.ts). */
  readonly albumA: BenchProcess;
  /** A second album-service instance, as deployed (`dist/apps/album-service/src/main.js`). */
  readonly albumB: BenchProcess;
  readonly permissions: BenchProcess;
}

/**
 * Starts two album-service instances and the permission service from the build, as `npm start`
 * runs them; each is pushed onto `started` as soon as it answers, for the caller to stop.
 */
/** Starts one service from the build as `npm start` runs it; pushed onto `started` once it answers. */
export async function startService(
  name: string,
  script: string,
  env: Record<string, string>,
  started: BenchProcess[],
  nodeArgs: readonly string[] = [],
): Promise<BenchProcess> {
  const child = await startNodeServer({
    name,
    script: join(DIST, script),
    env,
    readyPath: '/health/ready',
    nodeArgs: [...SERVICE_NODE_FLAGS, ...nodeArgs],
    logFile: join(LOG_DIR, `bench-${name}.log`),
  });
  started.push(child);
  return child;
}

/** The album service and the permission service as deployed (their `main.js`). */
export const ALBUM_SERVICE_MAIN = 'apps/album-service/src/main.js';
export const PERMISSION_SERVICE_MAIN = 'apps/permission-service/src/main.js';

/**
 * The environment without the benchmark's raised limits: what a deployment runs with (the hostile
 * scenario's targets).
 */
export function withProductionLimits(env: Record<string, string>): Record<string, string> {
  const production = { ...env };
  for (const key of ['RATE_LIMIT_READS', 'RATE_LIMIT_WRITES', 'RATE_LIMIT_COSTLY']) {
    if (process.env[key] === undefined) {
      delete production[key];
    }
  }
  return production;
}

/**
 * Starts two album-service instances and the permission service from the build, as `npm start`
 * runs them; each is pushed onto `started` as soon as it answers, for the caller to stop.
 */
export async function startServices(
  env: Record<string, string>,
  started: BenchProcess[],
  albumANodeArgs: readonly string[] = [],
): Promise<BenchStack> {
  const [albumA, albumB, permissions] = await Promise.all([
    startService(
      'album-service-a',
      'bench/servers/album-service-bench.js',
      env,
      started,
      albumANodeArgs,
    ),
    startService('album-service-b', ALBUM_SERVICE_MAIN, env, started),
    startService('permission-service', PERMISSION_SERVICE_MAIN, env, started),
  ]);
  return { albumA, albumB, permissions };
}
