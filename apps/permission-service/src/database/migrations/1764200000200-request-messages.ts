import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

const PENDING = `${PERMISSION_SERVICE_SCHEMA}.pending_requests`;
const AUDIT = `${PERMISSION_SERVICE_SCHEMA}.audit_events`;
const EXPIRED = 'request-expired';

/** The audit actions the check constraint on `audit_events.action` allows now, and its name. */
async function auditActionCheck(
  queryRunner: QueryRunner,
): Promise<{ name: string; actions: string[] }> {
  const rows = (await queryRunner.query(
    `SELECT conname AS name, pg_get_constraintdef(oid) AS definition FROM pg_constraint
      WHERE conrelid = '${AUDIT}'::regclass AND contype = 'c'
        AND pg_get_constraintdef(oid) LIKE '%action%'`,
  )) as { name: string; definition: string }[];
  const [check] = rows;
  if (check === undefined || rows.length > 1) {
    throw new Error(`expected one check constraint on ${AUDIT}.action, found ${rows.length}`);
  }
  const actions = [...check.definition.matchAll(/'([^']+)'/g)].map((match) => match[1] ?? '');
  return { name: check.name, actions };
}

/** Replaces the audit's check constraint so that it allows exactly `actions`. */
async function allowAuditActions(
  queryRunner: QueryRunner,
  name: string,
  actions: readonly string[],
): Promise<void> {
  const list = actions.map((action) => `'${action.replaceAll("'", "''")}'`).join(', ');
  await queryRunner.query(`ALTER TABLE ${AUDIT} DROP CONSTRAINT ${name}`);
  await queryRunner.query(
    `ALTER TABLE ${AUDIT} ADD CONSTRAINT ${name} CHECK (action IN (${list}))`,
  );
}

/**
 * Requests with a message and an expiry. Keycloak's tickets carry no message, so the pending
 * request this service keeps for the lists holds it; a request lapses `requested_at` plus the
 * configured time, found by its index; a failed attempt to delete a lapsed request's tickets is
 * remembered so that the sweep tries the others first; and the audit learns `request-expired`.
 * The audit's check constraint is extended from what it allows when this runs (other migrations
 * add actions of their own), not rewritten from a list of this migration's time.
 */
export class RequestMessages1764200000200 implements MigrationInterface {
  name = 'RequestMessages1764200000200';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      ALTER TABLE ${PENDING}
        ADD COLUMN message text
          CONSTRAINT pending_requests_message_length
          CHECK (message IS NULL OR char_length(message) BETWEEN 1 AND 500),
        ADD COLUMN expiry_failed_at timestamptz`);
    await queryRunner.query(
      `CREATE INDEX pending_requests_requested_at ON ${PENDING} (requested_at)`,
    );
    const check = await auditActionCheck(queryRunner);
    if (!check.actions.includes(EXPIRED)) {
      await allowAuditActions(queryRunner, check.name, [...check.actions, EXPIRED]);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM ${AUDIT} WHERE action = '${EXPIRED}'`);
    const check = await auditActionCheck(queryRunner);
    await allowAuditActions(
      queryRunner,
      check.name,
      check.actions.filter((action) => action !== EXPIRED),
    );
    await queryRunner.query(
      `DROP INDEX ${PERMISSION_SERVICE_SCHEMA}.pending_requests_requested_at`,
    );
    await queryRunner.query(
      `ALTER TABLE ${PENDING} DROP COLUMN expiry_failed_at, DROP COLUMN message`,
    );
  }
}
