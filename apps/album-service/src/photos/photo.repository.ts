import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import type { Photo } from './photo.ts';

/** A photos row. */
interface PhotoRow {
  readonly id: string;
  readonly album_id: string;
  readonly owner_id: string;
  readonly file_name: string;
  readonly content_type: string;
  readonly size: number;
  readonly checksum: string;
  readonly created_at: Date;
}

const COLUMNS = 'id, album_id, owner_id, file_name, content_type, size, checksum, created_at';

/**
 * Every statement of the repository; what they send to PostgreSQL is committed, in full, in
 * `queries/photo.repository.sql`, which a test compares with what runs.
 */
const SQL = {
  insert: `INSERT INTO photos (${COLUMNS})\nVALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
  usage: `SELECT (SELECT count(*) FROM photos WHERE album_id = $2)::int AS album_photos,
       coalesce((SELECT bytes FROM owner_usage WHERE owner_id = $1), 0)::bigint AS bytes`,
  list: `SELECT ${COLUMNS}\n  FROM photos WHERE album_id = $1 ORDER BY created_at, id`,
  find: `SELECT ${COLUMNS}\n  FROM photos WHERE id = $1 AND album_id = $2`,
  delete: `WITH deleted AS (DELETE FROM photos WHERE id = $1 AND album_id = $2 RETURNING id)
SELECT count(*)::int AS deleted FROM deleted`,
} as const;

function toPhoto(row: PhotoRow): Photo {
  return {
    id: row.id,
    albumId: row.album_id,
    ownerId: row.owner_id,
    fileName: row.file_name,
    contentType: row.content_type,
    size: row.size,
    checksum: row.checksum,
    createdAt: row.created_at,
  };
}

/**
 * The photos table (metadata) and what each owner's photos weigh (`owner_usage`, kept by the
 * table's triggers in the transaction of every insert and delete): no other code of the service
 * reads or writes them. The bytes live in `photo_contents`, which the photo content store owns.
 * Plain SQL; methods that take a `manager` (first) run in the caller's transaction.
 */
@Injectable()
export class PhotoRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async insert(manager: EntityManager, photo: Photo): Promise<void> {
    await manager.query(SQL.insert, [
      photo.id,
      photo.albumId,
      photo.ownerId,
      photo.fileName,
      photo.contentType,
      photo.size,
      photo.checksum,
      photo.createdAt,
    ]);
  }

  /**
   * How many photos `albumId` holds, and what all the photos of `ownerId` weigh together: the
   * usage that the owner's quotas bound. Two indexed reads, whatever the owner keeps.
   */
  async usage(
    manager: EntityManager,
    ownerId: string,
    albumId: string,
  ): Promise<{ albumPhotos: number; bytes: number }> {
    const [row] = await manager.query<{ album_photos: number; bytes: string }[]>(SQL.usage, [
      ownerId,
      albumId,
    ]);
    return { albumPhotos: row?.album_photos ?? 0, bytes: Number(row?.bytes ?? 0) };
  }

  /** An album's photos, oldest first. */
  async list(albumId: string): Promise<Photo[]> {
    return (await this.dataSource.query<PhotoRow[]>(SQL.list, [albumId])).map(toPhoto);
  }

  /** The photo, if it belongs to the album. */
  async find(albumId: string, photoId: string): Promise<Photo | undefined> {
    const [row] = await this.dataSource.query<PhotoRow[]>(SQL.find, [photoId, albumId]);
    return row === undefined ? undefined : toPhoto(row);
  }

  /** Deletes the photo (its bytes go by cascade) if it belongs to the album; whether it did. */
  async delete(albumId: string, photoId: string): Promise<boolean> {
    const [row] = await this.dataSource.query<{ deleted: number }[]>(SQL.delete, [
      photoId,
      albumId,
    ]);
    return (row?.deleted ?? 0) > 0;
  }
}
