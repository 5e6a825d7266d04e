import { Injectable } from '@nestjs/common';
import { log } from '@app/observability';
import { GrantDirectory } from '../grants/grant-directory.ts';
import { type GrantEntry, scopeNames } from '../grants/grant-entry.ts';
import { type PendingRequest, PendingRequestRepository } from './pending-request.repository.ts';

/**
 * Pending tickets read per import at most: the bound on one pass's cost (a page of 100 per call
 * to Keycloak). Beyond it the pass imports what it read and deletes nothing.
 */
export const MAX_IMPORTED_TICKETS = 10_000;

const importLog = log.child({ component: 'pending-request-import' });

/** The pending requests of entries, those with pending tickets. */
export function pendingRequests(entries: readonly GrantEntry[]): PendingRequest[] {
  return entries
    .filter((entry) => entry.pending.length > 0)
    .map((entry) => ({
      resourceId: entry.resourceId,
      requesterId: entry.requester.id,
      ownerId: entry.ownerId,
      scopes: scopeNames(entry.pending),
    }));
}

/**
 * Brings Keycloak's pending tickets into the pending requests the lists read: those that reached
 * Keycloak without this service (a client asking with UMA `submit_request` directly), and the
 * answers given there (a ticket approved or deleted in the Account Console or the admin API).
 * Run in the background by one instance at a time (`KeycloakWatch`), never on a list's read; one
 * pass reads at most {@link MAX_IMPORTED_TICKETS} tickets. Requesters are named once through the
 * party directory, which keeps them.
 */
@Injectable()
export class PendingRequestImport {
  constructor(
    private readonly directory: GrantDirectory,
    private readonly pending: PendingRequestRepository,
  ) {}

  /** One pass over every pending ticket of the resource server. */
  async importAll(): Promise<{ requests: number; written: number; deleted: number }> {
    const since = await this.pending.clock();
    const entries = await this.directory.entries({ granted: false }, MAX_IMPORTED_TICKETS);
    const tickets = entries.reduce((count, entry) => count + entry.pending.length, 0);
    const complete = tickets < MAX_IMPORTED_TICKETS;
    if (!complete) {
      importLog.warn(
        { tickets },
        'more pending tickets than one import reads: requests answered in Keycloak directly stay listed',
      );
    }
    const albums = await this.pending.albumResources(entries.map((entry) => entry.resourceId));
    const found = pendingRequests(entries).filter((request) => albums.has(request.resourceId));
    const { written, deleted } = await this.pending.replace(found, since, complete);
    return { requests: found.length, written, deleted };
  }
}
