import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The album service's schema: albums, photos and their bytes, what each owner's photos weigh, and
 * the tables of the UMA resource registration (`@app/uma-resources`): the outbox, written in the
 * same transaction as the album, and the album → Keycloak resource links.
 */
export class InitialSchema1763800000000 implements MigrationInterface {
  name = 'InitialSchema1763800000000';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE albums (
        id uuid PRIMARY KEY,
        name varchar(200) NOT NULL,
        description varchar(2000),
        owner_id varchar(64) NOT NULL,
        owner_username varchar(255) NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
      )`);
    // Keyset pagination: an owner's albums, and all albums, newest first.
    await queryRunner.query(
      'CREATE INDEX albums_owner_page ON albums (owner_id, created_at DESC, id DESC)',
    );
    await queryRunner.query('CREATE INDEX albums_page ON albums (created_at DESC, id DESC)');
    // `owner_id`: the album's owner (an album never changes hands), whose quota the photo counts in.
    await queryRunner.query(`
      CREATE TABLE photos (
        id uuid PRIMARY KEY,
        album_id uuid NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
        owner_id varchar(64) NOT NULL,
        file_name varchar(255) NOT NULL,
        content_type varchar(64) NOT NULL,
        size integer NOT NULL CHECK (size > 0),
        checksum char(64) NOT NULL,
        created_at timestamptz NOT NULL
      )`);
    await queryRunner.query('CREATE INDEX photos_album ON photos (album_id, created_at, id)');
    await queryRunner.query(`
      CREATE TABLE photo_contents (
        photo_id uuid PRIMARY KEY REFERENCES photos (id) ON DELETE CASCADE,
        data bytea NOT NULL
      )`);
    await this.createOwnerUsage(queryRunner);
    await this.createUmaTables(queryRunner);
  }

  /**
   * What each owner's photos weigh together, for the bytes quota: kept by triggers on `photos`, in
   * the transaction of every insert and delete (an album's cascade and any other writer included),
   * one row update per statement. Photos are never updated.
   */
  private async createOwnerUsage(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE TABLE owner_usage (
        owner_id varchar(64) PRIMARY KEY,
        bytes bigint NOT NULL CHECK (bytes >= 0)
      )`);
    // SET search_path FROM CURRENT: the function finds `owner_usage` in this schema whoever writes.
    await queryRunner.query(`
      CREATE FUNCTION count_photo_bytes() RETURNS trigger LANGUAGE plpgsql
      SET search_path FROM CURRENT AS $$
      BEGIN
        IF TG_OP = 'INSERT' THEN
          INSERT INTO owner_usage AS total (owner_id, bytes)
          SELECT owner_id, sum(size) FROM changed GROUP BY owner_id ORDER BY owner_id
          ON CONFLICT (owner_id) DO UPDATE SET bytes = total.bytes + EXCLUDED.bytes;
        ELSE
          UPDATE owner_usage total SET bytes = total.bytes - gone.bytes
            FROM (SELECT owner_id, sum(size) AS bytes FROM changed GROUP BY owner_id) gone
           WHERE total.owner_id = gone.owner_id;
        END IF;
        RETURN NULL;
      END $$`);
    await queryRunner.query(`
      CREATE TRIGGER photos_added AFTER INSERT ON photos REFERENCING NEW TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION count_photo_bytes()`);
    await queryRunner.query(`
      CREATE TRIGGER photos_removed AFTER DELETE ON photos REFERENCING OLD TABLE AS changed
      FOR EACH STATEMENT EXECUTE FUNCTION count_photo_bytes()`);
  }

  /** The outbox and the links of `@app/uma-resources` (`UmaOutboxRepository`, `UmaResourceLinkRepository`). */
  private async createUmaTables(queryRunner: QueryRunner): Promise<void> {
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
    for (const table of ['uma_resource_links', 'uma_outbox', 'photo_contents', 'photos']) {
      await queryRunner.query(`DROP TABLE ${table}`);
    }
    await queryRunner.query('DROP TABLE owner_usage');
    await queryRunner.query('DROP FUNCTION count_photo_bytes()');
    await queryRunner.query('DROP TABLE albums');
  }
}
