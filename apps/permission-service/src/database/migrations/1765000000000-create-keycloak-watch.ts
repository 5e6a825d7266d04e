import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

/**
 * Where the watch of Keycloak's changes stands, shared by every instance: the admin events read so
 * far, and when the last full reconciliation started. It starts a minute before the migration,
 * with a full reconciliation due at once for everything before.
 */
export class CreateKeycloakWatch1765000000000 implements MigrationInterface {
  name = 'CreateKeycloakWatch1765000000000';

  async up(queryRunner: QueryRunner): Promise<void> {
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${PERMISSION_SERVICE_SCHEMA}.keycloak_watch`);
  }
}
