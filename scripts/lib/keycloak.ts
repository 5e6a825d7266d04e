/**
 * The pinned Keycloak: its distribution (fetched from Maven Central and cached), how it is started
 * in dev mode with the dev realms, and how to tell that it serves the realm.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { DEFAULT_KEYCLOAK_URL } from '../../libs/common/src/config/service-config.ts';
import { DEV_ADMIN, REALM, REALM_FILES } from '../dev-realm/realm.ts';
import { cacheDir, LOG_DIR, ROOT, stateDir } from './paths.ts';
import { checkJava, checkMaven } from './prerequisites.ts';
import { stopProcess } from './processes.ts';

/** The pinned Keycloak version, read from docker/.env (the one place it is set). */
export function keycloakVersion(): string {
  const match = /^KEYCLOAK_VERSION=(\S+)$/m.exec(readFileSync(join(ROOT, 'docker/.env'), 'utf8'));
  if (match?.[1] === undefined) {
    throw new Error('docker/.env does not set KEYCLOAK_VERSION');
  }
  return match[1];
}

/**
 * The unpacked distribution of the pinned version; fetched from Maven Central with `mvn` on first
 * use. Dev mode rebuilds a distribution in place when started with another storage than last time,
 * so the in-memory Keycloak of the tests and the file-backed one of `npm start` each have their own
 * copy: they can run at once, and neither rebuilds at every switch.
 */
export function ensureDistribution(
  storage: 'memory' | 'file',
  log: (line: string) => void = console.log,
): string {
  const version = keycloakVersion();
  const home = join(cacheDir(), 'keycloak', storage === 'memory' ? `${version}-memory` : version);
  if (existsSync(join(home, 'bin', 'kc.sh'))) {
    return home;
  }
  checkMaven();
  const downloads = join(cacheDir(), 'keycloak', 'downloads');
  const archive = join(downloads, `keycloak-quarkus-dist-${version}.tar.gz`);
  mkdirSync(downloads, { recursive: true });
  if (!existsSync(archive)) {
    log(`Fetching Keycloak ${version} from Maven Central ...`);
    const fetched = spawnSync(
      'mvn',
      [
        '-B',
        '-q',
        'dependency:copy',
        `-Dartifact=org.keycloak:keycloak-quarkus-dist:${version}:tar.gz`,
        `-DoutputDirectory=${downloads}`,
      ],
      { stdio: 'inherit' },
    );
    if (fetched.status !== 0 || !existsSync(archive)) {
      throw new Error(`mvn could not fetch org.keycloak:keycloak-quarkus-dist:${version}:tar.gz`);
    }
  }
  const staging = mkdtempSync(join(cacheDir(), 'keycloak', `.unpack-${version}-`));
  const unpacked = spawnSync('tar', ['-xzf', archive, '-C', staging, '--strip-components=1'], {
    stdio: 'inherit',
  });
  if (unpacked.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`Could not unpack ${archive}`);
  }
  try {
    renameSync(staging, home);
  } catch (error) {
    // Another process unpacked it first.
    rmSync(staging, { recursive: true, force: true });
    if (!existsSync(join(home, 'bin', 'kc.sh'))) {
      throw error;
    }
  }
  return home;
}

export interface KeycloakEndpoint {
  readonly url: string;
  readonly managementUrl: string;
}

export function keycloakEndpoint(
  url = process.env['KEYCLOAK_URL'] ?? DEFAULT_KEYCLOAK_URL,
): KeycloakEndpoint {
  const parsed = new URL(url);
  const managementPort = process.env['KEYCLOAK_MANAGEMENT_PORT'] ?? '9000';
  return {
    url: url.replace(/\/+$/, ''),
    managementUrl: `${parsed.protocol}//${parsed.hostname}:${managementPort}`,
  };
}

/** Whether a Keycloak serving the photoz realm answers at `url`. */
export async function realmIsServed(endpoint: KeycloakEndpoint, realm = REALM): Promise<boolean> {
  try {
    const response = await fetch(
      `${endpoint.url}/realms/${realm}/.well-known/openid-configuration`,
      {
        signal: AbortSignal.timeout(2_000),
      },
    );
    return response.ok;
  } catch {
    return false;
  }
}

export interface StartOptions {
  readonly endpoint: KeycloakEndpoint;
  /** `memory`: a fresh realm each start (tests); `file`: state kept in `stateDir` (the dev stack). */
  readonly storage: 'memory' | 'file';
  readonly stateDir: string;
  readonly logFile: string;
}

/**
 * Starts Keycloak in dev mode, bound to loopback, with the dev realms imported and health enabled.
 * Tokens carry the issuer of `endpoint.url` however Keycloak is reached.
 */
