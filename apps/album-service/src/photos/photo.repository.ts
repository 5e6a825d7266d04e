import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PhotoEntity } from './photo.entity.ts';

/**
 * The photos table (metadata): no other code of the service reads or writes it. The bytes live in
 * `photo_contents`, which the photo content store owns; `transaction` lets a photo and its bytes
 * commit together.
 */
@Injectable()
export class PhotoRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in one transaction, for writes that must commit together. */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async insert(manager: EntityManager, photo: PhotoEntity): Promise<void> {
    await manager.insert(PhotoEntity, photo);
  }

  /**
   * What the photos of `ownerAlbumIds` weigh together, and how many of them are in `albumId`: the
   * usage that the owner's quotas bound.
   */
  async usage(
    manager: EntityManager,
    ownerAlbumIds: readonly string[],
    albumId: string,
  ): Promise<{ albumPhotos: number; bytes: number }> {
    const [row] = (await manager.query(
      `SELECT coalesce(sum(size), 0)::bigint AS bytes,
          count(*) FILTER (WHERE album_id = $2)::int AS album_photos
        FROM photos WHERE album_id = ANY($1::uuid[])`,
      [ownerAlbumIds, albumId],
    )) as { bytes: string; album_photos: number }[];
    return { albumPhotos: row?.album_photos ?? 0, bytes: Number(row?.bytes ?? 0) };
  }

  /** An album's photos, oldest first. */
  list(albumId: string): Promise<PhotoEntity[]> {
    return this.dataSource
      .getRepository(PhotoEntity)
      .find({ where: { albumId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** The photo, if it belongs to the album. */
  find(albumId: string, photoId: string): Promise<PhotoEntity | null> {
    return this.dataSource.getRepository(PhotoEntity).findOneBy({ id: photoId, albumId });
  }

  /** Deletes the photo (its bytes go by cascade) if it belongs to the album; whether it did. */
  async delete(albumId: string, photoId: string): Promise<boolean> {
    const result = await this.dataSource
      .getRepository(PhotoEntity)
      .delete({ id: photoId, albumId });
    return result.affected !== 0;
  }
}
