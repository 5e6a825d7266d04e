import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { accessChangeInProgress } from './access-change-in-progress.ts';
import { liveGrant } from './live-grant.ts';
import { UMA_ACCESS_SCHEMA } from './uma-access.schema.ts';

const TABLE = `${UMA_ACCESS_SCHEMA}.current_grants`;
const LIVE = liveGrant();

/** How long a change waits for another change of the same party's access to the same resource. */
const LOCK_WAIT_MS = 10_000;
const LOCK_RETRY_MS = 25;

/**
 * When a grant ends on its own: an instant, or `null` for never (until revoked). `undefined`, where
 * a change accepts it, keeps the grant's expiry as it is.
 */
export type GrantExpiry = Date | null;

/** Writes what one party holds on one resource; only inside `GrantRecordRepository.exclusive`. */
export interface GrantWriter {
  /** Keeps only `keep` of what the party holds (nothing left: the row goes). */
  narrow(keep: readonly string[]): Promise<void>;
  /**
   * Adds `scopes` to what the party holds; with `expiresAt`, the grant then ends then (`null`:
   * never). A grant that has expired is replaced, never added to: what it held is not given back.
   */
  widen(scopes: readonly string[], expiresAt?: GrantExpiry): Promise<void>;
  /**
   * Removes the party's grant if it has expired (`undefined` when none has), compared under the
   * lock: a grant made again after the expiry is kept.
   */
  takeExpired(): Promise<ExpiredGrant | undefined>;
}

/** A grant that ended on its own, as it was when it was removed. */
export interface ExpiredGrant {
  readonly resourceId: string;
  readonly subject: string;
  readonly scopes: string[];
  readonly expiresAt: Date;
}

interface ExpiredRow {
  resource_id: string;
  subject: string;
  scopes: string[];
  expires_at: Date;
}

function toExpired(row: ExpiredRow): ExpiredGrant {
  return {
    resourceId: row.resource_id,
    subject: row.subject,
    scopes: [...row.scopes].sort(),
    expiresAt: row.expires_at,
  };
}

/** Scopes by key, each list sorted. */
function sortedScopes<K>(rows: readonly (readonly [K, readonly string[]])[]): Map<K, string[]> {
  return new Map(rows.map(([key, scopes]) => [key, [...scopes].sort()]));
}

/**
 * The write side of the grant record (`uma_access.current_grants`): what each party holds now,
 * which the services that accept RPTs decide by (`CurrentGrantRepository`). Only the service that
 * grants and revokes uses it, keeping the record in step with Keycloak: a grant is written after
 * Keycloak has it, a revocation before Keycloak loses it (and again after), so a failure in
 * between leaves the party with less access, never more. Changes of one party's access to one
 * resource are serialised across instances. A grant may carry an expiry (`expires_at`): every
 * read here leaves out a grant whose expiry has come, as the guard's read does
 * (`CurrentGrantRepository`), whether or not {@link removeExpired} has removed it yet. Plain SQL:
 * array operations and advisory locks, which TypeORM does not express.
 */
