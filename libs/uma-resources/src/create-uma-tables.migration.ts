import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The tables of the UMA resource-registration module, in the service's own schema: the outbox,
 * written in the same transaction as the entity, and the entity → Keycloak resource links.
 */
export class CreateUmaTables1763800000000 implements MigrationInterface {
  name = 'CreateUmaTables1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE uma_outbox (
        id bigserial PRIMARY KEY,
        entity_type varchar(64) NOT NULL,
        entity_id varchar(128) NOT NULL,
        operation varchar(16) NOT NULL CHECK (operation IN ('upsert', 'delete')),
        resource jsonb NOT NULL,
        status varchar(16) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX uma_outbox_due ON uma_outbox (next_attempt_at, id) WHERE status = 'pending'`,
    );
    await queryRunner.query(
      `CREATE INDEX uma_outbox_entity ON uma_outbox (entity_type, entity_id, id)`,
    );
    await queryRunner.query(`
      CREATE TABLE uma_resource_links (
        entity_type varchar(64) NOT NULL,
        entity_id varchar(128) NOT NULL,
        resource_id varchar(64) NOT NULL,
        registered_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (entity_type, entity_id)
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE uma_resource_links');
    await queryRunner.query('DROP TABLE uma_outbox');
  }
}
