import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateAuditEvents1763900000001 implements MigrationInterface {
  name = 'CreateAuditEvents1763900000001';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE audit_events (
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
    await queryRunner.query('CREATE INDEX audit_events_album ON audit_events (album_id, id)');
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE audit_events');
  }
}
