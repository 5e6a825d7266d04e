import type { MigrationInterface } from 'typeorm';
import { CreateCurrentGrants1764000000000 } from '../../../../../libs/auth/src/current-grants.migration.ts';
import { CreateEndedSessions1765100000000 } from '../../../../../libs/auth/src/ended-sessions.migration.ts';
import { CreateRptRevocations1763900000000 } from '../../../../../libs/auth/src/rpt-revocations.migration.ts';
import { InitialSchema1763800000000 } from './1763800000000-initial-schema.ts';

/** Every migration of the album service, oldest first. */
export const albumServiceMigrations: (new () => MigrationInterface)[] = [
  InitialSchema1763800000000,
  CreateRptRevocations1763900000000,
  CreateCurrentGrants1764000000000,
  CreateEndedSessions1765100000000,
];
