/**
 * The web app's security headers: the one definition the dev server, `vite preview` and the nginx
 * image (apps/web/nginx-config.ts writes its configuration from it) all send.
 */
import { DEV_ADDRESSES } from './src/addresses.ts';

/** The origins the app talks to: the two services and Keycloak. */
export interface WebOrigins {
  readonly albumApi: string;
  readonly permissionApi: string;
  readonly keycloak: string;
}

/** The origins from the app's `VITE_*` settings, with the dev stack's defaults as the app has them. */
export function webOrigins(env: Readonly<Record<string, string | undefined>>): WebOrigins {
  const origin = (value: string | undefined, fallback: string) =>
    new URL(value === undefined || value === '' ? fallback : value).origin;
  return {
    albumApi: origin(env['VITE_ALBUM_API'], DEV_ADDRESSES.albumApi),
    permissionApi: origin(env['VITE_PERMISSION_API'], DEV_ADDRESSES.permissionApi),
    keycloak: origin(env['VITE_KEYCLOAK_URL'], DEV_ADDRESSES.keycloakUrl),
  };
}

/**
 * The Content-Security-Policy of the app's pages. Scripts and styles come from the app's own
 * origin only; the dev server adds a per-response `nonce` for what it writes inline (the React
 * refresh preamble, the styles of imported CSS). Photos are shown from `blob:` URLs; the app
 * fetches only from the two services and Keycloak (silent renew uses the refresh token, no iframe),
 * and no page of it may be framed.
 */
export function webContentSecurityPolicy(origins: WebOrigins, nonce?: string): string {
  const own = nonce === undefined ? "'self'" : `'self' 'nonce-${nonce}'`;
  const connect = [...new Set([origins.albumApi, origins.permissionApi, origins.keycloak])];
  return [
    "default-src 'none'",
    `script-src ${own}`,
    `style-src ${own}`,
    "img-src 'self' blob:",
    `connect-src 'self' ${connect.join(' ')}`,
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Every header of the app's answers; the dev server sends the policy with a nonce instead. */
export function webSecurityHeaders(origins: WebOrigins): Record<string, string> {
  return {
    'Content-Security-Policy': webContentSecurityPolicy(origins),
    // For browsers without frame-ancestors.
    'X-Frame-Options': 'DENY',
    'X-Content-Type-Options': 'nosniff',
    // Album links name the album: no other site learns them from a Referer.
    'Referrer-Policy': 'no-referrer',
    // No other origin embeds the app's files (a `<script src>` of a module, an image).
    'Cross-Origin-Resource-Policy': 'same-origin',
  };
}
