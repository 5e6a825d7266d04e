import { describe, expect, it } from 'vitest';
import {
  albumQuotaBreach,
  type OwnerQuotas,
  photoQuotaBreach,
  quotaExceeded,
} from './owner-quotas.ts';

const QUOTAS: OwnerQuotas = { albumsPerOwner: 2, photosPerAlbum: 3, bytesPerOwner: 1000 };

describe(albumQuotaBreach.name, () => {
  it('allows an album while the owner has fewer than the quota', () => {
    expect(albumQuotaBreach(1, QUOTAS)).toBeUndefined();
  });

  it('names the quota, the usage and the limit once the owner has as many', () => {
    expect(albumQuotaBreach(2, QUOTAS)).toEqual({
      quota: 'albums-per-owner',
      usage: 2,
      limit: 2,
    });
  });
});

describe(photoQuotaBreach.name, () => {
  it('allows a photo that fits', () => {
    expect(photoQuotaBreach({ albumPhotos: 2, bytes: 400 }, QUOTAS, 600)).toBeUndefined();
  });

  it('refuses a photo in a full album, before looking at bytes', () => {
    expect(photoQuotaBreach({ albumPhotos: 3, bytes: 1000 }, QUOTAS, 1)).toEqual({
      quota: 'photos-per-album',
      usage: 3,
      limit: 3,
    });
  });

  it('refuses a photo one byte over the room left', () => {
    expect(photoQuotaBreach({ albumPhotos: 0, bytes: 400 }, QUOTAS, 601)).toEqual({
      quota: 'bytes-per-owner',
      usage: 400,
      limit: 1000,
    });
  });

  it('refuses any photo at all once no byte is left (size unknown: 0)', () => {
    expect(photoQuotaBreach({ albumPhotos: 0, bytes: 1000 }, QUOTAS, 0)?.quota).toBe(
      'bytes-per-owner',
    );
  });
});

describe(quotaExceeded.name, () => {
  it('answers a count with 409 and bytes with 413, with the quota in the body', () => {
    const count = quotaExceeded({ quota: 'photos-per-album', usage: 3, limit: 3 });
    const bytes = quotaExceeded({ quota: 'bytes-per-owner', usage: 400, limit: 1000 }, true);
    expect(count.getStatus()).toBe(409);
    expect(bytes.getStatus()).toBe(413);
    expect(bytes.toBody()).toMatchObject({
      type: 'urn:photoz:problem:quota-exceeded',
      quota: 'bytes-per-owner',
      usage: 400,
      limit: 1000,
    });
    expect(bytes.problem.headers).toEqual({ connection: 'close' });
  });
});
