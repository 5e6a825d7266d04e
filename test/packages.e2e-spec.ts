import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ALBUM_API_SECRET,
  ALBUM_API_UUID,
  ISSUER,
  KEYCLOAK_URL,
  REALM,
} from '../scripts/dev-realm/realm.ts';
import { exchangeTicket } from '../scripts/dev-realm/rpt.ts';
import { accessTokens, decodeJwt } from '../scripts/dev-realm/tokens.ts';
import { packPackages, type PackResult } from '../scripts/lib/packages.ts';
import { cacheDir } from '../scripts/lib/paths.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';
import { SCRATCH_SOURCES, SCRATCH_TSCONFIG, scratchPackageJson } from './support/scratch-app.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';

/**
 * The published packages as a Nest 12 team gets them: `npm pack`ed, installed by file path into
 * an application outside the monorepo (test/support/scratch-app.ts) next to Nest, TypeORM and pg
 * from the npm registry, compiled with its own TypeScript and run against the real Keycloak and
 * PostgreSQL. The npm cache is kept under the Photoz cache folder, so a second run installs
 * without downloading. `PHOTOZ_KEEP_SCRATCH_APP=1` keeps the application's folder for a look.
 */

type UmaClientModule = typeof import('@app/uma-client');

const NPM_CACHE = join(cacheDir(), 'npm');
const START_TIMEOUT_MS = 30_000;

/** The scratch application's own database, next to the test database. */
const APP_DATABASE_URL = (() => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `${url.pathname.replace(/_test$/, '')}_app_test`;
  return url.toString();
})();

/** The environment of npm and the application: the test's, without what `npm test` adds. */
function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(
      Object.entries(process.env).filter(
        ([name]) => !name.toLowerCase().startsWith('npm_') && name !== 'INIT_CWD',
      ),
    ),
    ...extra,
  };
}

/** How long each step of the set-up took, in ms. */
const timings: Record<string, number> = {};

/** Runs a step of the set-up to its end; a failure says which step and what it wrote. */
function step(name: string, command: string, args: readonly string[], cwd: string): Promise<void> {
  const startedAt = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        timings[name] = performance.now() - startedAt;
        resolve();
      } else {
        reject(new Error(`${name} failed (exit ${String(code)}):\n${output.slice(-6_000)}`));
      }
    });
  });
}

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const result = await work();
  timings[name] = performance.now() - startedAt;
  return result;
}

/** Drops the database `url` names, and creates it again unless `recreate` is false. */
async function resetDatabase(url: string, recreate = true): Promise<void> {
  const admin = new URL(url);
  const name = decodeURIComponent(admin.pathname.slice(1));
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    if (recreate) {
      await client.query(`CREATE DATABASE "${name}"`);
    }
  } finally {
    await client.end();
  }
}

interface RunningApp {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
}

/** Starts the compiled application and waits for the address it prints. */
function startApp(appDir: string): Promise<RunningApp> {
  const child = spawn(process.execPath, ['dist/main.js'], {
    cwd: appDir,
    env: childEnv({
      DATABASE_URL: APP_DATABASE_URL,
      KEYCLOAK_URL,
      KEYCLOAK_REALM: REALM,
      KEYCLOAK_CLIENT_ID: 'album-api',
      KEYCLOAK_CLIENT_SECRET: ALBUM_API_SECRET,
      KEYCLOAK_CLIENT_UUID: ALBUM_API_UUID,
      UMA_DEPLOYMENT: `packages-e2e-${new URL(APP_DATABASE_URL).pathname.slice(1)}`,
      PORT: '0',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      LOG_FILE: '',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the scratch app did not start in time:\n${output.slice(-6_000)}`));
    }, START_TIMEOUT_MS);
    const collect = (chunk: string) => {
      output += chunk;
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url !== undefined) {
        clearTimeout(timer);
        resolve({ url, child, output: () => output });
      }
    };
    child.stdout?.setEncoding('utf8').on('data', collect);
    child.stderr?.setEncoding('utf8').on('data', collect);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the scratch app exited (${String(code)}):\n${output.slice(-6_000)}`));
    });
  });
}

async function stopApp(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Every `.js` and `.d.ts` file under `dir`. */
function moduleFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(js|d\.ts)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name));
}

