import { AuthorizationServerError } from './authorization-server-error.ts';
import type { Configuration } from './configuration.ts';
import { type RequestingParty, type TokenResponse, tokenRequest } from './token-endpoint.ts';

export const UMA_TICKET_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:uma-ticket';

export interface UmaTicketGrantParameters {
  /** The permission ticket of the resource server's UMA challenge. */
  readonly ticket: string;
  /** An RPT to upgrade: the new RPT lists its permissions as well (Keycloak's `rpt`). */
  readonly rpt?: string;
  /** `false` sends `submit_request=false`: a refusal does not ask the owner. Default `true`. */
  readonly submitRequest?: boolean;
}

/** What the UMA grant answered, as far as the requesting party can act on it. */
export type UmaGrantOutcome =
  | { readonly kind: 'rpt'; readonly rpt: string; readonly tokenResponse: TokenResponse }
  /** Refused; the authorization server stored a request to the owner (`request_submitted`). */
  | { readonly kind: 'access-requested' }
  /** Refused, and nothing was asked for (`access_denied`, `not_authorized`). */
  | { readonly kind: 'no-access' };

/**
 * The UMA grant (UMA 2.0 Grant §3.3.1): trades a permission ticket, as the party, for an RPT. A
 * refusal of access is an outcome; any other refusal (a bad ticket, an unknown client, a refused
 * bearer token) throws an `AuthorizationServerError`.
 */
export async function umaTicketGrant(
  configuration: Configuration,
  party: RequestingParty,
  parameters: UmaTicketGrantParameters,
): Promise<UmaGrantOutcome> {
  const form = new URLSearchParams({
    grant_type: UMA_TICKET_GRANT_TYPE,
    ticket: parameters.ticket,
  });
  if (parameters.rpt !== undefined) {
    form.set('rpt', parameters.rpt);
  }
  if (parameters.submitRequest === false) {
    form.set('submit_request', 'false');
  }
  try {
    const answer = await tokenRequest(configuration, form, party);
    return { kind: 'rpt', rpt: answer.access_token, tokenResponse: answer };
  } catch (error) {
    if (error instanceof AuthorizationServerError && error.status === 403) {
      if (error.code === 'access_denied') {
        return error.description === 'request_submitted'
          ? { kind: 'access-requested' }
          : { kind: 'no-access' };
      }
      if (error.code === 'not_authorized') {
        return { kind: 'no-access' };
      }
    }
    throw error;
  }
}

/**
 * Whether the authorization server refused the bearer token a person presented (the session
 * ended): Keycloak answers 401 (26.5.6) or 400 `invalid_grant` "Invalid bearer token" (26.7.3).
 */
export function refusedBearerToken(error: AuthorizationServerError): boolean {
  return (
    error.status === 401 ||
    (error.status === 400 &&
      error.code === 'invalid_grant' &&
      error.description === 'Invalid bearer token')
  );
}
