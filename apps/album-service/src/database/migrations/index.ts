import type { MigrationInterface } from 'typeorm';
import { CreateUmaAccess1763700000000 } from '#grant-record/schema';
import { CreateUmaTables1763800000000 } from '../../../../../libs/uma-resources/src/create-uma-tables.migration.ts';
import { CreateAlbumsAndPhotos1763800000001 } from './1763800000001-create-albums-and-photos.ts';

/** Every migration of the album service, oldest first. */
export const albumServiceMigrations: (new () => MigrationInterface)[] = [
  CreateUmaAccess1763700000000,
  CreateUmaTables1763800000000,
  CreateAlbumsAndPhotos1763800000001,
];
