import type { MigrationInterface, QueryRunner } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from './rpt-revocations.migration.ts';

/**
 * What each party holds now, per resource: written by the service that grants and revokes
 * (permission-service), read by the services that accept RPTs in the same query as the protected
 * entity. It replaces the revocation cut-off by `iat`, which a refreshed RPT (a fresh `iat`, the
 * same permissions) slipped past. Every service lists this migration; it is idempotent, and the
 * migrations of all services run under one advisory lock.
 */
export class CreateCurrentGrants1764000000000 implements MigrationInterface {
  name = 'CreateCurrentGrants1764000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${UMA_ACCESS_SCHEMA}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${UMA_ACCESS_SCHEMA}.current_grants (
        resource_id varchar(64) NOT NULL,
        subject varchar(64) NOT NULL,
        scopes text[] NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (resource_id, subject)
      )`);
    await queryRunner.query(`DROP TABLE IF EXISTS ${UMA_ACCESS_SCHEMA}.rpt_revocations`);
  }

  async down(): Promise<void> {
    // Shared with the other services: reverting one service's migrations leaves it in place.
  }
}
