import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { AlbumDirectory, type AlbumResource } from '../albums/album-directory.ts';
import { PermissionFlows } from '../audit/permission-flows.ts';
import { EndedGrants } from '../grants/ended-grants.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import { askedFor, emptyEntry, type Party, scopeNames } from '../grants/grant-entry.ts';
import { KeycloakGrants } from '../grants/keycloak-grants.ts';
import { PartyDirectory } from '../grants/party-directory.ts';
import type { CreatePermissionRequestDto, PermissionRequestDto } from './permission-request.dto.ts';
import { permissionRequestDto } from './permission-request.mapper.ts';
import { type CreateRequest, parseCreateRequest } from './permission-request.parser.ts';
import { PermissionRequestSubmitter } from './permission-request.submitter.ts';
import { PendingRequestRepository } from './pending-request.repository.ts';
import { invalidTicket, unverifiedTicketPermission } from './permission-ticket.ts';
import { ReaskInterval } from './reask-interval.ts';
import { RecentRequestRepository, scopeSetKey } from './recent-request.repository.ts';
import { REQUEST_CONDITIONS, type RequestConditions } from './request-conditions.ts';
import { RequestExpiry } from './request-expiry.ts';

/**
 * How long, in seconds, a pending request's answer is repeated to an identical request without
 * asking Keycloak (0: never). Bounds how long a change made in Keycloak directly goes unseen here.
 */
export const REQUEST_REPEAT_SECONDS = Symbol('REQUEST_REPEAT_SECONDS');

/**
 * Permission requests, as Keycloak's permission tickets: one ticket per (album, requester, scope),
 * pending until the owner answers it (`PermissionAnswerService`) or the requester withdraws it.
 * Keycloak is the source of truth; who may see and change which tickets is the AccessPolicy's to
 * say, and this service keeps the audit trail.
 */
