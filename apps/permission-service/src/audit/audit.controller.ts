import { Controller, Get, Param, Query } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { DEFAULT_PAGE_SIZE, PageQueryDto, validationProblem } from '@app/common';
import { AlbumDirectory } from '../albums/album-directory.ts';
import { AUDIT_ACTIONS, type AuditEventEntity } from './audit-event.entity.ts';
import { AuditRepository } from './audit.repository.ts';

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
    @Query() query: PageQueryDto,
  ): Promise<AuditPageDto> {
    const album = await this.albums.requireOwned(albumId, caller);
    if (query.cursor !== undefined && !/^\d{1,18}$/.test(query.cursor)) {
      throw validationProblem([
        { field: 'cursor', message: 'cursor is not one this service handed out' },
      ]);
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const events = await this.audit.forAlbum(album.albumId, limit + 1, query.cursor);
    const items = events.slice(0, limit);
    return {
      items: items.map(toDto),
      nextCursor: events.length > limit ? (items.at(-1)?.id ?? null) : null,
    };
  }
}
