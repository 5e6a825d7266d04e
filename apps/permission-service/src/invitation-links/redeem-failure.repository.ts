import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../database/schema.ts';

const TABLE = `${PERMISSION_SERVICE_SCHEMA}.invitation_redeem_failures`;

/** How many rows out of the window one failure prunes: bounded work per request. */
const PRUNE_BATCH = 100;

/**
 * Failed redemptions of invitation links, counted in PostgreSQL so that every instance refuses a
 * guesser alike (a sliding window over one row per failure and key). The keys are what is
 * counted: the caller's subject and the client's address, never the token.
 */
@Injectable()
export class RedeemFailureRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Seconds until any of `keys` has fewer than `limit` failures in the last `windowSeconds`;
   * `undefined` when none has reached it.
   */
  async retryAfter(
    keys: readonly string[],
    limit: number,
    windowSeconds: number,
  ): Promise<number | undefined> {
    // The `limit`-th newest failure of a key in the window: the key is refused until it leaves.
    const [row] = (await this.dataSource.query(
      `SELECT max(ceil(extract(epoch FROM failed_at + make_interval(secs => $3) - now())))::int AS wait
         FROM (SELECT failed_at,
                      row_number() OVER (PARTITION BY key ORDER BY failed_at DESC) AS n
                 FROM ${TABLE}
                WHERE key = ANY($1::text[]) AND failed_at > now() - make_interval(secs => $3)) recent
        WHERE n = $2`,
      [keys, limit, windowSeconds],
    )) as { wait: number | null }[];
    return row?.wait === null || row?.wait === undefined ? undefined : Math.max(1, row.wait);
  }

  /** Counts one failure against each of `keys`, and prunes some failures out of the window. */
  async record(keys: readonly string[], windowSeconds: number): Promise<void> {
    await this.dataSource.query(
      `WITH old AS (
         DELETE FROM ${TABLE} WHERE id IN (
           SELECT id FROM ${TABLE} WHERE failed_at <= now() - make_interval(secs => $2)
            LIMIT ${PRUNE_BATCH})
       )
       INSERT INTO ${TABLE} (key) SELECT unnest($1::text[])`,
      [keys, windowSeconds],
    );
  }
}
