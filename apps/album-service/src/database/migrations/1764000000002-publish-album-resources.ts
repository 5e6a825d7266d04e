import type { MigrationInterface, QueryRunner } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from '#grant-record/schema';

/**
 * Publishes the registered albums to the other services as a read-only view,
 * `uma_access.album_resources` (album id, name, owner, Keycloak resource id): a stable contract in
 * place of this service's table layout. The permission service lists shares and requests from it
 * without asking Keycloak about each album. An album not registered yet (no link) is not in it.
 * Idempotent: `CREATE OR REPLACE` and `IF NOT EXISTS`.
 */
export class PublishAlbumResources1764000000002 implements MigrationInterface {
  name = 'PublishAlbumResources1764000000002';

  async up(queryRunner: QueryRunner): Promise<void> {
    // The view is read by resource id (joined with the grant record and the requests).
    await queryRunner.query(
      'CREATE UNIQUE INDEX IF NOT EXISTS uma_resource_links_resource ON uma_resource_links (resource_id)',
    );
    // From a link to its album: the view's join, read from the link's side.
    await queryRunner.query('CREATE INDEX IF NOT EXISTS albums_id_text ON albums ((id::text))');
    // Unqualified names: the view binds to the tables of the schema being migrated.
    await queryRunner.query(`
      CREATE OR REPLACE VIEW ${UMA_ACCESS_SCHEMA}.album_resources AS
        SELECT link.resource_id, album.id AS album_id, album.name, album.owner_id,
               album.owner_username
          FROM albums album
          JOIN uma_resource_links link
            ON link.entity_type = 'album' AND link.entity_id = album.id::text`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP VIEW IF EXISTS ${UMA_ACCESS_SCHEMA}.album_resources`);
    await queryRunner.query('DROP INDEX IF EXISTS albums_id_text');
    await queryRunner.query('DROP INDEX IF EXISTS uma_resource_links_resource');
  }
}
