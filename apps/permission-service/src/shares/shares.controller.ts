import { Body, Controller, Delete, Get, HttpCode, Param, Put, Query } from '@nestjs/common';
import { ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { ApiProblems, DEFAULT_PAGE_SIZE, PageQueryDto, problem } from '@app/common';
import { ACCESS_CHANGE_IN_PROGRESS } from '@app/grant-record';
import { USER_DISABLED } from '../grants/user-disabled.ts';
import { RateLimitPolicy } from '@app/platform';
import { PutShareDto, ShareDto, SharedAlbumPageDto, SharePageDto } from './share.dto.ts';
import { ShareExpiryPolicy } from './share-expiry.ts';
import { ShareService } from './share.service.ts';
import { SharedWithMeService } from './shared-with-me.service.ts';

const albumIdMalformed = problem(400, 'validation', '`albumId` is not a valid album id');
const listQueryMalformed = problem(
  400,
  'validation',
  '`albumId` is not a valid album id, or `limit` or `cursor` is malformed',
);
const albumNotFound = problem(404, 'not-found', "no such album, or not one of the caller's");
const userNotFound = problem(
  404,
  'not-found',
  'no such user, or the user holds nothing on the album (the same answer)',
);

@ApiTags('shares')
@ApiProblems(503)
@Controller()
export class SharesController {
  constructor(
    private readonly shares: ShareService,
    private readonly sharedAlbums: SharedWithMeService,
    private readonly expiry: ShareExpiryPolicy,
  ) {}

  @Get('albums/:albumId/shares')
  @ApiOperation({
    summary: 'Who holds which scopes on the album (owner only), by username, a page at a time',
  })
  @ApiOkResponse({ type: SharePageDto })
  @ApiProblems(listQueryMalformed, albumNotFound)
  list(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Query() query: PageQueryDto,
  ): Promise<SharePageDto> {
    return this.shares.list(caller, albumId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Put('albums/:albumId/shares/:username')
  @RateLimitPolicy('costly')
  @ApiOperation({
    summary:
      'Share the album with a person or a partner: the body is the full set of scopes to hold',
    description:
      'Scopes dropped from the set are refused to RPTs from the answer on. Should Keycloak fail to drop their grants, the answer is still 200: they open nothing, and the service removes them once Keycloak answers again. With `expiresAt`, every RPT is refused the share from that instant on, on every instance, as after a revocation; without it the share lasts until revoked. The same PUT extends, shortens or removes an expiry.',
  })
  @ApiOkResponse({ type: ShareDto })
  @ApiProblems(
    problem(
      400,
      'validation',
      'scopes outside the album, an empty set, sharing with yourself, or an `expiresAt` that is not a date and time, not in the future, or too far ahead',
    ),
    albumNotFound,
    userNotFound,
    problem(
      409,
      'partner-unknown',
      'the partner is known only by its client id: share by its service-account username',
    ),
    USER_DISABLED,
    ACCESS_CHANGE_IN_PROGRESS,
  )
  put(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Param('username') username: string,
    @Body() input: PutShareDto,
  ): Promise<ShareDto> {
    // Checked first: a bad expiry changes nothing and costs no call to Keycloak.
    const expiresAt = this.expiry.parse(input.expiresAt) ?? null;
    return this.shares.put(caller, albumId, username, input.scopes, expiresAt);
  }

  @Delete('albums/:albumId/shares/:username')
  @RateLimitPolicy('costly')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke everything the user holds on the album, effective at once',
    description:
      "The user's RPTs are refused from the answer on. Should Keycloak fail to drop its grants, the answer is still 204: they open nothing, and the service removes them once Keycloak answers again.",
  })
  @ApiNoContentResponse()
  @ApiProblems(albumIdMalformed, albumNotFound, userNotFound, ACCESS_CHANGE_IN_PROGRESS)
  remove(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Param('username') username: string,
  ): Promise<void> {
    return this.shares.remove(caller, albumId, username);
  }

  @Get('shared-with-me')
  @ApiOperation({
    summary: 'Albums shared with the caller, with the scopes held, a page at a time',
  })
  @ApiOkResponse({ type: SharedAlbumPageDto })
  @ApiProblems(400)
  sharedWithMe(
    @CurrentPrincipal() caller: Principal,
    @Query() query: PageQueryDto,
  ): Promise<SharedAlbumPageDto> {
    return this.sharedAlbums.sharedWith(caller, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }
}
