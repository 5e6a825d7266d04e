import { z } from 'zod';
import {
  databaseName,
  loadServiceConfig,
  parseEnv,
  type ServiceConfig,
  umaDeployment,
} from '@app/common';

/** The album service's configuration: the common one and the UMA relay's. */
export interface AlbumServiceConfig extends ServiceConfig {
  readonly uma: {
    readonly relayEnabled: boolean;
    readonly relayPollIntervalMs: number;
    readonly deployment: string;
  };
}

const albumEnv = z.object({
  UMA_RELAY_ENABLED: z.enum(['true', 'false'], { error: 'must be true or false' }).default('true'),
  UMA_RELAY_POLL_INTERVAL_MS: z.coerce.number().int().min(50, 'must be at least 50').default(500),
  UMA_DEPLOYMENT: umaDeployment,
});

/** Reads and validates the album service's configuration from the environment. */
export function loadAlbumServiceConfig(
  env: Record<string, string | undefined> = process.env,
): AlbumServiceConfig {
  const base = loadServiceConfig(3000, env, 9101);
  const own = parseEnv(albumEnv, env);
  return {
    ...base,
    uma: {
      relayEnabled: own.UMA_RELAY_ENABLED === 'true',
      relayPollIntervalMs: own.UMA_RELAY_POLL_INTERVAL_MS,
      deployment: own.UMA_DEPLOYMENT ?? databaseName(base.database.url),
    },
  };
}
