import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type CurrentGrant, loadWithCurrentGrant } from '@app/auth';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { AlbumCursor } from './album-page.cursor.ts';
import { ALBUM, AlbumEntity } from './album.entity.ts';

/** An album with the id of its Keycloak resource (`undefined` until registered). */
export interface AlbumRecord {
  readonly album: AlbumEntity;
  readonly resourceId: string | undefined;
}

function resourceIdOf(raw: Record<string, unknown>): string | undefined {
  const value = raw['resource_id'];
  return typeof value === 'string' ? value : undefined;
}

/** Reads and writes the albums table. */
@Injectable()
export class AlbumRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(manager: EntityManager, album: AlbumEntity): Promise<void> {
    await manager.insert(AlbumEntity, album);
  }

  async update(manager: EntityManager, album: AlbumEntity): Promise<void> {
    await manager.update(
      AlbumEntity,
      { id: album.id },
      {
        name: album.name,
        description: album.description,
        updatedAt: album.updatedAt,
      },
    );
  }

  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.delete(AlbumEntity, { id });
  }

  /** Locks the album row for the rest of the transaction. */
  async lock(manager: EntityManager, id: string): Promise<AlbumEntity | null> {
    return manager
      .getRepository(AlbumEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async find(id: string): Promise<AlbumRecord | undefined> {
    const [record] = await this.records(this.withResourceId().where('album.id = :id', { id }));
    return record;
  }

  /** The album, and what `subject` holds on it now, in one query. */
  async findForAccess(
    id: string,
    subject: string,
  ): Promise<(AlbumRecord & { grant: CurrentGrant }) | undefined> {
    const [row] = await loadWithCurrentGrant(
      this.withResourceId().where('album.id = :id', { id }),
      'link.resource_id',
      subject,
    );
    return row === undefined
      ? undefined
      : {
          album: row.entity,
          resourceId: resourceIdOf(row.raw),
          grant: row.grant,
        };
  }

  /** A page of albums, newest first; `ownerId` limits it to one owner's albums. */
  async page(options: {
    ownerId?: string;
    limit: number;
    after?: AlbumCursor;
  }): Promise<AlbumRecord[]> {
    const query = this.withResourceId()
      .orderBy('album.created_at', 'DESC')
      .addOrderBy('album.id', 'DESC')
      .limit(options.limit);
    if (options.ownerId !== undefined) {
      query.andWhere('album.owner_id = :ownerId', { ownerId: options.ownerId });
    }
    if (options.after !== undefined) {
      query.andWhere('(album.created_at, album.id) < (:createdAt, :id)', {
        createdAt: options.after.createdAt,
        id: options.after.id,
      });
    }
    return this.records(query);
  }

  /** Albums with the id of their Keycloak resource, from the registration library's links. */
  private withResourceId(): SelectQueryBuilder<AlbumEntity> {
    return this.dataSource
      .getRepository(AlbumEntity)
      .createQueryBuilder('album')
      .leftJoin(
        'uma_resource_links',
        'link',
        'link.entity_type = :entityType AND link.entity_id = album.id::text',
        { entityType: ALBUM },
      )
      .addSelect('link.resource_id', 'resource_id');
  }

  private async records(query: SelectQueryBuilder<AlbumEntity>): Promise<AlbumRecord[]> {
    const { entities, raw } = await query.getRawAndEntities<Record<string, unknown>>();
    return entities.map((album, index) => ({ album, resourceId: resourceIdOf(raw[index] ?? {}) }));
  }
}
