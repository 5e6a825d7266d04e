import { z } from 'zod';
import { loadServiceConfig, parseEnv, type ServiceConfig } from '@app/common';

export type PermissionServiceConfig = ServiceConfig;

const permissionEnv = z.object({
  // Partner shares are permissions on the resource server, which the admin API names by this id.
  KEYCLOAK_CLIENT_UUID: z.uuid({
    error: 'is required (the internal id of the album-api client, a UUID)',
  }),
});

export function loadPermissionServiceConfig(
  env: Record<string, string | undefined> = process.env,
): PermissionServiceConfig {
  const config = loadServiceConfig(3001, env);
  parseEnv(permissionEnv, env);
  return config;
}
