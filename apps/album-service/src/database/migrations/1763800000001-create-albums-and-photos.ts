import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The albums, photos and photo_contents tables. */
export class CreateAlbumsAndPhotos1763800000001 implements MigrationInterface {
  name = 'CreateAlbumsAndPhotos1763800000001';

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
    await queryRunner.query(`
      CREATE TABLE photos (
        id uuid PRIMARY KEY,
        album_id uuid NOT NULL REFERENCES albums (id) ON DELETE CASCADE,
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
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TABLE photo_contents');
    await queryRunner.query('DROP TABLE photos');
    await queryRunner.query('DROP TABLE albums');
  }
}
