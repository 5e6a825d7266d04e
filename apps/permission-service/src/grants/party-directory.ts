import { Injectable } from '@nestjs/common';
import { type Principal, SERVICE_ACCOUNT_PREFIX } from '@app/auth';
import { AuthorizationAdminClient } from '@app/keycloak';
import type { Party } from './grant-entry.ts';
import { PartyRecordRepository } from './party-record.repository.ts';
import { userDisabled } from './user-disabled.ts';

/** How a partner known to Keycloak only by its client's internal id is named. */
export const UNKNOWN_CLIENT_PREFIX = 'client:';

/** Whether a lookup may create Keycloak objects it needs (a partner's policy): only for changes. */
export type LookupMode = 'read' | 'write';

/** The partner client's id of a partner party (`service-account-<client id>`). */
export function partnerClientId(party: Party): string {
  return party.username.slice(SERVICE_ACCOUNT_PREFIX.length);
}

/**
 * Who a party is at Keycloak: a person (a realm user), or a partner application, whose service
 * account holds its tokens' `sub` and whose client policy tells which client it is. Keycloak
 * names a partner that asks with its own credentials by its client's internal id. Every party
 * resolved through Keycloak is kept in the party record, which the lists read names from.
 */
@Injectable()
export class PartyDirectory {
  constructor(
    private readonly admin: AuthorizationAdminClient,
    private readonly record: PartyRecordRepository,
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
    return this.remembered(await this.lookUpUsername(username, mode));
  }

  private async lookUpUsername(username: string, mode: LookupMode): Promise<Party | undefined> {
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

  /** The party a ticket's requester id stands for. */
  async partyById(id: string): Promise<Party> {
    return this.remembered(await this.lookUpId(id));
  }

  /**
   * The party whose tokens carry `subject` (a grant record's holder), from the party record, or
   * asked of Keycloak once and kept; `undefined` for a user Keycloak does not know (any more).
   */
  async partyBySubject(subject: string): Promise<Party | undefined> {
    const known = await this.record.bySubject(subject);
    if (known !== undefined) {
      return known;
    }
    const user = await this.admin.userById(subject);
    if (user === undefined) {
      return undefined;
    }
    return user.username.startsWith(SERVICE_ACCOUNT_PREFIX)
      ? this.partyByUsername(user.username)
      : this.remembered({ id: subject, username: user.username, partner: false, subject });
  }

  /**
   * The caller as a list reads it: a partner from the party record when known there (no call to
   * Keycloak), as {@link partyOf} in `read` mode otherwise.
   */
  async listingParty(principal: Principal): Promise<Party> {
    if (principal.partner) {
      const known = await this.record.bySubject(principal.subject);
      if (known?.partner === true) {
        return known;
      }
    }
    return this.partyOf(principal);
  }

  private async remembered<T extends Party | undefined>(party: T): Promise<T> {
    if (party !== undefined) {
      await this.record.remember(party);
    }
    return party;
  }

  private async lookUpId(id: string): Promise<Party> {
    // A partner's client id is no user's: a partner known already costs no user lookup.
    const known = this.admin.knownPartnerByClientUuid(id);
    if (known === undefined) {
      const user = await this.admin.userById(id);
      if (user !== undefined) {
        return { id, username: user.username, partner: false, subject: id };
      }
    }
    const partner = known ?? (await this.admin.partnerByClientUuid(id));
    if (partner === undefined) {
      // A client this service has never shared with: the admin API lets it see only the id.
      return { id, username: `${UNKNOWN_CLIENT_PREFIX}${id}`, partner: true, subject: id };
    }
    const username = `${SERVICE_ACCOUNT_PREFIX}${partner.clientId}`;
    const account = await this.admin.userByUsername(username);
    return { id, username, partner: true, subject: account?.id ?? id };
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

  /** A user's username; `undefined` for an id Keycloak does not know. */
  async username(userId: string): Promise<string | undefined> {
    return (await this.admin.userById(userId))?.username;
  }
}