export function startKeycloak(home: string, options: StartOptions): ChildProcess {
  checkJava();
  const importDir = join(home, 'data', 'import');
  mkdirSync(importDir, { recursive: true });
  for (const file of REALM_FILES) {
    copyFileSync(file, join(importDir, file.split('/').at(-1) ?? 'realm.json'));
  }
  mkdirSync(options.stateDir, { recursive: true });
  mkdirSync(dirname(options.logFile), { recursive: true });
  const url = new URL(options.endpoint.url);
  const management = new URL(options.endpoint.managementUrl);
  const args = [
    'start-dev',
    `--http-port=${url.port || '80'}`,
    '--http-host=127.0.0.1',
    `--hostname=${options.endpoint.url}`,
    // Back-channel endpoints in discovery follow the address the service used (as in docker compose).
    '--hostname-backchannel-dynamic=true',
    '--health-enabled=true',
    `--http-management-port=${management.port}`,
    '--import-realm',
    ...(options.storage === 'memory'
      ? ['--db=dev-mem']
      : [
          '--db=dev-file',
          `--db-url=jdbc:h2:file:${join(options.stateDir, 'keycloakdb')};NON_KEYWORDS=VALUE`,
        ]),
  ];
  const log = openSync(options.logFile, 'a');
  return spawn(join(home, 'bin', 'kc.sh'), args, {
    env: {
      ...process.env,
      KC_BOOTSTRAP_ADMIN_USERNAME: DEV_ADMIN.username,
      KC_BOOTSTRAP_ADMIN_PASSWORD: DEV_ADMIN.password,
      JAVA_OPTS_KC_HEAP: '-XX:MaxRAMPercentage=25 -XX:InitialRAMPercentage=5',
    },
    stdio: ['ignore', log, log],
    detached: true,
  });
}

/** Where the dev Keycloak keeps its state (`npm start`, `npm run keycloak`); delete it to re-import the realm. */
export const DEV_KEYCLOAK_STATE_DIR = join(stateDir(), 'keycloak');

/** The in-memory Keycloak of the tests and the bench (nothing is written there). */
export const TEST_KEYCLOAK_STATE_DIR = join(stateDir(), 'keycloak-test');

/** Where the dev Keycloak kept its state before it moved out of the work tree. */
const FORMER_DEV_KEYCLOAK_STATE_DIR = join(ROOT, '.photoz', 'keycloak');

/**
 * Starts the pinned Keycloak for local development (`npm start`, `npm run keycloak`): fetches the
 * distribution when missing, imports the dev realms, keeps its state in `DEV_KEYCLOAK_STATE_DIR`
 * and logs to `logFile`. Returns at once; wait with `waitForKeycloak`.
 */
export function startDevKeycloak(
  endpoint: KeycloakEndpoint,
  logFile: string,
  log: (line: string) => void = console.log,
): ChildProcess {
  const home = ensureDistribution('file', log);
  if (existsSync(FORMER_DEV_KEYCLOAK_STATE_DIR)) {
    log(
      `${relative(ROOT, FORMER_DEV_KEYCLOAK_STATE_DIR)} is no longer used (the state is in ${DEV_KEYCLOAK_STATE_DIR}): delete it, it holds the realm's signing keys`,
    );
  }
  log(
    `starting Keycloak ${keycloakVersion()} at ${endpoint.url} (log: ${relative(ROOT, logFile)}) ...`,
  );
  return startKeycloak(home, {
    endpoint,
    storage: 'file',
    stateDir: DEV_KEYCLOAK_STATE_DIR,
    logFile,
  });
}

/** Waits until Keycloak reports ready and serves the realm, or the process exits, or time runs out. */
export async function waitForKeycloak(
  endpoint: KeycloakEndpoint,
  child: ChildProcess | undefined,
  timeoutMs = 240_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child !== undefined && child.exitCode !== null) {
      throw new Error(`Keycloak exited with code ${child.exitCode} while starting`);
    }
    try {
      const health = await fetch(`${endpoint.managementUrl}/health/ready`, {
        signal: AbortSignal.timeout(2_000),
      });
      if (health.ok && (await realmIsServed(endpoint))) {
        return;
      }
    } catch {
      // Not up yet.
    }
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 1_000));
  }
  throw new Error(`Keycloak did not become ready at ${endpoint.url} within ${timeoutMs / 1000} s`);
}

/**
 * The Keycloak of the tests and the benchmark: the one at `endpoint` when it serves the dev realm,
 * else an in-memory one started here (a fresh realm, logging to `.photoz/logs/<logName>`), which
 * `stop` stops again.
 */
export async function ensureTestKeycloak(
  endpoint: KeycloakEndpoint,
  logName: string,
  say: (line: string) => void = console.log,
): Promise<{ readonly started: boolean; readonly stop: () => Promise<void> }> {
  if (await realmIsServed(endpoint)) {
    return { started: false, stop: () => Promise.resolve() };
  }
  const logFile = join(LOG_DIR, logName);
  const home = ensureDistribution('memory', say);
  say(`starting an in-memory Keycloak at ${endpoint.url} (log: ${relative(ROOT, logFile)}) ...`);
  const child = startKeycloak(home, {
    endpoint,
    storage: 'memory',
    stateDir: TEST_KEYCLOAK_STATE_DIR,
    logFile,
  });
  try {
    await waitForKeycloak(endpoint, child);
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  return { started: true, stop: () => stopProcess(child) };
}
