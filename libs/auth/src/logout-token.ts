import jsonwebtoken, { type JwtPayload } from 'jsonwebtoken';
import { isAsymmetricAlgorithm } from './auth.options.ts';
import type { EndedSession } from './ended-session.repository.ts';
import type { VerificationKey } from './jwks-key-store.ts';

/** The member of `events` that makes a JWT a back-channel logout token (§2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * How old a logout token may be. Keycloak gives its logout tokens two minutes (the spec
 * recommends at most that), and sends them while the logout happens.
 */
export const LOGOUT_TOKEN_MAX_AGE_SECONDS = 120;

/** Longer than any logout token Keycloak signs; anything bigger is not parsed. */
const MAX_LOGOUT_TOKEN_LENGTH = 16_384;

/** Session and subject ids are Keycloak ids; anything longer is not one (and cannot be stored). */
const MAX_ID_LENGTH = 255;

/** Why a logout token was refused; `description` is safe to return to the caller. */
export class InvalidLogoutTokenError extends Error {
  override readonly name = 'InvalidLogoutTokenError';

  constructor(readonly description: string) {
    super(description);
  }
}

export interface LogoutTokenRules {
  /** Expected `iss`: the realm issuer. */
  readonly issuer: string;
  /** `aud` must name one of these clients. */
  readonly audiences: readonly string[];
  readonly clockToleranceSeconds: number;
}

/** The realm's keys, as the access tokens' check finds them (`JwksKeyStore`). */
export interface LogoutTokenKeys {
  find(kid: string): Promise<VerificationKey | undefined>;
}

const refuse = (description: string) => new InvalidLogoutTokenError(description);

function id(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH
    ? value
    : undefined;
}

/**
 * Validates a back-channel logout token as OpenID Connect Back-Channel Logout 1.0 §2.6 asks, and
 * returns the session it ends: a JWS (an encrypted token is refused) with the explicit type
 * `logout+jwt` (§2.4: no other JWT of the realm can pass for one), signed with an asymmetric
 * algorithm by a key the realm publishes, with the realm's `iss`, an `aud` naming one of
 * `audiences`, `iat` within the last {@link LOGOUT_TOKEN_MAX_AGE_SECONDS} and not in the future,
 * `exp` not passed (clock tolerance for both), a `jti`, `events` holding the back-channel logout
 * event as a JSON object, a `sid` or a `sub`, and no `nonce`. A `jti` seen before is not refused:
 * ending a session again changes nothing.
 */
export async function verifyLogoutToken(
  raw: string,
  rules: LogoutTokenRules,
  keys: LogoutTokenKeys,
  now: () => number = Date.now,
): Promise<EndedSession> {
  if (raw.length > MAX_LOGOUT_TOKEN_LENGTH || raw.split('.').length !== 3) {
    throw refuse('malformed token');
  }
  let decoded: jsonwebtoken.Jwt | null;
  try {
    decoded = jsonwebtoken.decode(raw, { complete: true });
  } catch {
    decoded = null;
  }
  if (decoded === null || typeof decoded.payload !== 'object') {
    throw refuse('malformed token');
  }
  const { header } = decoded;
  const type = typeof header.typ === 'string' ? header.typ.toLowerCase() : undefined;
  if (type !== 'logout+jwt' && type !== 'application/logout+jwt') {
    throw refuse('not a logout token');
  }
  if (!isAsymmetricAlgorithm(header.alg)) {
    throw refuse('algorithm not allowed');
  }
  if (decoded.payload.iss !== rules.issuer) {
    throw refuse('issuer not accepted');
  }
  if (typeof header.kid !== 'string' || header.kid === '') {
    throw refuse('unknown signing key');
  }
  const key = await keys.find(header.kid);
  if (key === undefined) {
    throw refuse('unknown signing key');
  }
  if (key.alg !== undefined && key.alg !== header.alg) {
    throw refuse('algorithm not allowed');
  }
  let claims: JwtPayload;
  try {
    claims = jsonwebtoken.verify(raw, key.key as unknown as string, {
      algorithms: [header.alg],
      issuer: rules.issuer,
      clockTolerance: rules.clockToleranceSeconds,
      clockTimestamp: Math.floor(now() / 1000),
    }) as JwtPayload;
  } catch (error) {
    const name = (error as { name?: unknown }).name;
    throw refuse(name === 'TokenExpiredError' ? 'token expired' : 'signature invalid');
  }
  return endedSession(claims, rules, Math.floor(now() / 1000));
}

/** The claims' checks once the signature holds (§2.6 steps 3 to 5). */
function endedSession(
  claims: JwtPayload,
  rules: LogoutTokenRules,
  nowSeconds: number,
): EndedSession {
  const audiences = typeof claims.aud === 'string' ? [claims.aud] : (claims.aud ?? []);
  if (!audiences.some((audience) => rules.audiences.includes(audience))) {
    throw refuse('audience not accepted');
  }
  const { iat, exp } = claims;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw refuse('iat missing');
  }
  if (
    iat > nowSeconds + rules.clockToleranceSeconds ||
    iat < nowSeconds - LOGOUT_TOKEN_MAX_AGE_SECONDS - rules.clockToleranceSeconds
  ) {
    throw refuse('iat out of bounds');
  }
  if (typeof exp !== 'number') {
    throw refuse('exp missing');
  }
  if (typeof claims.jti !== 'string' || claims.jti === '') {
    throw refuse('jti missing');
  }
  const events: unknown = claims['events'];
  const event: unknown =
    typeof events === 'object' && events !== null && !Array.isArray(events)
      ? (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT]
      : undefined;
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw refuse('not a back-channel logout event');
  }
  if (claims['nonce'] !== undefined) {
    throw refuse('nonce not allowed');
  }
  const sid = id(claims['sid']);
  if (sid !== undefined) {
    return { kind: 'session', id: sid, endedAt: iat };
  }
  if (claims['sid'] !== undefined) {
    throw refuse('sid invalid');
  }
  const sub = id(claims.sub);
  if (sub === undefined) {
    throw refuse('neither sid nor sub');
  }
  return { kind: 'subject', id: sub, endedAt: iat };
}
