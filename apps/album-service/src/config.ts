import { z } from 'zod';
import {
  databaseName,
  loadServiceConfig,
  parseEnv,
  type ServiceConfig,
  umaDeployment,
} from '@app/common';
import { DEFAULT_RELAY_OPTIONS } from '@app/uma-resources';
import type { OwnerQuotas } from './quotas/owner-quotas.ts';

/** The album service's configuration: the common one and the UMA relay's. */
export interface AlbumServiceConfig extends ServiceConfig {
  readonly uma: {
    readonly relayEnabled: boolean;
    readonly relayPollIntervalMs: number;
    readonly relayWorkers: number;
    readonly relayBatchSize: number;
    readonly deployment: string;
  };
  readonly quotas: OwnerQuotas;
}

const quota = (unit: string) =>
  z.coerce
    .number({ error: `must be a whole number of ${unit}` })
    .int(`must be a whole number of ${unit}`)
    .min(1, 'must be at least 1');

const albumEnv = z.object({
  // Albums are registered through the admin API, which names the resource server by this id.
  KEYCLOAK_CLIENT_UUID: z.uuid({
    error: 'is required (the internal id of the album-api client, a UUID)',
  }),
  UMA_RELAY_ENABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  UMA_RELAY_POLL_INTERVAL_MS: z.coerce.number().int().min(50, 'must be at least 50').default(500),
  UMA_RELAY_WORKERS: z.coerce
    .number()
    .int()
    .min(1, 'must be 1 to 32')
    .max(32, 'must be 1 to 32')
    .default(DEFAULT_RELAY_OPTIONS.workers),
  UMA_RELAY_BATCH_SIZE: z.coerce
    .number()
    .int()
    .min(1, 'must be 1 to 100')
    .max(100, 'must be 1 to 100')
    .default(DEFAULT_RELAY_OPTIONS.batchSize),
  UMA_DEPLOYMENT: umaDeployment,
  QUOTA_ALBUMS_PER_OWNER: quota('albums').default(1000),
  QUOTA_PHOTOS_PER_ALBUM: quota('photos').default(5000),
  QUOTA_BYTES_PER_OWNER: quota('bytes').default(1024 ** 3),
});

/** Reads and validates the album service's configuration from the environment. */
export function loadAlbumServiceConfig(
  env: Record<string, string | undefined> = process.env,
): AlbumServiceConfig {
  const base = loadServiceConfig(3000, env, 9101);
  const own = parseEnv(albumEnv, env);
  const relayEnabled = own.UMA_RELAY_ENABLED === 'true';
  return {
    ...base,
    // Each relay worker holds a connection while its batch is in flight: the pool has those on
    // top of DATABASE_POOL_SIZE, which stay for the requests.
    database: {
      ...base.database,
      poolSize: base.database.poolSize + (relayEnabled ? own.UMA_RELAY_WORKERS : 0),
    },
    uma: {
      relayEnabled,
      relayPollIntervalMs: own.UMA_RELAY_POLL_INTERVAL_MS,
      relayWorkers: own.UMA_RELAY_WORKERS,
      relayBatchSize: own.UMA_RELAY_BATCH_SIZE,
      deployment: own.UMA_DEPLOYMENT ?? databaseName(base.database.url),
    },
    quotas: {
      albumsPerOwner: own.QUOTA_ALBUMS_PER_OWNER,
      photosPerAlbum: own.QUOTA_PHOTOS_PER_ALBUM,
      bytesPerOwner: own.QUOTA_BYTES_PER_OWNER,
    },
  };
}
