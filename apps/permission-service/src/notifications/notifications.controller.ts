import type { OutgoingHttpHeaders } from 'node:http';
import { Body, Controller, Get, HttpCode, Post, Put, Query, Req, Res } from '@nestjs/common';
import {
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, type Principal } from '@app/auth';
import {
  ApiProblems,
  PageQueryDto,
  problem,
  readPage,
  retryAfterHeader,
  validationProblem,
} from '@app/common';
import {
  MarkNotificationsReadDto,
  NotificationPageDto,
  NotificationSettingsDto,
} from './notification.dto.ts';
import { NotificationRepository, toNotificationDto } from './notification.repository.ts';
import { NotificationSettingsRepository } from './notification-settings.repository.ts';
import { NotificationStreams } from './notification-streams.ts';

/** A notification's position in a page: its id (a bigint, kept as its digits). */
function notificationPosition(value: unknown): string | undefined {
  return typeof value === 'string' && /^\d{1,18}$/.test(value) ? value : undefined;
}

/**
 * The caller's own notifications: the list with the unread count, marking read, the live stream
 * and the choice of email. Every route reads and writes only the caller's (by token subject).
 */
@ApiTags('notifications')
@Controller('notifications')
export class NotificationsController {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly settings: NotificationSettingsRepository,
    private readonly streams: NotificationStreams,
  ) {}

  @Get()
  @ApiOperation({ summary: "The caller's notifications, newest first, with the unread count" })
  @ApiOkResponse({ type: NotificationPageDto })
  @ApiProblems(problem(400, 'validation', 'a malformed `limit` or `cursor`'))
  async list(
    @CurrentPrincipal() caller: Principal,
    @Query() query: PageQueryDto,
  ): Promise<NotificationPageDto> {
    const page = await readPage({
      limit: query.limit,
      cursor: query.cursor,
      parse: notificationPosition,
      read: (beforeId, count) => this.notifications.page(caller.subject, count, beforeId),
      positionOf: (row) => row.id,
    });
    return {
      items: page.items.map(toNotificationDto),
      nextCursor: page.nextCursor,
      unread: await this.notifications.unread(caller.subject),
    };
  }

  @Post('read')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Mark notifications read: those of `ids`, or all with `all: true`',
    description: "Ids that are not the caller's notifications are ignored.",
  })
  @ApiNoContentResponse()
  @ApiProblems(problem(400, 'validation', 'neither `ids` nor `all: true`, or a malformed id'))
  async markRead(
    @CurrentPrincipal() caller: Principal,
    @Body() input: MarkNotificationsReadDto,
  ): Promise<void> {
    if (input.all === true) {
      await this.notifications.markRead(caller.subject, undefined);
      return;
    }
    if (input.ids === undefined) {
      throw validationProblem([
        { field: 'ids', message: 'give the ids to mark read, or all: true' },
      ]);
    }
    if (input.ids.length > 0) {
      await this.notifications.markRead(caller.subject, input.ids);
    }
  }

  /**
   * The live stream, a plain authenticated GET: the guard and the rate limit run before it like
   * before any route (a refused token is the usual `401`, a token in the query string counts for
   * nothing), and so does the stream bound, whose `429` is an ordinary answer too. Only then is
   * the response taken over from Fastify (`reply.hijack()`), written to as the events come, with
   * the backpressure of the socket in view: Nest's `@Sse` would hide the socket behind an
   * Observable, leaving no say over a client that does not read, nor over when the stream ends.
   */
  @Get('stream')
  @ApiOperation({
    summary: "A live stream of the caller's notifications (server-sent events)",
    description:
      'Authenticated by the `Authorization: Bearer` header (read it with `fetch`; a token in the URL is refused). ' +
      'On connect: `event: unread` with `{"unread":N}`; then for each new notification `event: notification` with its NotificationDto, followed by `event: unread`. ' +
      'Comment lines are heartbeats. The stream ends when the access token expires or its session ends: reconnect with a fresh token.',
  })
  @ApiProduces('text/event-stream')
  @ApiOkResponse({
    description: 'The event stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiProblems(
    problem(400, 'validation', 'an `access_token` in the query string, even beside the header'),
    problem(
      429,
      'too-many-streams',
      'the caller, or this instance, holds as many streams as allowed',
      {
        headers: retryAfterHeader,
      },
    ),
  )
  async stream(
    @CurrentPrincipal() caller: Principal,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    // A token in a URL is written to logs and histories: refused even beside a valid header,
    // so that a client doing it learns at once.
    if (new URL(request.url, 'http://localhost').searchParams.has('access_token')) {
      throw validationProblem([
        {
          field: 'access_token',
          message: 'a token never goes in the URL: send it in the Authorization header',
        },
      ]);
    }
    this.streams.admit(caller);
    const response = reply.raw;
    await this.streams.open(
      caller,
      response,
      () => this.notifications.unread(caller.subject),
      () => {
        reply.hijack();
        const headers: OutgoingHttpHeaders = {};
        for (const [name, value] of Object.entries(reply.getHeaders())) {
          if (value !== undefined) {
            headers[name] = value;
          }
        }
        response.writeHead(200, {
          ...headers,
          'content-type': 'text/event-stream; charset=utf-8',
          'cache-control': 'no-store',
          // Proxies that buffer answers (nginx) would hold the events back.
          'x-accel-buffering': 'no',
          connection: 'keep-alive',
        });
        response.flushHeaders();
      },
    );
    if (request.method === 'HEAD') {
      // The headers a stream would start with, and no stream.
      response.end();
    }
  }

  @Get('settings')
  @ApiOperation({ summary: "The caller's notification settings" })
  @ApiOkResponse({ type: NotificationSettingsDto })
  async getSettings(@CurrentPrincipal() caller: Principal): Promise<NotificationSettingsDto> {
    return { email: await this.settings.emailEnabled(caller.subject) };
  }

  @Put('settings')
  @ApiOperation({
    summary: "Set the caller's notification settings",
    description: 'With `email: false`, no email is sent from now on, queued ones included.',
  })
  @ApiOkResponse({ type: NotificationSettingsDto })
  @ApiProblems(400)
  async putSettings(
    @CurrentPrincipal() caller: Principal,
    @Body() input: NotificationSettingsDto,
  ): Promise<NotificationSettingsDto> {
    await this.settings.setEmail(caller.subject, input.email);
    return { email: input.email };
  }
}
