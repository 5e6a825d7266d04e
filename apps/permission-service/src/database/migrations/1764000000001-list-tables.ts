import type { MigrationInterface, QueryRunner } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from '#grant-record/schema';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

/**
 * What the lists read without asking Keycloak about each item: the grant record by subject, the
 * parties' names, and the pending requests. Idempotent (`IF NOT EXISTS`), as the tables may be
 * made again over a schema that has them.
 */
export class ListTables1764000000001 implements MigrationInterface {
  name = 'ListTables1764000000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The albums shared with one party, in keyset order.
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS current_grants_subject
        ON ${UMA_ACCESS_SCHEMA}.current_grants (subject, resource_id)`);
    // Who each party is, written whenever Keycloak names one: a person (`id` = `subject`, its user
    // id) or a partner (`id` its client's internal id, `subject` its service account's user id).
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${PERMISSION_SERVICE_SCHEMA}.parties (
        subject varchar(64) PRIMARY KEY,
        id varchar(64) NOT NULL,
        username varchar(255) NOT NULL,
        partner boolean NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS parties_id ON ${PERMISSION_SERVICE_SCHEMA}.parties (id)`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS parties_username
        ON ${PERMISSION_SERVICE_SCHEMA}.parties (username, subject)`);
    // The scopes each party asked for and the owner has not answered yet, per (resource, party as
    // Keycloak's tickets name it); `owner_id` for the owner's inbox.
    await queryRunner.query(`
      CREATE TABLE IF NOT EXISTS ${PERMISSION_SERVICE_SCHEMA}.pending_requests (
        resource_id varchar(64) NOT NULL,
        requester_id varchar(64) NOT NULL,
        owner_id varchar(64) NOT NULL,
        scopes text[] NOT NULL,
        requested_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (resource_id, requester_id)
      )`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS pending_requests_owner
        ON ${PERMISSION_SERVICE_SCHEMA}.pending_requests (owner_id, resource_id, requester_id)`);
    await queryRunner.query(`
      CREATE INDEX IF NOT EXISTS pending_requests_requester
        ON ${PERMISSION_SERVICE_SCHEMA}.pending_requests (requester_id, resource_id)`);
    // When the last import of Keycloak's pending tickets started (`KeycloakWatch`): due at once.
    await queryRunner.query(`
      INSERT INTO ${PERMISSION_SERVICE_SCHEMA}.keycloak_watch (name, position, updated_at)
      VALUES ('request-import', jsonb_build_object('startedAt', 0), now())
      ON CONFLICT (name) DO NOTHING`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DELETE FROM ${PERMISSION_SERVICE_SCHEMA}.keycloak_watch WHERE name = 'request-import'`,
    );
    await queryRunner.query(
      `DROP TABLE IF EXISTS ${PERMISSION_SERVICE_SCHEMA}.pending_requests, ${PERMISSION_SERVICE_SCHEMA}.parties`,
    );
    await queryRunner.query(`DROP INDEX IF EXISTS ${UMA_ACCESS_SCHEMA}.current_grants_subject`);
  }
}
