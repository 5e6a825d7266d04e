import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { UMA_ACCESS_SCHEMA } from '@app/grant-record';
import type { Party } from '../grants/grant-entry.ts';
import { PartyRecordRepository } from '../grants/party-record.repository.ts';

/** A pending request as Keycloak holds it: one (resource, requester) and its pending scopes. */
export interface PendingRequest {
  readonly resourceId: string;
  readonly requesterId: string;
  readonly ownerId: string;
  readonly scopes: readonly string[];
}

/** What this service keeps of a pending request beyond Keycloak's tickets. */
export interface PendingRecord {
  /** The requester's message (`null`: none, e.g. a request made at Keycloak directly). */
  readonly message: string | null;
  /** When the request was first made: it lapses the configured time later. */
  readonly requestedAt: Date;
}

/** A pending request that lapsed, locked for its expiry, with its requester as the record has it. */
export interface LapsedRequest {
  readonly resourceId: string;
  readonly requesterId: string;
  readonly scopes: readonly string[];
  /** The requester from the party record; `null` when the record lacks it. */
  readonly party: Party | null;
}

/** A pending request lapses `$ttl` seconds (a parameter) after it was made. */
const LAPSED = 'pending.requested_at <= clock_timestamp() - make_interval(secs => $1)';

/**
 * The `pending_requests` table: the scopes each party asked for and the owner has not answered,
 * per (resource, requester as Keycloak's tickets name it). It follows Keycloak's pending tickets:
 * every change made through this service writes it (a request, an approval, a denial, a
 * withdrawal, a share or a revocation), and the background import (`PendingRequestImport`) brings
 * in what reached Keycloak without this service (a client asking at Keycloak directly) and drops
 * what was answered there. The inbox and the outbox are read from it.
 */