@Injectable()
export class PermissionRequestService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly submitter: PermissionRequestSubmitter,
    private readonly albums: AlbumDirectory,
    private readonly directory: GrantDirectory,
    private readonly parties: PartyDirectory,
    private readonly keycloak: KeycloakGrants,
    private readonly flows: PermissionFlows,
    private readonly recentRequests: RecentRequestRepository,
    private readonly pending: PendingRequestRepository,
    private readonly ended: EndedGrants,
    private readonly expiry: RequestExpiry,
    private readonly reask: ReaskInterval,
    @Inject(REQUEST_CONDITIONS) private readonly conditions: RequestConditions,
    @Inject(REQUEST_REPEAT_SECONDS) private readonly repeatSeconds: number,
  ) {}

  /** Asks the album's owner for access on the requester's behalf. */
  async request(
    requester: Principal,
    requesterToken: string,
    input: CreatePermissionRequestDto,
  ): Promise<PermissionRequestDto> {
    const asked = parseCreateRequest(input);
    const answer =
      asked.kind === 'ticket'
        ? await this.requestByTicket(requester, requesterToken, asked)
        : await this.requestScopes(requester, requesterToken, asked);
    this.flows.succeeded('request');
    return answer;
  }

  /**
   * A request naming the album and the scopes. The same request repeated while it is pending is
   * answered from the record of recent requests, without Keycloak; another scope set or message,
   * any change of the requester's access to the album since (an answer, a share, a revocation,
   * the request's expiry), or a remembered request that lapsed, goes to Keycloak again.
   */
  private async requestScopes(
    requester: Principal,
    requesterToken: string,
    asked: Extract<CreateRequest, { kind: 'album' }>,
  ): Promise<PermissionRequestDto> {
    if (this.repeatSeconds === 0) {
      return this.askScopes(requester, requesterToken, asked);
    }
    const key = { albumId: asked.albumId, requesterId: requester.subject };
    const scopes = scopeSetKey(asked.scopes);
    const recent = await this.recentRequests.lookup(key, scopes, this.repeatSeconds);
    if (recent.kind === 'repeat' && this.stillRepeatable(recent.answer, asked.message)) {
      return recent.answer;
    }
    const answer = await this.askScopes(requester, requesterToken, asked);
    if (answer.status === 'pending') {
      await this.recentRequests.remember(key, scopes, answer, recent.generation);
    }
    return answer;
  }

  /** Whether a remembered pending answer still answers a request with `message`. */
  private stillRepeatable(answer: PermissionRequestDto, message: string | undefined): boolean {
    const lapsed = answer.expiresAt !== null && Date.parse(answer.expiresAt) <= Date.now();
    return !lapsed && (message === undefined || message === answer.message);
  }

  /** Asks Keycloak for the scopes the requester neither holds nor asked for yet. */
  private async askScopes(
    requester: Principal,
    requesterToken: string,
    asked: Extract<CreateRequest, { kind: 'album' }>,
  ): Promise<PermissionRequestDto> {
    const album = await this.access.requireAccess(requester, Permission.PermissionRequestCreate, {
      albumId: asked.albumId,
    });
    const known = await this.parties.partyOf(requester);
    // An ended grant's tickets must not answer for the new request.
    await this.ended.clearBeforeRequest(album.resourceId, known);
    await this.expiry.expireIfLapsed(album.resourceId, known.id);
    const before = await this.directory.entry(album.resourceId, known);
    const missing = asked.scopes.filter((scope) => !askedFor(before).has(scope));
    if (missing.length > 0) {
      await this.reask.check(album.albumId, known);
    }
    const submitted =
      missing.length > 0 &&
      (await this.submitter.submitScopes(album.resourceId, known, missing, requesterToken));
    const party = await this.partyAfterAsking(requester, known);
    // Kept for the lists before the owner is told, so the inbox the notification opens shows it;
    // told (and audited) even when reading the request back fails, as Keycloak has it.
    try {
      return await this.answer(album, party, asked.scopes, asked.message);
    } finally {
      if (submitted) {
        await this.recordRequested(album, requester, party, missing, asked.message);
      }
    }
  }

  /**
   * A request with the ticket of a UMA challenge. The ticket always goes to Keycloak first, which
   * alone can verify it, so the access check follows Keycloak's acceptance here; a refused or
   * made-up ticket is a 400 that says nothing about any album. The re-ask interval is checked
   * against the album the ticket claims before Keycloak sees it (a refusal there tells the
   * requester only of its own denial).
   */
  private async requestByTicket(
    requester: Principal,
    requesterToken: string,
    asked: Extract<CreateRequest, { kind: 'ticket' }>,
  ): Promise<PermissionRequestDto> {
    const claimed = unverifiedTicketPermission(asked.ticket);
    if (claimed === undefined || claimed.scopes.length === 0) {
      return invalidTicket();
    }
    const known = await this.parties.partyOf(requester);
    // The ticket's claim is not believed yet: this clears only the caller's own ended grant.
    await this.ended.clearBeforeRequest(claimed.resourceId, known);
    await this.expiry.expireIfLapsed(claimed.resourceId, known.id);
    const before = await this.directory.entry(claimed.resourceId, known);
    if (claimed.scopes.some((scope) => !askedFor(before).has(scope))) {
      const claimedAlbumId = await this.pending.albumIdOf(claimed.resourceId);
      if (claimedAlbumId !== undefined) {
        await this.reask.check(claimedAlbumId, known);
      }
    }
    const outcome = await this.submitter.submitTicket(asked.ticket, claimed, known, requesterToken);
    // Keycloak accepted the ticket: what it names is true.
    const party = await this.partyAfterAsking(requester, known);
    const album = await this.access.requireAccess(requester, Permission.PermissionRequestCreate, {
      acceptedTicketResourceId: claimed.resourceId,
    });
    const missing = claimed.scopes.filter((scope) => !askedFor(before).has(scope));
    try {
      return await this.answer(album, party, claimed.scopes, asked.message);
    } finally {
      if (outcome === 'pending' && missing.length > 0) {
        await this.recordRequested(album, requester, party, missing, asked.message);
        // The pending scopes changed: an earlier answer no longer says what is pending.
        await this.recentRequests.forget({
          albumId: album.albumId,
          requesterId: requester.subject,
        });
      }
    }
  }

  /**
   * The requester once Keycloak took the request: a partner gets its client policy now (a write),
   * so that the owner's answer can reach it; nothing is written for a request Keycloak refused.
   */
  private async partyAfterAsking(requester: Principal, known: Party): Promise<Party> {
    return requester.partner && !known.partner ? this.parties.partyOf(requester, 'write') : known;
  }

  private async recordRequested(
    album: AlbumResource,
    requester: Principal,
    party: Party,
    scopes: readonly string[],
    message: string | undefined,
  ): Promise<void> {
    await this.flows.record(
      'requested',
      { albumId: album.albumId, actor: requester, subject: party, scopes },
      {
        kind: 'request-received',
        recipient: album.ownerId,
        albumName: album.name,
        message: message ?? null,
      },
    );
  }

  /** The request as it stands after asking, kept for the lists with its message. */
  private async answer(
    album: AlbumResource,
    party: Party,
    scopes: readonly string[],
    message: string | undefined,
  ): Promise<PermissionRequestDto> {
    const after = await this.directory.entry(album.resourceId, party);
    const kept = await this.pending.set(album, party, scopeNames(after?.pending ?? []), message);
    return permissionRequestDto(
      this.parties,
      // Without an entry, Keycloak granted access without recording a request (a policy allows it).
      after ?? emptyEntry(album, party, scopes),
      album,
      kept,
      this.conditions,
    );
  }

  /** The requester withdraws what is still pending. */
  async withdraw(caller: Principal, id: string): Promise<void> {
    const { entry, requester } = await this.access.requireAccess(
      caller,
      Permission.PermissionRequestWithdraw,
      { requestId: id },
    );
    await this.keycloak.deleteTickets(entry.pending);
    await this.pending.forget(entry.resourceId, requester.id);
    // The album may be gone meanwhile: the tickets are withdrawn all the same, unaudited.
    const album = (await this.albums.byResourceIds([entry.resourceId])).get(entry.resourceId);
    if (album !== undefined) {
      await this.recentRequests.forget({ albumId: album.albumId, requesterId: requester.subject });
      await this.flows.record('withdrawn', {
        albumId: album.albumId,
        actor: caller,
        subject: requester,
        scopes: scopeNames(entry.pending),
      });
    }
    this.flows.succeeded('withdraw');
  }
}
