import { z } from 'zod';
import { parseEnv } from './env.ts';

/** What a route costs: reads, ordinary writes, and writes that cost Keycloak or storage. */
export type RateLimitClass = 'read' | 'write' | 'costly';

export const RATE_LIMIT_CLASSES: readonly RateLimitClass[] = ['read', 'write', 'costly'];

/** Requests one caller may make per window, by route class. */
export type RateLimits = Readonly<Record<RateLimitClass, number>>;

/**
 * Per-caller rate limits of one service instance: people (`user`) and partners (client
 * credentials) are counted apart, each caller in a window of its own.
 */
export interface RateLimitConfig {
  readonly windowSeconds: number;
  /**
   * How long a refusal waits before it is sent (at most until the window resets): a client that
   * retries as soon as it is refused then sends one request per connection and delay, not as many
   * as the service can refuse, and its flood costs the service a timer instead of its CPU.
   */
  readonly refusalDelayMs: number;
  readonly user: RateLimits;
  readonly partner: RateLimits;
}

/** Production defaults, per caller and instance, in a window of 60 s. */
export const DEFAULT_RATE_LIMITS: RateLimits = { read: 1200, write: 300, costly: 30 };

const limit = z.coerce
  .number({ error: 'must be a whole number of requests' })
  .int('must be a whole number of requests')
  .min(1, 'must be at least 1')
  .optional();

const rateLimitEnv = z.object({
  RATE_LIMIT_WINDOW_SECONDS: z.coerce
    .number({ error: 'must be 1 to 3600 seconds' })
    .int('must be 1 to 3600 seconds')
    .min(1, 'must be 1 to 3600 seconds')
    .max(3600, 'must be 1 to 3600 seconds')
    .default(60),
  RATE_LIMIT_REFUSAL_DELAY_MS: z.coerce
    .number({ error: 'must be 0 to 10000 milliseconds' })
    .int('must be 0 to 10000 milliseconds')
    .min(0, 'must be 0 to 10000 milliseconds')
    .max(10_000, 'must be 0 to 10000 milliseconds')
    .default(1_000),
  RATE_LIMIT_READS: limit,
  RATE_LIMIT_WRITES: limit,
  RATE_LIMIT_COSTLY: limit,
  RATE_LIMIT_PARTNER_READS: limit,
  RATE_LIMIT_PARTNER_WRITES: limit,
  RATE_LIMIT_PARTNER_COSTLY: limit,
});

/**
 * Reads the rate limits; `defaults` are the service's own (a service whose reads call Keycloak
 * allows fewer). A partner's limits default to a person's.
 */
export function loadRateLimitConfig(
  env: Record<string, string | undefined>,
  defaults: RateLimits = DEFAULT_RATE_LIMITS,
): RateLimitConfig {
  const parsed = parseEnv(rateLimitEnv, env);
  const user: RateLimits = {
    read: parsed.RATE_LIMIT_READS ?? defaults.read,
    write: parsed.RATE_LIMIT_WRITES ?? defaults.write,
    costly: parsed.RATE_LIMIT_COSTLY ?? defaults.costly,
  };
  return {
    windowSeconds: parsed.RATE_LIMIT_WINDOW_SECONDS,
    refusalDelayMs: parsed.RATE_LIMIT_REFUSAL_DELAY_MS,
    user,
    partner: {
      read: parsed.RATE_LIMIT_PARTNER_READS ?? user.read,
      write: parsed.RATE_LIMIT_PARTNER_WRITES ?? user.write,
      costly: parsed.RATE_LIMIT_PARTNER_COSTLY ?? user.costly,
    },
  };
}
