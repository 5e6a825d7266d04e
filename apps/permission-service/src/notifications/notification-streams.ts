import type { ServerResponse } from 'node:http';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { EndedSessions, type Principal } from '@app/auth';
import { ProblemException } from '@app/common';
import { log, metrics } from '@app/observability';
import {
  NOTIFICATIONS_CHANNEL,
  NotificationRepository,
  toNotificationDto,
} from './notification.repository.ts';
import { sseComment, sseEvent } from './sse.ts';

/** How the notification streams are bounded and kept alive (`NOTIFICATION_STREAM_*`). */
export interface NotificationStreamOptions {
  /** Streams one person (or partner) may hold open on one instance. */
  readonly perUser: number;
  /** Streams one instance holds open at most. */
  readonly perInstance: number;
  /** A comment is sent after this long without any other write, so proxies keep the stream. */
  readonly heartbeatMs: number;
  /** Bytes a stream may have waiting for a slow client before the stream is closed. */
  readonly maxBufferedBytes: number;
}

export const NOTIFICATION_STREAM_OPTIONS = Symbol('NOTIFICATION_STREAM_OPTIONS');

export const DEFAULT_NOTIFICATION_STREAM_OPTIONS: NotificationStreamOptions = {
  perUser: 5,
  perInstance: 1_000,
  heartbeatMs: 15_000,
  maxBufferedBytes: 64 * 1024,
};

/** How often streams are checked for an expired token, an ended session and a heartbeat due. */
const TICK_MS = 1_000;
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;

const streamLog = log.child({ component: 'notification-streams' });

/** Why a stream was closed by the service (counted in the log line, never who held it). */
type CloseReason = 'token-expired' | 'session-ended' | 'slow-client' | 'shutdown';

/** One open stream: the caller it was opened for and the response it writes to. */
class OpenStream {
  readonly openedAt = Date.now();
  lastWriteAt = Date.now();
  closed = false;
  /**
   * What arrived before the stream started (while its unread count was read): written after that
   * count, so that no notification committed meanwhile is missed.
   */
  #held: string[] | undefined = [];

  constructor(
    readonly principal: Principal,
    private readonly response: ServerResponse,
    private readonly maxBufferedBytes: number,
    private readonly onClosed: (stream: OpenStream, reason: CloseReason | 'client') => void,
  ) {
    response.on('close', () => this.finish('client'));
  }

  /**
   * Writes `frame`, unless the client has not read what was written before: a stream whose
   * unread bytes pass the bound is closed (the client reconnects and reads the list), so a slow
   * or stalled reader never makes the service buffer without limit.
   */
  write(frame: string): void {
    if (this.closed) {
      return;
    }
    if (this.#held !== undefined) {
      this.#held.push(frame);
      return;
    }
    if (this.response.writableLength + Buffer.byteLength(frame) > this.maxBufferedBytes) {
      this.close('slow-client');
      return;
    }
    this.response.write(frame);
    this.lastWriteAt = Date.now();
  }

  /** A comment, when the stream has started. */
  heartbeat(): void {
    if (this.#held === undefined) {
      this.write(sseComment('heartbeat'));
    }
  }

  /** Starts the stream (its headers are written): the unread count, then what was held. */
  start(unread: number): void {
    const held = this.#held ?? [];
    this.#held = undefined;
    if (this.closed) {
      // Closed while it was being opened (its token expired, its session ended).
      this.response.end();
      return;
    }
    this.write(sseEvent('unread', { unread }));
    for (const frame of held) {
      this.write(frame);
    }
  }

  /** Gives up a stream that never started: the response is still the route's to answer. */
  abandon(): void {
    this.finish('client');
  }

  close(reason: CloseReason): void {
    if (this.closed) {
      return;
    }
    this.finish(reason);
    if (this.#held !== undefined) {
      // Not started: `start` ends the response once its headers are written.
      return;
    }
    // A slow client's unread bytes are dropped with its connection; others get a clean end.
    if (reason === 'slow-client') {
      this.response.destroy();
    } else {
      this.response.end();
    }
  }

