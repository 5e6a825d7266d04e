import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type PreparedStatement, queryPrepared } from '@app/common';
import type { DataSource } from 'typeorm';
import { liveGrant } from './live-grant.ts';
import { UMA_ACCESS_SCHEMA } from './uma-access.schema.ts';

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

/**
 * `statement` wrapped so that each row also reads, as `current_grant_scopes`, what the subject
 * (`$<subjectParameter>`) holds now on the row's resource (`resource_id`): a grant whose expiry has
 * come holds nothing, in the same query, so an expiry bites at its instant without anyone having
 * removed the row. The same statement always gets the same wrapped one, so a connection prepares
 * it once.
 */
export const withCurrentGrant = (() => {
  const wrapped = new Map<string, PreparedStatement>();
  return (statement: PreparedStatement, subjectParameter: number): PreparedStatement => {
    const name = `${statement.name}+current-grant`;
    let result = wrapped.get(name);
    if (result === undefined) {
      result = {
        name,
        text: `SELECT entity.*, (SELECT held.scopes FROM ${TABLE} held
                 WHERE held.resource_id = entity.resource_id AND held.subject = $${subjectParameter}
                   AND ${liveGrant('held')}
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

/**
 * The read side of the grant record (`uma_access.current_grants`), for the services that accept
 * RPTs: what the `@Scopes` guard decides by, read in the same query as the protected entity. The
 * write side is `GrantRecordRepository`, the permission service's.
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
}
