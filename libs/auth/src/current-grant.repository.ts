import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type PreparedStatement, ProblemException, queryPrepared } from '@app/common';
import type { DataSource, QueryRunner } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from './rpt-revocations.migration.ts';

const TABLE = `${UMA_ACCESS_SCHEMA}.current_grants`;
const MINT = Symbol('CurrentGrant');

/**
 * The scopes a caller holds now on one resource. Keycloak never takes a permission back from an
 * issued RPT, and its refresh grant copies the permissions into a new token, so an RPT's
 * permission is honoured only as far as this grant still covers it. Only
 * {@link CurrentGrantRepository.loadWithCurrentGrant} makes one, so a resolver cannot hand the
 * `@Scopes` guard an entity without having read the grant in the same query: forgetting it does
 * not compile.
 */
export class CurrentGrant {
  readonly #scopes: ReadonlySet<string>;

  constructor(mint: typeof MINT, scopes: readonly string[]) {
    if (mint !== MINT) {
      throw new Error('a CurrentGrant is only read with its entity (loadWithCurrentGrant)');
    }
    this.#scopes = new Set(scopes);
  }

  /** Whether the caller holds every one of `scopes` now. */
  covers(scopes: readonly string[]): boolean {
    return scopes.every((scope) => this.#scopes.has(scope));
  }

  get scopes(): readonly string[] {
    return [...this.#scopes].sort();
  }
}

/** The statement wrapped so that each row also reads what the subject (`$<n>`) holds now. */
const withCurrentGrant = (() => {
  const wrapped = new Map<string, PreparedStatement>();
  return (statement: PreparedStatement, subjectParameter: number): PreparedStatement => {
    const name = `${statement.name}+current-grant`;
    let result = wrapped.get(name);
    if (result === undefined) {
      result = {
        name,
        text: `SELECT entity.*, (SELECT held.scopes FROM ${TABLE} held
                 WHERE held.resource_id = entity.resource_id AND held.subject = $${subjectParameter}
               ) AS current_grant_scopes
               FROM (${statement.text}) entity`,
      };
      wrapped.set(name, result);
    }
    return result;
  };
})();

/** What a caller without an RPT is held to: nothing. */
const NO_GRANT = new CurrentGrant(MINT, []);

function grantFromColumn(value: unknown): CurrentGrant {
  return new CurrentGrant(
    MINT,
    Array.isArray(value) ? value.filter((scope): scope is string => typeof scope === 'string') : [],
  );
}

/** How long a change waits for another change of the same party's access to the same resource. */
const LOCK_WAIT_MS = 10_000;
const LOCK_RETRY_MS = 25;

/** Writes what one party holds on one resource; only inside `CurrentGrantRepository.exclusive`. */
export interface GrantWriter {
  /** Keeps only `keep` of what the party holds (nothing left: the row goes). */
  narrow(keep: readonly string[]): Promise<void>;
  /** Adds `scopes` to what the party holds. */
  widen(scopes: readonly string[]): Promise<void>;
}

/**
 * What each party holds now (`uma_access.current_grants`), the record the services that accept
 * RPTs decide by: no other code of the services reads or writes that table. The service that
 * grants and revokes keeps it in step with Keycloak: a grant is written after Keycloak has it, a
 * revocation before Keycloak loses it (and again after), so a failure in between leaves the party
 * with less access, never more; changes of one party's access to one resource are serialised
 * across instances. Plain SQL: array operations and advisory locks, which TypeORM does not express.
 */
@Injectable()
export class CurrentGrantRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `statement`, a prepared query for protected entities whose rows carry their resource id
   * in `resource_id`, with, for each row, what `subject` holds now on that resource: one round
   * trip, no call to Keycloak. `subject` is the statement's last parameter, after `values`;
   * without a subject (a caller who holds no RPT) the statement runs as it is and every grant
   * covers nothing.
   */
  async loadWithCurrentGrant<R extends { resource_id: string | null }>(
    statement: PreparedStatement,
    values: readonly unknown[],
    subject: string | undefined,
  ): Promise<{ row: R; grant: CurrentGrant }[]> {
    if (subject === undefined) {
      const rows = await queryPrepared<R>(this.dataSource, statement, values);
      return rows.map((row) => ({ row, grant: NO_GRANT }));
    }
    const rows = await queryPrepared<R & { current_grant_scopes: unknown }>(
      this.dataSource,
      withCurrentGrant(statement, values.length + 1),
      [...values, subject],
    );
    return rows.map(({ current_grant_scopes: scopes, ...row }) => ({
      row: row as unknown as R,
      grant: grantFromColumn(scopes),
    }));
  }

  /** What `subject` holds on the resource now. */
  async held(resourceId: string, subject: string): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT scopes FROM ${TABLE} WHERE resource_id = $1 AND subject = $2`,
      [resourceId, subject],
    )) as { scopes: string[] }[];
    return [...(rows[0]?.scopes ?? [])].sort();
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
        WHERE (resource_id, subject) IN (SELECT * FROM unnest($1::text[], $2::text[]))`,
      [pairs.map((pair) => pair.resourceId), pairs.map((pair) => pair.subject)],
    )) as { resource_id: string; subject: string; scopes: string[] }[];
    return new Map(
      rows.map((row) => [`${row.resource_id} ${row.subject}`, [...row.scopes].sort()]),
    );
  }

  /** What each party holds on the resource, by subject. */
  async ofResource(resourceId: string): Promise<Map<string, string[]>> {
    const rows = (await this.dataSource.query(
      `SELECT subject, scopes FROM ${TABLE} WHERE resource_id = $1`,
      [resourceId],
    )) as { subject: string; scopes: string[] }[];
    return new Map(rows.map((row) => [row.subject, [...row.scopes].sort()]));
  }

  /** Up to `limit` resources that someone holds something on, in id order after `after`. */
  async resourcesAfter(after: string, limit: number): Promise<string[]> {
    const rows = (await this.dataSource.query(
      `SELECT DISTINCT resource_id FROM ${TABLE} WHERE resource_id > $1 ORDER BY resource_id LIMIT $2`,
      [after, limit],
    )) as { resource_id: string }[];
    return rows.map((row) => row.resource_id);
  }

  /** What `subject` holds, by resource. */
  async ofSubject(subject: string): Promise<Map<string, string[]>> {
    const rows = (await this.dataSource.query(
      `SELECT resource_id, scopes FROM ${TABLE} WHERE subject = $1`,
      [subject],
    )) as { resource_id: string; scopes: string[] }[];
    return new Map(rows.map((row) => [row.resource_id, [...row.scopes].sort()]));
  }

  /**
   * Runs `work` as the only change of `subject`'s access to the resource on any instance (a
   * PostgreSQL advisory lock). Writes go through the lock's own connection, committed at once: a
   * narrowing must hold even when a later step fails. Waiting holds no connection.
   */
  async exclusive<T>(
    resourceId: string,
    subject: string,
    work: (grants: GrantWriter) => Promise<T>,
  ): Promise<T> {
    const key = `${resourceId} ${subject}`;
    const runner = await this.lock(key);
    try {
      return await work(this.writer(runner, resourceId, subject));
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
        throw new ProblemException({
          status: 503,
          code: 'access-change-in-progress',
          detail:
            "Another change of this party's access to the album is still running; nothing was changed.",
          headers: { 'retry-after': '1' },
        });
      }
      await sleep(LOCK_RETRY_MS);
    }
  }

  private writer(runner: QueryRunner, resourceId: string, subject: string): GrantWriter {
    return {
      narrow: async (keep) => {
        await runner.query(
          `UPDATE ${TABLE}
              SET scopes = ARRAY(SELECT unnest(scopes) INTERSECT SELECT unnest($3::text[])),
                  updated_at = clock_timestamp()
            WHERE resource_id = $1 AND subject = $2`,
          [resourceId, subject, [...keep]],
        );
        await runner.query(
          `DELETE FROM ${TABLE} WHERE resource_id = $1 AND subject = $2 AND cardinality(scopes) = 0`,
          [resourceId, subject],
        );
      },
      widen: async (scopes) => {
        if (scopes.length === 0) {
          return;
        }
        await runner.query(
          `INSERT INTO ${TABLE} (resource_id, subject, scopes, updated_at)
           VALUES ($1, $2, $3::text[], clock_timestamp())
           ON CONFLICT (resource_id, subject) DO UPDATE
             SET scopes = ARRAY(SELECT unnest(${TABLE}.scopes) UNION SELECT unnest(EXCLUDED.scopes)),
                 updated_at = EXCLUDED.updated_at`,
          [resourceId, subject, [...new Set(scopes)]],
        );
      },
    };
  }
}
