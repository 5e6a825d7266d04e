import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsNotEmpty, IsOptional } from 'class-validator';
import { IsStorableText, OmittedOr, PageQueryDto } from '@app/common';
import type { AlbumRecord } from './album.repository.ts';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateAlbumDto {
  @ApiProperty({ minLength: 1, maxLength: 200 })
  @Transform(trim)
  @IsStorableText(200)
  @IsNotEmpty({ message: 'name must not be empty' })
  name: string;

  @ApiPropertyOptional({ maxLength: 2000 })
  @IsOptional()
  @IsStorableText(2000)
  description?: string;
}

export class UpdateAlbumDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: 200 })
  @OmittedOr()
  @Transform(trim)
  @IsStorableText(200)
  @IsNotEmpty({ message: 'name must not be empty' })
  name?: string;

  @ApiPropertyOptional({
    maxLength: 2000,
    nullable: true,
    description: 'null removes the description',
  })
  @IsOptional()
  @IsStorableText(2000)
  description?: string | null;
}

export class ListAlbumsQueryDto extends PageQueryDto {}

export class AlbumResponseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiPropertyOptional({ nullable: true }) description: string | null;
  @ApiProperty({ description: "The owner's user id" }) ownerId: string;
  @ApiProperty() ownerUsername: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiPropertyOptional({
    nullable: true,
    description: 'Its Keycloak resource; null until registered',
  })
  keycloakResourceId: string | null;
}

export class AlbumPageDto {
  @ApiProperty({ type: [AlbumResponseDto] }) items: AlbumResponseDto[];
  @ApiPropertyOptional({
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last page',
  })
  nextCursor: string | null;
}

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
