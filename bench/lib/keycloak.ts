import { join } from 'node:path';
import {
  ensureDistribution,
  keycloakEndpoint,
  realmIsServed,
  ROOT,
  startKeycloak,
  stopProcess,
  TEST_KEYCLOAK_STATE_DIR,
  waitForKeycloak,
} from '../../scripts/lib/keycloak.ts';

/** The Keycloak at KEYCLOAK_URL when it serves the dev realm, else an in-memory one started here. */
export async function ensureKeycloak(
  say: (line: string) => void,
): Promise<{ url: string; started: boolean; stop(): Promise<void> }> {
  const endpoint = keycloakEndpoint();
  if (await realmIsServed(endpoint)) {
    say(`using the Keycloak at ${endpoint.url}`);
    return { url: endpoint.url, started: false, stop: () => Promise.resolve() };
  }
  const logFile = join(ROOT, '.photoz', 'logs', 'keycloak-bench.log');
  say(`starting an in-memory Keycloak at ${endpoint.url} (log: ${logFile}) ...`);
  const child = startKeycloak(ensureDistribution('memory'), {
    endpoint,
    storage: 'memory',
    stateDir: TEST_KEYCLOAK_STATE_DIR,
    logFile,
  });
  await waitForKeycloak(endpoint, child);
  return { url: endpoint.url, started: true, stop: () => stopProcess(child) };
}
