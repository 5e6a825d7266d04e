import { type DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@app/platform';
import { ALBUM_SERVICE_SCHEMA } from './database/schema.ts';
import { type AlbumServiceConfig } from './config.ts';

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
      ],
    };
  }
}