@Injectable()
export class GrantRecordRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** What `subject` holds on the resource now. */
  async held(resourceId: string, subject: string): Promise<string[]> {
    return (await this.grantOf(resourceId, subject)).scopes;
  }

  /** What `subject` holds on the resource now, and when that ends (`null`: never, or nothing held). */
  async grantOf(
    resourceId: string,
    subject: string,
  ): Promise<{ scopes: string[]; expiresAt: GrantExpiry }> {
    const rows = (await this.dataSource.query(
      `SELECT scopes, expires_at FROM ${TABLE} WHERE resource_id = $1 AND subject = $2 AND ${LIVE}`,
      [resourceId, subject],
    )) as { scopes: string[]; expires_at: Date | null }[];
    return { scopes: [...(rows[0]?.scopes ?? [])].sort(), expiresAt: rows[0]?.expires_at ?? null };
  }

  /** Whether `subject`'s grant on the resource has expired and is still to be removed. */
  async hasExpired(resourceId: string, subject: string): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `SELECT 1 FROM ${TABLE} WHERE resource_id = $1 AND subject = $2 AND expires_at <= now()`,
      [resourceId, subject],
    )) as unknown[];
    return rows.length > 0;
  }

  /** What each (resource, subject) pair holds now, keyed `<resource id> <subject>`. */
  async ofPairs(
    pairs: readonly { resourceId: string; subject: string }[],
  ): Promise<Map<string, string[]>> {
    if (pairs.length === 0) {
      return new Map();
    }
    const rows = (await this.dataSource.query(
      `SELECT resource_id, subject, scopes FROM ${TABLE}
        WHERE (resource_id, subject) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND ${LIVE}`,
      [pairs.map((pair) => pair.resourceId), pairs.map((pair) => pair.subject)],
    )) as { resource_id: string; subject: string; scopes: string[] }[];
    return sortedScopes(rows.map((row) => [`${row.resource_id} ${row.subject}`, row.scopes]));
  }

  /** What each party holds on the resource, by subject. */
  async ofResource(resourceId: string): Promise<Map<string, string[]>> {
    const rows = (await this.dataSource.query(
      `SELECT subject, scopes FROM ${TABLE} WHERE resource_id = $1 AND ${LIVE}`,
      [resourceId],
    )) as { subject: string; scopes: string[] }[];
    return sortedScopes(rows.map((row) => [row.subject, row.scopes]));
  }

  /** What `subject` holds, by resource. */
  async ofSubject(subject: string): Promise<Map<string, string[]>> {
    const rows = (await this.dataSource.query(
      `SELECT resource_id, scopes FROM ${TABLE} WHERE subject = $1 AND ${LIVE}`,
      [subject],
    )) as { resource_id: string; scopes: string[] }[];
    return sortedScopes(rows.map((row) => [row.resource_id, row.scopes]));
  }

  /** Up to `limit` resources that someone holds something on, in id order after `after`. */
  async resourcesAfter(after: string, limit: number): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT DISTINCT resource_id FROM ${TABLE}
        WHERE resource_id > $1 AND ${LIVE} ORDER BY resource_id LIMIT $2`,
      [after, limit],
    )) as { resource_id: string }[];
    return rows.map((row) => row.resource_id);
  }

  /**
   * Removes up to `limit` grants whose expiry has come, oldest expiry first, in `manager`'s
   * transaction (so that what the caller records of them commits with the removal). Rows another
   * transaction holds are skipped, and each is compared again once locked: a grant made again
   * after its expiry (a new share, which replaces the expired row) is never removed.
   */
  async removeExpired(manager: EntityManager, limit: number): Promise<ExpiredGrant[]> {
    const rows = (await manager.query(
      `DELETE FROM ${TABLE} grant_row
        WHERE (resource_id, subject) IN (
                SELECT resource_id, subject FROM ${TABLE}
                 WHERE expires_at <= now() ORDER BY expires_at LIMIT $1
                 FOR UPDATE SKIP LOCKED)
          AND grant_row.expires_at <= now()
        RETURNING resource_id, subject, scopes, expires_at`,
      [limit],
    )) as [ExpiredRow[], number];
    return rows[0].map(toExpired);
  }

  /**
   * Runs `work` as the only change of `subject`'s access to the resource on any instance (a
   * PostgreSQL advisory lock, held by a session). Writes go through the lock's own connection,
   * each committed at once: a narrowing must hold even when a later step fails. Waiting holds no
   * connection; waiting too long is a `503` (`accessChangeInProgress`) before anything changed.
   */
  async exclusive<T>(
    resourceId: string,
    subject: string,
    work: (grants: GrantWriter) => Promise<T>,
  ): Promise<T> {
    const key = `${resourceId} ${subject}`;
    const runner = await this.lock(key);
    try {
      return await work(this.writer(runner.manager, resourceId, subject));
    } finally {
      try {
        await runner.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [key]);
      } finally {
        await runner.release();
      }
    }
  }

  private async lock(key: string): Promise<QueryRunner> {
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      const runner = this.dataSource.createQueryRunner();
      await runner.connect();
      const [row] = (await runner.query(
        'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
        [key],
      )) as { locked: boolean }[];
      if (row?.locked === true) {
        return runner;
      }
      await runner.release();
      if (Date.now() >= deadline) {
        throw accessChangeInProgress();
      }
      await sleep(LOCK_RETRY_MS);
    }
  }

  private writer(manager: EntityManager, resourceId: string, subject: string): GrantWriter {
    return {
      narrow: (keep) => this.narrow(manager, resourceId, subject, keep),
      widen: (scopes, expiresAt) => this.widen(manager, resourceId, subject, scopes, expiresAt),
      takeExpired: async () => {
        const rows = (await manager.query(
          `DELETE FROM ${TABLE} WHERE resource_id = $1 AND subject = $2 AND expires_at <= now()
           RETURNING resource_id, subject, scopes, expires_at`,
          [resourceId, subject],
        )) as [ExpiredRow[], number];
        const [row] = rows[0];
        return row === undefined ? undefined : toExpired(row);
      },
    };
  }

  private async narrow(
    manager: EntityManager,
    resourceId: string,
    subject: string,
    keep: readonly string[],
  ): Promise<void> {
    await manager.query(
      `UPDATE ${TABLE}
          SET scopes = ARRAY(SELECT unnest(scopes) INTERSECT SELECT unnest($3::text[])),
              updated_at = clock_timestamp()
        WHERE resource_id = $1 AND subject = $2`,
      [resourceId, subject, [...keep]],
    );
    await manager.query(
      `DELETE FROM ${TABLE} WHERE resource_id = $1 AND subject = $2 AND cardinality(scopes) = 0`,
      [resourceId, subject],
    );
  }

  private async widen(
    manager: EntityManager,
    resourceId: string,
    subject: string,
    scopes: readonly string[],
    expiresAt: GrantExpiry | undefined,
  ): Promise<void> {
    if (scopes.length === 0) {
      return;
    }
    // An expired row is replaced (its scopes and expiry are not the new grant's); a live one gets
    // the new scopes added, and keeps its expiry unless one is given.
    await manager.query(
      `INSERT INTO ${TABLE} AS held (resource_id, subject, scopes, updated_at, expires_at)
       VALUES ($1, $2, $3::text[], clock_timestamp(), $5::timestamptz)
       ON CONFLICT (resource_id, subject) DO UPDATE
         SET scopes = CASE WHEN held.expires_at <= now() THEN EXCLUDED.scopes
                      ELSE ARRAY(SELECT unnest(held.scopes) UNION SELECT unnest(EXCLUDED.scopes))
                      END,
             expires_at = CASE WHEN $4 THEN EXCLUDED.expires_at
                          WHEN held.expires_at <= now() THEN NULL
                          ELSE held.expires_at END,
             updated_at = EXCLUDED.updated_at`,
      [resourceId, subject, [...new Set(scopes)], expiresAt !== undefined, expiresAt ?? null],
    );
  }
}
