import { DEV_ADDRESSES } from './addresses.ts';

/** Where the app finds Keycloak and the two services (Vite env, with the dev stack's defaults). */
function trimmed(value: string | undefined, fallback: string): string {
  return (value === undefined || value === '' ? fallback : value).replace(/\/+$/, '');
}

export const config = {
  albumApi: trimmed(
    import.meta.env['VITE_ALBUM_API'] as string | undefined,
    DEV_ADDRESSES.albumApi,
  ),
  permissionApi: trimmed(
    import.meta.env['VITE_PERMISSION_API'] as string | undefined,
    DEV_ADDRESSES.permissionApi,
  ),
  keycloakUrl: trimmed(
    import.meta.env['VITE_KEYCLOAK_URL'] as string | undefined,
    DEV_ADDRESSES.keycloakUrl,
  ),
  realm: trimmed(import.meta.env['VITE_KEYCLOAK_REALM'] as string | undefined, 'photoz'),
  clientId: 'photoz-web',
};

/**
 * The realm's issuer: the authority the app logs in with, and the one authorization server its
 * UMA client trusts (it answers no challenge naming another).
 */
export const issuer = `${config.keycloakUrl}/realms/${config.realm}`;
