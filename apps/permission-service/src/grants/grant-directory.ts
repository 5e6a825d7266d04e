import { Injectable } from '@nestjs/common';
import { ProblemException } from '@app/common';
import { GrantRecordRepository } from '@app/grant-record';
import {
  AuthorizationAdminClient,
  type PartnerPermission,
  type PermissionTicket,
  ProtectionApiClient,
  type TicketQuery,
} from '@app/keycloak';
import type { GrantEntry, NamedTicket, Party } from './grant-entry.ts';
import { partnerClientId, PartyDirectory, UNKNOWN_CLIENT_PREFIX } from './party-directory.ts';

/** Scopes a partner holds on a resource through a share permission (the partner by client uuid). */
interface PartnerShare {
  readonly resourceId: string;
  readonly requesterId: string;
  readonly scopes: readonly string[];
}

/**
 * Who asked for and holds what, from Keycloak's permission tickets and the partner share
 * permissions, with names resolved and with what the grant record holds for each. A question
 * about one party is asked of Keycloak about that party only.
 */
@Injectable()
export class GrantDirectory {
  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly admin: AuthorizationAdminClient,
    private readonly parties: PartyDirectory,
    private readonly record: GrantRecordRepository,
  ) {}

  /**
   * Entries of the tickets matching `query`, one per (resource, requester), in a stable order;
   * from the first `limit` tickets only, when given.
   */
  async entries(query: TicketQuery, limit?: number): Promise<GrantEntry[]> {
    return this.group(await this.protection.findTickets(query, 100, limit), []);
  }

  /** Every party's access to one resource, tickets and partner shares together. */
  async entriesOfResource(resourceId: string): Promise<GrantEntry[]> {
    const [tickets, permissions] = await Promise.all([
      this.protection.findTickets({ resourceId }),
      this.admin.partnerPermissions(resourceId),
    ]);
    const shares = await Promise.all(
      permissions.map(async (permission) => {
        const partner = await this.admin.partnerPolicy(permission.clientId);
        return partner === undefined
          ? undefined
          : { resourceId, requesterId: partner.clientUuid, scopes: permission.scopes };
      }),
    );
    return this.group(
      tickets,
      shares.filter((share) => share !== undefined),
    );
  }

  /**
   * One party's access to one resource: its tickets there and, for a partner, its share
   * permission; `undefined` when it neither holds nor asked for anything in Keycloak.
   */
  async entry(resourceId: string, party: Party): Promise<GrantEntry | undefined> {
    const [tickets, share] = await Promise.all([
      this.protection.findTickets({ resourceId, requester: party.id }),
      this.partnerShare(resourceId, party),
    ]);
    if (tickets.length === 0 && share === undefined) {
      return undefined;
    }
    const [named, current] = await Promise.all([
      this.named(tickets),
      this.record.held(resourceId, party.subject),
    ]);
    return {
      resourceId,
      ownerId: tickets[0]?.ownerId ?? '',
      requester: party,
      pending: named.filter((ticket) => !ticket.granted),
      granted: named.filter((ticket) => ticket.granted),
      sharedScopes: share?.scopes ?? [],
      current,
    };
  }

  /** A partner's share permission on the resource (none for a person). */
  async partnerShare(resourceId: string, party: Party): Promise<PartnerPermission | undefined> {
    return !party.partner || party.username.startsWith(UNKNOWN_CLIENT_PREFIX)
      ? undefined
      : this.admin.partnerPermission(resourceId, partnerClientId(party));
  }

  /** Resources shared with a partner directly, with their scopes. */
  async partnerShares(party: Party): Promise<{ resourceId: string; scopes: readonly string[] }[]> {
    return party.partner ? this.admin.permissionsOfPartner(partnerClientId(party)) : [];
  }

  /**
   * Lets a partner hold exactly `scopes` on the resource through a share permission. Keycloak
   * cannot approve a partner's own ticket (its requester is a client, not a user), so approving
   * a partner's request goes through here too. `read`: the partner's share as just read (by
   * {@link partnerShare}, in the same change), which spares reading it again.
   */
  async setPartnerShare(
    resourceId: string,
    party: Party,
    scopes: readonly string[],
    read?: { readonly share: PartnerPermission | undefined },
  ): Promise<void> {
    if (party.username.startsWith(UNKNOWN_CLIENT_PREFIX)) {
      // Without its service account the revocation could not reach the partner's RPTs.
      throw new ProblemException({
        status: 409,
        code: 'partner-unknown',
        detail:
          'This partner asked at Keycloak directly and is known only by its client id there: share with it by username (service-account-<client id>) instead.',
      });
    }
    const clientId = partnerClientId(party);
    const policy = !party.partner
      ? undefined
      : scopes.length > 0
        ? await this.admin.ensurePartnerPolicy(clientId)
        : await this.admin.partnerPolicy(clientId);
    if (policy === undefined) {
      throw new Error(`${party.username} is not a partner known to Keycloak`);
    }
    await (read === undefined
      ? this.admin.setPartnerPermission(resourceId, policy, scopes)
      : this.admin.replacePartnerPermission(read.share, resourceId, policy, scopes));
  }

  /** The tickets with their scopes' names (Keycloak's tickets name only the scope's id). */
  private async named(tickets: readonly PermissionTicket[]): Promise<NamedTicket[]> {
    return Promise.all(
      tickets.map(async (ticket) => ({
        ...ticket,
        scopeName: (await this.admin.scopeName(ticket.scopeId)) ?? ticket.scopeId,
      })),
    );
  }

  private async group(
    tickets: readonly PermissionTicket[],
    shares: readonly PartnerShare[],
  ): Promise<GrantEntry[]> {
    const groups = new Map<
      string,
      {
        resourceId: string;
        ownerId: string;
        requesterId: string;
        pending: NamedTicket[];
        granted: NamedTicket[];
        shared: string[];
      }
    >();
    const groupOf = (resourceId: string, requesterId: string, ownerId: string) => {
      const key = `${resourceId}.${requesterId}`;
      let group = groups.get(key);
      if (group === undefined) {
        group = { resourceId, ownerId, requesterId, pending: [], granted: [], shared: [] };
        groups.set(key, group);
      }
      return group;
    };
    for (const ticket of await this.named(tickets)) {
      const group = groupOf(ticket.resourceId, ticket.requesterId, ticket.ownerId);
      (ticket.granted ? group.granted : group.pending).push(ticket);
    }
    for (const share of shares) {
      groupOf(share.resourceId, share.requesterId, '').shared.push(...share.scopes);
    }
    const sorted = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const entries = await Promise.all(
      sorted.map(async ([, group]) => ({
        resourceId: group.resourceId,
        ownerId: group.ownerId,
        requester: await this.parties.partyById(group.requesterId),
        pending: group.pending,
        granted: group.granted,
        sharedScopes: [...new Set(group.shared)].sort(),
      })),
    );
    const current = await this.record.ofPairs(
      entries.map((entry) => ({ resourceId: entry.resourceId, subject: entry.requester.subject })),
    );
    return entries.map((entry) => ({
      ...entry,
      current: current.get(`${entry.resourceId} ${entry.requester.subject}`) ?? [],
    }));
  }
}
