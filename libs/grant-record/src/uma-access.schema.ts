import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The schema the services share for what a caller holds now: `current_grants` (the grant record)
 * and `ended_sessions` (back-channel logouts). This file imports nothing but TypeORM's types, so
 * the migration scripts, which Node runs without a build, load it through `#grant-record/schema`.
 */
export const UMA_ACCESS_SCHEMA = 'uma_access';

/**
 * The whole `uma_access` schema. Every service lists this migration, as every service reads these
 * tables; it is idempotent, and the migrations of all services run under one advisory lock.
 */
export class CreateUmaAccess1763700000000 implements MigrationInterface {
  name = 'CreateUmaAccess1763700000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`CREATE SCHEMA IF NOT EXISTS ${UMA_ACCESS_SCHEMA}`);
    // What each party holds now, per resource: written by the service that grants and revokes
    // (permission-service), read by the services that accept RPTs in the entity's own query.
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${UMA_ACCESS_SCHEMA}.current_grants (
        resource_id varchar(64) NOT NULL,
        subject varchar(64) NOT NULL,
        scopes text[] NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (resource_id, subject)
      )`);
    // Keycloak sessions that ended (OIDC back-channel logout): a session by its `sid`, or every
    // session of a subject. A row is useless once every token it refuses has expired (`expires_at`).
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

/**
 * A grant may end on its own: `current_grants.expires_at` (`NULL`: until revoked). Every read that
 * decides access treats a row whose instant has come as absent, so the expiry bites on every
 * instance at that instant, without waiting for the sweep that removes the row; the partial index
 * is the sweep's. Every service lists this migration after {@link CreateUmaAccess1763700000000};
 * idempotent, as the migrations of all services run under one advisory lock.
 */
export class AddGrantExpiry1764200000000 implements MigrationInterface {
  name = 'AddGrantExpiry1764200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `ALTER TABLE ${UMA_ACCESS_SCHEMA}.current_grants ADD COLUMN IF NOT EXISTS expires_at timestamptz`,
    );
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS current_grants_expires_at
        ON ${UMA_ACCESS_SCHEMA}.current_grants (expires_at) WHERE expires_at IS NOT NULL`);
  }

  async down(): Promise<void> {
    // Shared with the other services: reverting one service's migrations leaves it in place.
  }
}
