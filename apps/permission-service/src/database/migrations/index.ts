import type { MigrationInterface } from 'typeorm';
import { CreateCurrentGrants1764000000000 } from '../../../../../libs/auth/src/current-grants.migration.ts';
import { CreateEndedSessions1765100000000 } from '../../../../../libs/auth/src/ended-sessions.migration.ts';
import { CreateRptRevocations1763900000000 } from '../../../../../libs/auth/src/rpt-revocations.migration.ts';
import { CreateAuditEvents1763900000001 } from './1763900000001-create-audit-events.ts';
import { CreateKeycloakWatch1765000000000 } from './1765000000000-create-keycloak-watch.ts';
import { CreateRecentRequests1765200000000 } from './1765200000000-create-recent-requests.ts';

/** Every migration of the permission service, oldest first. */
export const permissionServiceMigrations: (new () => MigrationInterface)[] = [
  CreateRptRevocations1763900000000,
  CreateAuditEvents1763900000001,
  CreateCurrentGrants1764000000000,
  CreateKeycloakWatch1765000000000,
  CreateEndedSessions1765100000000,
  CreateRecentRequests1765200000000,
];
