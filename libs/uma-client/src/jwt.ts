/** Decodes base64url (RFC 4648 §5) to UTF-8 text with `atob`, which browsers and Node both have. */
export function base64UrlDecode(value: string): string {
  const base64 = value.replaceAll('-', '+').replaceAll('_', '/');
  const padded = base64 + '='.repeat((4 - (base64.length % 4)) % 4);
  const binary = atob(padded);
  const bytes = Uint8Array.from(binary, (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

/**
 * The payload of a JWS in compact form, **unverified**: the client only reads what its own
 * authorization server gave it (expiry, permissions) to decide what to send; the API verifies.
 */
export function jwtPayload(token: string): Record<string, unknown> | undefined {
  const part = token.split('.')[1];
  if (part === undefined) {
    return undefined;
  }
  try {
    const payload: unknown = JSON.parse(base64UrlDecode(part));
    return typeof payload === 'object' && payload !== null && !Array.isArray(payload)
      ? (payload as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** One permission of an RPT (`authorization.permissions[]`) or a permission ticket. */
export interface TokenPermission {
  readonly rsid: string;
  readonly scopes: readonly string[];
}

function asPermissions(value: unknown): TokenPermission[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const permissions: TokenPermission[] = [];
  for (const entry of value as unknown[]) {
    if (typeof entry !== 'object' || entry === null) {
      continue;
    }
    const { rsid, scopes } = entry as { rsid?: unknown; scopes?: unknown };
    if (typeof rsid !== 'string') {
      continue;
    }
    permissions.push({
      rsid,
      scopes: Array.isArray(scopes)
        ? (scopes as unknown[]).filter((scope): scope is string => typeof scope === 'string')
        : [],
    });
  }
  return permissions;
}

/** An RPT's `authorization.permissions`. */
export function rptPermissions(payload: Record<string, unknown> | undefined): TokenPermission[] {
  const authorization = payload?.['authorization'];
  if (typeof authorization !== 'object' || authorization === null) {
    return [];
  }
  return asPermissions((authorization as { permissions?: unknown }).permissions);
}

/** A Keycloak permission ticket's `permissions` (which resource and scopes a challenge is for). */
export function ticketPermissions(ticket: string): TokenPermission[] {
  return asPermissions(jwtPayload(ticket)?.['permissions']);
}

/** `exp` in milliseconds since the epoch, if the token has one. */
export function expiresAtMs(payload: Record<string, unknown> | undefined): number | undefined {
  const exp = payload?.['exp'];
  return typeof exp === 'number' ? exp * 1000 : undefined;
}
