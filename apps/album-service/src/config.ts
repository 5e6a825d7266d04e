import { loadServiceConfig, type ServiceConfig } from '@app/common';

export type AlbumServiceConfig = ServiceConfig;

export function loadAlbumServiceConfig(
  env: Record<string, string | undefined> = process.env,
): AlbumServiceConfig {
  return loadServiceConfig(3000, env);
}
