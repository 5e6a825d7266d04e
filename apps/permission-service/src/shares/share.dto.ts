import { ApiProperty } from '@nestjs/swagger';
import { ALBUM_SCOPES } from '@app/common';
import { IsAlbumScopeSet } from '../scopes/album-scope-set.validator.ts';

export class PutShareDto {
  @ApiProperty({
    enum: ALBUM_SCOPES,
    isArray: true,
    description: 'The full set the user should hold',
  })
  @IsAlbumScopeSet('scopes must name at least one scope (DELETE revokes everything)')
  scopes: string[];
}

export class ShareDto {
  @ApiProperty() userId: string;
  @ApiProperty() username: string;
  @ApiProperty({ enum: ['person', 'partner'] }) kind: 'person' | 'partner';
  @ApiProperty({ type: [String] }) scopes: string[];
}

export class SharedAlbumDto {
  @ApiProperty({ format: 'uuid' }) albumId: string;
  @ApiProperty() albumName: string;
  @ApiProperty() ownerUsername: string;
  @ApiProperty({ type: [String] }) scopes: string[];
}

export class SharePageDto {
  @ApiProperty({ type: [ShareDto] }) items: ShareDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

export class SharedAlbumPageDto {
  @ApiProperty({ type: [SharedAlbumDto] }) items: SharedAlbumDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}
