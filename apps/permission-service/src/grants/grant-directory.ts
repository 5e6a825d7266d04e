import { Injectable } from '@nestjs/common';
import { type Principal, SERVICE_ACCOUNT_PREFIX } from '@app/auth';
import { ProblemException } from '@app/common';
import { GrantRecordRepository } from '@app/grant-record';
import {
  AuthorizationAdminClient,
  type PermissionTicket,
  ProtectionApiClient,
  type TicketQuery,
} from '@app/keycloak';
import type { GrantEntry, NamedTicket, Party } from './grant-entry.ts';
import { userDisabled } from './user-disabled.ts';

/** How a partner known to Keycloak only by its client's internal id is named. */
const UNKNOWN_CLIENT_PREFIX = 'client:';

/** Whether a lookup may create Keycloak objects it needs (a partner's policy): only for changes. */
export type LookupMode = 'read' | 'write';

/**
 * Who asked for and holds what, from Keycloak's permission tickets and the partner share
 * permissions, with names resolved. Keycloak names a partner that asks with its own credentials
 * by its client's internal id; its share permission tells which client that is.
 */
@Injectable()
export class GrantDirectory {
  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly admin: AuthorizationAdminClient,
    private readonly grants: GrantRecordRepository,
  ) {}

  /** The caller as Keycloak's tickets know it. */
  async partyOf(principal: Principal, mode: LookupMode = 'read'): Promise<Party> {
    if (principal.partner) {
      const party = await this.partyByUsername(principal.username, mode);
      if (party !== undefined) {
        return party;
      }
    }
    return {
      id: principal.subject,
      username: principal.username,
      partner: false,
      subject: principal.subject,
    };
  }

  /**
   * A person by username, or a partner by `service-account-<client id>`; `undefined` when unknown,
   * and, in `read` mode, for a partner this service has never dealt with (it holds nothing here).
   */
  async partyByUsername(username: string, mode: LookupMode = 'read'): Promise<Party | undefined> {
    const user = await this.admin.userByUsername(username);
    if (user === undefined) {
      return undefined;
    }
    if (!user.username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
      return { id: user.id, username: user.username, partner: false, subject: user.id };
    }
    const clientId = user.username.slice(SERVICE_ACCOUNT_PREFIX.length);
    const partner =
      mode === 'write'
        ? await this.admin.ensurePartnerPolicy(clientId)
        : await this.admin.partnerPolicy(clientId);
    return partner === undefined
      ? undefined
      : { id: partner.clientUuid, username: user.username, partner: true, subject: user.id };
  }

  /**
   * Refuses to grant anything to a person whose account is disabled now (or gone): an account an
   * administrator switched off gains no access, not even through the access tokens it still holds
   * until they expire. A partner is let in or out by its client, not by its service account.
   */
  async requireEnabled(party: Party): Promise<void> {
    if (party.partner) {
      return;
    }
    const user = await this.admin.userByUsername(party.username);
    if (user?.id !== party.id || !user.enabled) {
      throw userDisabled(party.username);
    }
  }

  /** The party a ticket's requester id stands for. */
  async partyById(id: string): Promise<Party> {
    const user = await this.admin.userById(id);
    if (user !== undefined) {
      return { id, username: user.username, partner: false, subject: id };
    }
    const partner = await this.admin.partnerByClientUuid(id);
    if (partner === undefined) {
      // A client this service has never shared with: the admin API lets it see only the id.
      return { id, username: `${UNKNOWN_CLIENT_PREFIX}${id}`, partner: true, subject: id };
    }
    const username = `${SERVICE_ACCOUNT_PREFIX}${partner.clientId}`;
    const account = await this.admin.userByUsername(username);
    return { id, username, partner: true, subject: account?.id ?? id };
  }

  /** A user's username; `undefined` for an id Keycloak does not know. */
  async username(userId: string): Promise<string | undefined> {
    return (await this.admin.userById(userId))?.username;
  }

  /** Entries of the tickets matching `query`, one per (resource, requester), in a stable order. */
  async entries(query: TicketQuery): Promise<GrantEntry[]> {
    return this.group(await this.protection.findTickets(query), []);
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

  /** One party's access to one resource. */
  async entry(resourceId: string, party: Party): Promise<GrantEntry | undefined> {
    return (await this.entriesOfResource(resourceId)).find(
      (entry) => entry.requester.id === party.id,
    );
  }

  /** Resources shared with a partner directly, with their scopes. */
  async partnerShares(party: Party): Promise<{ resourceId: string; scopes: readonly string[] }[]> {
    if (!party.partner) {
      return [];
    }
    return this.admin.permissionsOfPartner(party.username.slice(SERVICE_ACCOUNT_PREFIX.length));
  }

  /**
   * Lets a partner hold exactly `scopes` on the resource through a share permission. Keycloak
   * cannot approve a partner's own ticket (its requester is a client, not a user), so approving
   * a partner's request goes through here too.
   */
  async setPartnerShare(
    resourceId: string,
    party: Party,
    scopes: readonly string[],
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
    const clientId = party.username.slice(SERVICE_ACCOUNT_PREFIX.length);
    const policy = !party.partner
      ? undefined
      : scopes.length > 0
        ? await this.admin.ensurePartnerPolicy(clientId)
        : await this.admin.partnerPolicy(clientId);
    if (policy === undefined) {
      throw new Error(`${party.username} is not a partner known to Keycloak`);
    }
    await this.admin.setPartnerPermission(resourceId, policy, scopes);
  }

  private async group(
    tickets: readonly PermissionTicket[],
    shares: readonly { resourceId: string; requesterId: string; scopes: readonly string[] }[],
  ): Promise<GrantEntry[]> {
    const named = await Promise.all(
      tickets.map(async (ticket) => ({
        ...ticket,
        scopeName: (await this.admin.scopeName(ticket.scopeId)) ?? ticket.scopeId,
      })),
    );
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
    for (const ticket of named) {
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
        requester: await this.partyById(group.requesterId),
        pending: group.pending,
        granted: group.granted,
        sharedScopes: [...new Set(group.shared)].sort(),
      })),
    );
    const current = await this.grants.ofPairs(
      entries.map((entry) => ({ resourceId: entry.resourceId, subject: entry.requester.subject })),
    );
    return entries.map((entry) => ({
      ...entry,
      current: current.get(`${entry.resourceId} ${entry.requester.subject}`) ?? [],
    }));
  }
}
