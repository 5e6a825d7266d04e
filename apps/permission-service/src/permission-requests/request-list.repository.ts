import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { liveGrant, UMA_ACCESS_SCHEMA } from '@app/grant-record';
import { REQUEST_CONDITIONS, type RequestConditions } from './request-conditions.ts';

const GRANTS = `${UMA_ACCESS_SCHEMA}.current_grants`;
const ALBUMS = `${UMA_ACCESS_SCHEMA}.album_resources`;

/** One (album, requester) of a list of requests, as the tables hold it. */
export interface RequestRow {
  readonly resourceId: string;
  /**
   * `null` (with the name and owner) for a resource that is no album of this deployment (any
   * more): the page's position still passes it, and the list leaves it out.
   */
  readonly albumId: string | null;
  readonly albumName: string | null;
  readonly ownerUsername: string | null;
  /** The requester as Keycloak's tickets name it; `null` for a holder the party record lacks. */
  readonly requesterId: string | null;
  readonly subject: string | null;
  readonly username: string | null;
  readonly partner: boolean | null;
  readonly pending: string[];
  readonly granted: string[];
  /** The pending request's message and when it was made (`null`: nothing pending). */
  readonly message: string | null;
  readonly requestedAt: Date | null;
}

/** Where a page starts: after this (resource, requester id or subject); empty strings: first. */
export type RequestPosition = readonly [string, string];

const COLUMNS = `a.album_id AS "albumId", a.name AS "albumName", a.owner_username AS "ownerUsername"`;

/** A pending request (`p`) that has not lapsed; `$ttl` is the parameter holding the seconds. */
function live(ttl: string): string {
  return `p.requested_at > now() - make_interval(secs => ${ttl})`;
}

/**
 * The lists of requests, in keyset order, from the pending requests (`PendingRequestRepository`),
 * the grant record and the albums the album service publishes (`uma_access.album_resources`):
 * one query per page, whatever the number of items, and no call to Keycloak. A grant whose expiry
 * has come counts as none; a request that lapsed is left out at once, before the sweep
 * (`RequestExpiry`) deletes it.
 */
@Injectable()
export class RequestListRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(REQUEST_CONDITIONS) private readonly conditions: RequestConditions,
  ) {}

  /** Pending requests on the owner's albums, by (resource, requester id). */
  async incomingPending(
    ownerId: string,
    after: RequestPosition,
    count: number,
  ): Promise<RequestRow[]> {
    return (await this.dataSource.query(
      `WITH page AS MATERIALIZED (
         SELECT resource_id, requester_id, owner_id, scopes, message, requested_at
           FROM pending_requests p
          WHERE owner_id = $1 AND (resource_id, requester_id) > ($2, $3) AND ${live('$5')}
          ORDER BY resource_id, requester_id
          LIMIT $4)
       SELECT page.resource_id AS "resourceId", ${COLUMNS}, page.requester_id AS "requesterId",
              party.subject, party.username, party.partner, page.scopes AS pending,
              coalesce(g.scopes, '{}') AS granted, page.message,
              page.requested_at AS "requestedAt"
         FROM page
         LEFT JOIN LATERAL (SELECT * FROM ${ALBUMS} v
                             WHERE v.resource_id = page.resource_id AND v.owner_id = page.owner_id
                            OFFSET 0) a ON true
         LEFT JOIN parties party ON party.id = page.requester_id
         LEFT JOIN ${GRANTS} g ON g.resource_id = page.resource_id AND g.subject = party.subject
                              AND ${liveGrant('g')}
        ORDER BY page.resource_id, page.requester_id`,
      [ownerId, after[0], after[1], count, this.conditions.ttlSeconds],
    )) as RequestRow[];
  }

  /** What others hold on the owner's albums by the grant record, by (resource, subject). */
  async incomingGranted(
    ownerId: string,
    after: RequestPosition,
    count: number,
  ): Promise<RequestRow[]> {
    return (await this.dataSource.query(
      `SELECT g.resource_id AS "resourceId", ${COLUMNS}, party.id AS "requesterId",
              g.subject, party.username, party.partner, coalesce(p.scopes, '{}') AS pending,
              g.scopes AS granted, p.message, p.requested_at AS "requestedAt"
         FROM ${ALBUMS} a
         JOIN ${GRANTS} g ON g.resource_id = a.resource_id AND ${liveGrant('g')}
         LEFT JOIN parties party ON party.subject = g.subject
         LEFT JOIN pending_requests p
           ON p.resource_id = g.resource_id AND p.requester_id = party.id AND ${live('$5')}
        WHERE a.owner_id = $1 AND g.subject <> $1 AND (g.resource_id, g.subject) > ($2, $3)
        ORDER BY g.resource_id, g.subject
        LIMIT $4`,
      [ownerId, after[0], after[1], count, this.conditions.ttlSeconds],
    )) as RequestRow[];
  }

  /**
   * The party's own requests and what it holds, by resource: the page's resources are taken in
   * index order from each side (requests, grants) and merged, so a page reads a page of each.
   */
  async outgoing(
    party: { readonly id: string; readonly subject: string },
    after: string,
    count: number,
  ): Promise<RequestRow[]> {
    return (await this.dataSource.query(
      `WITH page AS MATERIALIZED (
         SELECT resource_id FROM (
           (SELECT p.resource_id FROM pending_requests p
             WHERE p.requester_id = $1 AND p.resource_id > $3 AND ${live('$5')}
             ORDER BY p.resource_id LIMIT $4)
           UNION
           (SELECT g.resource_id FROM ${GRANTS} g
             WHERE g.subject = $2 AND g.resource_id > $3 AND ${liveGrant('g')}
             ORDER BY g.resource_id LIMIT $4)
         ) mine
         ORDER BY resource_id LIMIT $4)
       SELECT page.resource_id AS "resourceId", ${COLUMNS}, $1::varchar AS "requesterId",
              $2::varchar AS subject, NULL AS username, NULL AS partner,
              coalesce(p.scopes, '{}') AS pending,
              coalesce((SELECT g.scopes FROM ${GRANTS} g
                         WHERE g.resource_id = page.resource_id AND g.subject = $2
                           AND ${liveGrant('g')}),
                       '{}') AS granted,
              p.message, p.requested_at AS "requestedAt"
         FROM page
         LEFT JOIN pending_requests p
           ON p.resource_id = page.resource_id AND p.requester_id = $1 AND ${live('$5')}
         -- One album per row of the page, by index (OFFSET 0 keeps the planner from joining the
         -- whole view instead); none for a resource that is no album of this deployment.
         LEFT JOIN LATERAL (SELECT * FROM ${ALBUMS} v
                             WHERE v.resource_id = page.resource_id OFFSET 0) a ON true
        ORDER BY page.resource_id`,
      [party.id, party.subject, after, count, this.conditions.ttlSeconds],
    )) as RequestRow[];
  }
}
