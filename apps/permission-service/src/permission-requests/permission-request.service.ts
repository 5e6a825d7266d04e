import { Inject, Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { pageOf } from '@app/common';
import { GrantRecordRepository } from '@app/grant-record';
import { ProtectionApiClient } from '@app/keycloak';
import { metrics } from '@app/observability';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { AlbumDirectory, type AlbumResource } from '../albums/album-directory.ts';
import { recordRequestSeenFirst } from '../audit/audit-order.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import { GrantReconciler } from '../grants/grant-reconciler.ts';
import {
  askedFor,
  emptyEntry,
  type GrantEntry,
  grantedScopes,
  type Party,
  scopeNames,
} from '../grants/grant-entry.ts';
import type {
  CreatePermissionRequestDto,
  PermissionRequestDto,
  PermissionRequestPageDto,
} from './permission-request.dto.ts';
import { toPermissionRequestDto } from './permission-request.mapper.ts';
import {
  answeredTickets,
  type CreateRequest,
  parseCreateRequest,
} from './permission-request.parser.ts';
import { PermissionRequestSubmitter } from './permission-request.submitter.ts';
import { invalidTicket, unverifiedTicketPermission } from './permission-ticket.ts';
import { RecentRequestRepository, scopeSetKey } from './recent-request.repository.ts';

/**
 * How long, in seconds, a pending request's answer is repeated to an identical request without
 * asking Keycloak (0: never). Bounds how long a change made in Keycloak directly goes unseen here.
 */
export const REQUEST_REPEAT_SECONDS = Symbol('REQUEST_REPEAT_SECONDS');

/**
 * Permission requests, as Keycloak's permission tickets: one ticket per (album, requester, scope),
 * pending until the owner approves it. Keycloak is the source of truth; who may see and change
 * which tickets is the AccessPolicy's to say, and this service keeps the audit trail.
 */
@Injectable()
export class PermissionRequestService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly protection: ProtectionApiClient,
    private readonly submitter: PermissionRequestSubmitter,
    private readonly albums: AlbumDirectory,
    private readonly grantDirectory: GrantDirectory,
    private readonly audit: AuditRepository,
    private readonly currentGrants: GrantRecordRepository,
    private readonly reconciler: GrantReconciler,
    private readonly recentRequests: RecentRequestRepository,
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
        ? await this.requestByTicket(requester, requesterToken, asked.ticket)
        : await this.requestScopes(requester, requesterToken, asked);
    metrics.permissionFlows.inc({ action: 'request' });
    return answer;
  }

  /**
   * A request naming the album and the scopes. The same request repeated while it is pending is
   * answered from the record of recent requests, without Keycloak; another scope set, or any
   * change of the requester's access to the album since (an answer, a share, a revocation),
   * goes to Keycloak again.
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
    if (recent.kind === 'repeat') {
      return recent.answer;
    }
    const answer = await this.askScopes(requester, requesterToken, asked);
    if (answer.status === 'pending') {
      await this.recentRequests.remember(key, scopes, answer, recent.generation);
    }
    return answer;
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
    const known = await this.grantDirectory.partyOf(requester);
    const before = await this.grantDirectory.entry(album.resourceId, known);
    const missing = asked.scopes.filter((scope) => !askedFor(before).has(scope));
    const submitted =
      missing.length > 0 &&
      (await this.submitter.submitScopes(album.resourceId, known, missing, requesterToken));
    const party = await this.partyAfterAsking(requester, known);
    if (submitted) {
      await this.recordRequested(album, requester, party, missing);
    }
    return this.answer(album, party, asked.scopes);
  }

  /**
   * A request with the ticket of a UMA challenge. The ticket always goes to Keycloak first, which
   * alone can verify it, so the access check follows Keycloak's acceptance here; a refused or
   * made-up ticket is a 400 that says nothing about any album.
   */
  private async requestByTicket(
    requester: Principal,
    requesterToken: string,
    ticket: string,
  ): Promise<PermissionRequestDto> {
    const claimed = unverifiedTicketPermission(ticket);
    if (claimed === undefined || claimed.scopes.length === 0) {
      return invalidTicket();
    }
    const known = await this.grantDirectory.partyOf(requester);
    const before = await this.grantDirectory.entry(claimed.resourceId, known);
    const outcome = await this.submitter.submitTicket(ticket, claimed, known, requesterToken);
    // Keycloak accepted the ticket: what it names is true.
    const party = await this.partyAfterAsking(requester, known);
    const album = await this.access.requireAccess(requester, Permission.PermissionRequestCreate, {
      acceptedTicketResourceId: claimed.resourceId,
    });
    const missing = claimed.scopes.filter((scope) => !askedFor(before).has(scope));
    if (outcome === 'pending' && missing.length > 0) {
      await this.recordRequested(album, requester, party, missing);
      // The pending scopes changed: an earlier answer no longer says what is pending.
      await this.recentRequests.forget({ albumId: album.albumId, requesterId: requester.subject });
    }
    return this.answer(album, party, claimed.scopes);
  }

  /**
   * The requester once Keycloak took the request: a partner gets its client policy now (a write),
   * so that the owner's answer can reach it; nothing is written for a request Keycloak refused.
   */
  private async partyAfterAsking(requester: Principal, known: Party): Promise<Party> {
    return requester.partner && !known.partner
      ? this.grantDirectory.partyOf(requester, 'write')
      : known;
  }

  private async recordRequested(
    album: AlbumResource,
    requester: Principal,
    party: Party,
    scopes: readonly string[],
  ): Promise<void> {
    await this.audit.record({
      albumId: album.albumId,
      action: 'requested',
      actor: requester,
      subject: party,
      scopes,
    });
  }

  /** The request as it stands after asking. */
  private async answer(
    album: AlbumResource,
    party: Party,
    scopes: readonly string[],
  ): Promise<PermissionRequestDto> {
    const after = await this.grantDirectory.entry(album.resourceId, party);
    return this.toDto(
      // Without an entry, Keycloak granted access without recording a request (a policy allows it).
      after ?? emptyEntry(album, party, scopes),
      album,
    );
  }

  /** Requests on the caller's albums, one entry per (album, requester). */
  async incoming(
    owner: Principal,
    status: 'pending' | 'granted',
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    const mine = await this.access.requireAccess(owner, Permission.IncomingRequestsRead, {});
    const entries = (await this.grantDirectory.entries(mine)).filter((entry) =>
      status === 'pending' ? entry.pending.length > 0 : entry.granted.length > 0,
    );
    return this.page(entries, limit, cursor);
  }

  /** The caller's own requests and their state. */
  async outgoing(
    requester: Principal,
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    const mine = await this.access.requireAccess(requester, Permission.OutgoingRequestsRead, {});
    return this.page(await this.grantDirectory.entries(mine), limit, cursor);
  }

  /** The owner approves all, or some, of the pending scopes. */
  async approve(
    owner: Principal,
    id: string,
    scopes: readonly string[] | undefined,
  ): Promise<PermissionRequestDto> {
    const { entry, album, chosen } = await this.beginAnswer(owner, id, scopes);
    // The request stays pending: the owner may deny it, or approve it once the user is enabled.
    await this.grantDirectory.requireEnabled(entry.requester);
    await this.recentRequests.forgetAfter(
      { albumId: album.albumId, requesterId: entry.requester.subject },
      () =>
        this.currentGrants.exclusive(album.resourceId, entry.requester.subject, async (current) => {
          if (entry.requester.partner) {
            // The partner's share is one permission with its full set: what it holds already (its
            // share included) and what is approved now.
            const held = await this.grantDirectory.entry(album.resourceId, entry.requester);
            await this.grantDirectory.setPartnerShare(album.resourceId, entry.requester, [
              ...new Set([
                ...(held === undefined ? [] : grantedScopes(held)),
                ...scopeNames(chosen),
              ]),
            ]);
            for (const ticket of chosen) {
              await this.protection.deleteTicket(ticket.id);
            }
          } else {
            for (const ticket of chosen) {
              await this.protection.approveTicket(ticket.id);
            }
          }
          await current.widen(scopeNames(chosen));
        }),
    );
    await this.audit.record({
      albumId: album.albumId,
      action: 'approved',
      actor: owner,
      subject: entry.requester,
      scopes: scopeNames(chosen),
    });
    metrics.permissionFlows.inc({ action: 'approve' });
    return this.toDto(
      (await this.grantDirectory.entry(album.resourceId, entry.requester)) ?? entry,
      album,
    );
  }

  /**
   * The owner denies all pending scopes of a request. What the requester holds is then narrowed to
   * what Keycloak grants: a grant taken away in Keycloak, then asked for again and denied, is gone
   * for RPTs too.
   */
  async deny(owner: Principal, id: string): Promise<void> {
    const { entry, album, chosen: pending } = await this.beginAnswer(owner, id, undefined);
    await this.recentRequests.forgetAfter(
      { albumId: album.albumId, requesterId: entry.requester.subject },
      () =>
        this.currentGrants.exclusive(album.resourceId, entry.requester.subject, async (current) => {
          for (const ticket of pending) {
            await this.protection.deleteTicket(ticket.id);
          }
          await this.reconciler.narrowToKeycloak(
            current,
            album.resourceId,
            entry.requester.subject,
          );
        }),
    );
    await this.audit.record({
      albumId: album.albumId,
      action: 'denied',
      actor: owner,
      subject: entry.requester,
      scopes: scopeNames(pending),
    });
    metrics.permissionFlows.inc({ action: 'deny' });
  }

  /**
   * What an owner's answer starts with: the request (the policy decides who may answer it), the
   * pending tickets answered (all, or those of `scopes`), and the request in the audit before the
   * answer when the requester asked at Keycloak directly.
   */
  private async beginAnswer(owner: Principal, id: string, scopes: readonly string[] | undefined) {
    const { entry, album } = await this.access.requireAccess(
      owner,
      Permission.PermissionRequestAnswer,
      { requestId: id },
    );
    const chosen = answeredTickets(entry.pending, scopes);
    await recordRequestSeenFirst(
      this.audit,
      album.albumId,
      entry.requester,
      scopeNames(entry.pending),
    );
    return { entry, album, chosen };
  }

  /** The requester withdraws what is still pending. */
  async withdraw(caller: Principal, id: string): Promise<void> {
    const { entry, requester } = await this.access.requireAccess(
      caller,
      Permission.PermissionRequestWithdraw,
      { requestId: id },
    );
    for (const ticket of entry.pending) {
      await this.protection.deleteTicket(ticket.id);
    }
    // The album may be gone meanwhile: the tickets are withdrawn all the same, unaudited.
    const album = (await this.albums.byResourceIds([entry.resourceId])).get(entry.resourceId);
    if (album !== undefined) {
      await this.recentRequests.forget({ albumId: album.albumId, requesterId: requester.subject });
      await this.audit.record({
        albumId: album.albumId,
        action: 'withdrawn',
        actor: caller,
        subject: requester,
        scopes: scopeNames(entry.pending),
      });
    }
    metrics.permissionFlows.inc({ action: 'withdraw' });
  }

  private async toDto(entry: GrantEntry, album: AlbumResource): Promise<PermissionRequestDto> {
    return toPermissionRequestDto(entry, album, await this.grantDirectory.username(album.ownerId));
  }

  /** One page of entries whose albums still exist, in the directory's stable order. */
  private async page(
    entries: GrantEntry[],
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    const albums = await this.albums.byResourceIds(entries.map((entry) => entry.resourceId));
    const page = pageOf(
      entries.flatMap((entry) => {
        const album = albums.get(entry.resourceId);
        return album === undefined ? [] : [{ entry, album }];
      }),
      limit,
      cursor,
    );
    return {
      items: await Promise.all(page.items.map(({ entry, album }) => this.toDto(entry, album))),
      nextCursor: page.nextCursor,
    };
  }
}
