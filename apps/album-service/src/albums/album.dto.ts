import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { IsStorableText, OmittedOr, PageQueryDto } from '@app/common';
import type { AlbumRecord } from './album.repository.ts';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/**
 * An album's name is its Keycloak resource's display name, a `VARCHAR(255)` that Keycloak's H2
 * store counts in UTF-16 code units: counted that way, every accepted name fits (and the web app's
 * `maxlength`, which counts the same way, never sends a longer one).
 */
const NAME_MAX_LENGTH = 200;
const NAME_DESCRIPTION = `At most ${NAME_MAX_LENGTH} UTF-16 code units: an emoji or another character outside the Basic Multilingual Plane counts as 2`;

/** The body of `POST /albums`. */
export class CreateAlbumDto {
  @ApiProperty({ minLength: 1, maxLength: NAME_MAX_LENGTH, description: NAME_DESCRIPTION })
  @Transform(trim)
  @IsStorableText(NAME_MAX_LENGTH, { unit: 'utf16' })
  @IsNotEmpty({ message: 'name must not be empty' })
  name: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsStorableText(2000)
  description?: string;
}

/** The body of `PATCH /albums/:id`: only what it names changes. */
export class UpdateAlbumDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: NAME_MAX_LENGTH, description: NAME_DESCRIPTION })
  @OmittedOr()
  @Transform(trim)
  @IsStorableText(NAME_MAX_LENGTH, { unit: 'utf16' })
  @IsNotEmpty({ message: 'name must not be empty' })
  name?: string;

  @ApiPropertyOptional({
    type: String,
    maxLength: 2000,
    nullable: true,
    description: 'null removes the description',
  })
  @IsOptional()
  @IsStorableText(2000)
  description?: string | null;
}

/** The query of `GET /albums` and `GET /admin/albums`. */
export class ListAlbumsQueryDto extends PageQueryDto {}

/** An album as the API answers it. */
export class AlbumResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, nullable: true }) description: string | null;
  @ApiProperty({ description: "The owner's user id" }) ownerId: string;
  @ApiProperty() ownerUsername: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Its Keycloak resource; null until registered',
  })
  keycloakResourceId: string | null;
}

/** A page of albums and the cursor to the next one. */
export class AlbumPageDto {
  @ApiProperty({ type: [AlbumResponseDto] }) items: AlbumResponseDto[];
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}

/** The API answer for an album and its Keycloak resource id. */
export function toAlbumResponse({ album, resourceId }: AlbumRecord): AlbumResponseDto {
  return {
    id: album.id,
    name: album.name,
    description: album.description,
    ownerId: album.ownerId,
    ownerUsername: album.ownerUsername,
    createdAt: album.createdAt.toISOString(),
    updatedAt: album.updatedAt.toISOString(),
    keycloakResourceId: resourceId ?? null,
  };
}
