/**
 * The benchmark's peer: the same album read behind nest-keycloak-connect (a Keycloak permission
 * request on every request; with the module's default `tokenValidation: ONLINE`, a token
 * introspection too; `offline`, the careful user's choice, by default here), a separate Nest 11 + Express
 * app with its own package.json and lockfile in bench/peers/nest-keycloak-connect (see its
 * README.md). `startNkcPeer` installs it (`npm ci`) when its node_modules is missing or older than
 * its lockfile, compiles it when its output is missing or older than its sources, starts it on a
 * free loopback port and returns once it answers. Its output goes to .photoz/logs/bench-nkc.log.
 *
 * The peer routes, once, at start, every album whose Keycloak resource is registered by then:
 * start it after the album is registered. Keycloak grants an owner nothing by itself in the dev
 * realm; `grantOwnerView` gives the owner the granted permission ticket the peer's route needs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  statSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { REALM } from '../../scripts/dev-realm/realm.ts';
import { LOG_DIR, ROOT } from '../../scripts/lib/paths.ts';
import { freePort, waitUntilAnswering } from '../../scripts/lib/processes.ts';
import { type BenchProcess, rssMb } from './processes.ts';

/** The peer's folder: its own package.json, package-lock.json, sources (src) and output (dist). */
export const NKC_PEER_DIR = join(ROOT, 'bench', 'peers', 'nest-keycloak-connect');
/** Where the peer's install, build and run output goes. */
export const NKC_PEER_LOG = join(LOG_DIR, 'bench-nkc.log');

const CLIENT_ID = 'album-api';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

export interface NkcPeerOptions {
  /** The Photoz database the album service writes (its `album_service` schema). */
  readonly databaseUrl: string;
  /** Keycloak's base URL, as the tokens' issuer names it (e.g. http://localhost:8080). */
  readonly keycloakUrl: string;
  /** The album-api client's secret. */
  readonly secret: string;
  /**
   * `offline` (by default here): the token's signature is checked against the realm's keys, as
   * our services check it; `online` (the module's own default): introspected at Keycloak too.
   */
  readonly tokenValidation?: 'online' | 'offline';
  /** Progress lines (installing, building, started); silent by default. */
  readonly log?: (line: string) => void;
}

/** The running peer, like the benchmark's other servers; `stop` waits up to 10 s before SIGKILL. */
export type NkcPeer = BenchProcess;

/** Installs and builds the peer when needed, starts it and waits until it answers. */
export async function startNkcPeer(options: NkcPeerOptions): Promise<NkcPeer> {
  const log = options.log ?? (() => {});
  mkdirSync(LOG_DIR, { recursive: true });
  const logFd = openSync(NKC_PEER_LOG, 'a');
  try {
    if (needsInstall()) {
      log(
        'installing the nest-keycloak-connect peer (npm ci in bench/peers/nest-keycloak-connect) ...',
      );
      await run('npm', ['ci'], logFd);
    }
    if (needsBuild()) {
      log('building the nest-keycloak-connect peer ...');
      await run(
        process.execPath,
        [join(NKC_PEER_DIR, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'],
        logFd,
      );
    }
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const validation = options.tokenValidation ?? 'offline';
    note(logFd, `starting the peer at ${url} (token validation ${validation})`);
    const child = spawn(process.execPath, [join(NKC_PEER_DIR, 'dist', 'main.js')], {
      cwd: NKC_PEER_DIR,
      env: {
        ...withoutNpmVariables(process.env),
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: options.databaseUrl,
        KEYCLOAK_URL: options.keycloakUrl,
        KEYCLOAK_CLIENT_SECRET: options.secret,
        KEYCLOAK_TOKEN_VALIDATION: options.tokenValidation ?? 'offline',
      },
      // The IPC channel only tells the peer when this process is gone: it then exits too.
      stdio: ['ignore', logFd, logFd, 'ipc'],
    });
    // Neither the child nor its channel keeps this process alive.
    child.unref();
    child.channel?.unref();
    const pid = child.pid;
    if (pid === undefined) {
      throw new Error(`could not start the nest-keycloak-connect peer (see ${NKC_PEER_LOG})`);
    }
    const peer: NkcPeer = {
      name: `nest-keycloak-connect (${validation})`,
      url,
      pid,
      child,
      rssMb: () => rssMb(pid),
      // The peer exposes no metrics.
      heapMb: () => Promise.resolve(undefined),
      stop: () => stop(child),
    };
    try {
      await waitUntilAnswering(`${url}/health`, child, {
        name: 'the nest-keycloak-connect peer',
        see: NKC_PEER_LOG,
        timeoutMs: START_TIMEOUT_MS,
      });
    } catch (error) {
      await peer.stop();
      throw error;
    }
    log(
      `nest-keycloak-connect peer at ${url}, token validation ${validation} (pid ${pid}, log: .photoz/logs/bench-nkc.log)`,
    );
    return peer;
  } finally {
    closeSync(logFd);
  }
}

/**
 * Gives the owner of an album's Keycloak resource a granted permission ticket for `album:view` on
 * it, unless one exists: with the dev realm's album-api (ENFORCING, no policies) Keycloak grants a
 * user only what tickets grant, owners included, so without it the owner's requests are refused
 * (403) by the peer. Returns the ticket id.
 */
export async function grantOwnerView(options: {
  readonly keycloakUrl: string;
  readonly secret: string;
  readonly resourceId: string;
}): Promise<string> {
  const realmUrl = `${options.keycloakUrl.replace(/\/+$/, '')}/realms/${REALM}`;
  const tokenResponse = await fetch(`${realmUrl}/protocol/openid-connect/token`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${options.secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: 'client_credentials' }),
  });
  const { access_token: pat } = (await expectOk(tokenResponse, 'the PAT')) as {
    access_token: string;
  };
  const headers = { authorization: `Bearer ${pat}`, 'content-type': 'application/json' };
  const protection = `${realmUrl}/authz/protection`;
  const resource = (await expectOk(
    await fetch(`${protection}/resource_set/${encodeURIComponent(options.resourceId)}`, {
      headers,
    }),
    `resource ${options.resourceId}`,
  )) as { owner: { id: string } | string };
  const ownerId = typeof resource.owner === 'string' ? resource.owner : resource.owner.id;
  const query = new URLSearchParams({
    resourceId: options.resourceId,
    requester: ownerId,
    granted: 'true',
    returnNames: 'true',
  });
  const existing = (await expectOk(
    await fetch(`${protection}/permission/ticket?${query.toString()}`, { headers }),
    'the tickets',
  )) as { id: string; scopeName?: string }[];
  const held = existing.find((ticket) => ticket.scopeName === 'album:view');
  if (held !== undefined) {
    return held.id;
  }
  const created = (await expectOk(
    await fetch(`${protection}/permission/ticket`, {
      method: 'POST',
      headers,
      body: JSON.stringify({
        resource: options.resourceId,
        requester: ownerId,
        scopeName: 'album:view',
        granted: true,
      }),
    }),
    'the ticket',
  )) as { id: string };
  return created.id;
}

