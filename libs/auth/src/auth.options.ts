/** What a token must be for this service to accept it. */
export interface AuthOptions {
  /** Expected `iss`: the realm issuer. */
  readonly issuer: string;
  /** Must be in `aud`: the resource server's client id. */
  readonly audience: string;
  /** The realm name, used in `WWW-Authenticate` challenges. */
  readonly realm: string;
  readonly clockToleranceSeconds: number;
  /** An unknown `kid` refreshes the JWKS at most once per this interval. */
  readonly jwksRefreshMinIntervalMs: number;
  /** The JWKS is re-read this often, so that keys removed from the realm stop being accepted. */
  readonly jwksRefreshIntervalMs: number;
  /** How many verified tokens are remembered until they expire (0: none); see `VerifiedTokenCache`. */
  readonly verifiedTokenCacheSize: number;
  /** The longest access-token lifespan of the realm: how long an ended session is remembered. */
  readonly accessTokenMaxLifespanSeconds: number;
  /** How often the ended sessions are read again, should a notification have been lost. */
  readonly endedSessionsReloadIntervalMs: number;
  /** The clients whose sessions hold this API's tokens: the accepted `aud` of a logout token. */
  readonly backchannelLogoutClients: readonly string[];
}

export const AUTH_OPTIONS = Symbol('AUTH_OPTIONS');

/** Asymmetric JWS algorithms; `none` and the HMAC family are never accepted. */
export const ASYMMETRIC_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
] as const;

export type AsymmetricAlgorithm = (typeof ASYMMETRIC_ALGORITHMS)[number];

export function isAsymmetricAlgorithm(alg: unknown): alg is AsymmetricAlgorithm {
  return typeof alg === 'string' && (ASYMMETRIC_ALGORITHMS as readonly string[]).includes(alg);
}
