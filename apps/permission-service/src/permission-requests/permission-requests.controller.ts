import {
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal, type Principal } from '@app/auth';
import { ApiProblems, DEFAULT_PAGE_SIZE, problem } from '@app/common';
import { ACCESS_CHANGE_IN_PROGRESS } from '@app/grant-record';
import { USER_DISABLED } from '../grants/user-disabled.ts';
import { RateLimitPolicy } from '@app/platform';
import {
  ApprovePermissionRequestDto,
  CreatePermissionRequestDto,
  ListRequestsQueryDto,
  PermissionRequestDto,
  PermissionRequestPageDto,
} from './permission-request.dto.ts';
import { PermissionAnswerService } from './permission-answer.service.ts';
import { PermissionRequestLists } from './permission-request-lists.service.ts';
import { PermissionRequestService } from './permission-request.service.ts';
import { ShareExpiryPolicy } from '../shares/share-expiry.ts';
import { ASK_AGAIN_LATER } from './reask-interval.ts';

/** The validated bearer token itself: requests are submitted to Keycloak on the requester's behalf. */
function bearerToken(authorization: string | undefined): string {
  return (authorization ?? '').replace(/^Bearer\s+/i, '');
}

const requestNotFound = problem(
  404,
  'not-found',
  'no such request, or not one the caller may see (the same answer)',
);
const nothingPending = problem(409, 'nothing-pending', 'the request has no pending scopes');

@ApiTags('permission requests')
@ApiProblems(503)
@Controller('permission-requests')
export class PermissionRequestsController {
  constructor(
    private readonly requests: PermissionRequestService,
    private readonly lists: PermissionRequestLists,
    private readonly answers: PermissionAnswerService,
    private readonly expiry: ShareExpiryPolicy,
  ) {}

  @Post()
  @RateLimitPolicy('costly')
  @ApiOperation({
    summary: "Ask an album's owner for access (202 pending, 200 when access already exists)",
  })
  @ApiAcceptedResponse({ type: PermissionRequestDto })
  @ApiOkResponse({ type: PermissionRequestDto })
  @ApiProblems(
    problem(
      400,
      'validation',
      'scopes outside the album, your own album, a ticket Keycloak refused, or a `message` that is not 1 to 500 characters of plain text',
    ),
    problem(404, 'not-found', 'no such album'),
    ASK_AGAIN_LATER,
  )
  async create(
    @CurrentPrincipal() caller: Principal,
    @Headers('authorization') authorization: string | undefined,
    @Body() input: CreatePermissionRequestDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<PermissionRequestDto> {
    const request = await this.requests.request(caller, bearerToken(authorization), input);
    void reply.status(request.status === 'pending' ? 202 : 200);
    return request;
  }

  @Get('incoming')
  @ApiOperation({ summary: "Requests on the caller's albums, one entry per album and requester" })
  @ApiOkResponse({ type: PermissionRequestPageDto })
  @ApiProblems(400)
  incoming(
    @CurrentPrincipal() caller: Principal,
    @Query() query: ListRequestsQueryDto,
  ): Promise<PermissionRequestPageDto> {
    return this.lists.incoming(
      caller,
      query.status ?? 'pending',
      query.limit ?? DEFAULT_PAGE_SIZE,
      query.cursor,
    );
  }

  @Get('outgoing')
  @ApiOperation({ summary: "The caller's own requests and their state" })
  @ApiOkResponse({ type: PermissionRequestPageDto })
  @ApiProblems(400)
  outgoing(
    @CurrentPrincipal() caller: Principal,
    @Query() query: ListRequestsQueryDto,
  ): Promise<PermissionRequestPageDto> {
    return this.lists.outgoing(caller, query.limit ?? DEFAULT_PAGE_SIZE, query.cursor);
  }

  @Post(':id/approve')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Approve a request, or some of its scopes (album owner only)',
    description:
      "With `expiresAt`, the requester's access to the album ends at that instant, as a share's does.",
  })
  @ApiOkResponse({ type: PermissionRequestDto })
  @ApiProblems(
    problem(
      400,
      'validation',
      'a scope that is not pending, or an `expiresAt` that is not a date and time, not in the future, or too far ahead',
    ),
    requestNotFound,
    nothingPending,
    problem(
      409,
      'partner-unknown',
      'the partner asked at Keycloak directly and is known only by its client id',
    ),
    USER_DISABLED,
    ACCESS_CHANGE_IN_PROGRESS,
  )
  approve(
    @CurrentPrincipal() caller: Principal,
    @Param('id') id: string,
    @Body() input: ApprovePermissionRequestDto,
  ): Promise<PermissionRequestDto> {
    const expiresAt = this.expiry.parse(input.expiresAt);
    return this.answers.approve(caller, id, input.scopes, expiresAt);
  }

  @Post(':id/deny')
  @HttpCode(204)
  @ApiOperation({ summary: 'Deny the pending scopes of a request (album owner only)' })
  @ApiNoContentResponse()
  @ApiProblems(requestNotFound, nothingPending, ACCESS_CHANGE_IN_PROGRESS)
  deny(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<void> {
    return this.answers.deny(caller, id);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Withdraw your own pending request' })
  @ApiNoContentResponse()
  @ApiProblems(requestNotFound)
  withdraw(@CurrentPrincipal() caller: Principal, @Param('id') id: string): Promise<void> {
    return this.requests.withdraw(caller, id);
  }
}
