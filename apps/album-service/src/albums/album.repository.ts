import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type CurrentGrant, CurrentGrantRepository } from '@app/auth';
import { type PreparedStatement, queryPrepared } from '@app/common';
import { UmaResourceLinkRepository } from '@app/uma-resources';
import type { DataSource, EntityManager } from 'typeorm';
import { ALBUM, AlbumEntity } from './album.entity.ts';

/** An album with the id of its Keycloak resource (`undefined` until registered). */
export interface AlbumRecord {
  readonly album: AlbumEntity;
  readonly resourceId: string | undefined;
}

/** An album row as the reads select it. */
interface AlbumRow {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly owner_id: string;
  readonly owner_username: string;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly resource_id: string | null;
}

function toRecord(row: AlbumRow): AlbumRecord {
  const album = new AlbumEntity();
  album.id = row.id;
  album.name = row.name;
  album.description = row.description;
  album.ownerId = row.owner_id;
  album.ownerUsername = row.owner_username;
  album.createdAt = row.created_at;
  album.updatedAt = row.updated_at;
  return { album, resourceId: row.resource_id ?? undefined };
}

/** Where an album stands in the order of pages: newest first, ties broken by id. */
export interface AlbumPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/**
 * The albums table: no other code of the service reads or writes it. Reads come with the album's
 * Keycloak resource id, joined from the UMA resource links, and an access check's read with what
 * the caller holds now. The reads are plain SQL (the access check's a prepared statement): they
 * run on every request, where TypeORM's query building and entity mapping would cost more than
 * the query; the writes go through TypeORM.
 */
@Injectable()
export class AlbumRepository {
  /** The reads' SQL: albums with their resource id (`resource_id`, joined from the links). */
  private readonly statements: { readonly select: string; readonly read: PreparedStatement };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    links: UmaResourceLinkRepository,
    private readonly grants: CurrentGrantRepository,
  ) {
    const link = links.joinResourceIdSql('album', ALBUM);
    const select = `SELECT album.id, album.name, album.description, album.owner_id,
        album.owner_username, album.created_at, album.updated_at, ${link.column} AS resource_id
      FROM albums album ${link.join}`;
    this.statements = {
      select,
      // Every guarded album route's access check reads this: planned once per connection.
      read: { name: 'album-read', text: `${select} WHERE album.id = $1` },
    };
  }

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

  /**
   * Serialises, until the end of the caller's transaction, the changes that count against the
   * owner's quotas (a new album, a new photo in any of the owner's albums): each checks the usage
   * under it, so two concurrent changes cannot both take the last place.
   */
  async lockOwner(manager: EntityManager, ownerId: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `album_quota:${ownerId}`,
    ]);
  }

  /** How many albums the owner has. */
  countOwnedBy(manager: EntityManager, ownerId: string): Promise<number> {
    return manager.countBy(AlbumEntity, { ownerId });
  }

  /** The ids of the owner's albums. */
  async idsOwnedBy(manager: EntityManager, ownerId: string): Promise<string[]> {
    const albums = await manager.find(AlbumEntity, { select: { id: true }, where: { ownerId } });
    return albums.map((album) => album.id);
  }

  /** Locks the album row for the rest of the transaction. */
  async lock(manager: EntityManager, id: string): Promise<AlbumEntity | null> {
    return manager
      .getRepository(AlbumEntity)
      .findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  async find(id: string): Promise<AlbumRecord | undefined> {
    const [row] = await queryPrepared<AlbumRow>(this.dataSource, this.statements.read, [id]);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The album, and what `rptHolder` holds on it now (nothing when `undefined`), in one query. */
  async findForAccess(
    id: string,
    rptHolder: string | undefined,
  ): Promise<(AlbumRecord & { grant: CurrentGrant }) | undefined> {
    const [found] = await this.grants.loadWithCurrentGrant<AlbumRow>(
      this.statements.read,
      [id],
      rptHolder,
    );
    return found === undefined ? undefined : { ...toRecord(found.row), grant: found.grant };
  }

  /** Up to `limit` albums after `after`, newest first; `ownerId` limits them to one owner's. */
  async page(options: {
    ownerId?: string;
    limit: number;
    after?: AlbumPosition;
  }): Promise<AlbumRecord[]> {
    const values: unknown[] = [];
    const conditions: string[] = [];
    if (options.ownerId !== undefined) {
      values.push(options.ownerId);
      conditions.push(`album.owner_id = $${values.length}`);
    }
    if (options.after !== undefined) {
      values.push(options.after.createdAt, options.after.id);
      conditions.push(`(album.created_at, album.id) < ($${values.length - 1}, $${values.length})`);
    }
    values.push(options.limit);
    const rows = (await this.dataSource.query(
      `${this.statements.select}
        ${conditions.length === 0 ? '' : `WHERE ${conditions.join(' AND ')}`}
        ORDER BY album.created_at DESC, album.id DESC
        LIMIT $${values.length}`,
      values,
    )) as AlbumRow[];
    return rows.map(toRecord);
  }
}
