import type pg from 'pg';
import type { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** A statement PostgreSQL parses and plans once per pooled connection, known by its `name`. */
export interface PreparedStatement {
  /** Unique per statement text: a connection that prepared a name reuses its plan. */
  readonly name: string;
  readonly text: string;
}

/**
 * Runs a prepared statement on the data source's connection pool, past TypeORM's query builder and
 * entity mapping: for the reads on every request's path (the access check), where building the SQL
 * and hydrating entities cost more than the query. Rows come back as `pg` parses them.
 */
export async function queryPrepared<R extends pg.QueryResultRow>(
  dataSource: DataSource,
  statement: PreparedStatement,
  values: readonly unknown[],
): Promise<R[]> {
  if (!(dataSource.driver instanceof PostgresDriver)) {
    throw new Error('prepared statements need the PostgreSQL driver');
  }
  const pool = dataSource.driver.master as pg.Pool;
  const result = await pool.query<R>({
    name: statement.name,
    text: statement.text,
    values: [...values],
  });
  return result.rows;
}
