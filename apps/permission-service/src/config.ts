import { loadServiceConfig, type ServiceConfig } from '@app/common';

export type PermissionServiceConfig = ServiceConfig;

export function loadPermissionServiceConfig(
  env: Record<string, string | undefined> = process.env,
): PermissionServiceConfig {
  return loadServiceConfig(3001, env);
}
