/**
 * The dev realm (docker/keycloak/photoz-realm.json) as the local stack, the tests and the benchmark
 * reach it. Its users, secrets and administrator are dev-only (docker/keycloak/README.md); the
 * environment overrides each.
 */
import { join } from 'node:path';
import { DEFAULT_KEYCLOAK_URL } from '../../libs/common/src/config/service-config.ts';
import { ROOT } from '../lib/paths.ts';

/** The realm exports Keycloak imports at start. */
export const REALM_FILES = ['photoz-realm.json', 'other-realm.json'].map((name) =>
  join(ROOT, 'docker/keycloak', name),
);

export const REALM = 'photoz';
export const KEYCLOAK_URL = (process.env['KEYCLOAK_URL'] ?? DEFAULT_KEYCLOAK_URL).replace(
  /\/+$/,
  '',
);
export const ISSUER = `${KEYCLOAK_URL}/realms/${REALM}`;

/** The album-api resource server's secret. */
export const ALBUM_API_SECRET = process.env['KEYCLOAK_CLIENT_SECRET'] ?? 'album-api-dev-secret';
/** The album-api client's internal id, which the dev realm export fixes. */
export const ALBUM_API_UUID =
  process.env['KEYCLOAK_CLIENT_UUID'] ?? '2b1f7c3e-5a9d-4c1e-8f0a-a1b0a9e00001';

/** Partner clients: one with the album-api audience, one without. */
export const PARTNER_PRINTSHOP_SECRET =
  process.env['PARTNER_PRINTSHOP_SECRET'] ?? 'partner-printshop-dev-secret';
export const PARTNER_NOAUDIENCE_SECRET =
  process.env['PARTNER_NOAUDIENCE_SECRET'] ?? 'partner-noaudience-dev-secret';

/** The bootstrap administrator of the local Keycloak (master realm). */
export const DEV_ADMIN = { username: 'admin', password: 'admin' } as const;
