import pg from 'pg';
import { UMA_ACCESS_SCHEMA } from '#grant-record/schema';
import { runMigrations } from '../../libs/common/src/database/migrate.ts';
import { albumServiceMigrations } from '../../apps/album-service/src/database/migrations/index.ts';
import { ALBUM_SERVICE_SCHEMA } from '../../apps/album-service/src/database/schema.ts';
import { permissionServiceMigrations } from '../../apps/permission-service/src/database/migrations/index.ts';
import { PERMISSION_SERVICE_SCHEMA } from '../../apps/permission-service/src/database/schema.ts';

/** Each service's schema and migrations. */
export const SERVICE_SCHEMAS = [
  { service: 'album-service', schema: ALBUM_SERVICE_SCHEMA, migrations: albumServiceMigrations },
  {
    service: 'permission-service',
    schema: PERMISSION_SERVICE_SCHEMA,
    migrations: permissionServiceMigrations,
  },
] as const;

/** Runs every service's pending migrations; returns what ran, per service. */
export async function migrateAll(url: string): Promise<Record<string, string[]>> {
  const ran: Record<string, string[]> = {};
  for (const { service, schema, migrations } of SERVICE_SCHEMAS) {
    ran[service] = await runMigrations(
      { url, schema, applicationName: `${service}-migrations` },
      migrations,
    );
  }
  return ran;
}

/** Drops the services' schemas (tests only: the caller checks the database is a test one). */
export async function resetSchemas(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const schema of [...SERVICE_SCHEMAS.map((service) => service.schema), UMA_ACCESS_SCHEMA]) {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    }
  } finally {
    await client.end();
  }
}

/** Whether PostgreSQL answers at `url`'s server (connecting to its `postgres` database). */
export async function postgresReachable(url: string): Promise<boolean> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({
    connectionString: admin.toString(),
    connectionTimeoutMillis: 3_000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
