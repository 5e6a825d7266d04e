import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

const S = PERMISSION_SERVICE_SCHEMA;

/**
 * Notifications: what each person is told (`notifications`, read by the in-app list and stream),
 * the email still to be sent for them (`notification_emails`, the outbox the email relay drains),
 * and whether a person wants email at all (`notification_settings`, no row: email on). A
 * notification and its email row are written in the transaction that records the change in the
 * audit trail, so a change that rolled back leaves neither.
 */
export class CreateNotifications1764200000300 implements MigrationInterface {
  name = 'CreateNotifications1764200000300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ${S}.notifications (
        id bigserial PRIMARY KEY,
        recipient_id varchar(64) NOT NULL,
        kind varchar(24) NOT NULL CHECK (kind IN
          ('request-received', 'request-approved', 'request-denied', 'album-shared', 'link-redeemed')),
        album_id uuid NOT NULL,
        album_name varchar(255) NOT NULL,
        actor_username varchar(255) NOT NULL,
        scopes text[] NOT NULL DEFAULT '{}',
        message text,
        created_at timestamptz NOT NULL DEFAULT now(),
        read_at timestamptz
      )`);
    // The recipient's page, newest first, and the unread count, each from its own index.
    await queryRunner.query(
      `CREATE INDEX notifications_recipient ON ${S}.notifications (recipient_id, id DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX notifications_unread ON ${S}.notifications (recipient_id) WHERE read_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE ${S}.notification_emails (
        id bigserial PRIMARY KEY,
        notification_id bigint NOT NULL REFERENCES ${S}.notifications (id) ON DELETE CASCADE,
        status varchar(8) NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'parked')),
        attempts integer NOT NULL DEFAULT 0,
        failures integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_error text,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX notification_emails_due ON ${S}.notification_emails (next_attempt_at)
        WHERE status = 'pending'`,
    );
    await queryRunner.query(`
      CREATE TABLE ${S}.notification_settings (
        subject varchar(64) PRIMARY KEY,
        email boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP TABLE ${S}.notification_settings`);
    await queryRunner.query(`DROP TABLE ${S}.notification_emails`);
    await queryRunner.query(`DROP TABLE ${S}.notifications`);
  }
}
