import type { PermissionTicket } from '@app/keycloak';

const SERVICE_ACCOUNT_PREFIX = 'service-account-';

/** Everything one requester asked for or holds on one resource: Keycloak keeps a ticket per scope. */
export interface AccessEntry {
  readonly resourceId: string;
  readonly ownerId: string;
  readonly ownerName: string | undefined;
  readonly requesterId: string;
  readonly requesterName: string;
  readonly pending: readonly PermissionTicket[];
  readonly granted: readonly PermissionTicket[];
}

/** Groups tickets by (resource, requester), in a stable order. */
export function groupTickets(tickets: readonly PermissionTicket[]): AccessEntry[] {
  const entries = new Map<
    string,
    { first: PermissionTicket; pending: PermissionTicket[]; granted: PermissionTicket[] }
  >();
  for (const ticket of tickets) {
    const key = `${ticket.resourceId}.${ticket.requesterId}`;
    let entry = entries.get(key);
    if (entry === undefined) {
      entry = { first: ticket, pending: [], granted: [] };
      entries.set(key, entry);
    }
    (ticket.granted ? entry.granted : entry.pending).push(ticket);
  }
  return [...entries.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, { first, pending, granted }]) => ({
      resourceId: first.resourceId,
      ownerId: first.ownerId,
      ownerName: first.ownerName,
      requesterId: first.requesterId,
      requesterName: first.requesterName,
      pending,
      granted,
    }));
}

export function scopeNames(tickets: readonly PermissionTicket[]): string[] {
  return [...new Set(tickets.map((ticket) => ticket.scopeName))].sort();
}

/** A partner application acts through its service account, `service-account-<client id>`. */
export function isPartner(username: string): boolean {
  return username.startsWith(SERVICE_ACCOUNT_PREFIX);
}

/** The id of a permission request: the resource and the requester it is about. */
export function requestId(entry: { resourceId: string; requesterId: string }): string {
  return `${entry.resourceId}.${entry.requesterId}`;
}

const UUID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const REQUEST_ID = new RegExp(`^(${UUID})\\.(${UUID})$`, 'i');

export function parseRequestId(
  id: string,
): { resourceId: string; requesterId: string } | undefined {
  const match = REQUEST_ID.exec(id);
  return match === null ? undefined : { resourceId: match[1] ?? '', requesterId: match[2] ?? '' };
}