  private finish(reason: CloseReason | 'client'): void {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.onClosed(this, reason);
  }
}

/**
 * The live notification streams of one instance. Every instance listens on one PostgreSQL
 * connection of its own (`LISTEN photoz_notifications`): a notification committed on any
 * instance names its recipient and id there, and the instance holding streams of that recipient
 * reads it back once and writes it to each of them (fan-out in the process). A stream is closed
 * when its access token expires or its session ends at Keycloak (checked every second, as the
 * guard would refuse the token), when its client does not read (see {@link OpenStream.write}),
 * and when the service stops. A lost listening connection is replaced; once listening again,
 * every stream gets its unread count afresh, so a client that missed an event sees the count move.
 */
@Injectable()
export class NotificationStreams implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly #byRecipient = new Map<string, Set<OpenStream>>();

  /** How many streams are open here. */
  get size(): number {
    return this.#count;
  }
  #count = 0;
  #listener: pg.Client | undefined;
  #tick: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelayMs = RECONNECT_MIN_MS;
  #closing = false;
  #listening: Promise<void> | undefined;

  constructor(
    @Inject(NOTIFICATION_STREAM_OPTIONS) private readonly options: NotificationStreamOptions,
    private readonly notifications: NotificationRepository,
    private readonly endedSessions: EndedSessions,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  onApplicationBootstrap(): void {
    this.#listening = this.listen();
    this.#tick = setInterval(() => this.sweep(), TICK_MS);
    this.#tick.unref();
  }

  /** Resolves once this instance listens (tests wait for it before opening streams). */
  async ready(): Promise<void> {
    await this.#listening;
  }

  /** Ends every stream before the HTTP server closes, which would otherwise wait for them. */
  async beforeApplicationShutdown(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#tick);
    clearTimeout(this.#reconnectTimer);
    for (const streams of this.#byRecipient.values()) {
      for (const stream of streams) {
        stream.close('shutdown');
      }
    }
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /**
   * Refuses a stream past the bounds (a `429` problem, before anything is written), so that the
   * caller's answer is still an ordinary one.
   */
  admit(principal: Principal): void {
    const own = this.#byRecipient.get(principal.subject)?.size ?? 0;
    const bound =
      own >= this.options.perUser
        ? 'user'
        : this.#count >= this.options.perInstance
          ? 'instance'
          : undefined;
    if (bound !== undefined) {
      metrics.notificationStreamsRefused.inc({ bound });
      throw new ProblemException({
        status: 429,
        code: 'too-many-streams',
        detail:
          bound === 'user'
            ? `At most ${this.options.perUser} notification streams per user are open at once; close one first.`
            : 'This instance holds as many notification streams as it may; retry shortly.',
        headers: { 'retry-after': '5' },
      });
    }
  }

  /**
   * Makes `response` a stream of `principal`'s notifications: the stream is registered first, its
   * unread count read (`countUnread`), then `begin` writes the headers and the stream starts with
   * that count and whatever arrived meanwhile. Should the count fail, nothing was written and the
   * error is the route's answer.
   */
  async open(
    principal: Principal,
    response: ServerResponse,
    countUnread: () => Promise<number>,
    begin: () => void,
  ): Promise<void> {
    const stream = new OpenStream(
      principal,
      response,
      this.options.maxBufferedBytes,
      (closed, reason) => this.remove(closed, reason),
    );
    const streams = this.#byRecipient.get(principal.subject) ?? new Set<OpenStream>();
    streams.add(stream);
    this.#byRecipient.set(principal.subject, streams);
    this.#count += 1;
    metrics.notificationStreams.set(this.#count);
    let unread: number;
    try {
      unread = await countUnread();
    } catch (error) {
      stream.abandon();
      throw error;
    }
    begin();
    stream.start(unread);
  }

  private remove(stream: OpenStream, reason: CloseReason | 'client'): void {
    // The request line of a stream is this one: Fastify writes none for a response taken over.
    streamLog.info(
      {
        event: 'notification.stream.closed',
        reason,
        durationMs: Date.now() - stream.openedAt,
      },
      'notification stream closed',
    );
    const streams = this.#byRecipient.get(stream.principal.subject);
    if (streams?.delete(stream) !== true) {
      return;
    }
    if (streams.size === 0) {
      this.#byRecipient.delete(stream.principal.subject);
    }
    this.#count -= 1;
    metrics.notificationStreams.set(this.#count);
  }

  /** Closes the streams whose token expired or whose session ended; sends the heartbeats due. */
  sweep(): void {
    const now = Date.now();
    for (const streams of this.#byRecipient.values()) {
      for (const stream of streams) {
        if (stream.principal.expiresAt * 1000 <= now) {
          stream.close('token-expired');
        } else if (this.endedSessions.refuses(stream.principal)) {
          stream.close('session-ended');
        } else if (now - stream.lastWriteAt >= this.options.heartbeatMs) {
          stream.heartbeat();
        }
      }
    }
  }

  /** A committed notification: written to its recipient's streams here, if any. */
  async deliver(id: string, recipient: string): Promise<void> {
    const streams = this.#byRecipient.get(recipient);
    if (streams === undefined) {
      return;
    }
    const [row, unread] = await Promise.all([
      this.notifications.one(id, recipient),
      this.notifications.unread(recipient),
    ]);
    if (row === undefined) {
      return;
    }
    const frames =
      sseEvent('notification', toNotificationDto(row), row.id) + sseEvent('unread', { unread });
    for (const stream of this.#byRecipient.get(recipient) ?? []) {
      stream.write(frames);
    }
  }

  /** Every stream gets its count afresh (after the listening connection was replaced). */
  private async refreshAll(): Promise<void> {
    for (const [recipient, streams] of this.#byRecipient) {
      const unread = await this.notifications.unread(recipient);
      for (const stream of streams) {
        stream.write(sseEvent('unread', { unread }));
      }
    }
  }

  private async listen(): Promise<void> {
    if (this.#closing) {
      return;
    }
    const { url, applicationName } = this.dataSource.options as {
      url?: string;
      applicationName?: string;
    };
    const client = new pg.Client({
      connectionString: url,
      application_name: `${applicationName ?? 'photoz'}-notifications`,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.channel !== NOTIFICATIONS_CHANNEL || message.payload === undefined) {
        return;
      }
      const named = parsePayload(message.payload);
      if (named !== undefined) {
        this.deliver(named.id, named.recipient).catch((error: unknown) => {
          streamLog.warn(
            { event: 'notification.stream.read-failed', error: messageOf(error) },
            'could not read a notification for its streams',
          );
        });
      }
    });
    client.on('error', () => this.replace(client));
    client.on('end', () => this.replace(client));
    this.#listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${NOTIFICATIONS_CHANNEL}`);
      const reconnected = this.#reconnectDelayMs !== RECONNECT_MIN_MS;
      this.#reconnectDelayMs = RECONNECT_MIN_MS;
      if (reconnected) {
        await this.refreshAll();
      }
    } catch (error) {
      streamLog.warn(
        { event: 'notification.stream.listen', error: messageOf(error) },
        'could not listen for notifications; retrying',
      );
      this.replace(client);
    }
  }

  private replace(client: pg.Client): void {
    if (this.#listener !== client || this.#closing) {
      return;
    }
    this.#listener = undefined;
    client.end().catch(() => undefined);
    const delay = this.#reconnectDelayMs;
    this.#reconnectDelayMs = Math.min(delay * 2, RECONNECT_MAX_MS);
    this.#reconnectTimer = setTimeout(() => {
      void this.listen();
    }, delay);
    this.#reconnectTimer.unref();
  }
}

function parsePayload(payload: string): { id: string; recipient: string } | undefined {
  try {
    const value = JSON.parse(payload) as { id?: unknown; recipient?: unknown };
    return typeof value.id === 'string' && typeof value.recipient === 'string'
      ? { id: value.id, recipient: value.recipient }
      : undefined;
  } catch {
    return undefined;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
