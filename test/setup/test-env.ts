import {
  ALBUM_API_SECRET,
  ALBUM_API_UUID,
  KEYCLOAK_URL,
  REALM,
} from '../../scripts/dev-realm/realm.ts';

/** The end-to-end suites' database: its name must end in `_test` (the global setup checks). */
export const TEST_DATABASE_URL =
  process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/photoz_test';

/** The environment a service under test reads its configuration from. */
export function serviceEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: TEST_DATABASE_URL,
    KEYCLOAK_URL,
    KEYCLOAK_REALM: REALM,
    KEYCLOAK_CLIENT_SECRET: ALBUM_API_SECRET,
    KEYCLOAK_CLIENT_UUID: ALBUM_API_UUID,
    PORT: '0',
    ...overrides,
  };
}
