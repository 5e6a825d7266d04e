import { ConfigError } from '@app/common';
import { describe, expect, it } from 'vitest';
import { loadAlbumServiceConfig } from './config.ts';

const required = {
  KEYCLOAK_CLIENT_SECRET: 's',
  KEYCLOAK_CLIENT_UUID: '2b1f7c3e-5a9d-4c1e-8f0a-a1b0a9e00001',
};

describe(loadAlbumServiceConfig.name, () => {
  it('runs the relay with 2 workers of 8 events, each with a connection on top of the pool', () => {
    const config = loadAlbumServiceConfig(required);
    expect(config.uma).toMatchObject({ relayEnabled: true, relayWorkers: 2, relayBatchSize: 8 });
    expect(config.database.poolSize).toBe(12);
  });

  it('keeps DATABASE_POOL_SIZE for the requests, whatever the number of workers', () => {
    const config = loadAlbumServiceConfig({
      ...required,
      DATABASE_POOL_SIZE: '4',
      UMA_RELAY_WORKERS: '6',
      UMA_RELAY_BATCH_SIZE: '20',
    });
    expect(config.uma).toMatchObject({ relayWorkers: 6, relayBatchSize: 20 });
    expect(config.database.poolSize).toBe(10);
  });

  it('adds no connections when the relay is off', () => {
    const config = loadAlbumServiceConfig({ ...required, UMA_RELAY_ENABLED: 'false' });
    expect(config.database.poolSize).toBe(10);
  });

  it("refuses to start without the album-api client's internal id (albums are registered by it)", () => {
    const attempt = () => loadAlbumServiceConfig({ KEYCLOAK_CLIENT_SECRET: 's' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/KEYCLOAK_CLIENT_UUID: is required/);
  });

  it('refuses a relay without workers or batches out of range', () => {
    const attempt = () =>
      loadAlbumServiceConfig({ ...required, UMA_RELAY_WORKERS: '0', UMA_RELAY_BATCH_SIZE: '500' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/UMA_RELAY_WORKERS: must be 1 to 32/);
    expect(attempt).toThrow(/UMA_RELAY_BATCH_SIZE: must be 1 to 100/);
  });

  it('bounds each owner to 1000 albums, 5000 photos per album and 1 GiB by default', () => {
    expect(loadAlbumServiceConfig(required).quotas).toEqual({
      albumsPerOwner: 1000,
      photosPerAlbum: 5000,
      bytesPerOwner: 1024 ** 3,
    });
  });

  it('refuses a quota of 0', () => {
    expect(() => loadAlbumServiceConfig({ ...required, QUOTA_BYTES_PER_OWNER: '0' })).toThrow(
      /QUOTA_BYTES_PER_OWNER: must be at least 1/,
    );
  });
});
