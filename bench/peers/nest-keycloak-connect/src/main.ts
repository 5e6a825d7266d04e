import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { Pool } from 'pg';
import { registeredAlbums } from './album.store';
import { AppModule } from './app.module';
import { loadConfig } from './config';

async function main(): Promise<void> {
  const config = loadConfig();
  const pool = new Pool({ connectionString: config.databaseUrl });
  // Routes are fixed at start: one guarded controller per album registered in Keycloak by then
  // (the newest 1,000).
  const albums = await registeredAlbums(pool);
  const app = await NestFactory.create<NestExpressApplication>(
    AppModule.forRoot(config, pool, albums),
    // Nest's default also prints debug and verbose lines, where nest-keycloak-connect logs every
    // request (the JWT included): a production logger, as the album service runs with.
    { logger: ['fatal', 'error', 'warn', 'log'] },
  );
  app.enableShutdownHooks();
  await app.listen(config.port, config.host);
  const logger = new Logger('nkc-peer');
  logger.log(
    `listening on ${await app.getUrl()}: ${albums.length} album route(s) guarded by ` +
      `nest-keycloak-connect against ${config.keycloakUrl}/realms/photoz ` +
      `(token validation ${config.tokenValidation})`,
  );
  // Started by bench/lib/nkc-peer.ts with an IPC channel: end with the process that started it.
  if (process.send !== undefined) {
    process.once('disconnect', () => {
      void app.close().finally(() => process.exit(0));
    });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
