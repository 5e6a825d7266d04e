import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type CurrentGrant, CurrentGrantRepository } from '@app/grant-record';
import { type PreparedStatement, queryPrepared } from '@app/common';
import type { DataSource, EntityManager } from 'typeorm';
import { ALBUM, type Album } from './album.ts';

/** An album with the id of its Keycloak resource (`undefined` until registered). */
export interface AlbumRecord {
  readonly album: Album;
  readonly resourceId: string | undefined;
}

/** Where an album stands in the order of pages: newest first, ties broken by id. */
export interface AlbumPosition {
  readonly createdAt: Date;
  readonly id: string;
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
}

/** With its resource id, from the links. */
interface LinkedAlbumRow extends AlbumRow {
  readonly resource_id: string | null;
}

const COLUMNS = `album.id, album.name, album.description, album.owner_id, album.owner_username,
       album.created_at, album.updated_at`;

/** Albums with their resource id (`NULL` until registered), from the UMA resource links. */
const WITH_RESOURCE_ID = `SELECT ${COLUMNS}, link.resource_id
  FROM albums album
  LEFT JOIN uma_resource_links link
    ON link.entity_type = '${ALBUM}' AND link.entity_id = album.id::text`;

/** Pages are newest first; the first one starts after the end of time (no album is as new). */
const NEWEST_FIRST = 'ORDER BY album.created_at DESC, album.id DESC';
const START: readonly [string, string] = ['infinity', 'ffffffff-ffff-ffff-ffff-ffffffffffff'];

/**
 * Every statement of the repository. What they send to PostgreSQL is committed, in full, in
 * `queries/album.repository.sql`, which a test compares with what runs.
 */
const SQL = {
  /** An album with its resource id: every guarded album route's access check reads it. */
  read: { name: 'album-read', text: `${WITH_RESOURCE_ID}\n WHERE album.id = $1` },
  page: `${WITH_RESOURCE_ID}\n WHERE (album.created_at, album.id) < ($1, $2)\n ${NEWEST_FIRST}\n LIMIT $3`,
  pageOfOwner: `${WITH_RESOURCE_ID}\n WHERE album.owner_id = $1 AND (album.created_at, album.id) < ($2, $3)\n ${NEWEST_FIRST}\n LIMIT $4`,
  load: `SELECT ${COLUMNS}\n  FROM albums album WHERE album.id = $1`,
  lock: `SELECT ${COLUMNS}\n  FROM albums album WHERE album.id = $1 FOR UPDATE`,
  all: `SELECT ${COLUMNS}\n  FROM albums album`,
  countOwnedBy: 'SELECT count(*)::int AS albums FROM albums WHERE owner_id = $1',
  lockOwner: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))',
  insert: `INSERT INTO albums (id, name, description, owner_id, owner_username, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`,
  update: 'UPDATE albums SET name = $2, description = $3, updated_at = $4 WHERE id = $1',
  delete: 'DELETE FROM albums WHERE id = $1',
} as const satisfies Record<string, string | PreparedStatement>;

function toAlbum(row: AlbumRow): Album {
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    ownerId: row.owner_id,
    ownerUsername: row.owner_username,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toRecord(row: LinkedAlbumRow): AlbumRecord {
  return { album: toAlbum(row), resourceId: row.resource_id ?? undefined };
}

/**
 * The albums table: no other code of the service reads or writes it. Plain SQL, the same columns
 * and one mapping for every read; reads come with the album's Keycloak resource id, joined from
 * the UMA resource links, and an access check's read with what the caller holds now, in one
 * prepared statement (it runs on every guarded request). Methods that take a `manager` (first)
 * run in the caller's transaction.
 */
@Injectable()
export class AlbumRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly grants: CurrentGrantRepository,
  ) {}

  /** The album and its resource id. */
  async find(id: string): Promise<AlbumRecord | undefined> {
    const [row] = await queryPrepared<LinkedAlbumRow>(this.dataSource, SQL.read, [id]);
    return row === undefined ? undefined : toRecord(row);
  }

  /** The album, and what `rptHolder` holds on it now (nothing when `undefined`), in one query. */
  async findForAccess(
    id: string,
    rptHolder: string | undefined,
  ): Promise<(AlbumRecord & { grant: CurrentGrant }) | undefined> {
    const [found] = await this.grants.loadWithCurrentGrant<LinkedAlbumRow>(
      SQL.read,
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
    const after = options.after === undefined ? START : [options.after.createdAt, options.after.id];
    const rows =
      options.ownerId === undefined
        ? await this.dataSource.query<LinkedAlbumRow[]>(SQL.page, [...after, options.limit])
        : await this.dataSource.query<LinkedAlbumRow[]>(SQL.pageOfOwner, [
            options.ownerId,
            ...after,
            options.limit,
          ]);
    return rows.map(toRecord);
  }

  /** Every album, for reconciliation. */
  async all(): Promise<Album[]> {
    return (await this.dataSource.query<AlbumRow[]>(SQL.all)).map(toAlbum);
  }

  /**
   * One album, in the caller's transaction: a plain read, no row lock (repairs read it under the
   * album's outbox lock, which a change holding the row lock may be waiting for).
   */
  async load(manager: EntityManager, id: string): Promise<Album | undefined> {
    const [row] = await manager.query<AlbumRow[]>(SQL.load, [id]);
    return row === undefined ? undefined : toAlbum(row);
  }

  /** The album, its row locked for the rest of the transaction. */
  async lock(manager: EntityManager, id: string): Promise<Album | undefined> {
    const [row] = await manager.query<AlbumRow[]>(SQL.lock, [id]);
    return row === undefined ? undefined : toAlbum(row);
  }

  /** How many albums the owner has. */
  async countOwnedBy(manager: EntityManager, ownerId: string): Promise<number> {
    const [row] = await manager.query<{ albums: number }[]>(SQL.countOwnedBy, [ownerId]);
    return row?.albums ?? 0;
  }

  /**
   * Serialises, until the end of the caller's transaction, the changes that count against the
   * owner's quotas (a new album, a new photo in any of the owner's albums): each checks the usage
   * under it, so two concurrent changes cannot both take the last place.
   */
  async lockOwner(manager: EntityManager, ownerId: string): Promise<void> {
    await manager.query(SQL.lockOwner, [`album_quota:${ownerId}`]);
  }

  async insert(manager: EntityManager, album: Album): Promise<void> {
    await manager.query(SQL.insert, [
      album.id,
      album.name,
      album.description,
      album.ownerId,
      album.ownerUsername,
      album.createdAt,
      album.updatedAt,
    ]);
  }

  /** Writes the album's name, description and update time. */
  async update(manager: EntityManager, album: Album): Promise<void> {
    await manager.query(SQL.update, [album.id, album.name, album.description, album.updatedAt]);
  }

  /** Deletes the album; its photos go by cascade. */
  async delete(manager: EntityManager, id: string): Promise<void> {
    await manager.query(SQL.delete, [id]);
  }
}
