import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { AlbumDirectory } from '../albums/album-directory.ts';
import { AUDIT_ACTIONS, type AuditEventEntity } from './audit-event.entity.ts';
import { AuditRepository } from './audit.repository.ts';

export class AuditQueryDto {
  @ApiPropertyOptional({ minimum: 1, maximum: 100, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @Matches(/^\d{1,18}$/, { message: 'cursor is not one this service handed out' })
  cursor?: string;
}

export class AuditEventDto {
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: string;
  @ApiProperty({ description: 'Who did it' }) actor: string;
  @ApiProperty({ description: 'The requester, or the user shared with' }) subject: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty() at: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor: string | null;
}

function toDto(event: AuditEventEntity): AuditEventDto {
  return {
    action: event.action,
    actor: event.actorUsername,
    subject: event.subjectUsername,
    scopes: event.scopes,
    at: event.createdAt.toISOString(),
  };
}

@ApiTags('audit')
@Controller('albums/:albumId/audit')
export class AuditController {
  constructor(
    private readonly albums: AlbumDirectory,
    private readonly audit: AuditRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: "The album's access history, oldest first (owner only)" })
  @ApiOkResponse({ type: AuditPageDto })
  async list(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Query() query: AuditQueryDto,
  ): Promise<AuditPageDto> {
    const album = await this.albums.requireOwned(albumId, caller);
    const limit = query.limit ?? 50;
    const events = await this.audit.forAlbum(album.albumId, limit + 1, query.cursor);
    const items = events.slice(0, limit);
    return {
      items: items.map(toDto),
      nextCursor: events.length > limit ? (items.at(-1)?.id ?? null) : null,
    };
  }
}
