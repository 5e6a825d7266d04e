import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** Where photo bytes live; written in the same transaction as the photo's metadata. */
export interface PhotoContentStore {
  /** Stores the photo's bytes in the transaction of `manager`, the one writing its metadata. */
  save(manager: EntityManager, photoId: string, bytes: Buffer): Promise<void>;
  /** The photo's bytes, or `undefined` when there are none. */
  load(photoId: string): Promise<Buffer | undefined>;
}

/** The injection token of the {@link PhotoContentStore} in use. */
export const PHOTO_CONTENT_STORE = Symbol('PHOTO_CONTENT_STORE');

/**
 * Photo bytes in PostgreSQL (`bytea`, the `photo_contents` table: no other code of the service
 * reads or writes it): durable, transactional with the metadata (nothing is half-written), and
 * deleted with the photo or album by cascade.
 */
@Injectable()
export class PostgresPhotoContentStore implements PhotoContentStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async save(manager: EntityManager, photoId: string, bytes: Buffer): Promise<void> {
    await manager.query('INSERT INTO photo_contents (photo_id, data) VALUES ($1, $2)', [
      photoId,
      bytes,
    ]);
  }

  async load(photoId: string): Promise<Buffer | undefined> {
    const rows = (await this.dataSource.query(
      'SELECT data FROM photo_contents WHERE photo_id = $1',
      [photoId],
    )) as { data: Buffer }[];
    return rows[0]?.data;
  }
}
