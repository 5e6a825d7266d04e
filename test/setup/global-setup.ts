import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertTestDatabase, ensureDatabase } from '../../libs/common/src/database/postgres.ts';
import { migrateAll, resetSchemas } from '../../scripts/lib/database.ts';
import { ensureTestKeycloak, keycloakEndpoint } from '../../scripts/lib/keycloak.ts';
import { LOG_DIR } from '../../scripts/lib/paths.ts';
import { scanLogFile } from '../support/log-scan.ts';
import {
  ALBUM_API_SECRET,
  KEYCLOAK_URL,
  PARTNER_PRINTSHOP_SECRET,
} from '../../scripts/dev-realm/realm.ts';
import { TEST_DATABASE_URL } from './test-env.ts';

/** Where the in-process services of the suites log (test/setup/e2e-env.ts sets LOG_FILE to it). */
const SERVICES_LOG = join(LOG_DIR, 'e2e-services.log');

let stopKeycloak: () => Promise<void> = () => Promise.resolve();

/**
 * Brings up what the end-to-end suites need: the test database (recreated schemas, migrations)
 * and Keycloak with the dev realm — reused when one is already running, else started here.
 */
export async function setup(): Promise<void> {
  // Each run scans only its own lines.
  mkdirSync(dirname(SERVICES_LOG), { recursive: true });
  writeFileSync(SERVICES_LOG, '');
  assertTestDatabase(TEST_DATABASE_URL);
  await ensureDatabase(TEST_DATABASE_URL);
  await resetSchemas(TEST_DATABASE_URL);
  await migrateAll(TEST_DATABASE_URL);

  const keycloak = await ensureTestKeycloak(keycloakEndpoint(KEYCLOAK_URL), 'keycloak-test.log');
  stopKeycloak = keycloak.stop;
}

export async function teardown(): Promise<void> {
  await stopKeycloak();
  // Every line every suite's services wrote is JSON and holds no credential.
  const { lines, problems } = scanLogFile(SERVICES_LOG, [
    ALBUM_API_SECRET,
    PARTNER_PRINTSHOP_SECRET,
  ]);
  if (problems.length > 0) {
    throw new Error(
      `${problems.length} of ${lines} service log lines are not acceptable:\n${problems.slice(0, 20).join('\n')}`,
    );
  }
}
