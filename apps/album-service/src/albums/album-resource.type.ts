import { ALBUM_RESOURCE_TYPE, ALBUM_SCOPES, albumResourceName } from '@app/common';
import type { UmaResourceType } from '@app/uma-resources';
import { ALBUM, type AlbumEntity } from './album.entity.ts';
import { AlbumRepository } from './album.repository.ts';

/** Each album is a Keycloak resource of type `urn:photoz:album` owned by the album's owner. */
export const albumResourceType: UmaResourceType<AlbumEntity> = {
  entityType: ALBUM,
  resourceType: ALBUM_RESOURCE_TYPE,
  scopes: ALBUM_SCOPES,
  id: (album) => album.id,
  describe: (album) => ({
    name: albumResourceName(album.id),
    displayName: album.name,
    ownerId: album.ownerId,
    uris: [`/albums/${album.id}`],
  }),
  loadAll: (dataSource) => AlbumRepository.all(dataSource),
  load: (manager, id) => AlbumRepository.read(manager, id),
};
