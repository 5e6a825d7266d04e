import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

const AUDIT = `${PERMISSION_SERVICE_SCHEMA}.audit_events`;

/**
 * The audit trail tells of a share that ended on its own: the action `expired`, recorded when its
 * grant is removed (by the sweep, or by the change of the party's access that finds it expired).
 */
export class AuditGrantExpiry1764200000050 implements MigrationInterface {
  name = 'AuditGrantExpiry1764200000050';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE ${AUDIT} DROP CONSTRAINT audit_events_action_check`);
    await queryRunner.query(`
      ALTER TABLE ${AUDIT} ADD CONSTRAINT audit_events_action_check
        CHECK (action IN ('requested', 'approved', 'denied', 'withdrawn', 'shared', 'revoked',
                          'expired'))`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM ${AUDIT} WHERE action = 'expired'`);
    await queryRunner.query(`ALTER TABLE ${AUDIT} DROP CONSTRAINT audit_events_action_check`);
    await queryRunner.query(`
      ALTER TABLE ${AUDIT} ADD CONSTRAINT audit_events_action_check
        CHECK (action IN ('requested', 'approved', 'denied', 'withdrawn', 'shared', 'revoked'))`);
  }
}
