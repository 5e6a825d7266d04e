/**
 * `npm run uma:reconcile -- [--dry-run]`: compares the albums in the database with Keycloak's
 * resources of type urn:photoz:album and repairs what is missing, orphaned or drifted.
 */
import './quiet-logs.ts';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError } from '@app/common';
import { formatReconcileReport, UmaReconciler } from '@app/uma-resources';
import { AlbumServiceModule } from '../album-service.module.ts';
import { ALBUM } from '../albums/album.ts';
import { loadAlbumServiceConfig } from '../config.ts';

const args = process.argv.slice(2);
const unknown = args.filter((arg) => arg !== '--dry-run');
if (unknown.length > 0) {
  console.error(
    `Unknown argument ${unknown.join(' ')}. Usage: npm run uma:reconcile -- [--dry-run]`,
  );
  process.exit(2);
}
const dryRun = args.includes('--dry-run');

try {
  const config = loadAlbumServiceConfig({ ...process.env, UMA_RELAY_ENABLED: 'false' });
  const app = await NestFactory.createApplicationContext(AlbumServiceModule.forRoot(config), {
    logger: ['error', 'fatal'],
    abortOnError: false,
  });
  try {
    const report = await app.get(UmaReconciler).reconcile(ALBUM, { dryRun });
    console.log(formatReconcileReport(report, dryRun).join('\n'));
  } finally {
    await app.close();
  }
} catch (error) {
  console.error(
    error instanceof ConfigError
      ? error.message
      : `Reconciliation failed: ${error instanceof Error ? error.message : String(error)}`,
  );
  process.exit(1);
}
