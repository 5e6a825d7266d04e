import { describe, expect, it } from 'vitest';
import { ConfigError } from './env.ts';
import { DEFAULT_RATE_LIMITS, loadRateLimitConfig } from './rate-limit-config.ts';

describe(loadRateLimitConfig.name, () => {
  it('gives people and partners the defaults in a window of 60 s, refusals after 1 s', () => {
    expect(loadRateLimitConfig({})).toEqual({
      windowSeconds: 60,
      refusalDelayMs: 1_000,
      user: DEFAULT_RATE_LIMITS,
      partner: DEFAULT_RATE_LIMITS,
    });
  });

  it("takes a service's own defaults", () => {
    const config = loadRateLimitConfig({}, { read: 10, write: 5, costly: 1 });
    expect(config.user).toEqual({ read: 10, write: 5, costly: 1 });
  });

  it("gives partners the people's limits unless their own are set", () => {
    const config = loadRateLimitConfig({
      RATE_LIMIT_READS: '100',
      RATE_LIMIT_COSTLY: '3',
      RATE_LIMIT_PARTNER_COSTLY: '7',
    });
    expect(config.user).toEqual({ read: 100, write: DEFAULT_RATE_LIMITS.write, costly: 3 });
    expect(config.partner).toEqual({ read: 100, write: DEFAULT_RATE_LIMITS.write, costly: 7 });
  });

  it('refuses a limit of 0 and a window out of range, naming them', () => {
    const attempt = () =>
      loadRateLimitConfig({ RATE_LIMIT_WRITES: '0', RATE_LIMIT_WINDOW_SECONDS: '86400' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/RATE_LIMIT_WRITES: must be at least 1/);
    expect(attempt).toThrow(/RATE_LIMIT_WINDOW_SECONDS: must be 1 to 3600 seconds/);
  });
});
