/**
 * Runs every service's pending migrations against DATABASE_URL, creating the database when it is
 * missing (`npm run migration:run`; the container image runs it before a service starts).
 */
import { DEFAULT_DATABASE_URL } from '../libs/common/src/config/service-config.ts';
import { ensureDatabase } from '../libs/common/src/database/postgres.ts';
import { migrateAll } from './lib/database.ts';

const url = process.env['DATABASE_URL'] ?? DEFAULT_DATABASE_URL;
await ensureDatabase(url);
for (const [service, ran] of Object.entries(await migrateAll(url))) {
  console.log(`${service}: ${ran.length === 0 ? 'schema up to date' : `ran ${ran.join(', ')}`}`);
}
