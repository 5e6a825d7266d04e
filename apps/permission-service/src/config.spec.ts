import { describe, expect, it } from 'vitest';
import { ConfigError } from '@app/common';
import { loadPermissionServiceConfig } from './config.ts';

const REQUIRED = {
  KEYCLOAK_CLIENT_SECRET: 's',
  KEYCLOAK_CLIENT_UUID: '00000000-0000-4000-8000-000000000000',
};

describe(loadPermissionServiceConfig.name, () => {
  it('bounds shares to a year and sweeps expired grants every 30 s by default', () => {
    const config = loadPermissionServiceConfig(REQUIRED);
    expect(config.shareMaxDurationDays).toBe(365);
    expect(config.grantExpirySweep).toEqual({ enabled: true, intervalMs: 30_000 });
  });

  it('reads the bound and the sweep from the environment', () => {
    const config = loadPermissionServiceConfig({
      ...REQUIRED,
      SHARE_MAX_DURATION_DAYS: '7',
      GRANT_EXPIRY_SWEEP_ENABLED: 'false',
      GRANT_EXPIRY_SWEEP_INTERVAL_MS: '1000',
    });
    expect(config.shareMaxDurationDays).toBe(7);
    expect(config.grantExpirySweep).toEqual({ enabled: false, intervalMs: 1_000 });
  });

  it('names a bad bound or sweep setting', () => {
    const attempt = () =>
      loadPermissionServiceConfig({
        ...REQUIRED,
        SHARE_MAX_DURATION_DAYS: '0',
        GRANT_EXPIRY_SWEEP_ENABLED: 'yes',
        GRANT_EXPIRY_SWEEP_INTERVAL_MS: '10',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/SHARE_MAX_DURATION_DAYS: must be 1 to 36500 days/);
    expect(attempt).toThrow(/GRANT_EXPIRY_SWEEP_ENABLED: must be true or false/);
    expect(attempt).toThrow(/GRANT_EXPIRY_SWEEP_INTERVAL_MS: must be at least 100/);
  });
});
