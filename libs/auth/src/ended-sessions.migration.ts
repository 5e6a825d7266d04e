import type { MigrationInterface, QueryRunner } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from './rpt-revocations.migration.ts';

/**
 * Keycloak sessions that ended (OIDC back-channel logout): a session by its `sid`, or, when the
 * logout token names none, every session of a subject. Written by the service that receives the
 * logout, read by every instance of every service that accepts tokens. A row is useless once
 * every token it refuses has expired (`expires_at`), and may then be purged. Every service lists
 * this migration; it is idempotent, and the migrations of all services run under one advisory lock.
 */
export class CreateEndedSessions1765100000000 implements MigrationInterface {
  name = 'CreateEndedSessions1765100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${UMA_ACCESS_SCHEMA}`);
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${UMA_ACCESS_SCHEMA}.ended_sessions (
        kind varchar(8) NOT NULL CHECK (kind IN ('session', 'subject')),
        id varchar(255) NOT NULL,
        ended_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (kind, id)
      )`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS ended_sessions_expires_at
        ON ${UMA_ACCESS_SCHEMA}.ended_sessions (expires_at)`);
  }

  async down(): Promise<void> {
    // Shared with the other services: reverting one service's migrations leaves it in place.
  }
}
