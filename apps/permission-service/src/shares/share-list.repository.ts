import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from '@app/grant-record';

const GRANTS = `${UMA_ACCESS_SCHEMA}.current_grants`;
const ALBUMS = `${UMA_ACCESS_SCHEMA}.album_resources`;

/** One holder of an album, by the grant record, named by the party record. */
export interface HolderRow {
  readonly subject: string;
  /** `null` for a holder the party record does not name yet. */
  readonly username: string | null;
  readonly partner: boolean | null;
  readonly scopes: string[];
}

/** One album shared with a party, by the grant record. */
export interface SharedAlbumRow {
  readonly resourceId: string;
  readonly albumId: string;
  readonly albumName: string;
  readonly ownerUsername: string;
  readonly scopes: string[];
}

/**
 * The lists of shares, in keyset order, from the grant record (what RPTs are held to), the party
 * record and the albums the album service publishes (`uma_access.album_resources`): one query
 * per page, whatever the number of items, and no call to Keycloak.
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
      `SELECT g.subject, party.username, party.partner, g.scopes
         FROM ${GRANTS} g
         LEFT JOIN parties party ON party.subject = g.subject
        WHERE g.resource_id = $1
          AND ($2::varchar IS NULL
               OR (coalesce(party.username, ''), g.subject) >
                  (coalesce((SELECT username FROM parties WHERE subject = $2), ''), $2))
        ORDER BY coalesce(party.username, ''), g.subject
        LIMIT $3`,
      [resourceId, after ?? null, count],
    )) as HolderRow[];
  }

  /** The albums shared with the holder of `subject`, by resource id, after `after`. */
  async sharedWith(subject: string, after: string, count: number): Promise<SharedAlbumRow[]> {
    return (await this.dataSource.query(
      `SELECT g.resource_id AS "resourceId", a.album_id AS "albumId", a.name AS "albumName",
              a.owner_username AS "ownerUsername", g.scopes
         FROM ${GRANTS} g
         JOIN ${ALBUMS} a ON a.resource_id = g.resource_id
        WHERE g.subject = $1 AND g.resource_id > $2
        ORDER BY g.resource_id
        LIMIT $3`,
      [subject, after, count],
    )) as SharedAlbumRow[];
  }
}
