/**
 * `npm run bench:soak`: both services under a mixed load for BENCH_SOAK_MINUTES (10): owner and RPT
 * reads, UMA challenges, album creates and deletes, photo uploads and downloads, shares, RPT
 * exchanges and revocations, two album-service instances. Samples each service's resident memory
 * every 10 s and counts 5xx answers. Passes when no request got a 5xx and each service's memory at
 * the end is within ±10 % of its memory after the first minute (the warm-up); prints the samples
 * and writes bench/results/soak-latest.json. Also counts the clean-ups of revocations whose Keycloak
 * step failed (recorded, done, parked, left once the load stopped).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { requestRpt } from '../scripts/dev-realm/rpt.ts';
import { login } from '../scripts/dev-realm/tokens.ts';
import { LOG_DIR, ROOT } from '../scripts/lib/paths.ts';
import { callJson, expectStatus, registeredAlbum } from './lib/api.ts';
import { ensureKeycloak } from './lib/keycloak.ts';
import { type BenchProcess } from './lib/processes.ts';
import { buildServices, freshDatabase, serviceEnv, startServices } from './lib/stack.ts';

const MINUTES = Number(process.env['BENCH_SOAK_MINUTES'] ?? 10);
const WARM_UP_MS = Math.min(60_000, (MINUTES * 60_000) / 5);
const SAMPLE_MS = 10_000;
const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  randomBytes(4096),
]);

function say(line: string): void {
  console.log(`[soak] ${line}`);
}

interface Tokens {
  alice: string;
  jdoe: string;
}

/** Counts answers by status class; a 5xx is remembered with what asked for it. */
class Tally {
  readonly byStatus = new Map<number, number>();
  readonly serverErrors: string[] = [];
  count(what: string, code: number): void {
    this.byStatus.set(code, (this.byStatus.get(code) ?? 0) + 1);
    if (code >= 500) {
      this.serverErrors.push(`${what}: ${code}`);
    }
  }
  get total(): number {
    return [...this.byStatus.values()].reduce((sum, count) => sum + count, 0);
  }
}

async function status(
  tally: Tally,
  what: string,
  url: string,
  init: RequestInit = {},
): Promise<number> {
  const response = await fetch(url, init);
  await response.arrayBuffer();
  tally.count(what, response.status);
  return response.status;
}

const bearer = (token: string): RequestInit => ({ headers: { authorization: `Bearer ${token}` } });

/** The permission service's log, which the bench appends to run after run. */
const PERMISSION_LOG = join(LOG_DIR, 'bench-permission-service.log');

/** What became of revocations whose Keycloak side failed: their clean-ups, from the log and the table. */
interface Cleanups {
  recorded: number;
  done: number;
  parked: number;
  /** Still in `grant_cleanups` once the load stopped and the relay had a minute to finish. */
  left: number;
}

/** Counts the clean-up events the permission service logged after byte `from` of its log. */
function loggedCleanups(from: number): Omit<Cleanups, 'left'> {
  const text = existsSync(PERMISSION_LOG)
    ? readFileSync(PERMISSION_LOG).subarray(from).toString()
    : '';
  const count = (event: string) => text.split(`"event":"grant.cleanup.${event}"`).length - 1;
  return { recorded: count('recorded'), done: count('done'), parked: count('parked') };
}

