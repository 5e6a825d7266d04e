import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

/**
 * Keycloak's side of revocations still to be done: a revocation is in force once the grant record
 * is narrowed, and when Keycloak fails to drop its grants in the same request, the party's pair
 * waits here until the clean-up relay has made Keycloak grant no more than the record holds.
 */
export class CreateGrantCleanups1764100000000 implements MigrationInterface {
  name = 'CreateGrantCleanups1764100000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    // One row per (resource, party): the work is recomputed from the record each time, so a
    // second failed revocation of the pair only brings the row forward (`generation` tells a
    // relay that its attempt is older than the last revocation).
    await queryRunner.query(`
      CREATE TABLE ${PERMISSION_SERVICE_SCHEMA}.grant_cleanups (
        id bigserial PRIMARY KEY,
        resource_id varchar(64) NOT NULL,
        subject varchar(64) NOT NULL,
        album_id uuid NOT NULL,
        party_id varchar(64) NOT NULL,
        party_username varchar(255) NOT NULL,
        partner boolean NOT NULL,
        requests text[] NOT NULL DEFAULT '{}',
        status varchar(8) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
        attempts integer NOT NULL DEFAULT 0,
        generation integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (resource_id, subject)
      )`);
    await queryRunner.query(
      `CREATE INDEX grant_cleanups_due ON ${PERMISSION_SERVICE_SCHEMA}.grant_cleanups (next_attempt_at)
        WHERE status = 'pending'`,
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${PERMISSION_SERVICE_SCHEMA}.grant_cleanups`);
  }
}
