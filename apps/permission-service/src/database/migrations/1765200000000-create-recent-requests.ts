import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The last pending answer to each (album, requester), repeated to an identical request. */
export class CreateRecentRequests1765200000000 implements MigrationInterface {
  name = 'CreateRecentRequests1765200000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE recent_requests (
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
    await queryRunner.query('DROP TABLE recent_requests');
  }
}
