import { HttpException, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { PermissionRequestDto } from './permission-request.dto.ts';

/** Whose request on which album. */
export interface RecentRequestKey {
  readonly albumId: string;
  /** The requester's verified `sub`. */
  readonly requesterId: string;
}

/**
 * What the record says of a new request: a pending answer to repeat, or the generation that the
 * answer Keycloak gives now must still carry to be remembered.
 */
export type RecentRequestLookup =
  | { readonly kind: 'repeat'; readonly answer: PermissionRequestDto; readonly generation: string }
  | { readonly kind: 'ask'; readonly generation: string };

/** The request's scope set as the record keeps it: each scope once, sorted. */
export function scopeSetKey(scopes: readonly string[]): string {
  return [...new Set(scopes)].sort().join(' ');
}

/**
 * The `recent_requests` table: no other code reads or writes it. It keeps, per (album, requester),
 * the last pending answer with its scope set and time, so that an identical request within the
 * freshness bound is answered without Keycloak, on every instance. Every change of the party's
 * access to the album ({@link forget}) clears it and raises its generation; an answer is
 * remembered only under the generation read before Keycloak was asked, so an answer computed
 * before a concurrent deny, approval or revocation is never kept after it. Plain SQL: the
 * conditional upsert is not something TypeORM expresses.
 */
@Injectable()
export class RecentRequestRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async lookup(
    key: RecentRequestKey,
    scopes: string,
    freshSeconds: number,
  ): Promise<RecentRequestLookup> {
    const [row] = (await this.dataSource.query(
      `SELECT generation::text AS generation,
          (answer IS NOT NULL AND scopes = $3
            AND answered_at > now() - make_interval(secs => $4)) AS repeat,
          answer
        FROM recent_requests WHERE album_id = $1 AND requester_id = $2`,
      [key.albumId, key.requesterId, scopes, freshSeconds],
    )) as { generation: string; repeat: boolean; answer: PermissionRequestDto | null }[];
    if (row === undefined) {
      return { kind: 'ask', generation: '0' };
    }
    return row.repeat && row.answer !== null
      ? { kind: 'repeat', answer: row.answer, generation: row.generation }
      : { kind: 'ask', generation: row.generation };
  }

  /** Remembers a pending answer, unless the party's access changed since `generation` was read. */
  async remember(
    key: RecentRequestKey,
    scopes: string,
    answer: PermissionRequestDto,
    generation: string,
  ): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO recent_requests AS recent
          (album_id, requester_id, generation, scopes, answer, answered_at)
        VALUES ($1, $2, $3::bigint, $4, $5::jsonb, now())
        ON CONFLICT (album_id, requester_id) DO UPDATE
          SET scopes = EXCLUDED.scopes, answer = EXCLUDED.answer, answered_at = EXCLUDED.answered_at
          WHERE recent.generation = EXCLUDED.generation`,
      [key.albumId, key.requesterId, generation, scopes, JSON.stringify(answer)],
    );
  }

  /**
   * Runs `change` of the party's access to the album, then {@link forget}s: also when the change
   * failed half-way (a server error: part of it may have been done), though not when it was
   * refused (a `4xx`: nothing was changed, and a refused request writes nothing).
   */
  async forgetAfter<T>(key: RecentRequestKey, change: () => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await change();
    } catch (error) {
      if (!(error instanceof HttpException && error.getStatus() < 500)) {
        await this.forget(key);
      }
      throw error;
    }
    await this.forget(key);
    return result;
  }

  /** The party's access to the album changed: nothing remembered of it is repeated any more. */
  async forget(key: RecentRequestKey): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO recent_requests AS recent (album_id, requester_id, generation)
        VALUES ($1, $2, 1)
        ON CONFLICT (album_id, requester_id) DO UPDATE
          SET generation = recent.generation + 1, scopes = NULL, answer = NULL, answered_at = NULL`,
      [key.albumId, key.requesterId],
    );
  }
}
