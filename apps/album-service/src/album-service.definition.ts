import type { ServiceDefinition } from '@app/platform';
import { AlbumServiceModule } from './album-service.module.ts';
import { type AlbumServiceConfig, loadAlbumServiceConfig } from './config.ts';

export const albumService: ServiceDefinition<AlbumServiceConfig> = {
  name: 'album-service',
  description:
    'Albums and photos owned by users, shared through Keycloak user-managed access (UMA 2.0).',
  loadConfig: (env) => loadAlbumServiceConfig(env),
  module: (config) => AlbumServiceModule.forRoot(config),
};