describe('the packages in a Nest 12 application outside the monorepo', () => {
  let workDir: string;
  let appDir: string;
  let packed: PackResult[];
  let app: RunningApp | undefined;
  let alice: string;
  let jdoe: string;
  let noteId: string;
  let resourceId: string | undefined;
  const keycloak = new ProtectionApi();

  const call = (
    path: string,
    token: string,
    init: { method?: string; json?: unknown } = {},
  ): Promise<Response> =>
    fetch(`${app?.url ?? ''}${path}`, {
      method: init.method ?? 'GET',
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.json === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(init.json === undefined ? {} : { body: JSON.stringify(init.json) }),
    });

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'photoz-packages-'));
    appDir = join(workDir, 'app');
    packed = await timed('build and pack', () => packPackages(join(workDir, 'tarballs')));
    mkdirSync(join(appDir, 'src'), { recursive: true });
    writeFileSync(
      join(appDir, 'package.json'),
      scratchPackageJson(Object.fromEntries(packed.map((pkg) => [pkg.name, pkg.tarball]))),
    );
    writeFileSync(join(appDir, 'tsconfig.json'), SCRATCH_TSCONFIG);
    for (const [path, text] of Object.entries(SCRATCH_SOURCES)) {
      mkdirSync(dirname(join(appDir, path)), { recursive: true });
      writeFileSync(join(appDir, path), text);
    }
    await Promise.all([
      step(
        'npm install',
        'npm',
        [
          'install',
          '--cache',
          NPM_CACHE,
          '--prefer-offline',
          '--ignore-scripts',
          '--no-audit',
          '--no-fund',
          '--loglevel=error',
        ],
        appDir,
      ),
      timed('database', () => resetDatabase(APP_DATABASE_URL)),
    ]);
    await step(
      'tsc',
      process.execPath,
      [join(appDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
      appDir,
    );
    [app, [alice, jdoe]] = await Promise.all([
      timed('start', () => startApp(appDir)),
      accessTokens('alice', 'jdoe') as Promise<[string, string]>,
    ]);
    console.log(
      `packages e2e set-up: ${Object.entries(timings)
        .map(([name, ms]) => `${name} ${(ms / 1000).toFixed(1)} s`)
        .join(', ')}`,
    );
  }, 240_000);

  afterAll(async () => {
    if (app !== undefined) {
      await stopApp(app.child);
    }
    if (resourceId !== undefined) {
      await keycloak.deleteResource(resourceId);
    }
    await resetDatabase(APP_DATABASE_URL, false);
    if (workDir === undefined) {
      return;
    }
    if (process.env['PHOTOZ_KEEP_SCRATCH_APP'] === undefined) {
      rmSync(workDir, { recursive: true, force: true });
    } else {
      console.log(`the scratch application stays in ${workDir}`);
    }
  });

  it('installs one copy of each package that several of them share', () => {
    const fromApp = createRequire(join(appDir, 'package.json'));
    for (const dependent of ['@photoz/nest-uma', '@photoz/nest-uma-resources']) {
      const fromDependent = createRequire(fromApp.resolve(dependent));
      for (const shared of ['@photoz/keycloak', '@photoz/nest-common', '@nestjs/common']) {
        expect(fromDependent.resolve(shared), `${shared} as ${dependent} sees it`).toBe(
          fromApp.resolve(shared),
        );
      }
    }
    expect(
      createRequire(fromApp.resolve('@photoz/nest-uma-resources')).resolve('@photoz/nest-uma'),
    ).toBe(fromApp.resolve('@photoz/nest-uma'));
  });

  it('loads every package (and the grant record) by import and by require, with the same exports', async () => {
    const names = [...packed.map((pkg) => pkg.name), '@photoz/nest-uma/grant-record'];
    const script = `
      const names = ${JSON.stringify(names)};
      const loaded = {};
      for (const name of names) {
        const viaImport = Object.keys(await import(name)).sort();
        const viaRequire = Object.keys(require(name)).sort();
        loaded[name] = { viaImport: viaImport.length, same: viaImport.join() === viaRequire.join() };
      }
      console.log(JSON.stringify(loaded));`;
    const output = await new Promise<string>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        ['--input-type=commonjs', '-e', `(async () => {${script}})()`],
        { cwd: appDir, env: childEnv({ LOG_LEVEL: 'silent' }), stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let text = '';
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(text))));
    });
    const loaded = JSON.parse(output) as Record<string, { viaImport: number; same: boolean }>;
    expect(Object.keys(loaded).sort()).toEqual([...names].sort());
    expect(Object.entries(loaded).filter(([, load]) => !load.same || load.viaImport < 3)).toEqual(
      [],
    );
  });

  it('ships no monorepo specifier in any installed file', () => {
    const installed = packed.flatMap((pkg) =>
      moduleFiles(join(appDir, 'node_modules', ...pkg.name.split('/'), 'dist')),
    );
    expect(installed.length).toBeGreaterThan(50);
    const leaks = installed.filter((file) =>
      /(?:from\s*|import\s*\(\s*)['"]@app\//.test(readFileSync(file, 'utf8')),
    );
    expect(leaks).toEqual([]);
  });

  it("answers the owner once the note's resource is registered", async () => {
    const created = await call('/notes', alice, {
      method: 'POST',
      json: { title: 'from the packages' },
    });
    expect(created.status).toBe(201);
    noteId = ((await created.json()) as { id: string }).id;
    const deadline = Date.now() + 20_000;
    let body: { resourceId: string | null; via: string; ownerId: string } | undefined;
    while (Date.now() < deadline) {
      const read = await call(`/notes/${noteId}`, alice);
      expect(read.status).toBe(200);
      body = (await read.json()) as typeof body;
      if (body?.resourceId !== null) {
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    resourceId = body?.resourceId ?? undefined;
    expect(resourceId, 'the relay registered the note at Keycloak').toBeDefined();
    expect(body).toMatchObject({ via: 'access-token', ownerId: decodeJwt(alice).payload['sub'] });
    const registered = await keycloak.resource(resourceId ?? '');
    expect(registered).toMatchObject({
      name: `scratch-note-${noteId}`,
      type: 'urn:scratch:note',
      owner: { id: decodeJwt(alice).payload['sub'] },
      ownerManagedAccess: true,
    });
  });

  it('challenges a stranger with a UMA permission ticket', async () => {
    const response = await call(`/notes/${noteId}`, jdoe);
    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const challenge = parseUmaChallenge(response.headers.get('www-authenticate'));
    expect(challenge).toMatchObject({ realm: REALM, asUri: ISSUER });
    const body = (await response.json()) as { ticket: string; type: string; scopes: string[] };
    expect(body).toMatchObject({
      type: 'urn:photoz:problem:uma-ticket',
      ticket: challenge.ticket,
      scopes: ['album:view'],
    });
    expect(decodeJwt(challenge.ticket).payload['permissions']).toEqual([
      { rsid: resourceId, scopes: ['album:view'] },
    ]);
  });

  it('honours an RPT once the owner has shared the note, through @photoz/uma-client too', async () => {
    const { UmaClient } = (await import(
      pathToFileURL(createRequire(join(appDir, 'package.json')).resolve('@photoz/uma-client')).href
    )) as UmaClientModule;
    const client = new UmaClient({
      issuer: ISSUER,
      baseUrl: app?.url ?? '',
      person: { accessToken: () => Promise.resolve(jdoe) },
      requestAccess: false,
    });
    expect((await client.get(`/notes/${noteId}`)).kind).toBe('no-access');

    expect((await call(`/notes/${noteId}/shares/jdoe`, alice, { method: 'PUT' })).status).toBe(204);

    const viaClient = await client.get<{ id: string; via: string }>(`/notes/${noteId}`);
    expect(viaClient).toMatchObject({ kind: 'ok', status: 200, body: { id: noteId, via: 'rpt' } });

    const challenged = await call(`/notes/${noteId}`, jdoe);
    const { ticket } = parseUmaChallenge(challenged.headers.get('www-authenticate'));
    const exchange = await exchangeTicket(ticket, { bearer: jdoe });
    expect(exchange.status).toBe(200);
    const rpt = exchange.body.access_token ?? '';
    const withRpt = await call(`/notes/${noteId}`, rpt);
    expect(withRpt.status).toBe(200);
    expect(await withRpt.json()).toMatchObject({ id: noteId, via: 'rpt' });

    // The grant record decides, not the RPT alone: once the owner takes the share back, the same
    // RPT is challenged again.
    expect((await call(`/notes/${noteId}/shares/jdoe`, alice, { method: 'DELETE' })).status).toBe(
      204,
    );
    const revoked = await call(`/notes/${noteId}`, rpt);
    expect(revoked.status).toBe(401);
    expect(parseUmaChallenge(revoked.headers.get('www-authenticate')).asUri).toBe(ISSUER);
  });
});
