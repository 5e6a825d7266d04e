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
