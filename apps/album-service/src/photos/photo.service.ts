import { createHash, randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { notFoundProblem, ProblemException } from '@app/common';
import type { DataSource, EntityManager } from 'typeorm';
import { detectImageType } from './image-type.ts';
import { PHOTO_CONTENT_STORE, type PhotoContentStore } from './photo-content.store.ts';
import { type PhotoResponseDto, toPhotoResponse } from './photo.dto.ts';
import type { Photo } from './photo.ts';
import { PhotoRepository } from './photo.repository.ts';
import { AlbumRepository } from '../albums/album.repository.ts';
import {
  OWNER_QUOTAS,
  type OwnerQuotas,
  photoQuotaBreach,
  type QuotaBreach,
  quotaExceeded,
} from '../quotas/owner-quotas.ts';

/** The largest photo accepted, in bytes (10 MB). */
export const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

/**
 * What a multipart body may hold besides the photo (boundaries, part headers, small fields): a
 * body whose `Content-Length` exceeds the room left by more than this cannot fit, and is refused
 * before it is read.
 */
export const MULTIPART_FRAMING_BYTES = 64 * 1024;

/** The album a photo goes to, and the owner whose quotas it counts against. */
export interface PhotoTarget {
  readonly albumId: string;
  readonly ownerId: string;
}

/** A file name safe to store and to echo in Content-Disposition. */
function cleanFileName(name: string | undefined): string {
  const cleaned = basename((name ?? '').replaceAll('\\', '/'))
    // oxlint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f"]/g, '')
    .trim()
    .slice(0, 255);
  return cleaned === '' ? 'photo' : cleaned;
}

/** Photos of albums; access is decided by `@Scopes` on the album before these methods run. */
@Injectable()
export class PhotoService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly photos: PhotoRepository,
    @Inject(PHOTO_CONTENT_STORE) private readonly contents: PhotoContentStore,
    private readonly albums: AlbumRepository,
    @Inject(OWNER_QUOTAS) private readonly quotas: OwnerQuotas,
  ) {}

  /**
   * Before the body is read: refuses an upload the owner's quotas have no room for (the album is
   * full, no bytes are left, or the declared `Content-Length` cannot fit), and says how many bytes
   * the photo may have, with the breach to answer when it has more. Not under the owner's lock:
   * {@link add} checks again under it.
   */
  async admit(
    target: PhotoTarget,
    declaredLength: number | undefined,
  ): Promise<{ readonly maxBytes: number; readonly overflow: QuotaBreach }> {
    const usage = await this.photos.usage(this.dataSource.manager, target.ownerId, target.albumId);
    const declaredPhoto =
      declaredLength === undefined ? 0 : Math.max(0, declaredLength - MULTIPART_FRAMING_BYTES);
    const breach = photoQuotaBreach(usage, this.quotas, declaredPhoto);
    if (breach !== undefined) {
      throw quotaExceeded(breach, true);
    }
    return {
      maxBytes: Math.min(MAX_PHOTO_BYTES, this.quotas.bytesPerOwner - usage.bytes),
      overflow: { quota: 'bytes-per-owner', usage: usage.bytes, limit: this.quotas.bytesPerOwner },
    };
  }

  /**
   * Stores a photo whose bytes are a JPEG, PNG, WebP or GIF image, metadata and bytes in one
   * transaction, within the owner's quotas: checked under the owner's lock, so two concurrent
   * uploads cannot both take the last place.
   */
  async add(
    target: PhotoTarget,
    fileName: string | undefined,
    bytes: Buffer,
  ): Promise<PhotoResponseDto> {
    const { albumId } = target;
    if (bytes.length === 0) {
      throw new ProblemException({ status: 400, code: 'empty-file', detail: 'The file is empty.' });
    }
    const contentType = detectImageType(bytes);
    if (contentType === undefined) {
      throw new ProblemException({
        status: 415,
        code: 'unsupported-image-type',
        detail: 'Only JPEG, PNG, WebP and GIF images are accepted (judged by the file contents).',
      });
    }
    const photo: Photo = {
      id: randomUUID(),
      albumId,
      ownerId: target.ownerId,
      fileName: cleanFileName(fileName),
      contentType,
      size: bytes.length,
      checksum: createHash('sha256').update(bytes).digest('hex'),
      createdAt: new Date(),
    };
    await this.dataSource.transaction(async (manager: EntityManager) => {
      await this.albums.lockOwner(manager, target.ownerId);
      const usage = await this.photos.usage(manager, target.ownerId, albumId);
      const breach = photoQuotaBreach(usage, this.quotas, bytes.length);
      if (breach !== undefined) {
        throw quotaExceeded(breach);
      }
      await this.photos.insert(manager, photo);
      await this.contents.save(manager, photo.id, bytes);
    });
    return toPhotoResponse(photo);
  }

  /** The album's photos' metadata, oldest first. */
  async list(albumId: string): Promise<PhotoResponseDto[]> {
    return (await this.photos.list(albumId)).map(toPhotoResponse);
  }

  /** The photo's metadata and bytes; 404 when the album has no such photo. */
  async content(albumId: string, photoId: string): Promise<{ photo: Photo; bytes: Buffer }> {
    const photo = await this.find(albumId, photoId);
    const bytes = await this.contents.load(photo.id);
    if (bytes === undefined) {
      throw notFoundProblem(`No photo ${photoId} in album ${albumId}`);
    }
    return { photo, bytes };
  }

  /** Deletes the photo and its bytes; 404 when the album has no such photo. */
  async remove(albumId: string, photoId: string): Promise<void> {
    if (!(await this.photos.delete(albumId, photoId))) {
      throw notFoundProblem(`No photo ${photoId} in album ${albumId}`);
    }
  }

  private async find(albumId: string, photoId: string): Promise<Photo> {
    const photo = await this.photos.find(albumId, photoId);
    if (photo === undefined) {
      throw notFoundProblem(`No photo ${photoId} in album ${albumId}`);
    }
    return photo;
  }
}
