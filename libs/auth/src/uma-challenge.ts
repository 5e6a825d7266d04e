import { ProblemException } from '@app/common';
import { quotedString } from './www-authenticate.ts';

/**
 * The UMA 2.0 challenge (UMA grant §3.3.1): `401` with `WWW-Authenticate: UMA realm, as_uri,
 * ticket`; the problem body carries the ticket and `as_uri` too.
 */
export function umaChallenge(
  realm: string,
  asUri: string,
  ticket: string,
  scopes: readonly string[],
): ProblemException {
  return new ProblemException({
    status: 401,
    code: 'uma-ticket',
    title: 'Permission required',
    detail: `Access needs ${scopes.join(', ')}: exchange the ticket at the authorization server for an RPT.`,
    extensions: { ticket, as_uri: asUri, scopes: [...scopes] },
    headers: {
      'www-authenticate': `UMA realm=${quotedString(realm)}, as_uri=${quotedString(asUri)}, ticket=${quotedString(ticket)}`,
    },
  });
}

/** Keycloak cannot be reached: `503` with `Retry-After`, saying what could not be done. */
export function authorizationServerUnavailable(detail: string): ProblemException {
  return new ProblemException({
    status: 503,
    code: 'authorization-server-unavailable',
    detail,
    headers: { 'retry-after': '5' },
  });
}