async function expectOk(response: Response, what: string): Promise<unknown> {
  if (!response.ok) {
    throw new Error(`Keycloak refused ${what}: ${response.status} ${await response.text()}`);
  }
  return response.json();
}

function modifiedMs(path: string): number {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}

/** node_modules is missing, or older than the lockfile (npm ci writes node_modules/.package-lock.json). */
function needsInstall(): boolean {
  const installed = modifiedMs(join(NKC_PEER_DIR, 'node_modules', '.package-lock.json'));
  return installed === 0 || installed < modifiedMs(join(NKC_PEER_DIR, 'package-lock.json'));
}

/** dist/main.js is missing, or older than a source, the tsconfig or the installed packages. */
function needsBuild(): boolean {
  const built = modifiedMs(join(NKC_PEER_DIR, 'dist', 'main.js'));
  const inputs = [
    join(NKC_PEER_DIR, 'tsconfig.json'),
    join(NKC_PEER_DIR, 'node_modules', '.package-lock.json'),
    ...readdirSync(join(NKC_PEER_DIR, 'src'), { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(NKC_PEER_DIR, 'src', name)),
  ];
  return built === 0 || inputs.some((input) => modifiedMs(input) > built);
}

/**
 * The environment without npm's `npm_*` variables: run from `npm run bench`, they describe the
 * root project, and the peer's npm must read only its own folder's package.json and .npmrc.
 */
function withoutNpmVariables(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(([name]) => !name.toLowerCase().startsWith('npm_')),
  );
}

function note(logFd: number, line: string): void {
  writeSync(logFd, `--- ${new Date().toISOString()} ${line}\n`);
}

/** Runs a command in the peer's folder, its output to the log; rejects unless it exits with 0. */
function run(command: string, args: string[], logFd: number): Promise<void> {
  note(logFd, `${command === process.execPath ? 'node' : command} ${args.join(' ')}`);
  return new Promise((resolveRun, rejectRun) => {
    const child = spawn(command, args, {
      cwd: NKC_PEER_DIR,
      env: withoutNpmVariables(process.env),
      stdio: ['ignore', logFd, logFd],
    });
    child.once('error', rejectRun);
    child.once('exit', (code, signal) => {
      if (code === 0) {
        resolveRun();
      } else {
        rejectRun(
          new Error(
            `${command} ${args.join(' ')} failed in bench/peers/nest-keycloak-connect ` +
              `(${signal ?? `exit code ${code}`}; see ${NKC_PEER_LOG})`,
          ),
        );
      }
    });
  });
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stop(child: ChildProcess): Promise<void> {
  if (exited(child)) {
    return;
  }
  const gone = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  await gone;
  clearTimeout(timer);
}
