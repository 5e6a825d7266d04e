/**
 * `npm run keycloak`: only Keycloak, as `npm start` runs it — the pinned distribution (fetched and
 * cached on first use), the dev realms, state in `.photoz/keycloak` — until Ctrl-C/SIGTERM.
 * For running the services yourself (for example from an IDE) against a local Keycloak.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import {
  DEV_ADMIN,
  reportFailure,
  ROOT,
  keycloakEndpoint,
  realmIsServed,
  startDevKeycloak,
  stopProcess,
  waitForKeycloak,
} from './lib/keycloak.ts';
import { stopOnSignals } from './lib/signals.ts';

let keycloak: ChildProcess | undefined;
let stopping = false;

function say(line: string): void {
  console.log(`[keycloak] ${line}`);
}

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    if (keycloak !== undefined) {
      say('stopping ...');
      await stopProcess(keycloak);
      say('stopped');
    }
  }
  process.exit(code);
}

async function main(): Promise<void> {
  stopOnSignals(() => void stop(0));
  const endpoint = keycloakEndpoint();
  if (await realmIsServed(endpoint)) {
    throw new Error(
      `a Keycloak already serves the photoz realm at ${endpoint.url}; stop it first, or set KEYCLOAK_URL (and KEYCLOAK_MANAGEMENT_PORT) to other ports`,
    );
  }
  const started = startDevKeycloak(endpoint, join(ROOT, '.photoz', 'logs', 'keycloak.log'), say);
  keycloak = started;
  started.once('exit', (code, signal) => {
    if (!stopping) {
      console.error(
        `[keycloak] Keycloak exited unexpectedly (${signal ?? `code ${code}`}); see .photoz/logs/keycloak.log`,
      );
      void stop(1);
    }
  });
  await waitForKeycloak(endpoint, started);
  console.log(`
Keycloak is up (log: .photoz/logs/keycloak.log). Ctrl-C stops it.

  Keycloak   ${endpoint.url}   (admin console: ${DEV_ADMIN.username} / ${DEV_ADMIN.password}, dev-only)
  realm      ${endpoint.url}/realms/photoz
  health     ${endpoint.managementUrl}/health/ready
`);
}

main().catch(async (error: unknown) => {
  reportFailure('keycloak', error);
  await stop(1);
});
