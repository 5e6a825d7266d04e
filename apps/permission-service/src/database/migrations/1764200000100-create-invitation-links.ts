import type { MigrationInterface, QueryRunner } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../schema.ts';

const SCHEMA = PERMISSION_SERVICE_SCHEMA;

/**
 * The audit actions without and with `redeemed`. `expired` (the expiring shares' sweep) is allowed
 * either way: both features redefine the same check, and neither may drop the other's action.
 */
const ACTIONS_BEFORE = [
  'requested',
  'approved',
  'denied',
  'withdrawn',
  'shared',
  'revoked',
  'expired',
];
const ACTIONS_AFTER = [...ACTIONS_BEFORE, 'redeemed'];

function actionCheck(actions: readonly string[]): string {
  return `ALTER TABLE ${SCHEMA}.audit_events DROP CONSTRAINT audit_events_action_check,
    ADD CONSTRAINT audit_events_action_check
      CHECK (action IN (${actions.map((action) => `'${action}'`).join(', ')}))`;
}

/**
 * Invitation links: an owner's standing, pre-approved offer of scopes on an album to whoever
 * presents the link's secret. Only the SHA-256 of the secret is kept, and the link is found by it
 * (a unique index), so the database never holds a secret that opens anything and no comparison of
 * secrets happens in the service. Each redemption is recorded, for revoking every share a link
 * made; failed redemptions are counted per caller and per address, for the rate limit every
 * instance shares.
 */
export class CreateInvitationLinks1764200000100 implements MigrationInterface {
  name = 'CreateInvitationLinks1764200000100';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE ${SCHEMA}.invitation_links (
        id uuid PRIMARY KEY,
        album_id uuid NOT NULL,
        owner_id varchar(64) NOT NULL,
        token_hash bytea NOT NULL CHECK (octet_length(token_hash) = 32),
        scopes text[] NOT NULL CHECK (cardinality(scopes) > 0),
        expires_at timestamptz,
        max_uses integer CHECK (max_uses BETWEEN 1 AND 1000),
        uses integer NOT NULL DEFAULT 0 CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses)),
        -- In milliseconds, as a list cursor holds it (a JavaScript date).
        created_at timestamptz NOT NULL DEFAULT date_trunc('milliseconds', now()),
        deleted_at timestamptz
      )`);
    await queryRunner.query(
      `CREATE UNIQUE INDEX invitation_links_token_hash ON ${SCHEMA}.invitation_links (token_hash)`,
    );
    // The owner's list: an album's links, newest first, without the deleted ones.
    await queryRunner.query(
      `CREATE INDEX invitation_links_album ON ${SCHEMA}.invitation_links (album_id, created_at DESC, id DESC)
        WHERE deleted_at IS NULL`,
    );
    await queryRunner.query(`
      CREATE TABLE ${SCHEMA}.invitation_redemptions (
        id bigserial PRIMARY KEY,
        link_id uuid NOT NULL REFERENCES ${SCHEMA}.invitation_links (id) ON DELETE CASCADE,
        subject varchar(64) NOT NULL,
        party_id varchar(64) NOT NULL,
        party_username varchar(255) NOT NULL,
        partner boolean NOT NULL,
        redeemed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX invitation_redemptions_link ON ${SCHEMA}.invitation_redemptions (link_id, subject)`,
    );
    // One row per failed redemption and per key (`subject:<sub>`, `address:<ip>`), pruned by the
    // next failure of the key once out of the window.
    await queryRunner.query(`
      CREATE TABLE ${SCHEMA}.invitation_redeem_failures (
        id bigserial PRIMARY KEY,
        key varchar(128) NOT NULL,
        failed_at timestamptz NOT NULL DEFAULT now()
      )`);
    await queryRunner.query(
      `CREATE INDEX invitation_redeem_failures_key ON ${SCHEMA}.invitation_redeem_failures (key, failed_at DESC)`,
    );
    await queryRunner.query(
      `CREATE INDEX invitation_redeem_failures_age ON ${SCHEMA}.invitation_redeem_failures (failed_at)`,
    );
    await queryRunner.query(`ALTER TABLE ${SCHEMA}.audit_events ADD COLUMN link_id uuid`);
    await queryRunner.query(actionCheck(ACTIONS_AFTER));
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DELETE FROM ${SCHEMA}.audit_events WHERE action = 'redeemed'`);
    await queryRunner.query(actionCheck(ACTIONS_BEFORE));
    await queryRunner.query(`ALTER TABLE ${SCHEMA}.audit_events DROP COLUMN link_id`);
    await queryRunner.query(
      `DROP TABLE ${SCHEMA}.invitation_redeem_failures, ${SCHEMA}.invitation_redemptions, ${SCHEMA}.invitation_links`,
    );
  }
}
