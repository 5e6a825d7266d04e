import { z } from 'zod';
import { commaList, httpUrl, parseEnv, port, positiveInt, postgresUrl } from './env.ts';
import { loadRateLimitConfig, type RateLimitConfig, type RateLimits } from './rate-limit-config.ts';
import { type HttpLimits, httpLimitsEnv, httpLimitsOf } from '../http/http-limits.ts';

/** Where the local PostgreSQL server keeps the project's database unless DATABASE_URL says otherwise. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/photoz';
export const DEFAULT_KEYCLOAK_URL = 'http://localhost:8080';

const serviceEnv = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: postgresUrl.default(DEFAULT_DATABASE_URL),
  DATABASE_POOL_SIZE: positiveInt.default(10),
  KEYCLOAK_URL: httpUrl.default(DEFAULT_KEYCLOAK_URL),
  KEYCLOAK_REALM: z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, 'must be a realm name')
    .default('photoz'),
  KEYCLOAK_ISSUER: httpUrl.optional(),
  KEYCLOAK_CLIENT_ID: z.string().min(1).default('album-api'),
  KEYCLOAK_CLIENT_SECRET: z.string({ error: 'is required (the album-api client secret)' }).min(1, {
    error: 'is required (the album-api client secret)',
  }),
  KEYCLOAK_CLIENT_UUID: z
    .uuid({ error: 'must be the internal id (a UUID) of the album-api client' })
    .optional(),
  KEYCLOAK_TIMEOUT_MS: positiveInt.default(5_000),
  JWT_CLOCK_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  JWKS_REFRESH_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(10_000),
  // Below a second the schedule would amount to asking Keycloak on every request.
  JWKS_REFRESH_INTERVAL_MS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1_000, 'must be at least 1000')
    .default(300_000),
  // 0 turns the cache off: every request verifies its token's signature.
  JWT_CACHE_MAX_ENTRIES: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(0, 'must be 0 or more')
    .default(10_000),
  CORS_ORIGINS: commaList.default(['http://localhost:5173']),
  // How long an ended session is remembered: at least the realm's longest access-token lifespan.
  TOKEN_MAX_LIFESPAN_SECONDS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .default(300),
  ENDED_SESSIONS_RELOAD_MS: z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(1_000, 'must be at least 1000')
    .default(10_000),
  BACKCHANNEL_LOGOUT_CLIENTS: commaList.default(['photoz-web', 'photoz-cli']),
  // The management port (`/metrics`) listens on loopback unless told otherwise: never public by accident.
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
});

/** Configuration shared by every service of the project. */
export interface ServiceConfig {
  readonly http: { readonly host: string; readonly port: number; readonly corsOrigins: string[] };
  /** Body size, JSON depth, time bounds and the connection cap of the HTTP server. */
  readonly httpLimits: HttpLimits;
  /** The management port: `/metrics` and `/health/live`; port 0 picks a free one. */
  readonly management: { readonly host: string; readonly port: number };
  readonly database: { readonly url: string; readonly poolSize: number };
  readonly keycloak: {
    /** Base URL the service uses to reach Keycloak (the back channel). */
    readonly url: string;
    readonly realm: string;
    /** The `iss` of tokens Keycloak issues to browsers and partners. */
    readonly issuer: string;
    readonly clientId: string;
    readonly clientSecret: string;
    /** The resource server client's internal id (admin API), when the service needs it. */
    readonly clientUuid: string | undefined;
    readonly timeoutMs: number;
  };
  readonly auth: {
    readonly audience: string;
    readonly clockToleranceSeconds: number;
    readonly jwksRefreshMinIntervalMs: number;
    /** How often the JWKS is re-read, so that keys removed from the realm stop being accepted. */
    readonly jwksRefreshIntervalMs: number;
    /** How many verified tokens are remembered until they expire (0: none). */
    readonly verifiedTokenCacheSize: number;
    /** The realm's longest access-token lifespan: how long an ended session is remembered. */
    readonly accessTokenMaxLifespanSeconds: number;
    /** How often the ended sessions are read again (a backstop for a lost notification). */
    readonly endedSessionsReloadIntervalMs: number;
    /** The clients whose logout tokens are accepted (their sessions hold this API's tokens). */
    readonly backchannelLogoutClients: string[];
  };
  /** Per-caller rate limits of this instance (`RATE_LIMIT_*`). */
  readonly rateLimit: RateLimitConfig;
}

/** Reads the shared service configuration; the default ports differ per service. */
export function loadServiceConfig(
  defaultPort: number,
  env: Record<string, string | undefined> = process.env,
  defaultMetricsPort = 9101,
  defaultRateLimits?: RateLimits,
): ServiceConfig {
  const parsed = parseEnv(
    serviceEnv.extend(httpLimitsEnv.shape).extend({
      PORT: port.default(defaultPort),
      METRICS_PORT: z.coerce
        .number({ error: 'must be a port number' })
        .int('must be a port number')
        .min(0, 'must be a port number')
        .max(65_535, 'must be a port number')
        .default(defaultMetricsPort),
    }),
    env,
  );
  const issuer = parsed.KEYCLOAK_ISSUER ?? `${parsed.KEYCLOAK_URL}/realms/${parsed.KEYCLOAK_REALM}`;
  return {
    http: { host: parsed.HOST, port: parsed.PORT, corsOrigins: parsed.CORS_ORIGINS },
    httpLimits: httpLimitsOf(parsed),
    management: { host: parsed.METRICS_HOST, port: parsed.METRICS_PORT },
    database: { url: parsed.DATABASE_URL, poolSize: parsed.DATABASE_POOL_SIZE },
    keycloak: {
      url: parsed.KEYCLOAK_URL,
      realm: parsed.KEYCLOAK_REALM,
      issuer,
      clientId: parsed.KEYCLOAK_CLIENT_ID,
      clientSecret: parsed.KEYCLOAK_CLIENT_SECRET,
      clientUuid: parsed.KEYCLOAK_CLIENT_UUID,
      timeoutMs: parsed.KEYCLOAK_TIMEOUT_MS,
    },
    auth: {
      audience: parsed.KEYCLOAK_CLIENT_ID,
      clockToleranceSeconds: parsed.JWT_CLOCK_TOLERANCE_SECONDS,
      jwksRefreshMinIntervalMs: parsed.JWKS_REFRESH_MIN_INTERVAL_MS,
      jwksRefreshIntervalMs: parsed.JWKS_REFRESH_INTERVAL_MS,
      verifiedTokenCacheSize: parsed.JWT_CACHE_MAX_ENTRIES,
      accessTokenMaxLifespanSeconds: parsed.TOKEN_MAX_LIFESPAN_SECONDS,
      endedSessionsReloadIntervalMs: parsed.ENDED_SESSIONS_RELOAD_MS,
      backchannelLogoutClients: parsed.BACKCHANNEL_LOGOUT_CLIENTS,
    },
    rateLimit: loadRateLimitConfig(env, defaultRateLimits),
  };
}
