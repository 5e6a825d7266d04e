import { Injectable } from '@nestjs/common';
import { KeycloakError, type PartnerPermission, ProtectionApiClient } from '@app/keycloak';
import { GrantDirectory } from './grant-directory.ts';
import { type GrantEntry, type NamedTicket, type Party, scopeNames } from './grant-entry.ts';

/**
 * Grants and withdrawals in Keycloak, where a person's grants are permission tickets and a
 * partner's are one share permission with its full set of scopes (see AuthorizationAdminClient).
 * Called only inside a change of the party's access (`GrantService`), which orders them with the
 * grant record.
 */
@Injectable()
export class KeycloakGrants {
  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly directory: GrantDirectory,
  ) {}

  /**
   * Makes Keycloak grant the party every one of `scopes` on the resource (a partner: exactly
   * `scopes`), answering its pending requests for them. `before`: what it asked for and holds
   * there; `share`: a partner's share permission as just read, if it was. Returns the ids of the
   * pending tickets it answered.
   */
  async grant(
    resourceId: string,
    party: Party,
    before: GrantEntry | undefined,
    scopes: readonly string[],
    share?: { readonly share: PartnerPermission | undefined },
  ): Promise<string[]> {
    const answered = (before?.pending ?? []).filter((ticket) => scopes.includes(ticket.scopeName));
    if (party.partner) {
      // A partner's share is one permission with the full set; its requests are answered by it.
      await this.directory.setPartnerShare(resourceId, party, scopes, share);
      await this.deleteTickets(answered);
      return answered.map((ticket) => ticket.id);
    }
    // Pending requests for the scopes are approved, so that they do not linger as requests.
    for (const ticket of answered) {
      await this.protection.approveTicket(ticket.id);
    }
    const granted = new Set([...scopeNames(before?.granted ?? []), ...scopeNames(answered)]);
    for (const scope of scopes.filter((candidate) => !granted.has(candidate))) {
      try {
        await this.protection.grant(resourceId, party.username, scope);
      } catch (error) {
        // A concurrent share of the same scope got there first (Keycloak answers 400 "already
        // exists", or 409 when both inserts race): the grant is what was asked for.
        const duplicate =
          error instanceof KeycloakError &&
          (error.status === 409 || /already exists/i.test(error.description ?? ''));
        if (!duplicate) {
          throw error;
        }
      }
    }
    return answered.map((ticket) => ticket.id);
  }

  /**
   * Deletes the party's tickets (requests and grants) whose scope `matches` and, for a partner
   * with a share, narrows its share to `keep`.
   */
  async withdraw(
    resourceId: string,
    party: Party,
    entry: GrantEntry | undefined,
    matches: (scope: string) => boolean,
    keep: readonly string[],
  ): Promise<void> {
    const tickets = [...(entry?.granted ?? []), ...(entry?.pending ?? [])];
    await this.deleteTickets(tickets.filter((ticket) => matches(ticket.scopeName)));
    if (party.partner && (entry?.sharedScopes.length ?? 0) > 0) {
      await this.directory.setPartnerShare(resourceId, party, keep);
    }
  }

  /** Deletes requests (a denial, a withdrawal) or grants. */
  async deleteTickets(tickets: readonly NamedTicket[]): Promise<void> {
    for (const ticket of tickets) {
      await this.protection.deleteTicket(ticket.id);
    }
  }
}
