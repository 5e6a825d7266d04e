import type { MigrationInterface } from 'typeorm';
import { CreateCurrentGrants1764000000000 } from '../../../../../libs/auth/src/current-grants.migration.ts';
import { CreateRptRevocations1763900000000 } from '../../../../../libs/auth/src/rpt-revocations.migration.ts';
import { CreateAuditEvents1763900000001 } from './1763900000001-create-audit-events.ts';
import { CreateRecentRequests1765200000000 } from './1765200000000-create-recent-requests.ts';

/** Every migration of the permission service, oldest first. */
export const permissionServiceMigrations: (new () => MigrationInterface)[] = [
  CreateRptRevocations1763900000000,
  CreateAuditEvents1763900000001,
  CreateCurrentGrants1764000000000,
  CreateRecentRequests1765200000000,
];
