import { Injectable, type OnModuleInit } from '@nestjs/common';
import { type ProtectedResource, type UmaResourceResolver, UmaResourceResolvers } from '@app/auth';
import { isUuid } from '@app/common';
import { UmaOutboxWriter } from '@app/uma-resources';
import { ALBUM } from './album.entity.ts';
import { type AlbumRecord, AlbumRepository } from './album.repository.ts';

/** Tells the UMA guard who owns an album and which Keycloak resource it is. */
@Injectable()
export class AlbumResourceResolver implements UmaResourceResolver, OnModuleInit {
  constructor(
    private readonly albums: AlbumRepository,
    private readonly resolvers: UmaResourceResolvers,
    private readonly outbox: UmaOutboxWriter,
  ) {}

  onModuleInit(): void {
    this.resolvers.register(ALBUM, this);
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
