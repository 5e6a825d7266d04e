import { z } from 'zod';
import { ConfigError } from '../config/env.ts';

/**
 * How much, how deep and how slowly a client may send, per service instance. Each bound ends
 * what a client that sends too much, too deep or too slowly would otherwise hold: the event loop
 * (parsing), or a connection (time).
 */
export interface HttpLimits {
  /** The largest body read into memory (JSON, text, forms); uploads have their own limit. */
  readonly bodyLimitBytes: number;
  /** The deepest nesting of arrays and objects a JSON body may have. */
  readonly jsonMaxDepth: number;
  /** Time from the connection (or the end of the last request) to the end of the headers. */
  readonly headersTimeoutMs: number;
  /** Time for a body other than an upload to arrive, once its headers have. */
  readonly bodyTimeoutMs: number;
  /** Time for a whole request, an upload included, to arrive. */
  readonly uploadTimeoutMs: number;
  /** How long a kept-alive connection may wait idle for its next request. */
  readonly keepAliveTimeoutMs: number;
  /** Connections open at once; the server closes any further one as it arrives. */
  readonly maxConnections: number;
}

/*
 * The largest body a route needs: an album's 200-character name and 2000-character description,
 * every character an astral one written as two `\uXXXX` escapes (12 bytes), about 26 KB; a
 * ticket, 8 KB. Nothing any route accepts nests deeper than 2.
 */
export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  bodyLimitBytes: 32 * 1024,
  jsonMaxDepth: 16,
  headersTimeoutMs: 10_000,
  bodyTimeoutMs: 10_000,
  // 10 MB in 5 minutes: about 35 KB/s, a poor mobile uplink.
  uploadTimeoutMs: 300_000,
  // Above the 60 s idle timeout of common load balancers, so that they close first.
  keepAliveTimeoutMs: 72_000,
  maxConnections: 1_000,
};

const wholeNumber = (min: number, max: number) =>
  z.coerce
    .number({ error: 'must be a whole number' })
    .int('must be a whole number')
    .min(min, `must be ${min} to ${max}`)
    .max(max, `must be ${min} to ${max}`);

/** The environment variables of {@link HttpLimits}, for a service's configuration schema. */
export const httpLimitsEnv = z.object({
  HTTP_BODY_LIMIT_BYTES: wholeNumber(1024, 1024 * 1024).default(DEFAULT_HTTP_LIMITS.bodyLimitBytes),
  // class-transformer and class-validator recurse per level: far below where the stack ends.
  HTTP_JSON_MAX_DEPTH: wholeNumber(2, 256).default(DEFAULT_HTTP_LIMITS.jsonMaxDepth),
  HTTP_HEADERS_TIMEOUT_MS: wholeNumber(100, 600_000).default(DEFAULT_HTTP_LIMITS.headersTimeoutMs),
  HTTP_BODY_TIMEOUT_MS: wholeNumber(100, 600_000).default(DEFAULT_HTTP_LIMITS.bodyTimeoutMs),
  HTTP_UPLOAD_TIMEOUT_MS: wholeNumber(100, 3_600_000).default(DEFAULT_HTTP_LIMITS.uploadTimeoutMs),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 600_000).default(
    DEFAULT_HTTP_LIMITS.keepAliveTimeoutMs,
  ),
  HTTP_MAX_CONNECTIONS: wholeNumber(1, 1_000_000).default(DEFAULT_HTTP_LIMITS.maxConnections),
});

/** The {@link HttpLimits} of a parsed environment. */
export function httpLimitsOf(env: z.output<typeof httpLimitsEnv>): HttpLimits {
  // The upload bound is the whole request's, headers and body included.
  if (
    env.HTTP_UPLOAD_TIMEOUT_MS < Math.max(env.HTTP_HEADERS_TIMEOUT_MS, env.HTTP_BODY_TIMEOUT_MS)
  ) {
    throw new ConfigError(
      'Invalid configuration. HTTP_UPLOAD_TIMEOUT_MS: must be at least HTTP_HEADERS_TIMEOUT_MS and HTTP_BODY_TIMEOUT_MS',
    );
  }
  return {
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
    jsonMaxDepth: env.HTTP_JSON_MAX_DEPTH,
    headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS,
    bodyTimeoutMs: env.HTTP_BODY_TIMEOUT_MS,
    uploadTimeoutMs: env.HTTP_UPLOAD_TIMEOUT_MS,
    keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    maxConnections: env.HTTP_MAX_CONNECTIONS,
  };
}
