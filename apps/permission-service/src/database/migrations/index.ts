import type { MigrationInterface } from 'typeorm';

/** Every migration of the permission service, oldest first. */
export const permissionServiceMigrations: (new () => MigrationInterface)[] = [];
