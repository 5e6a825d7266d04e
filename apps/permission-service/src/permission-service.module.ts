import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { PERMISSION_SERVICE_SCHEMA } from './database/schema.ts';
import { type PermissionServiceConfig } from './config.ts';

/** The owner's side of user-managed access: requests, approvals, shares and revocations. */
@Module({})
export class PermissionServiceModule {
  static forRoot(config: PermissionServiceConfig): DynamicModule {
    return {
      module: PermissionServiceModule,
      imports: [
        PlatformModule.forRoot(config, {
          schema: PERMISSION_SERVICE_SCHEMA,
          applicationName: 'permission-service',
          entities: [],
        }),
      ],
    };
  }
}
