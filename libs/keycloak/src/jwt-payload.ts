/**
 * The payload of a JWT-shaped string (`header.payload.signature`), decoded WITHOUT verifying
 * anything: not the signature, not the issuer, not the expiry. Only for reading a token this
 * service does not have to trust (a permission ticket's expiry, for how long to cache it) or
 * one whose content is believed only once Keycloak has accepted it. `undefined` when the payload
 * is not base64url-encoded JSON of an object.
 */
export function decodeJwtPayload(token: string): Readonly<Record<string, unknown>> | undefined {
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  return typeof payload === 'object' && payload !== null
    ? (payload as Record<string, unknown>)
    : undefined;
}
