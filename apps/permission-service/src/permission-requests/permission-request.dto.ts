import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { ALBUM_SCOPES, OmittedOr, PageQueryDto } from '@app/common';
import { IsAlbumScopeSet } from '../scopes/album-scope-set.validator.ts';
import { IsRequestMessage, MAX_REQUEST_MESSAGE_LENGTH } from './request-message.ts';

export class CreatePermissionRequestDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'With `scopes`; or send `ticket` instead' })
  @OmittedOr()
  @IsUUID('all', { message: 'albumId must be an album id' })
  albumId?: string;

  @ApiPropertyOptional({ enum: ALBUM_SCOPES, isArray: true })
  @OmittedOr()
  @IsAlbumScopeSet()
  scopes?: string[];

  @ApiPropertyOptional({ description: 'The permission ticket of a UMA challenge' })
  @OmittedOr()
  @IsString()
  @MaxLength(8192)
  ticket?: string;

  @ApiPropertyOptional({
    minLength: 1,
    maxLength: MAX_REQUEST_MESSAGE_LENGTH,
    description:
      'A few words for the owner, plain text: trimmed, 1 to 500 characters, line breaks allowed, ' +
      'no other control or invisible formatting characters. Sent again while the request is ' +
      'pending, it replaces the message; left out, the message stays.',
  })
  @OmittedOr()
  @IsRequestMessage()
  message?: string;
}

export class ApprovePermissionRequestDto {
  @ApiPropertyOptional({
    enum: ALBUM_SCOPES,
    isArray: true,
    description: 'Approve only these of the requested scopes (default: all)',
  })
  @OmittedOr()
  @IsAlbumScopeSet()
  scopes?: string[];

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    maxLength: 64,
    description:
      "When the requester's access ends: a date and time with its offset, in the future and at most SHARE_MAX_DURATION_DAYS (365 by default) ahead. Absent: an existing share keeps its expiry, a new one lasts until revoked.",
  })
  @OmittedOr()
  @IsString({ message: 'expiresAt must be a date and time (ISO 8601)' })
  @MaxLength(64, { message: 'expiresAt must be a date and time (ISO 8601)' })
  expiresAt?: string;
}

export class ListRequestsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: ['pending', 'granted'], default: 'pending' })
  @IsOptional()
  @IsIn(['pending', 'granted'], { message: 'status must be pending or granted' })
  status?: 'pending' | 'granted';
}

export class PartyDto {
  @ApiProperty() id: string;
  @ApiProperty() username: string;
  @ApiProperty({ description: "A partner application's service account" }) partner: boolean;
}

export class PermissionRequestDto {
  @ApiProperty({ description: 'The request: one album and one requester' }) id: string;
  @ApiProperty({ format: 'uuid' }) albumId: string;
  @ApiProperty() albumName: string;
  @ApiProperty({ type: PartyDto }) requester: PartyDto;
  @ApiProperty({ type: String, nullable: true }) ownerUsername: string | null;
  @ApiProperty({ enum: ['pending', 'granted'] }) status: 'pending' | 'granted';
  @ApiProperty({ type: [String] }) pendingScopes: string[];
  @ApiProperty({ type: [String] }) grantedScopes: string[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The requester's message while the request is pending (null: none)",
  })
  message: string | null;
  @ApiProperty({
    type: String,
    format: 'date-time',
    nullable: true,
    description:
      'When the pending request lapses unanswered (null when nothing is pending); it then ' +
      'leaves the lists and its Keycloak tickets are deleted',
  })
  expiresAt: string | null;
}

export class PermissionRequestPageDto {
  @ApiProperty({ type: [PermissionRequestDto] }) items: PermissionRequestDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
