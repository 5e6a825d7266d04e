import { decodeJwtPayload, ProtectionApiClient } from '@app/keycloak';

/** A ticket is reused while it has at least this much life left. */
const MIN_REMAINING_MS = 60_000;
/**
 * ... and for at most this long: reusing a ticket asks Keycloak nothing, so a resource deleted
 * behind the service's back would go unnoticed (and unrepaired) for the ticket's whole life.
 */
const MAX_REUSE_MS = 30_000;
const MAX_ENTRIES = 10_000;

/** When the ticket expires, in ms; 0 (reuse never) when its payload says nothing readable. */
function expiryOf(ticket: string): number {
  // Unverified is enough: the ticket comes straight from Keycloak's protection API, and its
  // expiry only bounds how long this cache reuses it.
  const exp = decodeJwtPayload(ticket)?.['exp'];
  return typeof exp === 'number' ? exp * 1000 : 0;
}

/**
 * Permission tickets by (resource, scope set). A ticket is not bound to a requester, so one ticket
 * serves every challenge for the same resource and scopes while it stays valid; concurrent
 * challenges share one request to Keycloak.
 */
export class UmaTicketCache {
  private readonly tickets = new Map<string, { ticket: string; reuseUntil: number }>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly now: () => number = Date.now,
  ) {}

  async ticketFor(resourceId: string, scopes: readonly string[]): Promise<string> {
    const key = `${resourceId} ${[...scopes].sort().join(' ')}`;
    const cached = this.tickets.get(key);
    if (cached !== undefined && this.now() < cached.reuseUntil) {
      return cached.ticket;
    }
    let pending = this.inflight.get(key);
    if (pending === undefined) {
      pending = this.protection
        .createPermissionTicket(resourceId, scopes)
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    const ticket = await pending;
    this.remember(key, ticket);
    return ticket;
  }

  private remember(key: string, ticket: string): void {
    this.tickets.delete(key);
    if (this.tickets.size >= MAX_ENTRIES) {
      const oldest = this.tickets.keys().next().value;
      if (oldest !== undefined) {
        this.tickets.delete(oldest);
      }
    }
    this.tickets.set(key, {
      ticket,
      reuseUntil: Math.min(expiryOf(ticket) - MIN_REMAINING_MS, this.now() + MAX_REUSE_MS),
    });
  }
}
