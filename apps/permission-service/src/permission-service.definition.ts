import type { ServiceDefinition } from '@app/platform';
import { type PermissionServiceConfig, loadPermissionServiceConfig } from './config.ts';
import { PermissionServiceModule } from './permission-service.module.ts';

export const permissionService: ServiceDefinition<PermissionServiceConfig> = {
  name: 'permission-service',
  description:
    "The owner's side of user-managed access: permission requests, approvals, shares and revocation.",
  loadConfig: (env) => loadPermissionServiceConfig(env),
  module: (config) => PermissionServiceModule.forRoot(config),
};