@Injectable()
export class PendingRequestRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly parties: PartyRecordRepository,
  ) {}

  /**
   * The party's pending scopes on the resource are exactly `scopes` now (none: no request, and
   * `undefined` is answered). `message`, when given, replaces the request's message; left out, the
   * message stays. The time the request was made stays too: asking again, or for more scopes,
   * does not postpone its expiry.
   */
  async set(
    resource: { readonly resourceId: string; readonly ownerId: string },
    party: Party,
    scopes: readonly string[],
    message?: string,
  ): Promise<PendingRecord | undefined> {
    if (scopes.length === 0) {
      await this.forget(resource.resourceId, party.id);
      return undefined;
    }
    await this.parties.remember(party);
    const [row] = (await this.dataSource.query(
      `INSERT INTO pending_requests AS pending
         (resource_id, requester_id, owner_id, scopes, message, requested_at, updated_at)
       VALUES ($1, $2, $3, $4::text[], $5, clock_timestamp(), clock_timestamp())
       ON CONFLICT (resource_id, requester_id) DO UPDATE
         SET owner_id = EXCLUDED.owner_id, scopes = EXCLUDED.scopes,
             message = coalesce(EXCLUDED.message, pending.message),
             updated_at = EXCLUDED.updated_at
       RETURNING message, requested_at AS "requestedAt"`,
      [
        resource.resourceId,
        party.id,
        resource.ownerId,
        [...new Set(scopes)].sort(),
        message ?? null,
      ],
    )) as PendingRecord[];
    return row;
  }

  /**
   * Up to `limit` requests that lapsed (made `ttlSeconds` ago or more), locked for `manager`'s
   * transaction and skipping those another transaction holds; those whose expiry failed last.
   */
  async lockLapsed(
    manager: EntityManager,
    ttlSeconds: number,
    limit: number,
  ): Promise<LapsedRequest[]> {
    return this.lapsedRows(
      manager,
      `WHERE ${LAPSED}
        ORDER BY pending.expiry_failed_at NULLS FIRST, pending.requested_at
        LIMIT $2
        FOR UPDATE OF pending SKIP LOCKED`,
      [ttlSeconds, limit],
    );
  }

  /** The party's request on the resource when it lapsed, locked (waiting for another holder). */
  async lockLapsedOne(
    manager: EntityManager,
    ttlSeconds: number,
    resourceId: string,
    requesterId: string,
  ): Promise<LapsedRequest | undefined> {
    const [row] = await this.lapsedRows(
      manager,
      `WHERE ${LAPSED} AND pending.resource_id = $2 AND pending.requester_id = $3
        FOR UPDATE OF pending`,
      [ttlSeconds, resourceId, requesterId],
    );
    return row;
  }

  private async lapsedRows(
    manager: EntityManager,
    where: string,
    parameters: unknown[],
  ): Promise<LapsedRequest[]> {
    const rows = (await manager.query(
      `SELECT pending.resource_id, pending.requester_id, pending.scopes,
              party.subject, party.username, party.partner
         FROM pending_requests pending
         LEFT JOIN parties party ON party.id = pending.requester_id
         ${where}`,
      parameters,
    )) as {
      resource_id: string;
      requester_id: string;
      scopes: string[];
      subject: string | null;
      username: string | null;
      partner: boolean | null;
    }[];
    return rows.map((row) => ({
      resourceId: row.resource_id,
      requesterId: row.requester_id,
      scopes: row.scopes,
      party:
        row.subject === null || row.username === null
          ? null
          : {
              id: row.requester_id,
              subject: row.subject,
              username: row.username,
              partner: row.partner === true,
            },
    }));
  }

  /** The lapsed request is gone (its tickets deleted), in `manager`'s transaction. */
  async forgetLapsed(manager: EntityManager, request: LapsedRequest): Promise<void> {
    await manager.query(
      'DELETE FROM pending_requests WHERE resource_id = $1 AND requester_id = $2',
      [request.resourceId, request.requesterId],
    );
  }

  /** Deleting the lapsed request's tickets failed: the sweep tries the others first next time. */
  async expiryFailed(manager: EntityManager, request: LapsedRequest): Promise<void> {
    await manager.query(
      `UPDATE pending_requests SET expiry_failed_at = clock_timestamp()
        WHERE resource_id = $1 AND requester_id = $2`,
      [request.resourceId, request.requesterId],
    );
  }

  /** Those of `resourceIds` that are albums of this deployment (`uma_access.album_resources`). */
  async albumResources(resourceIds: readonly string[]): Promise<Set<string>> {
    const rows = (await this.dataSource.query(
      `SELECT resource_id FROM ${UMA_ACCESS_SCHEMA}.album_resources
        WHERE resource_id = ANY ($1::varchar[])`,
      [[...new Set(resourceIds)]],
    )) as { resource_id: string }[];
    return new Set(rows.map((row) => row.resource_id));
  }

  /** The id of the album of this deployment whose Keycloak resource is `resourceId`, if any. */
  async albumIdOf(resourceId: string): Promise<string | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT album_id FROM ${UMA_ACCESS_SCHEMA}.album_resources WHERE resource_id = $1`,
      [resourceId],
    )) as { album_id: string }[];
    return row?.album_id;
  }

  /** The database's clock now: where a read of Keycloak's tickets starts. */
  async clock(): Promise<Date> {
    const [row] = (await this.dataSource.query('SELECT clock_timestamp() AS now')) as {
      now: Date;
    }[];
    return row?.now ?? new Date(0);
  }

  /** The party has nothing pending on the resource any more. */
  async forget(resourceId: string, requesterId: string): Promise<void> {
    await this.dataSource.query(
      'DELETE FROM pending_requests WHERE resource_id = $1 AND requester_id = $2',
      [resourceId, requesterId],
    );
  }

  /**
   * Makes the table hold `found`, Keycloak's pending requests as read from `readSince` on, in one
   * statement each for the writes and the deletions, whatever their number: rows written after
   * `readSince` (by a change through this service meanwhile) are left as they are. A row kept
   * keeps its message and the time it was made: a lapsed request whose tickets the sweep failed to
   * delete stays lapsed (hidden from the lists, and tried again), never imported as a new one. `complete`:
   * `found` is every pending request, so that rows not in it are gone in Keycloak; otherwise (the
   * read was cut short) nothing is deleted.
   */
  async replace(
    found: readonly PendingRequest[],
    readSince: Date,
    complete: boolean,
  ): Promise<{ written: number; deleted: number }> {
    const rows = JSON.stringify(
      found.map((request) => ({
        resource_id: request.resourceId,
        requester_id: request.requesterId,
        owner_id: request.ownerId,
        scopes: [...new Set(request.scopes)].sort(),
      })),
    );
    const recordset = `jsonb_to_recordset($1::jsonb)
      AS found (resource_id varchar, requester_id varchar, owner_id varchar, scopes text[])`;
    return this.dataSource.transaction(async (manager) => {
      const [written] = (await manager.query(
        `WITH written AS (
           INSERT INTO pending_requests AS pending
             (resource_id, requester_id, owner_id, scopes, requested_at, updated_at)
           SELECT resource_id, requester_id, owner_id, scopes, clock_timestamp(), clock_timestamp()
             FROM ${recordset}
           ON CONFLICT (resource_id, requester_id) DO UPDATE
             SET owner_id = EXCLUDED.owner_id, scopes = EXCLUDED.scopes,
                 updated_at = EXCLUDED.updated_at
           WHERE pending.updated_at < $2 AND pending.scopes IS DISTINCT FROM EXCLUDED.scopes
           RETURNING 1)
         SELECT count(*)::int AS count FROM written`,
        [rows, readSince],
      )) as { count: number }[];
      if (!complete) {
        return { written: written?.count ?? 0, deleted: 0 };
      }
      const [deleted] = (await manager.query(
        `WITH deleted AS (
           DELETE FROM pending_requests pending
            WHERE pending.updated_at < $2
              AND NOT EXISTS (SELECT 1 FROM ${recordset}
                               WHERE found.resource_id = pending.resource_id
                                 AND found.requester_id = pending.requester_id)
           RETURNING 1)
         SELECT count(*)::int AS count FROM deleted`,
        [rows, readSince],
      )) as { count: number }[];
      return { written: written?.count ?? 0, deleted: deleted?.count ?? 0 };
    });
  }
}
