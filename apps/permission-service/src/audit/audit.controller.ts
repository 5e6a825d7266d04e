import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { ApiProblems, PageQueryDto, problem, readPage } from '@app/common';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { AUDIT_ACTIONS, type AuditEventEntity } from './audit-event.entity.ts';
import { AuditRepository } from './audit.repository.ts';

export class AuditEventDto {
  @ApiProperty({ enum: AUDIT_ACTIONS }) action: string;
  @ApiProperty({ description: 'Who did it' }) actor: string;
  @ApiProperty({ description: 'The requester, or the user shared with' }) subject: string;
  @ApiProperty({ type: [String] }) scopes: string[];
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'The invitation link a `redeemed` share came through',
  })
  linkId: string | null;
  @ApiProperty() at: string;
}

export class AuditPageDto {
  @ApiProperty({ type: [AuditEventDto] }) items: AuditEventDto[];
  @ApiProperty({ type: String, nullable: true }) nextCursor: string | null;
}

function toDto(event: AuditEventEntity): AuditEventDto {
  return {
    action: event.action,
    actor: event.actorUsername,
    subject: event.subjectUsername,
    scopes: event.scopes,
    linkId: event.linkId,
    at: event.createdAt.toISOString(),
  };
}

@ApiTags('audit')
@ApiProblems(503)
@Controller('albums/:albumId/audit')
export class AuditController {
  constructor(
    private readonly access: AccessPolicy,
    private readonly audit: AuditRepository,
  ) {}

  @Get()
  @ApiOperation({ summary: "The album's access history, oldest first (owner only)" })
  @ApiOkResponse({ type: AuditPageDto })
  @ApiProblems(
    problem(400, 'validation', 'a malformed `albumId`, `limit` or `cursor`'),
    problem(404, 'not-found', "no such album, or not one of the caller's"),
  )
  async list(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Query() query: PageQueryDto,
  ): Promise<AuditPageDto> {
    const album = await this.access.requireAccess(caller, Permission.AlbumAuditRead, { albumId });
    const page = await readPage({
      limit: query.limit,
      cursor: query.cursor,
      // The position is the last event's id (a bigint, kept as its digits).
      parse: (value) => (typeof value === 'string' && /^\d{1,18}$/.test(value) ? value : undefined),
      read: (afterId, count) => this.audit.forAlbum(album.albumId, count, afterId),
      positionOf: (event) => event.id,
    });
    return { items: page.items.map(toDto), nextCursor: page.nextCursor };
  }
}
