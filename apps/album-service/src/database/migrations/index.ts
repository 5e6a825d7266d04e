import type { MigrationInterface } from 'typeorm';

/** Every migration of the album service, oldest first. */
export const albumServiceMigrations: (new () => MigrationInterface)[] = [];
