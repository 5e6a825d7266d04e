import { DEV_ALBUM_API_UUID } from '../../scripts/lib/keycloak.ts';

/**
 * Environment of the end-to-end suites. The secrets below are the dev realm's demo secrets
 * (docker/keycloak/README.md): dev-only, overridable from the environment.
 */
export const TEST_DATABASE_URL =
  process.env['TEST_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/photoz_test';
export const KEYCLOAK_URL = (process.env['KEYCLOAK_URL'] ?? 'http://localhost:8080').replace(
  /\/+$/,
  '',
);
export const REALM = 'photoz';
export const ISSUER = `${KEYCLOAK_URL}/realms/${REALM}`;
export const ALBUM_API_SECRET = process.env['KEYCLOAK_CLIENT_SECRET'] ?? 'album-api-dev-secret';
/** The album-api client's internal id in the dev realm export. */
export const ALBUM_API_UUID = process.env['KEYCLOAK_CLIENT_UUID'] ?? DEV_ALBUM_API_UUID;
export const PARTNER_PRINTSHOP_SECRET =
  process.env['PARTNER_PRINTSHOP_SECRET'] ?? 'partner-printshop-dev-secret';
export const PARTNER_NOAUDIENCE_SECRET =
  process.env['PARTNER_NOAUDIENCE_SECRET'] ?? 'partner-noaudience-dev-secret';

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
