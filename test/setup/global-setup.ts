import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { assertTestDatabase, ensureDatabase } from '../../libs/common/src/database/postgres.ts';
import {
  ROOT,
  ensureDistribution,
  keycloakEndpoint,
  realmIsServed,
  startKeycloak,
  stopProcess,
  waitForKeycloak,
} from '../../scripts/lib/keycloak.ts';
import { migrateAll, resetSchemas } from '../../scripts/lib/database.ts';
import { KEYCLOAK_URL, TEST_DATABASE_URL } from './test-env.ts';

let keycloak: ChildProcess | undefined;

/**
 * Brings up what the end-to-end suites need: the test database (recreated schemas, migrations)
 * and Keycloak with the dev realm — reused when one is already running, else started here.
 */
export async function setup(): Promise<void> {
  assertTestDatabase(TEST_DATABASE_URL);
  await ensureDatabase(TEST_DATABASE_URL);
  await resetSchemas(TEST_DATABASE_URL);
  await migrateAll(TEST_DATABASE_URL);

  const endpoint = keycloakEndpoint(KEYCLOAK_URL);
  if (!(await realmIsServed(endpoint))) {
    const home = ensureDistribution('memory');
    const logFile = join(ROOT, '.photoz', 'logs', 'keycloak-test.log');
    console.log(`Starting Keycloak for the tests (log: ${logFile}) ...`);
    keycloak = startKeycloak(home, {
      endpoint,
      storage: 'memory',
      stateDir: join(ROOT, '.photoz', 'keycloak-test'),
      logFile,
    });
    await waitForKeycloak(endpoint, keycloak);
  }
}

export async function teardown(): Promise<void> {
  if (keycloak !== undefined) {
    await stopProcess(keycloak);
  }
}
