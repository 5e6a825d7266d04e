import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { ProtectedResource } from '@app/auth';
import { ALBUM_RESOURCE_TYPE, ALBUM_SCOPES, albumResourceName, isUuid } from '@app/common';
import {
  type EntityResourceDescription,
  UmaOutboxWriter,
  type UmaResourceType,
  UmaResourceTypes,
} from '@app/uma-resources';
import type { EntityManager } from 'typeorm';
import { ALBUM, type Album } from './album.ts';
import { type AlbumRecord, AlbumRepository } from './album.repository.ts';

/**
 * The album as a kind of Keycloak resource, registered once: each album is a resource of type
 * `urn:photoz:album` owned by the album's owner, and the `@Scopes` guard finds an album, who owns
 * it, which resource it is and what the caller holds on it now, through this class.
 */
@Injectable()
export class AlbumResource implements UmaResourceType<Album>, OnModuleInit {
  readonly entityType = ALBUM;
  readonly resourceType = ALBUM_RESOURCE_TYPE;
  readonly scopes = ALBUM_SCOPES;

  constructor(
    private readonly albums: AlbumRepository,
    private readonly types: UmaResourceTypes,
    private readonly outbox: UmaOutboxWriter,
  ) {}

  onModuleInit(): void {
    this.types.register(this);
  }

  id(album: Album): string {
    return album.id;
  }

  describe(album: Album): EntityResourceDescription {
    return {
      name: albumResourceName(album.id),
      displayName: album.name,
      ownerId: album.ownerId,
      uris: [`/albums/${album.id}`],
    };
  }

  loadAll(): Promise<Album[]> {
    return this.albums.all();
  }

  load(manager: EntityManager, id: string): Promise<Album | undefined> {
    return this.albums.load(manager, id);
  }

  isValidId(id: string): boolean {
    return isUuid(id);
  }

  async resolve(
    id: string,
    rptHolder: string | undefined,
  ): Promise<ProtectedResource<AlbumRecord> | undefined> {
    const record = await this.albums.findForAccess(id, rptHolder);
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
    return this.outbox.requestRepair(ALBUM, id);
  }
}
