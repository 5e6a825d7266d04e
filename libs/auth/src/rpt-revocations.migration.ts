import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The schema shared by the services for access revocations. */
export const UMA_ACCESS_SCHEMA = 'uma_access';

/**
 * The revocation table, shared by the service that revokes (permission-service) and the services
 * that accept RPTs. Every service lists this migration; it is idempotent, and migrations of all
 * services run under one advisory lock.
 */
export class CreateRptRevocations1763900000000 implements MigrationInterface {
  name = 'CreateRptRevocations1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${UMA_ACCESS_SCHEMA}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${UMA_ACCESS_SCHEMA}.rpt_revocations (
        resource_id varchar(64) NOT NULL,
        subject varchar(64) NOT NULL,
        revoked_at timestamptz NOT NULL,
        PRIMARY KEY (resource_id, subject)
      )`);
  }

  async down(): Promise<void> {
    // Shared with the other services: reverting one service's migrations leaves it in place.
  }
}
