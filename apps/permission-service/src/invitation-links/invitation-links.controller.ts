import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import {
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { CurrentPrincipal, type Principal } from '@app/auth';
import {
  ApiProblems,
  DEFAULT_PAGE_SIZE,
  PageQueryDto,
  problem,
  RateLimitedProblemDto,
  retryAfterHeader,
} from '@app/common';
import { RateLimitPolicy } from '@app/platform';
import { ACCESS_CHANGE_IN_PROGRESS } from '@app/grant-record';
import { USER_DISABLED } from '../grants/user-disabled.ts';
import {
  CreatedInvitationLinkDto,
  CreateInvitationLinkDto,
  DeleteInvitationLinkQueryDto,
  InvitationLinkPageDto,
  RedeemedInvitationDto,
  RedeemInvitationLinkDto,
} from './invitation-link.dto.ts';
import { InvitationLinkService } from './invitation-link.service.ts';
import { InvitationRedemptionService } from './invitation-redemption.service.ts';

const albumNotFound = problem(404, 'not-found', "no such album, or not one of the caller's");

@ApiTags('invitation links')
@ApiProblems(503)
@Controller()
export class InvitationLinksController {
  constructor(
    private readonly links: InvitationLinkService,
    private readonly redemptions: InvitationRedemptionService,
  ) {}

  @Post('albums/:albumId/links')
  @ApiOperation({
    summary: 'Create an invitation link to the album (owner only): its secret is shown only here',
    description:
      'Whoever redeems the link (`POST /links/redeem`) is granted `scopes` on the album, approved by the owner in advance. `url` carries the secret in its fragment, which browsers send to no server.',
  })
  @ApiCreatedResponse({ type: CreatedInvitationLinkDto })
  @ApiProblems(
    problem(
      400,
      'validation',
      'a malformed `albumId`, scopes outside the album, `maxUses` outside 1..1000, or `expiresAt` not in the future or too far ahead',
    ),
    albumNotFound,
  )
  create(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Body() input: CreateInvitationLinkDto,
  ): Promise<CreatedInvitationLinkDto> {
    return this.links.create(caller, albumId, input);
  }

  @Get('albums/:albumId/links')
  @ApiOperation({
    summary: "The album's invitation links (owner only), newest first, without their secrets",
  })
  @ApiOkResponse({ type: InvitationLinkPageDto })
  @ApiProblems(
    problem(400, 'validation', 'a malformed `albumId`, `limit` or `cursor`'),
    albumNotFound,
  )
  list(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Query() query: PageQueryDto,
  ): Promise<InvitationLinkPageDto> {
    return this.links.list(caller, albumId, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Delete('albums/:albumId/links/:linkId')
  @RateLimitPolicy('costly')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Delete an invitation link (owner only): it stops working at once',
    description:
      'With `revokeShares=true`, everyone who redeemed the link also loses everything they hold on the album, as `DELETE /albums/{albumId}/shares/{username}` takes it, before the answer.',
  })
  @ApiNoContentResponse()
  @ApiProblems(
    problem(400, 'validation', 'a malformed `albumId`, or `revokeShares` not `true` or `false`'),
    problem(404, 'not-found', "no such album or link, or not one of the caller's"),
    ACCESS_CHANGE_IN_PROGRESS,
  )
  remove(
    @CurrentPrincipal() caller: Principal,
    @Param('albumId') albumId: string,
    @Param('linkId') linkId: string,
    @Query() query: DeleteInvitationLinkQueryDto,
  ): Promise<void> {
    return this.links.delete(caller, albumId, linkId, query.revokeShares === 'true');
  }

  @Post('links/redeem')
  @RateLimitPolicy('costly')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Redeem an invitation link: the caller (a person or a partner) is granted its scopes',
    description:
      'The secret is in the body, never in a path (paths are logged). What the caller holds on the album is widened, never narrowed; they then read the album through the usual UMA flow. Every token that opens nothing gets the same `404`; too many of them, per caller or per client address, a `429`.',
  })
  @ApiOkResponse({ type: RedeemedInvitationDto })
  @ApiProblems(
    problem(
      404,
      'not-found',
      'the link does not exist or no longer works (unknown, malformed, used up, expired, deleted, or its album is gone): one answer for all',
    ),
    problem(409, 'own-album', "the caller owns the link's album"),
    problem(
      429,
      'rate-limited',
      'too many redemptions that opened nothing, by this caller or from this address (`violated-policies`: `invitation-redeem-failures`)',
      { headers: retryAfterHeader, body: RateLimitedProblemDto },
    ),
    USER_DISABLED,
    ACCESS_CHANGE_IN_PROGRESS,
  )
  redeem(
    @CurrentPrincipal() caller: Principal,
    @Req() request: FastifyRequest,
    @Body() input: RedeemInvitationLinkDto,
  ): Promise<RedeemedInvitationDto> {
    return this.redemptions.redeem({ principal: caller, address: request.ip }, input.token);
  }
}
