import { Injectable } from '@nestjs/common';
import { UmaTicketCache } from '@app/auth';
import {
  KeycloakError,
  KeycloakUnavailableError,
  type PermissionRequestOutcome,
  UmaGrantClient,
} from '@app/keycloak';
import { GrantDirectory } from '../grants/grant-directory.ts';
import { askedFor, type Party } from '../grants/grant-entry.ts';
import { invalidTicket, type TicketPermission } from './permission-ticket.ts';

/**
 * Whether a failed submission was a concurrent request of the same party getting there first.
 * Keycloak fails the second insert of the same pending ticket with a server error, so a server
 * error (not an unreachable Keycloak) after which every scope is asked for counts as done.
 */
async function lostTheRace(
  error: unknown,
  grants: GrantDirectory,
  resourceId: string,
  party: Party,
  scopes: readonly string[],
): Promise<boolean> {
  if (!(error instanceof KeycloakUnavailableError && error.status !== undefined)) {
    return false;
  }
  const now = await grants.entry(resourceId, party);
  return scopes.every((scope) => askedFor(now).has(scope));
}

/**
 * Submits permission requests at Keycloak on the requester's behalf (the UMA grant with
 * `submit_request`, authenticated with the requester's own token), and recovers when a concurrent
 * request of the same party recorded the same request first.
 */
@Injectable()
export class PermissionRequestSubmitter {
  constructor(
    private readonly umaGrant: UmaGrantClient,
    private readonly challenges: UmaTicketCache,
    private readonly grants: GrantDirectory,
  ) {}

  /** Asks for `scopes` on the resource; `false` when a concurrent request recorded them first. */
  async submitScopes(
    resourceId: string,
    party: Party,
    scopes: readonly string[],
    requesterToken: string,
  ): Promise<boolean> {
    try {
      await this.umaGrant.submitRequest(
        await this.challenges.ticketFor(resourceId, scopes),
        requesterToken,
      );
      return true;
    } catch (error) {
      if (await lostTheRace(error, this.grants, resourceId, party, scopes)) {
        return false;
      }
      throw error;
    }
  }

  /**
   * Sends a challenge's ticket, which only Keycloak can verify; a ticket it refuses is a `400` that
   * says nothing about any album. `claimed` is what the ticket names, unverified: it serves only to
   * tell whether a concurrent request got there first, which also means Keycloak took the ticket.
   */
  async submitTicket(
    ticket: string,
    claimed: TicketPermission,
    party: Party,
    requesterToken: string,
  ): Promise<PermissionRequestOutcome> {
    try {
      return await this.umaGrant.submitRequest(ticket, requesterToken);
    } catch (error) {
      if (error instanceof KeycloakError) {
        return invalidTicket();
      }
      if (await lostTheRace(error, this.grants, claimed.resourceId, party, claimed.scopes)) {
        return 'pending';
      }
      throw error;
    }
  }
}
