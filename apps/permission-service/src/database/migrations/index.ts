import type { MigrationInterface } from 'typeorm';
import { AddGrantExpiry1764200000000, CreateUmaAccess1763700000000 } from '#grant-record/schema';
import { CreatePermissionService1763900000000 } from './1763900000000-create-permission-service.ts';
import { ListTables1764000000001 } from './1764000000001-list-tables.ts';
import { CreateGrantCleanups1764100000000 } from './1764100000000-create-grant-cleanups.ts';
import { AuditGrantExpiry1764200000050 } from './1764200000050-audit-grant-expiry.ts';
import { CreateInvitationLinks1764200000100 } from './1764200000100-create-invitation-links.ts';
import { RequestMessages1764200000200 } from './1764200000200-request-messages.ts';
import { CreateNotifications1764200000300 } from './1764200000300-create-notifications.ts';

/** Every migration of the permission service, oldest first. */
export const permissionServiceMigrations: (new () => MigrationInterface)[] = [
  CreateUmaAccess1763700000000,
  CreatePermissionService1763900000000,
  ListTables1764000000001,
  CreateGrantCleanups1764100000000,
  AddGrantExpiry1764200000000,
  AuditGrantExpiry1764200000050,
  CreateInvitationLinks1764200000100,
  RequestMessages1764200000200,
  CreateNotifications1764200000300,
];
