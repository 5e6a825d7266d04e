import pg from 'pg';
import type { DataSourceOptions, MixedList } from 'typeorm';

/** Which database and schema a service uses, and how. */
export interface PostgresTarget {
  readonly url: string;
  /** The service's own schema; its tables and its migrations table live there. */
  readonly schema: string;
  readonly poolSize?: number;
  readonly applicationName?: string;
}

/** TypeORM options for a service: never `synchronize`, migrations run explicitly. */
export function postgresOptions(
  target: PostgresTarget,
  // oxlint-disable-next-line typescript/no-unsafe-function-type -- TypeORM's own type for entity and migration lists
  parts: { entities?: MixedList<Function | string>; migrations?: MixedList<Function | string> },
): DataSourceOptions {
  return {
    type: 'postgres',
    url: target.url,
    schema: target.schema,
    entities: parts.entities ?? [],
    migrations: parts.migrations ?? [],
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: ['error', 'warn'],
    applicationName: target.applicationName,
    extra: {
      max: target.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      // Plain SQL (migrations, the outbox) reads the service's own tables without qualifying them.
      options: `-c search_path=${target.schema},public`,
    },
  };
}

/** The database name in a PostgreSQL URL; throws when it names none. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (name === '') {
    throw new Error('The database URL names no database');
  }
  return name;
}

function quoteIdentifier(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** Creates the database named by `url` when it does not exist yet. Returns whether it was created. */
export async function ensureDatabase(url: string): Promise<boolean> {
  const name = databaseName(url);
  const adminUrl = new URL(url);
  adminUrl.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: adminUrl.toString(),
    connectionTimeoutMillis: 5_000,
  });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount !== 0) {
      return false;
    }
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
    } catch (error) {
      // Another process created it between our check and our CREATE.
      if ((error as { code?: string }).code !== '42P04') {
        throw error;
      }
      return false;
    }
    return true;
  } finally {
    await client.end();
  }
}

/** Refuses to go on unless `url` names a database meant for tests (its name ends in `_test`). */
export function assertTestDatabase(url: string): void {
  const name = databaseName(url);
  if (!name.endsWith('_test')) {
    throw new Error(`Refusing to run tests against database "${name}": its name must end in _test`);
  }
}
