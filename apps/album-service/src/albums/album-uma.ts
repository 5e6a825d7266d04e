import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type ProtectedResource, type UmaResourceResolver, UmaResourceResolvers } from '@app/auth';
import { ALBUM_RESOURCE_TYPE, ALBUM_SCOPES, albumResourceName, isUuid } from '@app/common';
import { UmaResourceRegistry, type UmaResourceType } from '@app/uma-resources';
import type { DataSource } from 'typeorm';
import { ALBUM, AlbumEntity } from './album.entity.ts';
import { type AlbumRecord, AlbumRepository } from './album.repository.ts';

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
  loadAll: (dataSource: DataSource) => dataSource.getRepository(AlbumEntity).find(),
  // A plain read, no row lock: repairs call it under the entity's outbox lock.
  load: (manager, id) => manager.findOneBy(AlbumEntity, { id }),
};

/** Tells the UMA guard who owns an album and which Keycloak resource it is. */
@Injectable()
export class AlbumResourceResolver implements UmaResourceResolver, OnModuleInit {
  constructor(
    private readonly albums: AlbumRepository,
    private readonly resolvers: UmaResourceResolvers,
    private readonly registry: UmaResourceRegistry,
  ) {}

  onModuleInit(): void {
    this.resolvers.register(ALBUM, this);
  }

  isValidId(id: string): boolean {
    return isUuid(id);
  }

  async resolve(id: string, subject: string): Promise<ProtectedResource<AlbumRecord> | undefined> {
    const record = await this.albums.findForAccess(id, subject);
    return record === undefined
      ? undefined
      : {
          ownerId: record.album.ownerId,
          resourceId: record.resourceId,
          entity: { album: record.album, resourceId: record.resourceId },
          grant: record.grant,
        };
  }

  resourceMissing(id: string): Promise<void> {
    return this.registry.requestRepair(ALBUM, id);
  }
}
