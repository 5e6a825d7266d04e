import { ApiProperty } from '@nestjs/swagger';
import { ArrayMinSize, ArrayUnique, IsArray, IsIn } from 'class-validator';
import { ALBUM_SCOPES } from '@app/common';

export class PutShareDto {
  @ApiProperty({
    enum: ALBUM_SCOPES,
    isArray: true,
    description: 'The full set the user should hold',
  })
  @IsArray()
  @ArrayMinSize(1, { message: 'scopes must name at least one scope (DELETE revokes everything)' })
  @ArrayUnique({ message: 'scopes must not repeat a scope' })
  @IsIn(ALBUM_SCOPES, { each: true, message: `scopes must be among ${ALBUM_SCOPES.join(', ')}` })
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
