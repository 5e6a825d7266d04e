import { ApiProperty } from '@nestjs/swagger';
import type { Photo } from './photo.ts';

/** A photo's metadata as the API answers it. */
export class PhotoResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) albumId: string;
  @ApiProperty() fileName: string;
  @ApiProperty({ enum: ['image/jpeg', 'image/png', 'image/gif', 'image/webp'] })
  contentType: string;
  @ApiProperty({ description: 'Bytes' }) size: number;
  @ApiProperty({ description: 'SHA-256 of the bytes, hex' }) checksum: string;
  @ApiProperty() createdAt: string;
}

/** The API answer for a photo. */
export function toPhotoResponse(photo: Photo): PhotoResponseDto {
  return {
    id: photo.id,
    albumId: photo.albumId,
    fileName: photo.fileName,
    contentType: photo.contentType,
    size: photo.size,
    checksum: photo.checksum,
    createdAt: photo.createdAt.toISOString(),
  };
}
