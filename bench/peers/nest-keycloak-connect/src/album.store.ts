import { Inject, Injectable, NotFoundException, OnApplicationShutdown } from '@nestjs/common';
import { Pool } from 'pg';

/** Injection token of the peer's PostgreSQL pool (pg's default size, 10, as the album service). */
export const PG_POOL = 'PG_POOL';

/** An album as the Photoz API answers it (apps/album-service/src/albums/album.dto.ts). */
export interface AlbumResponse {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly ownerId: string;
  readonly ownerUsername: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly keycloakResourceId: string | null;
}

/** An album whose Keycloak resource the album service has registered. */
export interface RegisteredAlbum {
  readonly albumId: string;
  readonly resourceId: string;
}

interface AlbumRow {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly owner_id: string;
  readonly owner_username: string;
  readonly created_at: Date;
  readonly updated_at: Date;
  readonly resource_id: string | null;
}

/** The album service's schema (apps/album-service/src/database/schema.ts). */
const SCHEMA = 'album_service';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The album row with its Keycloak resource id, joined as the album service joins it. */
const SELECT_ALBUM = `
  SELECT album.id, album.name, album.description, album.owner_id, album.owner_username,
         album.created_at, album.updated_at, link.resource_id
  FROM ${SCHEMA}.albums album
  LEFT JOIN ${SCHEMA}.uma_resource_links link
    ON link.entity_type = 'album' AND link.entity_id = album.id::text
  WHERE album.id = $1`;

/**
 * The albums given a guarded route of their own: the newest this many registered ones. Each is a
 * controller class, and Nest's module scan overflows its stack at about 10,000 of them; the
 * benchmark reads the album it created just before starting the peer.
 */
const ROUTED_ALBUMS = 1_000;

/** The newest registered albums (at most {@link ROUTED_ALBUMS}), oldest first. */
export async function registeredAlbums(pool: Pool): Promise<RegisteredAlbum[]> {
  const { rows } = await pool.query<{ album_id: string; resource_id: string }>(`
    SELECT album.id::text AS album_id, link.resource_id
    FROM ${SCHEMA}.albums album
    JOIN ${SCHEMA}.uma_resource_links link
      ON link.entity_type = 'album' AND link.entity_id = album.id::text
    ORDER BY album.created_at DESC, album.id DESC
    LIMIT ${ROUTED_ALBUMS}`);
  return rows.reverse().map((row) => ({ albumId: row.album_id, resourceId: row.resource_id }));
}

/** Reads albums from the Photoz database with `pg`: one query per read. */
@Injectable()
export class AlbumStore implements OnApplicationShutdown {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async get(id: string): Promise<AlbumResponse> {
    if (!UUID.test(id)) {
      throw new NotFoundException(`album ${id} not found`);
    }
    const { rows } = await this.pool.query<AlbumRow>(SELECT_ALBUM, [id]);
    const row = rows[0];
    if (row === undefined) {
      throw new NotFoundException(`album ${id} not found`);
    }
    return {
      id: row.id,
      name: row.name,
      description: row.description,
      ownerId: row.owner_id,
      ownerUsername: row.owner_username,
      createdAt: row.created_at.toISOString(),
      updatedAt: row.updated_at.toISOString(),
      keycloakResourceId: row.resource_id,
    };
  }

  async onApplicationShutdown(): Promise<void> {
    await this.pool.end();
  }
}
