import { Inject, Injectable } from '@nestjs/common';
import { ProblemException } from '@app/common';
import type { Principal } from '@app/auth';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { recordRequestSeenFirst } from '../audit/audit-order.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import { PermissionFlows } from '../audit/permission-flows.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import { type GrantEntry, grantedScopes, scopeNames } from '../grants/grant-entry.ts';
import { GrantService } from '../grants/grant.service.ts';
import { KeycloakGrants } from '../grants/keycloak-grants.ts';
import { PartyDirectory } from '../grants/party-directory.ts';
import type { PermissionRequestDto } from './permission-request.dto.ts';
import { permissionRequestDto } from './permission-request.mapper.ts';
import { answeredTickets } from './permission-request.parser.ts';
import { PendingRequestRepository } from './pending-request.repository.ts';
import { REQUEST_CONDITIONS, type RequestConditions } from './request-conditions.ts';
import { RequestExpiry } from './request-expiry.ts';

/**
 * The owner's answers to a request: approval of all or some pending scopes, or denial. An approval
 * is a grant through `GrantService`, as a share is.
 */
@Injectable()
export class PermissionAnswerService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly audit: AuditRepository,
    private readonly directory: GrantDirectory,
    private readonly grants: GrantService,
    private readonly keycloak: KeycloakGrants,
    private readonly parties: PartyDirectory,
    private readonly flows: PermissionFlows,
    private readonly pending: PendingRequestRepository,
    private readonly expiry: RequestExpiry,
    @Inject(REQUEST_CONDITIONS) private readonly conditions: RequestConditions,
  ) {}

  /**
   * The owner approves all, or some, of the pending scopes; with `expiresAt`, what the requester
   * holds on the album then ends at that instant (without, a grant keeps its expiry, and a new
   * one has none). A person refused as disabled keeps the request pending: the owner may deny it,
   * or approve it once the user is enabled.
   */
  async approve(
    owner: Principal,
    id: string,
    scopes: readonly string[] | undefined,
    expiresAt?: Date,
  ): Promise<PermissionRequestDto> {
    const { entry, album, chosen } = await this.beginAnswer(owner, id, scopes);
    const party = entry.requester;
    const approved = scopeNames(chosen);
    const after = await this.grants.change(album, party, async (access) => {
      // A partner's share is one permission with its full set: what it holds already (its share
      // included, read now) and what is approved.
      const share = party.partner
        ? { share: await this.directory.partnerShare(album.resourceId, party) }
        : undefined;
      const before: GrantEntry = { ...entry, sharedScopes: share?.share?.scopes ?? [] };
      const holds = [...new Set([...grantedScopes(before), ...approved])].sort();
      let answered: readonly string[] = [];
      await access.grant(
        approved,
        async () => {
          answered = await this.keycloak.grant(album.resourceId, party, before, holds, share);
        },
        expiresAt,
      );
      return approvedEntry(before, answered, holds, approved);
    });
    const kept = await this.pending.set(album, party, scopeNames(after.pending));
    await this.flows.record(
      'approved',
      { albumId: album.albumId, actor: owner, subject: party, scopes: approved },
      { kind: 'request-approved', recipient: party.subject, albumName: album.name },
    );
    this.flows.succeeded('approve');
    return permissionRequestDto(this.parties, after, album, kept, this.conditions);
  }

  /**
   * The owner denies all pending scopes of a request. What the requester holds is then narrowed to
   * what Keycloak grants: a grant taken away in Keycloak, then asked for again and denied, is gone
   * for RPTs too.
   */
  async deny(owner: Principal, id: string): Promise<void> {
    const { entry, album, chosen: pending } = await this.beginAnswer(owner, id, undefined);
    await this.grants.change(album, entry.requester, async (access) => {
      await this.keycloak.deleteTickets(pending);
      await access.narrowToKeycloak();
    });
    await this.pending.forget(album.resourceId, entry.requester.id);
    await this.flows.record(
      'denied',
      {
        albumId: album.albumId,
        actor: owner,
        subject: entry.requester,
        scopes: scopeNames(pending),
      },
      { kind: 'request-denied', recipient: entry.requester.subject, albumName: album.name },
    );
    this.flows.succeeded('deny');
  }

  /**
   * What an owner's answer starts with: the request (the policy decides who may answer it), the
   * pending tickets answered (all, or those of `scopes`), and the request in the audit before the
   * answer when the requester asked at Keycloak directly. A request that lapsed is expired now,
   * even before the sweep came to it, and is no longer there to answer (`409`, as nothing is
   * pending).
   */
  private async beginAnswer(owner: Principal, id: string, scopes: readonly string[] | undefined) {
    const { entry, album } = await this.access.requireAccess(
      owner,
      Permission.PermissionRequestAnswer,
      { requestId: id },
    );
    if (
      entry.pending.length > 0 &&
      (await this.expiry.expireIfLapsed(entry.resourceId, entry.requester.id))
    ) {
      throw new ProblemException({
        status: 409,
        code: 'nothing-pending',
        detail: 'The request lapsed unanswered: nothing is pending any more.',
      });
    }
    const chosen = answeredTickets(entry.pending, scopes);
    await recordRequestSeenFirst(
      this.audit,
      album.albumId,
      entry.requester,
      scopeNames(entry.pending),
    );
    return { entry, album, chosen };
  }
}

/**
 * The request once approved, without asking Keycloak again: the tickets `answered` (ids) are no
 * longer pending (a person's are granted now), a partner's share holds `holds`, and the record
 * also holds `approved`.
 */
function approvedEntry(
  before: GrantEntry,
  answered: readonly string[],
  holds: readonly string[],
  approved: readonly string[],
): GrantEntry {
  const done = before.pending.filter((ticket) => answered.includes(ticket.id));
  return {
    ...before,
    pending: before.pending.filter((ticket) => !answered.includes(ticket.id)),
    granted: before.requester.partner
      ? before.granted
      : [...before.granted, ...done.map((ticket) => ({ ...ticket, granted: true }))],
    sharedScopes: before.requester.partner ? holds : before.sharedScopes,
    current: [...new Set([...before.current, ...approved])].sort(),
  };
}
