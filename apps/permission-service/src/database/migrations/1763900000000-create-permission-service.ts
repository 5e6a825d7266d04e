import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

/** The permission service's own schema: its audit trail, the watch of Keycloak, recent requests. */
export class CreatePermissionService1763900000000 implements MigrationInterface {
  name = 'CreatePermissionService1763900000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // Who asked for, was granted or lost what on which album, oldest first per album.
    await queryRunner.query(`
      CREATE TABLE ${PERMISSION_SERVICE_SCHEMA}.audit_events (
        id bigserial PRIMARY KEY,
        album_id uuid NOT NULL,
        action varchar(16) NOT NULL
          CHECK (action IN ('requested', 'approved', 'denied', 'withdrawn', 'shared', 'revoked')),
        actor_id varchar(64) NOT NULL,
        actor_username varchar(255) NOT NULL,
        subject_id varchar(64),
        subject_username varchar(255) NOT NULL,
        scopes text[] NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query(
      `CREATE INDEX audit_events_album ON ${PERMISSION_SERVICE_SCHEMA}.audit_events (album_id, id)`,
    );
    // Where the watch of Keycloak's changes stands, shared by every instance: the admin events read
    // so far, and when the last full reconciliation started. It starts a minute before the
    // migration, with a full reconciliation due at once for everything before.
    await queryRunner.query(`
      CREATE TABLE ${PERMISSION_SERVICE_SCHEMA}.keycloak_watch (
        name varchar(32) PRIMARY KEY,
        position jsonb NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    await queryRunner.query(`
      INSERT INTO ${PERMISSION_SERVICE_SCHEMA}.keycloak_watch (name, position, updated_at) VALUES
        ('admin-events',
         jsonb_build_object('time', (extract(epoch FROM now()) * 1000)::bigint - 60000, 'ids', '[]'::jsonb),
         now()),
        ('full-reconcile', jsonb_build_object('startedAt', 0), now())`);
    // The last pending answer to each (album, requester), repeated to an identical request.
    await queryRunner.query(`
      CREATE TABLE ${PERMISSION_SERVICE_SCHEMA}.recent_requests (
        album_id uuid NOT NULL,
        requester_id varchar(64) NOT NULL,
        generation bigint NOT NULL DEFAULT 0,
        scopes text,
        answer jsonb,
        answered_at timestamptz,
        PRIMARY KEY (album_id, requester_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(
      `DROP TABLE ${PERMISSION_SERVICE_SCHEMA}.recent_requests, ${PERMISSION_SERVICE_SCHEMA}.keycloak_watch, ${PERMISSION_SERVICE_SCHEMA}.audit_events`,
    );
  }
}
