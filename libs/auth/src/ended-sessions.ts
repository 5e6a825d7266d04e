import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { log } from '@app/observability';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import {
  type EndedSession,
  EndedSessionRepository,
  ENDED_SESSIONS_CHANNEL,
  type RecordedEnd,
  recordedEndFromPayload,
} from './ended-session.repository.ts';
import type { Principal } from './principal.ts';

const sessionsLog = log.child({ component: 'ended-sessions' });

const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 15_000;

/**
 * The ended sessions one instance knows, in memory: what the guard asks on every request, two
 * map lookups. An entry refuses the tokens of its session (or subject) issued at or before the
 * end; it is dropped once every such token has expired.
 */
export class EndedSessionSet {
  readonly #sessions = new Map<string, { endedAt: number; expiresAtMs: number }>();
  readonly #subjects = new Map<string, { endedAt: number; expiresAtMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Whether `principal`'s token belongs to an ended session. */
  refuses(principal: Pick<Principal, 'subject' | 'sessionId' | 'issuedAt'>): boolean {
    if (principal.sessionId !== undefined) {
      const session = this.#sessions.get(principal.sessionId);
      if (session !== undefined && principal.issuedAt <= session.endedAt) {
        return true;
      }
    }
    const subject = this.#subjects.get(principal.subject);
    return subject !== undefined && principal.issuedAt <= subject.endedAt;
  }

  /** Adds an end; an entry already known keeps the later end. Expired ends are ignored. */
  add(end: RecordedEnd): void {
    if (end.expiresAtMs <= this.now()) {
      return;
    }
    const entries = end.kind === 'session' ? this.#sessions : this.#subjects;
    const known = entries.get(end.id);
    entries.set(end.id, {
      endedAt: Math.max(end.endedAt, known?.endedAt ?? Number.NEGATIVE_INFINITY),
      expiresAtMs: Math.max(end.expiresAtMs, known?.expiresAtMs ?? 0),
    });
  }

  /** Drops the entries whose tokens have all expired. */
  prune(): void {
    const now = this.now();
    for (const entries of [this.#sessions, this.#subjects]) {
      for (const [id, entry] of entries) {
        if (entry.expiresAtMs <= now) {
          entries.delete(id);
        }
      }
    }
  }

  get size(): number {
    return this.#sessions.size + this.#subjects.size;
  }
}

/**
 * Sessions ended at Keycloak (back-channel logout), as every instance of every service must
 * honour them at once. The record is `uma_access.ended_sessions` ({@link EndedSessionRepository});
 * each instance keeps it in memory ({@link EndedSessionSet}) so that a request never waits on the
 * database for it: filled from the table at start, kept current by PostgreSQL `LISTEN/NOTIFY` on
 * a connection of its own, and read again every `endedSessionsReloadIntervalMs` in case a
 * notification was lost with its connection (a reconnection reads it again at once, after
 * `LISTEN`, so nothing falls in between). Reads only add: an end is never forgotten before the
 * tokens it refuses have expired.
 */
@Injectable()
export class EndedSessions implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly #set = new EndedSessionSet();
  #listener: pg.Client | undefined;
  #reloadTimer: NodeJS.Timeout | undefined;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #reconnectDelayMs = RECONNECT_MIN_MS;
  #closing = false;

  constructor(
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    private readonly repository: EndedSessionRepository,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** Whether `principal`'s token belongs to a session that ended. */
  refuses(principal: Principal): boolean {
    return this.#set.refuses(principal);
  }

  /**
   * Records that a session ended and refuses its tokens here before returning; the other
   * instances learn of it from the notification the record sends when it commits.
   */
  async end(end: EndedSession): Promise<void> {
    const recorded = await this.repository.record(
      end,
      this.options.accessTokenMaxLifespanSeconds + this.options.clockToleranceSeconds,
    );
    this.#set.add(recorded);
    sessionsLog.info(
      { event: 'session.ended', kind: recorded.kind, ended: recorded.endedAt },
      'session ended at Keycloak',
    );
  }

  onApplicationBootstrap(): void {
    void this.listen();
    this.#reloadTimer ??= setInterval(() => {
      void this.reload();
    }, this.options.endedSessionsReloadIntervalMs);
    this.#reloadTimer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    this.#closing = true;
    clearInterval(this.#reloadTimer);
    clearTimeout(this.#reconnectTimer);
    const listener = this.#listener;
    this.#listener = undefined;
    await listener?.end().catch(() => undefined);
  }

  /** Reads every current end from the table, and purges the rows that no longer matter. */
  async reload(): Promise<void> {
    try {
      for (const end of await this.repository.current()) {
        this.#set.add(end);
      }
      this.#set.prune();
      await this.repository.purgeExpired();
    } catch (error) {
      sessionsLog.warn(
        {
          event: 'ended-sessions.reload',
          error: error instanceof Error ? error.message : String(error),
        },
        'could not read the ended sessions; keeping those known',
      );
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
      application_name: `${applicationName ?? 'photoz'}-ended-sessions`,
      connectionTimeoutMillis: 5_000,
      keepAlive: true,
    });
    client.on('notification', (message) => {
      if (message.channel === ENDED_SESSIONS_CHANNEL) {
        const end = recordedEndFromPayload(message.payload);
        if (end !== undefined) {
          this.#set.add(end);
        }
      }
    });
    // A broken connection is replaced; until then the periodic read stands in for it.
    client.on('error', () => this.replace(client));
    client.on('end', () => this.replace(client));
    this.#listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${ENDED_SESSIONS_CHANNEL}`);
      this.#reconnectDelayMs = RECONNECT_MIN_MS;
      await this.reload();
    } catch (error) {
      sessionsLog.warn(
        {
          event: 'ended-sessions.listen',
          error: error instanceof Error ? error.message : String(error),
        },
        'could not listen for ended sessions; retrying',
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
