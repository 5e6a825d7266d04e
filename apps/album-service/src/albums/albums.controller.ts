import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { ApiProblems, problem, QuotaProblemDto } from '@app/common';
import type { FastifyReply } from 'fastify';
import {
  CurrentPrincipal,
  type Principal,
  type ProtectedResource,
  ResolvedResource,
  Roles,
  Scopes,
  UmaResource,
} from '@app/auth';
import {
  AlbumPageDto,
  AlbumResponseDto,
  CreateAlbumDto,
  ListAlbumsQueryDto,
  toAlbumResponse,
  UpdateAlbumDto,
} from './album.dto.ts';
import type { AlbumRecord } from './album.repository.ts';
import { AlbumService } from './album.service.ts';
import { ALBUM } from './album.ts';

/** `/albums`: a caller's albums; `@Scopes` decides access to one album. */
@ApiTags('albums')
@UmaResource(ALBUM, { param: 'id' })
@Controller('albums')
export class AlbumsController {
  constructor(private readonly albums: AlbumService) {}

  @Post()
  @ApiOperation({ summary: 'Create an album; the caller becomes its owner' })
  @ApiCreatedResponse({ type: AlbumResponseDto })
  @ApiProblems(
    problem(
      409,
      'quota-exceeded',
      'the caller owns as many albums as the quota allows (`quota`: `albums-per-owner`, with `usage` and `limit`)',
      { body: QuotaProblemDto },
    ),
  )
  async create(
    @CurrentPrincipal() principal: Principal,
    @Body() input: CreateAlbumDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<AlbumResponseDto> {
    const album = await this.albums.create(principal, input);
    void reply.header('location', `/albums/${album.id}`);
    return album;
  }

  @Get()
  @ApiOperation({ summary: "The caller's own albums, newest first" })
  @ApiOkResponse({ type: AlbumPageDto })
  @ApiProblems(400)
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListAlbumsQueryDto,
  ): Promise<AlbumPageDto> {
    return this.albums.page({
      ownerId: principal.subject,
      limit: query.limit,
      cursor: query.cursor,
    });
  }

  @Get(':id')
  @Scopes('album:view')
  @ApiOperation({ summary: 'An album (owner, or an RPT with album:view)' })
  @ApiOkResponse({ type: AlbumResponseDto })
  get(@ResolvedResource() album: ProtectedResource<AlbumRecord>): AlbumResponseDto {
    // The guard has just loaded the album to decide access: no second read.
    return toAlbumResponse(album.entity);
  }

  @Patch(':id')
  @Scopes('album:edit')
  @ApiOperation({ summary: 'Rename an album or change its description (owner, or album:edit)' })
  @ApiOkResponse({ type: AlbumResponseDto })
  update(@Param('id') id: string, @Body() input: UpdateAlbumDto): Promise<AlbumResponseDto> {
    return this.albums.update(id, input);
  }

  @Delete(':id')
  @HttpCode(204)
  @Scopes('album:delete')
  @ApiOperation({
    summary: 'Delete an album, its photos and its Keycloak resource (owner, or album:delete)',
  })
  @ApiNoContentResponse()
  delete(@Param('id') id: string): Promise<void> {
    return this.albums.delete(id);
  }
}

/** `/admin/albums`: every owner's albums, for the realm role `admin`. */
@ApiTags('admin')
@Roles('admin')
@Controller('admin/albums')
export class AdminAlbumsController {
  constructor(private readonly albums: AlbumService) {}

  @Get()
  @ApiOperation({ summary: 'Every album with its owner, newest first (realm role admin)' })
  @ApiOkResponse({ type: AlbumPageDto })
  @ApiProblems(400)
  list(@Query() query: ListAlbumsQueryDto): Promise<AlbumPageDto> {
    return this.albums.page({ limit: query.limit, cursor: query.cursor });
  }
}