/** Waits up to a minute for the clean-ups left in the table to be done; returns how many remain. */
async function cleanupsLeft(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const { rows } = await client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM permission_service.grant_cleanups WHERE status = 'pending'`,
      );
      const left = rows[0]?.n ?? 0;
      if (left === 0 || Date.now() > deadline) {
        const parked = await client.query<{ n: number }>(
          'SELECT count(*)::int AS n FROM permission_service.grant_cleanups',
        );
        return parked.rows[0]?.n ?? 0;
      }
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    }
  } finally {
    await client.end();
  }
}

async function main(): Promise<void> {
  const keycloak = await ensureKeycloak(say);
  const servers: BenchProcess[] = [];
  try {
    buildServices(say);
    const databaseUrl = await freshDatabase(say);
    const env = serviceEnv(keycloak.url, databaseUrl);
    const logStart = existsSync(PERMISSION_LOG) ? statSync(PERMISSION_LOG).size : 0;
    const { albumA, albumB, permissions } = await startServices(env, servers);
    const albums = [albumA.url, albumB.url];
    const tokens: Tokens = {
      alice: (await login('alice')).access_token,
      jdoe: (await login('jdoe')).access_token,
    };
    const tally = new Tally();
    const deadline = Date.now() + MINUTES * 60_000;
    const running = (): boolean => Date.now() < deadline;
    const shared = await registeredAlbum(albumA.url, tokens.alice, 'Soak, shared');
    const privateAlbum = await registeredAlbum(albumA.url, tokens.alice, 'Soak, private');

    const refresher = (async () => {
      while (running()) {
        await new Promise((resolve) => setTimeout(resolve, 60_000));
        tokens.alice = (await login('alice')).access_token;
        tokens.jdoe = (await login('jdoe')).access_token;
      }
    })();
    const reader = async (index: number): Promise<void> => {
      while (running()) {
        const base = albums[index % 2] ?? '';
        await status(tally, 'owner read', `${base}/albums/${shared.id}`, bearer(tokens.alice));
        await status(tally, 'list', `${base}/albums?limit=20`, bearer(tokens.alice));
        await status(tally, 'challenge', `${base}/albums/${privateAlbum.id}`, bearer(tokens.jdoe));
      }
    };
    const writer = async (index: number): Promise<void> => {
      while (running()) {
        const base = albums[index % 2] ?? '';
        const created = await callJson<{ id: string }>(base, 'POST', '/albums', {
          token: tokens.alice,
          body: { name: `Soak ${index}` },
        });
        tally.count('create', created.status);
        if (created.status !== 201) {
          continue;
        }
        const form = new FormData();
        form.append('file', new Blob([PNG], { type: 'image/png' }), 'soak.png');
        const upload = await fetch(`${base}/albums/${created.body.id}/photos`, {
          method: 'POST',
          headers: { authorization: `Bearer ${tokens.alice}` },
          body: form,
        });
        const photo = (await upload.json()) as { id?: string };
        tally.count('upload', upload.status);
        if (photo.id !== undefined) {
          await status(
            tally,
            'download',
            `${base}/albums/${created.body.id}/photos/${photo.id}/content`,
            bearer(tokens.alice),
          );
        }
        await status(tally, 'delete', `${base}/albums/${created.body.id}`, {
          method: 'DELETE',
          ...bearer(tokens.alice),
        });
      }
    };
    const sharer = async (): Promise<void> => {
      while (running()) {
        const share = await callJson(permissions.url, 'PUT', `/albums/${shared.id}/shares/jdoe`, {
          token: tokens.alice,
          body: { scopes: ['album:view'] },
        });
        tally.count('share', share.status);
        const exchange = await requestRpt(tokens.jdoe, [`${shared.resourceId}#album:view`]);
        const rpt = exchange.body.access_token;
        if (rpt !== undefined) {
          for (let read = 0; read < 20; read += 1) {
            await status(
              tally,
              'RPT read',
              `${albums[read % 2] ?? ''}/albums/${shared.id}`,
              bearer(rpt),
            );
          }
        }
        await status(tally, 'grants', `${permissions.url}/albums/${shared.id}/shares`, {
          ...bearer(tokens.alice),
        });
        const revoke = await callJson(
          permissions.url,
          'DELETE',
          `/albums/${shared.id}/shares/jdoe`,
          { token: tokens.alice },
        );
        tally.count('revoke', revoke.status);
        if (rpt !== undefined) {
          const after = await status(
            tally,
            'revoked RPT read',
            `${albumB.url}/albums/${shared.id}`,
            bearer(rpt),
          );
          if (after === 200) {
            tally.serverErrors.push('a revoked RPT was served');
          }
        }
      }
    };

    const samples: { atSeconds: number; album: number; permission: number }[] = [];
    const start = Date.now();
    const sampler = (async () => {
      while (running()) {
        samples.push({
          atSeconds: Math.round((Date.now() - start) / 1000),
          album: Math.max(albumA.rssMb(), albumB.rssMb()),
          permission: permissions.rssMb(),
        });
        await new Promise((resolve) => setTimeout(resolve, SAMPLE_MS));
      }
    })();
    say(`${MINUTES} min of mixed load on two album-service instances and the permission service`);
    await Promise.all([
      ...[0, 1, 2, 3].map(reader),
      ...[0, 1].map(writer),
      sharer(),
      sampler,
      refresher,
    ]);
    samples.push({
      atSeconds: Math.round((Date.now() - start) / 1000),
      album: Math.max(albumA.rssMb(), albumB.rssMb()),
      permission: permissions.rssMb(),
    });
    expectStatus('health', await callJson(albumA.url, 'GET', '/health/ready'), 200);
    const left = await cleanupsLeft(databaseUrl);
    const cleanups: Cleanups = { ...loggedCleanups(logStart), left };

    const warm = samples.find((sample) => sample.atSeconds * 1000 >= WARM_UP_MS) ?? samples[0];
    const last = samples.at(-1);
    if (warm === undefined || last === undefined) {
      throw new Error('no memory samples');
    }
    const drift = (key: 'album' | 'permission'): number => last[key] / warm[key] - 1;
    for (const sample of samples) {
      say(
        `t=${String(sample.atSeconds).padStart(4)} s  album ${sample.album.toFixed(0)} MB  permission ${sample.permission.toFixed(0)} MB`,
      );
    }
    const flat = Math.abs(drift('album')) <= 0.1 && Math.abs(drift('permission')) <= 0.1;
    const result = {
      minutes: MINUTES,
      requests: tally.total,
      byStatus: Object.fromEntries(tally.byStatus),
      serverErrors: tally.serverErrors.length,
      firstServerErrors: tally.serverErrors.slice(0, 10),
      rssAfterWarmUp: { album: warm.album, permission: warm.permission },
      rssAtEnd: { album: last.album, permission: last.permission },
      rssMax: {
        album: Math.max(...samples.map((sample) => sample.album)),
        permission: Math.max(...samples.map((sample) => sample.permission)),
      },
      drift: { album: drift('album'), permission: drift('permission') },
      flat,
      cleanups,
      samples,
    };
    const dir = join(ROOT, 'bench', 'results');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'soak-latest.json'), `${JSON.stringify(result, null, 2)}\n`);
    say(`answers by status: ${JSON.stringify(result.byStatus)}`);
    say(
      `revocations whose Keycloak side failed: ${cleanups.recorded} clean-ups recorded, ${cleanups.done} done, ${cleanups.parked} parked, ${cleanups.left} left after the load`,
    );
    for (const error of result.firstServerErrors) {
      say(`5xx: ${error}`);
    }
    const percent = (value: number): string =>
      `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;
    console.log(
      `soak: minutes=${MINUTES} requests=${tally.total} 5xx=${tally.serverErrors.length} ` +
        `rss-album-mb=${warm.album.toFixed(0)}->${last.album.toFixed(0)} (${percent(drift('album'))}) ` +
        `rss-permission-mb=${warm.permission.toFixed(0)}->${last.permission.toFixed(0)} (${percent(drift('permission'))}) ` +
        `cleanups=${cleanups.recorded} (done ${cleanups.done}, parked ${cleanups.parked}, left ${cleanups.left}) ` +
        (flat && tally.serverErrors.length === 0 ? 'PASS' : 'FAIL'),
    );
    if (!flat || tally.serverErrors.length > 0) {
      process.exitCode = 1;
    }
  } finally {
    await Promise.allSettled(servers.map((server) => server.stop()));
    await keycloak.stop();
  }
}

try {
  await main();
} catch (error) {
  console.error(
    `[soak] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exitCode = 1;
}
