import type { MigrationInterface } from 'typeorm';
import { CreateCurrentGrants1764000000000 } from '../../../../../libs/auth/src/current-grants.migration.ts';
import { CreateEndedSessions1765100000000 } from '../../../../../libs/auth/src/ended-sessions.migration.ts';
import { CreateRptRevocations1763900000000 } from '../../../../../libs/auth/src/rpt-revocations.migration.ts';
import { CreateUmaTables1763800000000 } from '../../../../../libs/uma-resources/src/create-uma-tables.migration.ts';
import { CreateAlbumsAndPhotos1763800000001 } from './1763800000001-create-albums-and-photos.ts';

/** Every migration of the album service, oldest first. */
export const albumServiceMigrations: (new () => MigrationInterface)[] = [
  CreateUmaTables1763800000000,
  CreateAlbumsAndPhotos1763800000001,
  CreateRptRevocations1763900000000,
  CreateCurrentGrants1764000000000,
  CreateEndedSessions1765100000000,
];
