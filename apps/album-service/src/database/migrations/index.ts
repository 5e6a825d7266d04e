import type { MigrationInterface } from 'typeorm';
import { CreateUmaAccess1763700000000 } from '#grant-record/schema';
import { InitialSchema1763800000000 } from './1763800000000-initial-schema.ts';

/** Every migration of the album service, oldest first. */
export const albumServiceMigrations: (new () => MigrationInterface)[] = [
  CreateUmaAccess1763700000000,
  InitialSchema1763800000000,
];
