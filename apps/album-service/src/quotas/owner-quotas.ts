import { type DynamicModule, Global, Module } from '@nestjs/common';
import { ProblemException } from '@app/common';

/** What one owner may keep: albums, photos in each album, and the bytes of all their photos. */
export interface OwnerQuotas {
  readonly albumsPerOwner: number;
  readonly photosPerAlbum: number;
  readonly bytesPerOwner: number;
}

/** The injection token of the {@link OwnerQuotas} in force. */
export const OWNER_QUOTAS = Symbol('OWNER_QUOTAS');

export type QuotaName = 'albums-per-owner' | 'photos-per-album' | 'bytes-per-owner';

/** A quota a change would break: which one, what the owner uses now, and the limit. */
export interface QuotaBreach {
  readonly quota: QuotaName;
  readonly usage: number;
  readonly limit: number;
}

/** What an owner uses where a photo is added: the album's photos and all their photos' bytes. */
export interface PhotoUsage {
  readonly albumPhotos: number;
  readonly bytes: number;
}

/** The breach of creating one more album, if any. */
export function albumQuotaBreach(albums: number, quotas: OwnerQuotas): QuotaBreach | undefined {
  return albums >= quotas.albumsPerOwner
    ? { quota: 'albums-per-owner', usage: albums, limit: quotas.albumsPerOwner }
    : undefined;
}

/** The breach of adding a photo of `size` bytes (0: any photo at all), if any; the count first. */
export function photoQuotaBreach(
  usage: PhotoUsage,
  quotas: OwnerQuotas,
  size: number,
): QuotaBreach | undefined {
  if (usage.albumPhotos >= quotas.photosPerAlbum) {
    return { quota: 'photos-per-album', usage: usage.albumPhotos, limit: quotas.photosPerAlbum };
  }
  if (usage.bytes + Math.max(size, 1) > quotas.bytesPerOwner) {
    return { quota: 'bytes-per-owner', usage: usage.bytes, limit: quotas.bytesPerOwner };
  }
  return undefined;
}

const DESCRIPTIONS: Readonly<Record<QuotaName, string>> = {
  'albums-per-owner': 'albums per owner',
  'photos-per-album': 'photos per album',
  'bytes-per-owner': 'bytes of photos per owner',
};

/**
 * The answer to a breach: `409` for a count (the owner's albums or the album's photos: the state
 * of the owner's data is in the way, and deleting some resolves it), `413` for bytes (this body is
 * too large for the room left, so it is refused without being read when its length says so).
 * `closeConnection`: the body was not read, so the connection is not kept for another request.
 */
export function quotaExceeded(breach: QuotaBreach, closeConnection = false): ProblemException {
  return new ProblemException({
    status: breach.quota === 'bytes-per-owner' ? 413 : 409,
    code: 'quota-exceeded',
    detail: `The album owner's quota of ${breach.limit} ${DESCRIPTIONS[breach.quota]} does not allow this (${breach.usage} in use).`,
    extensions: { quota: breach.quota, usage: breach.usage, limit: breach.limit },
    ...(closeConnection ? { headers: { connection: 'close' } } : {}),
  });
}

/** Provides {@link OWNER_QUOTAS} to the whole service. */
@Global()
@Module({})
export class QuotasModule {
  static forRoot(quotas: OwnerQuotas): DynamicModule {
    return {
      module: QuotasModule,
      providers: [{ provide: OWNER_QUOTAS, useValue: quotas }],
      exports: [OWNER_QUOTAS],
    };
  }
}
