import type { JwtPayload } from 'jsonwebtoken';

/** One entry of an RPT's `authorization.permissions`. */
export interface RptPermission {
  readonly resourceId: string;
  readonly resourceName: string | undefined;
  readonly scopes: readonly string[];
}

/** Who is calling, as proven by a validated access token. */
export interface Principal {
  /** `sub`: the user id (for a partner, its service-account user id). */
  readonly subject: string;
  /** `preferred_username`. */
  readonly username: string;
  /** `azp`: the client the token was issued to. */
  readonly clientId: string;
  /** A partner application calling with its own service account (client credentials). */
  readonly partner: boolean;
  readonly realmRoles: readonly string[];
  /** The RPT's permissions; `undefined` when the token is not an RPT. */
  readonly permissions: readonly RptPermission[] | undefined;
  /** `iat`, in seconds. */
  readonly issuedAt: number;
  /** `exp`, in seconds. */
  readonly expiresAt: number;
  /** `sid`: the Keycloak session the token was issued in (none for a client-credentials token). */
  readonly sessionId?: string;
}

/** Keycloak names a client's service-account user `service-account-<client id>`. */
export const SERVICE_ACCOUNT_PREFIX = 'service-account-';

function stringArray(value: unknown): string[] {
  return Array.isArray(value)
    ? value.filter((item): item is string => typeof item === 'string')
    : [];
}

function permissionsOf(claims: JwtPayload): RptPermission[] | undefined {
  const authorization: unknown = claims['authorization'];
  if (typeof authorization !== 'object' || authorization === null) {
    return undefined;
  }
  const permissions = (authorization as { permissions?: unknown }).permissions;
  if (!Array.isArray(permissions)) {
    return [];
  }
  return permissions.flatMap((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) {
      return [];
    }
    const { rsid, rsname, scopes } = entry as {
      rsid?: unknown;
      rsname?: unknown;
      scopes?: unknown;
    };
    return typeof rsid === 'string'
      ? [
          {
            resourceId: rsid,
            resourceName: typeof rsname === 'string' ? rsname : undefined,
            scopes: stringArray(scopes),
          },
        ]
      : [];
  });
}

/** Builds the principal from a token's verified claims. */
export function principalFromClaims(claims: JwtPayload): Principal {
  const username =
    typeof claims['preferred_username'] === 'string' ? claims['preferred_username'] : '';
  const clientId = typeof claims['azp'] === 'string' ? claims['azp'] : '';
  const realmAccess = claims['realm_access'] as { roles?: unknown } | undefined;
  return {
    subject: claims.sub ?? '',
    username,
    clientId,
    partner: username === `${SERVICE_ACCOUNT_PREFIX}${clientId}`,
    realmRoles: stringArray(realmAccess?.roles),
    permissions: permissionsOf(claims),
    issuedAt: claims.iat ?? 0,
    expiresAt: claims.exp ?? 0,
    ...(typeof claims['sid'] === 'string' && claims['sid'] !== ''
      ? { sessionId: claims['sid'] }
      : {}),
  };
}
