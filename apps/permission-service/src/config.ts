import { z } from 'zod';
import {
  databaseName,
  loadServiceConfig,
  parseEnv,
  type ServiceConfig,
  umaDeployment,
} from '@app/common';
import type { KeycloakWatchOptions } from './grants/keycloak-watch.ts';

/** The permission service's configuration: the common one and the deployment it serves. */
export interface PermissionServiceConfig extends ServiceConfig {
  /** Only albums whose Keycloak resources carry this `deployment` attribute are this service's. */
  readonly deployment: string;
  /** How often narrowings made in Keycloak itself are looked for (README, "What a caller holds now"). */
  readonly keycloakWatch: KeycloakWatchOptions;
}

const permissionEnv = z.object({
  // Partner shares are permissions on the resource server, which the admin API names by this id.
  KEYCLOAK_CLIENT_UUID: z.uuid({
    error: 'is required (the internal id of the album-api client, a UUID)',
  }),
  UMA_DEPLOYMENT: umaDeployment,
  KEYCLOAK_WATCH_INTERVAL_MS: z.coerce.number().int().min(100).max(60_000).default(2_000),
  KEYCLOAK_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(10_000).default(900_000),
});

export function loadPermissionServiceConfig(
  env: Record<string, string | undefined> = process.env,
): PermissionServiceConfig {
  const config = loadServiceConfig(3001, env, 9102);
  const own = parseEnv(permissionEnv, env);
  return {
    ...config,
    deployment: own.UMA_DEPLOYMENT ?? databaseName(config.database.url),
    keycloakWatch: {
      intervalMs: own.KEYCLOAK_WATCH_INTERVAL_MS,
      reconcileIntervalMs: own.KEYCLOAK_RECONCILE_INTERVAL_MS,
    },
  };
}
