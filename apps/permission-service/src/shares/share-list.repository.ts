import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { liveGrant, UMA_ACCESS_SCHEMA } from '@app/grant-record';

const GRANTS = `${UMA_ACCESS_SCHEMA}.current_grants`;
const ALBUMS = `${UMA_ACCESS_SCHEMA}.album_resources`;

/** One holder of an album, by the grant record, named by the party record. */
export interface HolderRow {
  readonly subject: string;
  /** `null` for a holder the party record does not name yet. */
  readonly username: string | null;
  readonly partner: boolean | null;
  readonly scopes: string[];
  readonly expiresAt: Date | null;
}

/** One album shared with a party, by the grant record. */
export interface SharedAlbumRow {
  readonly resourceId: string;
  /** `null` (with the name and owner) for a resource that is no album of this deployment. */
  readonly albumId: string | null;
  readonly albumName: string | null;
  readonly ownerUsername: string | null;
  readonly scopes: string[];
  readonly expiresAt: Date | null;
}

/**
 * The lists of shares, in keyset order, from the grant record (what RPTs are held to), the party
 * record and the albums the album service publishes (`uma_access.album_resources`): one query
 * per page, whatever the number of items, and no call to Keycloak. A grant whose expiry has come
 * is not listed, whether or not the sweep has removed it yet.
 */
@Injectable()
export class ShareListRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Who holds what on the resource, by username then subject, after the holder `after`. A holder
   * the party record does not name yet has a `null` username and comes first, so that the first
   * page finds it (and the caller names it) before any cursor has passed its place.
   */
  async holders(
    resourceId: string,
    after: string | undefined,
    count: number,
  ): Promise<HolderRow[]> {
    return (await this.dataSource.query(
      `SELECT g.subject, party.username, party.partner, g.scopes, g.expires_at AS "expiresAt"
         FROM ${GRANTS} g
         LEFT JOIN parties party ON party.subject = g.subject
        WHERE g.resource_id = $1 AND ${liveGrant('g')}
          AND ($2::varchar IS NULL
               OR (coalesce(party.username, ''), g.subject) >
                  (coalesce((SELECT username FROM parties WHERE subject = $2), ''), $2))
        ORDER BY coalesce(party.username, ''), g.subject
        LIMIT $3`,
      [resourceId, after ?? null, count],
    )) as HolderRow[];
  }

  /**
   * The albums shared with the holder of `subject`, by resource id, after `after`: a page of the
   * grant record's rows read by index first, then each row's album by index (`null` columns for a
   * resource that is no album of this deployment any more: the caller leaves it out, after the
   * page's position is taken). So a page costs the same at 1,000 grants as at one, whatever the
   * planner knows of the tables (fresh statistics or none).
   */
  async sharedWith(subject: string, after: string, count: number): Promise<SharedAlbumRow[]> {
    return (await this.dataSource.query(
      `WITH page AS MATERIALIZED (
         SELECT resource_id, scopes, expires_at FROM ${GRANTS}
          WHERE subject = $1 AND resource_id > $2 AND ${liveGrant()}
          ORDER BY resource_id
          LIMIT $3)
       SELECT page.resource_id AS "resourceId", a.album_id AS "albumId", a.name AS "albumName",
              a.owner_username AS "ownerUsername", page.scopes, page.expires_at AS "expiresAt"
         FROM page
         LEFT JOIN LATERAL (SELECT * FROM ${ALBUMS} v
                             WHERE v.resource_id = page.resource_id OFFSET 0) a ON true
        ORDER BY page.resource_id`,
      [subject, after, count],
    )) as SharedAlbumRow[];
  }
}
