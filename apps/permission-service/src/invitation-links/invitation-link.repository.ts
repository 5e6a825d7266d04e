import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from '@app/grant-record';
import { PERMISSION_SERVICE_SCHEMA } from '../database/schema.ts';
import type { Party } from '../grants/grant-entry.ts';
import type { InvitationLinkState } from './invitation-link.dto.ts';

const LINKS = `${PERMISSION_SERVICE_SCHEMA}.invitation_links`;
const REDEMPTIONS = `${PERMISSION_SERVICE_SCHEMA}.invitation_redemptions`;

/** A link as its owner sees it (never its secret, which is not stored). */
export interface InvitationLink {
  readonly id: string;
  readonly albumId: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
  readonly expiresAt: Date | null;
  readonly maxUses: number | null;
  readonly uses: number;
  readonly createdAt: Date;
  /** By the database's clock, when read. */
  readonly state: InvitationLinkState;
}

/** A position in an album's list of links: newest first. */
export interface LinkPosition {
  readonly createdAt: Date;
  readonly id: string;
}

/** A redemption in progress: its row, to be undone should the grant fail. */
export interface Claim {
  readonly redemptionId: string;
}

interface LinkRow {
  id: string;
  album_id: string;
  owner_id: string;
  scopes: string[];
  expires_at: Date | null;
  max_uses: number | null;
  uses: number;
  created_at: Date;
  state: InvitationLinkState;
}

const COLUMNS = `id, album_id, owner_id, scopes, expires_at, max_uses, uses, created_at,
  CASE WHEN expires_at IS NOT NULL AND expires_at <= now() THEN 'expired'
       WHEN max_uses IS NOT NULL AND uses >= max_uses THEN 'used-up'
       ELSE 'active' END AS state`;

/** A link that opens: not deleted, not expired, not used up (by the database's clock). */
const USABLE = `deleted_at IS NULL AND (expires_at IS NULL OR expires_at > now())
  AND (max_uses IS NULL OR uses < max_uses)`;

function toLink(row: LinkRow): InvitationLink {
  return {
    id: row.id,
    albumId: row.album_id,
    ownerId: row.owner_id,
    scopes: [...row.scopes].sort(),
    expiresAt: row.expires_at,
    maxUses: row.max_uses,
    uses: row.uses,
    createdAt: row.created_at,
    state: row.state,
  };
}

/**
 * The invitation links and their redemptions (`invitation_links`, `invitation_redemptions`).
 * Plain SQL: a use is counted by one conditional `UPDATE`, which PostgreSQL serialises on the
 * link's row across instances, so a link never opens more often than it allows.
 */
@Injectable()
export class InvitationLinkRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async create(link: {
    id: string;
    albumId: string;
    ownerId: string;
    tokenHash: Buffer;
    scopes: readonly string[];
    expiresAt: Date | null;
    maxUses: number | null;
  }): Promise<InvitationLink> {
    const [row] = (await this.dataSource.query(
      `INSERT INTO ${LINKS} (id, album_id, owner_id, token_hash, scopes, expires_at, max_uses)
       VALUES ($1, $2, $3, $4, $5::text[], $6, $7)
       RETURNING ${COLUMNS}`,
      [
        link.id,
        link.albumId,
        link.ownerId,
        link.tokenHash,
        [...link.scopes].sort(),
        link.expiresAt,
        link.maxUses,
      ],
    )) as LinkRow[];
    return toLink(row as LinkRow);
  }

  /** An album's links that are not deleted, newest first, after `after`. */
  async forAlbum(
    albumId: string,
    limit: number,
    after: LinkPosition | undefined,
  ): Promise<InvitationLink[]> {
    const rows = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${LINKS}
        WHERE album_id = $1 AND deleted_at IS NULL
          AND ($2::timestamptz IS NULL OR (created_at, id) < ($2::timestamptz, $3::uuid))
        ORDER BY created_at DESC, id DESC
        LIMIT $4`,
      [albumId, after?.createdAt ?? null, after?.id ?? null, limit],
    )) as LinkRow[];
    return rows.map(toLink);
  }

  /** Deletes the album's link (it stops opening at once); `false` when there is none to delete. */
  async delete(albumId: string, linkId: string): Promise<boolean> {
    // A `SELECT` around the `UPDATE`: TypeORM answers a bare `UPDATE` with `[rows, count]`.
    const rows = (await this.dataSource.query(
      `WITH deleted AS (
         UPDATE ${LINKS} SET deleted_at = now()
          WHERE id = $1 AND album_id = $2 AND deleted_at IS NULL
          RETURNING id
       )
       SELECT id FROM deleted`,
      [linkId, albumId],
    )) as unknown[];
    return rows.length > 0;
  }

  /** The link whose secret hashes to `tokenHash`, when it opens now. */
  async usable(tokenHash: Buffer): Promise<InvitationLink | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT ${COLUMNS} FROM ${LINKS} WHERE token_hash = $1 AND ${USABLE}`,
      [tokenHash],
    )) as LinkRow[];
    return row === undefined ? undefined : toLink(row);
  }

  /**
   * Takes one use of the link for `party` and records the redemption, in one statement; nothing
   * when the link no longer opens. Two instances claiming the last use: the second `UPDATE`
   * waits for the first's row lock, then finds the link used up.
   */
  async claim(linkId: string, party: Party): Promise<Claim | undefined> {
    const [row] = (await this.dataSource.query(
      `WITH used AS (
         UPDATE ${LINKS} SET uses = uses + 1 WHERE id = $1 AND ${USABLE} RETURNING id
       )
       INSERT INTO ${REDEMPTIONS} (link_id, subject, party_id, party_username, partner)
       SELECT id, $2, $3, $4, $5 FROM used
       RETURNING id::text AS "redemptionId"`,
      [linkId, party.subject, party.id, party.username, party.partner],
    )) as Claim[];
    return row;
  }

  /** Gives a claimed use back and forgets its redemption: the grant it was for did not happen. */
  async release(claim: Claim): Promise<void> {
    await this.dataSource.query(
      `WITH gone AS (DELETE FROM ${REDEMPTIONS} WHERE id = $1 RETURNING link_id)
       UPDATE ${LINKS} SET uses = uses - 1 WHERE id IN (SELECT link_id FROM gone)`,
      [claim.redemptionId],
    );
  }

  /** Whether the link is still there (not deleted). */
  async exists(linkId: string): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `SELECT 1 FROM ${LINKS} WHERE id = $1 AND deleted_at IS NULL`,
      [linkId],
    )) as unknown[];
    return rows.length > 0;
  }

  /** Every party that redeemed the link, once each. */
  async redeemers(linkId: string): Promise<Party[]> {
    return (await this.dataSource.query(
      `SELECT DISTINCT ON (subject)
              party_id AS id, party_username AS username, partner, subject
         FROM ${REDEMPTIONS} WHERE link_id = $1
        ORDER BY subject, id DESC`,
      [linkId],
    )) as Party[];
  }

  /** The album owner's username as the album service publishes it. */
  async ownerUsername(albumId: string): Promise<string | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT owner_username FROM ${UMA_ACCESS_SCHEMA}.album_resources WHERE album_id = $1`,
      [albumId],
    )) as { owner_username: string | null }[];
    return row?.owner_username ?? undefined;
  }
}
