import multipart from '@fastify/multipart';
import type { ServiceDefinition } from '@app/platform';
import { AlbumServiceModule } from './album-service.module.ts';
import { type AlbumServiceConfig, loadAlbumServiceConfig } from './config.ts';
import { MAX_PHOTO_BYTES } from './photos/photo.service.ts';

/** How `runService` starts the album service: its config, module and multipart limits. */
export const albumService: ServiceDefinition<AlbumServiceConfig> = {
  name: 'album-service',
  description:
    'Albums and photos owned by users, shared through Keycloak user-managed access (UMA 2.0).',
  loadConfig: (env) => loadAlbumServiceConfig(env),
  module: (config) => AlbumServiceModule.forRoot(config),
  configure: async (app) => {
    await app.register(multipart, {
      limits: { fileSize: MAX_PHOTO_BYTES, files: 1, fields: 10, parts: 11 },
    });
  },
};
