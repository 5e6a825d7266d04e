import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { UMA_ACCESS_SCHEMA } from '@app/grant-record';
import type { DataSource } from 'typeorm';

const TABLE = `${UMA_ACCESS_SCHEMA}.ended_sessions`;

/** The PostgreSQL channel on which every recorded session end is announced to every instance. */
export const ENDED_SESSIONS_CHANNEL = 'uma_access_session_ended';

/**
 * A Keycloak session that ended: one session (`sid`), or every session of a subject (`sub`) when
 * the logout named no session. Tokens of it issued at or before `endedAt` are refused.
 */
export interface EndedSession {
  readonly kind: 'session' | 'subject';
  readonly id: string;
  /** When it ended, by Keycloak's clock (the logout token's `iat`), in seconds. */
  readonly endedAt: number;
}

/** A recorded end, with when its row stops mattering (every token it refuses has expired). */
export interface RecordedEnd extends EndedSession {
  readonly expiresAtMs: number;
}

interface Row {
  readonly kind: string;
  readonly id: string;
  readonly ended_at: string | number;
  readonly expires_at_ms: string | number;
}

function fromRow(row: Row): RecordedEnd | undefined {
  if (row.kind !== 'session' && row.kind !== 'subject') {
    return undefined;
  }
  return {
    kind: row.kind,
    id: row.id,
    endedAt: Number(row.ended_at),
    expiresAtMs: Number(row.expires_at_ms),
  };
}

/** Reads a notification's payload (a row as JSON); `undefined` for anything else. */
export function recordedEndFromPayload(payload: string | undefined): RecordedEnd | undefined {
  if (payload === undefined) {
    return undefined;
  }
  try {
    const row = JSON.parse(payload) as Partial<Row> | null;
    if (
      typeof row !== 'object' ||
      row === null ||
      typeof row.id !== 'string' ||
      typeof row.kind !== 'string'
    ) {
      return undefined;
    }
    const end = fromRow(row as Row);
    return end !== undefined && Number.isFinite(end.endedAt) && Number.isFinite(end.expiresAtMs)
      ? end
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The record of ended sessions (`uma_access.ended_sessions`): no other code reads or writes the
 * table. A recorded end is announced on {@link ENDED_SESSIONS_CHANNEL} by the statement that
 * writes it, so every listening instance learns of it when it commits. Plain SQL: `pg_notify`
 * and an upsert keeping the later end, which TypeORM does not express.
 */
@Injectable()
export class EndedSessionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records `end`, kept for `retentionSeconds` after it (or after now, if Keycloak's clock is
   * ahead): long enough for every token it refuses to expire. Recording an end again changes
   * nothing but a later `endedAt`, so a replayed logout is harmless.
   */
  async record(end: EndedSession, retentionSeconds: number): Promise<RecordedEnd> {
    const rows = (await this.dataSource.query(
      `WITH recorded AS (
         INSERT INTO ${TABLE} AS ended (kind, id, ended_at, expires_at)
         VALUES ($1, $2, to_timestamp($3),
                 greatest(to_timestamp($3), now()) + make_interval(secs => $4))
         ON CONFLICT (kind, id) DO UPDATE
           SET ended_at = greatest(ended.ended_at, EXCLUDED.ended_at),
               expires_at = greatest(ended.expires_at, EXCLUDED.expires_at)
         RETURNING kind, id, extract(epoch FROM ended_at)::bigint AS ended_at,
                   (extract(epoch FROM expires_at) * 1000)::bigint AS expires_at_ms
       )
       SELECT recorded.*, pg_notify($5, row_to_json(recorded)::text) FROM recorded`,
      [end.kind, end.id, end.endedAt, retentionSeconds, ENDED_SESSIONS_CHANNEL],
    )) as Row[];
    const recorded = rows[0] === undefined ? undefined : fromRow(rows[0]);
    if (recorded === undefined) {
      throw new Error('the ended session was not recorded');
    }
    return recorded;
  }

  /** Every end whose row still matters. */
  async current(): Promise<RecordedEnd[]> {
    const rows = (await this.dataSource.query(
      `SELECT kind, id, extract(epoch FROM ended_at)::bigint AS ended_at,
              (extract(epoch FROM expires_at) * 1000)::bigint AS expires_at_ms
         FROM ${TABLE} WHERE expires_at > now()`,
    )) as Row[];
    return rows.map(fromRow).filter((end) => end !== undefined);
  }

  /** Deletes the rows that no longer matter; returns how many. */
  async purgeExpired(): Promise<number> {
    const [, affected] = (await this.dataSource.query(
      `DELETE FROM ${TABLE} WHERE expires_at <= now()`,
    )) as [unknown, number];
    return affected;
  }
}
