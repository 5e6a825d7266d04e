/** Tokens of the dev realm's users and clients, from its token endpoint. */
import { KEYCLOAK_URL, REALM } from './realm.ts';

export interface TokenResponse {
  readonly access_token: string;
  readonly refresh_token?: string;
  readonly id_token?: string;
  readonly expires_in: number;
}

export function tokenEndpoint(realm = REALM): string {
  return `${KEYCLOAK_URL}/realms/${realm}/protocol/openid-connect/token`;
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

async function requestToken(
  realm: string,
  form: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenResponse> {
  const response = await fetch(tokenEndpoint(realm), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
  });
  const body = (await response.json()) as TokenResponse & { error?: string };
  if (!response.ok) {
    throw new Error(`token request failed: ${response.status} ${body.error ?? ''}`);
  }
  return body;
}

/** A user's tokens through the dev-only `photoz-cli` client (password = username in the dev realm). */
export function login(
  username: string,
  options: { realm?: string; scope?: string } = {},
): Promise<TokenResponse> {
  return requestToken(options.realm ?? REALM, {
    grant_type: 'password',
    client_id: 'photoz-cli',
    username,
    password: username,
    ...(options.scope === undefined ? {} : { scope: options.scope }),
  });
}

/** A user's tokens with a password of its own (a user a test created). */
export function loginWith(username: string, password: string): Promise<TokenResponse> {
  return requestToken(REALM, {
    grant_type: 'password',
    client_id: 'photoz-cli',
    username,
    password,
  });
}

/**
 * Logs the session of `tokens` out at Keycloak, as the user's "log out" does; its access token
 * keeps its signature and `exp`, but Keycloak no longer accepts it.
 */
export async function logout(tokens: TokenResponse): Promise<void> {
  const response = await fetch(`${KEYCLOAK_URL}/realms/${REALM}/protocol/openid-connect/logout`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: 'photoz-cli',
      refresh_token: tokens.refresh_token ?? '',
    }),
  });
  if (response.status !== 204) {
    throw new Error(`logout failed: ${response.status}`);
  }
}

/** The access tokens of several dev-realm users, in the order named. */
export function accessTokens(...usernames: string[]): Promise<string[]> {
  return Promise.all(usernames.map(async (username) => (await login(username)).access_token));
}

/** A client-credentials token, the client authenticating with HTTP Basic at the token endpoint. */
export function clientToken(clientId: string, secret: string): Promise<TokenResponse> {
  return requestToken(
    REALM,
    { grant_type: 'client_credentials' },
    { authorization: basic(clientId, secret) },
  );
}

export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >,
  };
}
