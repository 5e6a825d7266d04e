import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type CurrentGrant, CurrentGrantRepository } from '@app/auth';
import { UmaResourceLinkRepository } from '@app/uma-resources';
import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import { ALBUM, AlbumEntity } from './album.entity.ts';

/** An album with the id of its Keycloak resource (`undefined` until registered). */
export interface AlbumRecord {
  readonly album: AlbumEntity;
  readonly resourceId: string | undefined;
}

/** Where an album stands in the order of pages: newest first, ties broken by id. */
export interface AlbumPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * The albums table: no other code of the service reads or writes it. Reads come with the album's
 * Keycloak resource id, joined from the UMA resource links, and an access check's read with what
 * the caller holds now.
 */
@Injectable()
export class AlbumRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly links: UmaResourceLinkRepository,
    private readonly grants: CurrentGrantRepository,
  ) {}

  /**
   * Every album, for reconciliation (`albumResourceType.loadAll`). Static, like {@link read}:
   * the resource type is a value given to `UmaResourcesModule.forRoot`, before Nest makes
   * repositories.
   */
  static all(dataSource: DataSource): Promise<AlbumEntity[]> {
    return dataSource.getRepository(AlbumEntity).find();
  }

  /**
   * One album, in the caller's transaction (`albumResourceType.load`). A plain read, no row
   * lock: repairs call it under the album's outbox lock, which a change holding the row lock may
   * be waiting for.
   */
  static read(manager: EntityManager, id: string): Promise<AlbumEntity | null> {
    return manager.findOneBy(AlbumEntity, { id });
  }

  async insert(manager: EntityManager, album: AlbumEntity): Promise<void> {
    await manager.insert(AlbumEntity, album);
  }

  /** Writes the album's name, description and update time. */
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
    const [row] = await this.grants.loadWithCurrentGrant(
      this.withResourceId().where('album.id = :id', { id }),
      this.links.resourceIdColumn,
      subject,
    );
    return row === undefined
      ? undefined
      : {
          album: row.entity,
          resourceId: this.links.resourceIdIn(row.raw),
          grant: row.grant,
        };
  }

  /** Up to `limit` albums after `after`, newest first; `ownerId` limits them to one owner's. */
  async page(options: {
    ownerId?: string;
    limit: number;
    after?: AlbumPosition;
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

  /** Albums with the id of their Keycloak resource. */
  private withResourceId(): SelectQueryBuilder<AlbumEntity> {
    return this.links.joinResourceId(
      this.dataSource.getRepository(AlbumEntity).createQueryBuilder('album'),
      'album',
      ALBUM,
    );
  }

  private async records(query: SelectQueryBuilder<AlbumEntity>): Promise<AlbumRecord[]> {
    const { entities, raw } = await query.getRawAndEntities<Record<string, unknown>>();
    return entities.map((album, index) => ({
      album,
      resourceId: this.links.resourceIdIn(raw[index] ?? {}),
    }));
  }
}
