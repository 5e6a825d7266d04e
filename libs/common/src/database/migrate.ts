import { DataSource, type MigrationInterface, type QueryRunner } from 'typeorm';
import { postgresOptions, type PostgresTarget } from './postgres.ts';

/** Any lock id shared by every instance, so that two services starting together migrate one at a time. */
const MIGRATION_LOCK_ID = 7_301_947;

/**
 * Creates the service's schema if needed and runs its pending migrations, each in its own
 * transaction, under a PostgreSQL advisory lock. Returns the names of the migrations it ran.
 */
export async function runMigrations(
  target: PostgresTarget,
  migrations: readonly (new () => MigrationInterface)[],
): Promise<string[]> {
  const dataSource = new DataSource(postgresOptions(target, { migrations: [...migrations] }));
  await dataSource.initialize();
  // The lock belongs to one session, so it is taken and released on one dedicated connection.
  const lock = dataSource.createQueryRunner();
  try {
    await lock.connect();
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_ID]);
    try {
      const schema = `"${target.schema.replaceAll('"', '""')}"`;
      await lock.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await refuseUnknownMigrations(lock, target.schema, schema, migrations);
      const ran = await dataSource.runMigrations({ transaction: 'each' });
      return ran.map((migration) => migration.name);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_ID]);
    }
  } finally {
    await lock.release();
    await dataSource.destroy();
  }
}

/** The schema holds migrations this code does not know: it was made by another version of it. */
export class UnknownMigrationsError extends Error {
  override readonly name = 'UnknownMigrationsError';
}

/**
 * Stops before anything runs when the schema's migrations table names a migration this code does
 * not list (one a newer version added, or one since folded into an initial migration): running
 * the known ones over such a schema would fail half-way or build on tables it does not expect.
 */
async function refuseUnknownMigrations(
  runner: QueryRunner,
  schemaName: string,
  quotedSchema: string,
  migrations: readonly (new () => MigrationInterface)[],
): Promise<void> {
  const [table] = (await runner.query('SELECT to_regclass($1) AS name', [
    `${quotedSchema}.migrations`,
  ])) as { name: string | null }[];
  if (table?.name === undefined || table.name === null) {
    return;
  }
  const known = new Set(migrations.map((Migration) => new Migration().name ?? Migration.name));
  const recorded = (await runner.query(
    `SELECT name FROM ${quotedSchema}.migrations ORDER BY id`,
  )) as { name: string }[];
  const unknown = recorded.map((row) => row.name).filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new UnknownMigrationsError(
      `schema ${schemaName} was migrated by another version of Photoz (unknown migrations: ${unknown.join(', ')}); ` +
        `drop the schema (DROP SCHEMA ${quotedSchema} CASCADE) to start afresh, or run the version that made it`,
    );
  }
}
