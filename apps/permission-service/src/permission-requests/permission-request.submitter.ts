import { Inject, Injectable } from '@nestjs/common';
import {
  AUTH_OPTIONS,
  type AuthOptions,
  TOKEN_NO_LONGER_ACTIVE,
  tokenRefusal,
  UmaTicketCache,
} from '@app/auth';
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
 * Whether Keycloak refused the requester's own token: the UMA grant authenticates with nothing
 * else, and answers `invalid_grant` ("Invalid bearer token") once the token's session has been
 * logged out or its user disabled, although its signature and `exp` still hold: with `400` on
 * Keycloak 26.7.3 (a bad ticket is a `403`), with `401` on 26.5.6.
 */
function refusedRequesterToken(error: unknown): boolean {
  return (
    error instanceof KeycloakError &&
    (error.status === 401 ||
      (error.status === 400 &&
        error.error === 'invalid_grant' &&
        error.description === 'Invalid bearer token'))
  );
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
    @Inject(AUTH_OPTIONS) private readonly auth: AuthOptions,
  ) {}

  /**
   * A token Keycloak no longer accepts is the caller's to renew: a `401` `invalid_token`, as the
   * guard answers a token it refuses itself, rather than a server error or a refused ticket.
   */
  private refuseRequesterToken(): never {
    throw tokenRefusal(this.auth.realm, TOKEN_NO_LONGER_ACTIVE);
  }

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
      if (refusedRequesterToken(error)) {
        return this.refuseRequesterToken();
      }
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
      if (refusedRequesterToken(error)) {
        return this.refuseRequesterToken();
      }
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
