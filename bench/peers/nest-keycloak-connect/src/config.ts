/** The peer's configuration, from the same variables as the Photoz services. */
export interface PeerConfig {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly keycloakUrl: string;
  readonly secret: string;
  /**
   * How AuthGuard validates the access token: `offline` checks its signature, issuer and expiry
   * against the realm's published keys (fetched once, then cached), as our services do; `online`
   * (the module's default) also introspects it at Keycloak on every request.
   */
  readonly tokenValidation: 'online' | 'offline';
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): PeerConfig {
  const secret = env['KEYCLOAK_CLIENT_SECRET'];
  if (secret === undefined || secret === '') {
    throw new Error('KEYCLOAK_CLIENT_SECRET is required (the album-api client secret)');
  }
  const port = Number(env['PORT'] ?? 3010);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`PORT must be a port number, not ${env['PORT']}`);
  }
  const tokenValidation = env['KEYCLOAK_TOKEN_VALIDATION'] ?? 'offline';
  if (tokenValidation !== 'online' && tokenValidation !== 'offline') {
    throw new Error(`KEYCLOAK_TOKEN_VALIDATION must be online or offline, not ${tokenValidation}`);
  }
  return {
    port,
    host: env['HOST'] ?? '127.0.0.1',
    databaseUrl: env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/photoz',
    // keycloak-connect compares the token's `iss` with `${authServerUrl}/realms/photoz`.
    keycloakUrl: (env['KEYCLOAK_URL'] ?? 'http://localhost:8080').replace(/\/+$/, ''),
    secret,
    tokenValidation,
  };
}
