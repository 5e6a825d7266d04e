import { type DynamicModule, Module } from '@nestjs/common';
import { BackchannelLogoutController } from '@app/auth';
import { PlatformModule } from '@app/platform';
import { UmaResourcesModule } from '@app/uma-resources';
import { AlbumsModule } from './albums/albums.module.ts';
import type { AlbumServiceConfig } from './config.ts';
import { ALBUM_SERVICE_SCHEMA } from './database/schema.ts';
import { PhotosModule } from './photos/photos.module.ts';
import { QuotasModule } from './quotas/owner-quotas.ts';

/** The REST API of the photo-album frontend: albums and photos owned by users. */
@Module({})
export class AlbumServiceModule {
  static forRoot(config: AlbumServiceConfig): DynamicModule {
    return {
      module: AlbumServiceModule,
      imports: [
        PlatformModule.forRoot(config, {
          schema: ALBUM_SERVICE_SCHEMA,
          applicationName: 'album-service',
          entities: [],
        }),
        UmaResourcesModule.forRoot({
          deployment: config.uma.deployment,
          relay: {
            enabled: config.uma.relayEnabled,
            pollIntervalMs: config.uma.relayPollIntervalMs,
            workers: config.uma.relayWorkers,
            batchSize: config.uma.relayBatchSize,
          },
        }),
        QuotasModule.forRoot(config.quotas),
        AlbumsModule,
        PhotosModule,
      ],
      // Keycloak calls one URL per client: this service receives the logouts for both services.
      controllers: [BackchannelLogoutController],
    };
  }
}
