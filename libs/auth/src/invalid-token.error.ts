import { ProblemException } from '@app/common';
import { quotedString } from './www-authenticate.ts';

/** Why a bearer token was refused; `description` is safe to return to the caller. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';

  constructor(readonly description: string) {
    super(description);
  }
}

/**
 * Why a token this service accepted is refused once Keycloak, called with it, no longer accepts
 * it: its session was logged out or its user disabled after it was issued.
 */
export const TOKEN_NO_LONGER_ACTIVE = 'token no longer active';

/**
 * A `401` with an RFC 6750 Bearer challenge. Without `description` (no credentials at all) the
 * challenge carries no error, as RFC 6750 §3.1 asks.
 */
export function bearerChallenge(realm: string, description?: string): ProblemException {
  const challenge =
    description === undefined
      ? `Bearer realm=${quotedString(realm)}`
      : `Bearer realm=${quotedString(realm)}, error="invalid_token", error_description=${quotedString(description)}`;
  return new ProblemException({
    status: 401,
    code: description === undefined ? 'authentication-required' : 'invalid-token',
    title: description === undefined ? 'Authentication required' : 'Invalid token',
    detail:
      description === undefined
        ? 'This resource needs a bearer access token.'
        : `The bearer token was refused: ${description}.`,
    headers: { 'www-authenticate': challenge },
  });
}

interface JsonWebTokenError {
  readonly name: string;
  readonly message: string;
}

/** Maps what passport-jwt and jsonwebtoken report to a stable description that never echoes the token. */
export function describeTokenFailure(failure: unknown): string | undefined {
  if (failure instanceof InvalidTokenError) {
    return failure.description;
  }
  if (typeof failure !== 'object' || failure === null) {
    return 'token invalid';
  }
  const { name, message } = failure as Partial<JsonWebTokenError>;
  if (message === 'No auth token') {
    return undefined;
  }
  if (name === 'TokenExpiredError') {
    return 'token expired';
  }
  if (name === 'NotBeforeError') {
    return 'token not yet valid';
  }
  const text = typeof message === 'string' ? message : '';
  if (text.startsWith('jwt audience invalid')) {
    return 'audience not accepted';
  }
  if (text.startsWith('jwt issuer invalid')) {
    return 'issuer not accepted';
  }
  if (text === 'invalid signature') {
    return 'signature invalid';
  }
  if (
    text === 'invalid algorithm' ||
    text.includes('must be a symmetric key') ||
    text.includes('must be an asymmetric key')
  ) {
    return 'algorithm not allowed';
  }
  if (text === 'jwt malformed' || text === 'invalid token' || text.startsWith('Unexpected token')) {
    return 'malformed token';
  }
  return 'token invalid';
}
