import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsString, MaxLength } from 'class-validator';
import { ALBUM_SCOPES, OmittedOr } from '@app/common';
import { IsAlbumScopeSet } from '../scopes/album-scope-set.validator.ts';

export class PutShareDto {
  @ApiProperty({
    enum: ALBUM_SCOPES,
    isArray: true,
    description: 'The full set the user should hold',
  })
  @IsAlbumScopeSet('scopes must name at least one scope (DELETE revokes everything)')
  scopes: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    maxLength: 64,
    description:
      'When the share ends: a date and time with its offset, in the future and at most SHARE_MAX_DURATION_DAYS (365 by default) ahead. Absent: the share lasts until revoked (a PUT sets the full state, so it also removes an earlier expiry).',
  })
  @OmittedOr()
  @IsString({ message: 'expiresAt must be a date and time (ISO 8601)' })
  @MaxLength(64, { message: 'expiresAt must be a date and time (ISO 8601)' })
  expiresAt?: string;
}

export class ShareDto {
  @ApiProperty() userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['person', 'partner'] }) kind: 'person' | 'partner';
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the share ends; null: until revoked',
  })
  expiresAt: string | null;
}

export class SharedAlbumDto {
  @ApiProperty({ format: 'uuid' }) albumId: string;
  @ApiProperty() albumName: string;
  @ApiProperty() ownerUsername: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description: 'When the share ends; null: until revoked',
  })
  expiresAt: string | null;
}

export class SharePageDto {
  @ApiProperty({ type: [ShareDto] }) items: ShareDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class SharedAlbumPageDto {
  @ApiProperty({ type: [SharedAlbumDto] }) items: SharedAlbumDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
