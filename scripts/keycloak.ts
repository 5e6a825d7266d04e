/**
 * `npm run keycloak`: only Keycloak, as `npm start` runs it — the pinned distribution (fetched and
 * cached on first use), the dev realms, state outside the work tree (`DEV_KEYCLOAK_STATE_DIR`) —
 * until Ctrl-C/SIGTERM.
 * For running the services yourself (for example from an IDE) against a local Keycloak.
 */
import { join } from 'node:path';
import { DEV_ADMIN, REALM } from './dev-realm/realm.ts';
import {
  DEV_KEYCLOAK_STATE_DIR,
  keycloakEndpoint,
  realmIsServed,
  startDevKeycloak,
  waitForKeycloak,
} from './lib/keycloak.ts';
import { LOG_DIR } from './lib/paths.ts';
import { Supervisor } from './lib/supervisor.ts';

const supervisor = new Supervisor('keycloak');

async function main(): Promise<void> {
  const endpoint = keycloakEndpoint();
  if (await realmIsServed(endpoint)) {
    throw new Error(
      `a Keycloak already serves the photoz realm at ${endpoint.url}; stop it first, or set KEYCLOAK_URL (and KEYCLOAK_MANAGEMENT_PORT) to other ports`,
    );
  }
  const keycloak = startDevKeycloak(endpoint, join(LOG_DIR, 'keycloak.log'), supervisor.say);
  supervisor.watch('Keycloak', keycloak, 'see .photoz/logs/keycloak.log');
  await waitForKeycloak(endpoint, keycloak);
  console.log(`
Keycloak is up (log: .photoz/logs/keycloak.log). Ctrl-C stops it.

  Keycloak   ${endpoint.url}   (admin console: ${DEV_ADMIN.username} / ${DEV_ADMIN.password}, dev-only)
  realm      ${endpoint.url}/realms/${REALM}
  health     ${endpoint.managementUrl}/health/ready
  state      ${DEV_KEYCLOAK_STATE_DIR}   (delete it to re-import the realm)
`);
}

supervisor.run(main);
