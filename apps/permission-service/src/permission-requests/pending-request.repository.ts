import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
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

  /** The party's pending scopes on the resource are exactly `scopes` now (none: no request). */
  async set(
    resource: { readonly resourceId: string; readonly ownerId: string },
    party: Party,
    scopes: readonly string[],
  ): Promise<void> {
    if (scopes.length === 0) {
      await this.forget(resource.resourceId, party.id);
      return;
    }
    await this.parties.remember(party);
    await this.dataSource.query(
      `INSERT INTO pending_requests AS pending
         (resource_id, requester_id, owner_id, scopes, requested_at, updated_at)
       VALUES ($1, $2, $3, $4::text[], clock_timestamp(), clock_timestamp())
       ON CONFLICT (resource_id, requester_id) DO UPDATE
         SET owner_id = EXCLUDED.owner_id, scopes = EXCLUDED.scopes,
             updated_at = EXCLUDED.updated_at`,
      [resource.resourceId, party.id, resource.ownerId, [...new Set(scopes)].sort()],
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
   * Makes the table hold `found`, Keycloak's pending requests as read from `readSince` on: rows
   * written after `readSince` (by a change through this service meanwhile) are left as they are.
   * `complete`: `found` is every pending request, so that rows not in it are gone in Keycloak;
   * otherwise (the read was cut short) nothing is deleted. `resourceId`: `found` is that of one
   * resource only.
   */
  async replace(
    found: readonly PendingRequest[],
    readSince: Date,
    scope: { readonly complete: boolean; readonly resourceId?: string },
  ): Promise<{ written: number; deleted: number }> {
    return this.dataSource.transaction(async (manager) => {
      let written = 0;
      for (const request of found) {
        const rows = (await manager.query(
          `INSERT INTO pending_requests AS pending
             (resource_id, requester_id, owner_id, scopes, requested_at, updated_at)
           VALUES ($1, $2, $3, $4::text[], clock_timestamp(), clock_timestamp())
           ON CONFLICT (resource_id, requester_id) DO UPDATE
             SET owner_id = EXCLUDED.owner_id, scopes = EXCLUDED.scopes,
                 updated_at = EXCLUDED.updated_at
           WHERE pending.updated_at < $5 AND pending.scopes IS DISTINCT FROM EXCLUDED.scopes
           RETURNING 1`,
          [
            request.resourceId,
            request.requesterId,
            request.ownerId,
            [...new Set(request.scopes)].sort(),
            readSince,
          ],
        )) as unknown[];
        written += rows.length;
      }
      if (!scope.complete) {
        return { written, deleted: 0 };
      }
      const deleted = (await manager.query(
        `DELETE FROM pending_requests
          WHERE updated_at < $1 AND ($2::varchar IS NULL OR resource_id = $2)
            AND NOT (resource_id || '.' || requester_id = ANY ($3::text[]))
          RETURNING 1`,
        [
          readSince,
          scope.resourceId ?? null,
          found.map((request) => `${request.resourceId}.${request.requesterId}`),
        ],
      )) as [unknown[], number] | unknown[];
      const gone = Array.isArray(deleted[0]) ? deleted[0] : deleted;
      return { written, deleted: gone.length };
    });
  }
}
