import { DataSource, type MigrationInterface } from 'typeorm';
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
      await lock.query(`CREATE SCHEMA IF NOT EXISTS "${target.schema.replaceAll('"', '""')}"`);
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
