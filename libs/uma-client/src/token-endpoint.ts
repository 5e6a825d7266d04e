import { AuthorizationServerError } from './authorization-server-error.ts';
import type { AuthenticatedClient } from './client-auth.ts';
import type { Configuration } from './configuration.ts';

/** A token endpoint's success answer (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type?: string;
  /** Lifetime in seconds. */
  readonly expires_in?: number;
  readonly [parameter: string]: unknown;
}

/**
 * Who asks for a token: a person presents their access token (`Authorization: Bearer`, as
 * Keycloak's UMA grant accepts it), a partner authenticates as a client.
 */
export type RequestingParty = { readonly accessToken: string } | AuthenticatedClient;

/**
 * A POST to the configuration's token endpoint with the form, authenticated as the party. A
 * non-success answer throws an `AuthorizationServerError`; redirects are refused, since one would
 * carry the form (a ticket, an RPT, a secret) elsewhere.
 */
export async function tokenRequest(
  configuration: Configuration,
  form: URLSearchParams,
  party: RequestingParty,
): Promise<TokenResponse> {
  const body = new URLSearchParams(form);
  const headers = new Headers({
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  });
  if ('accessToken' in party) {
    headers.set('authorization', `Bearer ${party.accessToken}`);
  } else {
    party.clientAuthentication({ clientId: party.clientId }, body, headers);
  }
  const response = await configuration.fetch(configuration.tokenEndpoint, {
    method: 'POST',
    redirect: 'error',
    headers,
    body: body.toString(),
  });
  if (!response.ok) {
    throw await AuthorizationServerError.from(response);
  }
  const answer = (await response.json()) as Record<string, unknown>;
  if (typeof answer['access_token'] !== 'string') {
    throw new Error('token endpoint answered without an access_token');
  }
  return answer as TokenResponse;
}
