import { Injectable } from '@nestjs/common';
import { CurrentGrants, type Principal, UmaTicketCache } from '@app/auth';
import { notFoundProblem, ProblemException, validationProblem } from '@app/common';
import {
  KeycloakError,
  KeycloakUnavailableError,
  ProtectionApiClient,
  UmaGrantClient,
} from '@app/keycloak';
import {
  type AccessEntry,
  AccessDirectory,
  effectiveScopes,
  grantedScopes,
  type NamedTicket,
  type Party,
  parseRequestId,
  requestId,
  scopeNames,
} from '../access/access-directory.ts';
import { withKeycloak } from '../access/keycloak-problems.ts';
import { pageOf } from '../access/page.ts';
import { type AlbumResource, AlbumDirectory } from '../albums/album-directory.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import type {
  CreatePermissionRequestDto,
  PermissionRequestDto,
  PermissionRequestPageDto,
} from './permission-request.dto.ts';

/**
 * The resource and scopes a permission ticket names, read from its payload. A ticket is signed
 * with a realm HMAC key that only Keycloak holds, so what this returns is believed only after
 * Keycloak has accepted the ticket.
 */
function unverifiedTicketPermission(
  ticket: string,
): { resourceId: string; scopes: string[] } | undefined {
  try {
    const payload = JSON.parse(
      Buffer.from(ticket.split('.')[1] ?? '', 'base64url').toString('utf8'),
    ) as { permissions?: { rsid?: unknown; scopes?: unknown }[] };
    const [permission] = payload.permissions ?? [];
    if (typeof permission?.rsid !== 'string' || !Array.isArray(permission.scopes)) {
      return undefined;
    }
    return {
      resourceId: permission.rsid,
      scopes: permission.scopes.filter((scope): scope is string => typeof scope === 'string'),
    };
  } catch {
    return undefined;
  }
}

/** What the party holds in Keycloak or has asked for there. */
function askedFor(entry: AccessEntry | undefined): Set<string> {
  return new Set([
    ...(entry === undefined ? [] : grantedScopes(entry)),
    ...scopeNames(entry?.pending ?? []),
  ]);
}

const invalidTicket = () =>
  validationProblem([
    { field: 'ticket', message: 'ticket is not a valid, unexpired permission ticket' },
  ]);

/**
 * Permission requests, as Keycloak's permission tickets: one ticket per (album, requester, scope),
 * pending until the owner approves it. Keycloak is the source of truth; this service checks who
 * may see and change which tickets, and keeps the audit trail.
 */
@Injectable()
export class PermissionRequestService {
  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly umaGrant: UmaGrantClient,
    private readonly challenges: UmaTicketCache,
    private readonly albums: AlbumDirectory,
    private readonly access: AccessDirectory,
    private readonly audit: AuditRepository,
    private readonly currentGrants: CurrentGrants,
  ) {}

  /** Asks the album's owner for access on the requester's behalf. */
  async request(
    requester: Principal,
    requesterToken: string,
    input: CreatePermissionRequestDto,
  ): Promise<PermissionRequestDto> {
    return withKeycloak(async () => {
      if (input.ticket !== undefined) {
        if (input.albumId !== undefined || input.scopes !== undefined) {
          throw validationProblem([
            { field: 'ticket', message: 'send either ticket, or albumId with scopes' },
          ]);
        }
        return this.requestByTicket(requester, requesterToken, input.ticket);
      }
      const { album, scopes } = await this.target(input);
      if (album.ownerId === requester.subject) {
        throw validationProblem([{ field: 'albumId', message: 'you own this album already' }]);
      }
      const known = await this.access.partyOf(requester);
      const before = await this.access.entry(album.resourceId, known);
      const missing = scopes.filter((scope) => !askedFor(before).has(scope));
      const submitted =
        missing.length > 0 && (await this.submit(album, known, missing, undefined, requesterToken));
      const party = await this.partyAfterAsking(requester, known);
      if (submitted) {
        await this.audit.record({
          albumId: album.albumId,
          action: 'requested',
          actor: requester,
          subject: party,
          scopes: missing,
        });
      }
      return this.answer(album, party, scopes);
    });
  }

  /**
   * A request with the ticket of a UMA challenge. The ticket always goes to Keycloak first, which
   * alone can verify it; a refused or made-up ticket is a 400 that says nothing about any album.
   */
  private async requestByTicket(
    requester: Principal,
    requesterToken: string,
    ticket: string,
  ): Promise<PermissionRequestDto> {
    const claimed = unverifiedTicketPermission(ticket);
    if (claimed === undefined || claimed.scopes.length === 0) {
      throw invalidTicket();
    }
    const known = await this.access.partyOf(requester);
    const before = await this.access.entry(claimed.resourceId, known);
    let outcome: 'granted' | 'pending';
    try {
      outcome = await this.umaGrant.submitRequest(ticket, requesterToken);
    } catch (error) {
      if (error instanceof KeycloakError) {
        throw invalidTicket();
      }
      // A server error, as when a concurrent request of the same party recorded it first. The
      // ticket counts as accepted only when Keycloak now holds what it names for this party.
      const now = await this.access.entry(claimed.resourceId, known);
      if (
        !(error instanceof KeycloakUnavailableError && error.status !== undefined) ||
        !claimed.scopes.every((scope) => askedFor(now).has(scope))
      ) {
        throw error;
      }
      outcome = 'pending';
    }
    // Keycloak accepted the ticket: what it names is true.
    const party = await this.partyAfterAsking(requester, known);
    const album = (await this.albums.byResourceIds([claimed.resourceId])).get(claimed.resourceId);
    if (album === undefined) {
      throw invalidTicket();
    }
    const missing = claimed.scopes.filter((scope) => !askedFor(before).has(scope));
    if (outcome === 'pending' && missing.length > 0) {
      await this.audit.record({
        albumId: album.albumId,
        action: 'requested',
        actor: requester,
        subject: party,
        scopes: missing,
      });
    }
    return this.answer(album, party, claimed.scopes);
  }

  /**
   * The requester once Keycloak took the request: a partner gets its client policy now (a write),
   * so that the owner's answer can reach it; nothing is written for a request Keycloak refused.
   */
  private async partyAfterAsking(requester: Principal, known: Party): Promise<Party> {
    return requester.partner && !known.partner ? this.access.partyOf(requester, 'write') : known;
  }

  /** The request as it stands after asking. */
  private async answer(
    album: AlbumResource,
    party: Party,
    scopes: readonly string[],
  ): Promise<PermissionRequestDto> {
    const after = await this.access.entry(album.resourceId, party);
    return this.toDto(
      after ?? {
        // Keycloak granted access without recording a request (a policy allows it).
        resourceId: album.resourceId,
        ownerId: album.ownerId,
        requester: party,
        pending: [],
        granted: [],
        sharedScopes: [...scopes],
        current: [],
      },
      album,
    );
  }

  /**
   * Submits the request at Keycloak; `false` when a concurrent request of the same party recorded
   * it first. Keycloak then fails the second insert of the same pending ticket with a server error,
   * so a server error after which the scopes are pending counts as done.
   */
  private async submit(
    album: AlbumResource,
    party: Party,
    missing: readonly string[],
    ticket: string | undefined,
    requesterToken: string,
  ): Promise<boolean> {
    try {
      await this.umaGrant.submitRequest(
        ticket ?? (await this.challenges.ticketFor(album.resourceId, missing)),
        requesterToken,
      );
      return true;
    } catch (error) {
      if (error instanceof KeycloakUnavailableError && error.status !== undefined) {
        const now = await this.access.entry(album.resourceId, party);
        if (missing.every((scope) => askedFor(now).has(scope))) {
          return false;
        }
      }
      throw error;
    }
  }

  /** Requests on the caller's albums, one entry per (album, requester). */
  async incoming(
    owner: Principal,
    status: 'pending' | 'granted',
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    return withKeycloak(async () => {
      const entries = (await this.access.entries({ owner: owner.subject })).filter((entry) =>
        status === 'pending' ? entry.pending.length > 0 : entry.granted.length > 0,
      );
      return this.page(entries, limit, cursor);
    });
  }

  /** The caller's own requests and their state. */
  async outgoing(
    requester: Principal,
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    return withKeycloak(async () => {
      const party = await this.access.partyOf(requester);
      return this.page(await this.access.entries({ requester: party.id }), limit, cursor);
    });
  }

  /** The owner approves all, or some, of the pending scopes. */
  async approve(
    owner: Principal,
    id: string,
    scopes: readonly string[] | undefined,
  ): Promise<PermissionRequestDto> {
    return withKeycloak(async () => {
      const { entry, album } = await this.ownedRequest(owner, id);
      const chosen = this.pendingTickets(entry, scopes);
      await this.recordRequestSeenFirst(album, entry);
      await this.currentGrants.exclusive(
        album.resourceId,
        entry.requester.subject,
        async (current) => {
          if (entry.requester.partner) {
            // The partner's share is one permission with its full set: what it holds already (its
            // share included) and what is approved now.
            const held = await this.access.entry(album.resourceId, entry.requester);
            await this.access.setPartnerShare(album.resourceId, entry.requester, [
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
        },
      );
      await this.audit.record({
        albumId: album.albumId,
        action: 'approved',
        actor: owner,
        subject: entry.requester,
        scopes: scopeNames(chosen),
      });
      return this.toDto(
        (await this.access.entry(album.resourceId, entry.requester)) ?? entry,
        album,
      );
    });
  }

  /** The owner denies all pending scopes of a request. */
  async deny(owner: Principal, id: string): Promise<void> {
    await withKeycloak(async () => {
      const { entry, album } = await this.ownedRequest(owner, id);
      const pending = this.pendingTickets(entry, undefined);
      await this.recordRequestSeenFirst(album, entry);
      for (const ticket of pending) {
        await this.protection.deleteTicket(ticket.id);
      }
      await this.audit.record({
        albumId: album.albumId,
        action: 'denied',
        actor: owner,
        subject: entry.requester,
        scopes: scopeNames(pending),
      });
    });
  }

  /** The requester withdraws what is still pending. */
  async withdraw(requester: Principal, id: string): Promise<void> {
    await withKeycloak(async () => {
      const parsed = parseRequestId(id);
      const party = await this.access.partyOf(requester);
      if (parsed === undefined || parsed.requesterId !== party.id) {
        throw notFoundProblem(`No permission request ${id}`);
      }
      const [entry] = await this.access.entries({
        resourceId: parsed.resourceId,
        requester: party.id,
        granted: false,
      });
      if (entry === undefined || entry.pending.length === 0) {
        throw notFoundProblem(`No pending permission request ${id}`);
      }
      for (const ticket of entry.pending) {
        await this.protection.deleteTicket(ticket.id);
      }
      const album = (await this.albums.byResourceIds([entry.resourceId])).get(entry.resourceId);
      if (album !== undefined) {
        await this.audit.record({
          albumId: album.albumId,
          action: 'withdrawn',
          actor: requester,
          subject: party,
          scopes: scopeNames(entry.pending),
        });
      }
    });
  }

  /**
   * A requester may ask at Keycloak directly (the ticket exchange of a UMA challenge) rather than
   * through this service. The audit then learns of the request when the owner answers it, and
   * records it first, so that the trail reads request, then answer.
   */
  private async recordRequestSeenFirst(album: AlbumResource, entry: AccessEntry): Promise<void> {
    const latest = await this.audit.latest(album.albumId, entry.requester.id);
    if (latest?.action === 'requested') {
      return;
    }
    await this.audit.record({
      albumId: album.albumId,
      action: 'requested',
      actor: { subject: entry.requester.subject, username: entry.requester.username },
      subject: entry.requester,
      scopes: scopeNames(entry.pending),
    });
  }

  private async toDto(entry: AccessEntry, album: AlbumResource): Promise<PermissionRequestDto> {
    const pendingScopes = scopeNames(entry.pending);
    return {
      id: requestId(entry),
      albumId: album.albumId,
      albumName: album.name,
      requester: {
        id: entry.requester.id,
        username: entry.requester.username,
        partner: entry.requester.partner,
      },
      ownerUsername: (await this.access.username(album.ownerId)) ?? null,
      status: pendingScopes.length > 0 ? 'pending' : 'granted',
      pendingScopes,
      grantedScopes: effectiveScopes(entry),
    };
  }

  private async target(
    input: CreatePermissionRequestDto,
  ): Promise<{ album: AlbumResource; scopes: string[] }> {
    if (input.albumId === undefined || input.scopes === undefined) {
      throw validationProblem([
        ...(input.albumId === undefined
          ? [{ field: 'albumId', message: 'albumId is required (or send ticket)' }]
          : []),
        ...(input.scopes === undefined
          ? [{ field: 'scopes', message: 'scopes is required (or send ticket)' }]
          : []),
      ]);
    }
    const album = await this.albums.find(input.albumId);
    if (album === undefined) {
      throw notFoundProblem(`No album ${input.albumId}`);
    }
    return { album, scopes: input.scopes };
  }

  /** The request when the caller owns its album; 404 otherwise, as for one that does not exist. */
  private async ownedRequest(
    owner: Principal,
    id: string,
  ): Promise<{ entry: AccessEntry; album: AlbumResource }> {
    const parsed = parseRequestId(id);
    const [entry] =
      parsed === undefined
        ? []
        : await this.access.entries({
            resourceId: parsed.resourceId,
            owner: owner.subject,
            requester: parsed.requesterId,
          });
    const album =
      entry === undefined
        ? undefined
        : (await this.albums.byResourceIds([entry.resourceId])).get(entry.resourceId);
    if (entry === undefined || album === undefined || album.ownerId !== owner.subject) {
      throw notFoundProblem(`No permission request ${id}`);
    }
    return { entry, album };
  }

  private pendingTickets(entry: AccessEntry, scopes: readonly string[] | undefined): NamedTicket[] {
    if (entry.pending.length === 0) {
      throw new ProblemException({
        status: 409,
        code: 'nothing-pending',
        detail: 'The request has no pending scopes.',
      });
    }
    if (scopes === undefined) {
      return [...entry.pending];
    }
    const pendingScopes = new Set(scopeNames(entry.pending));
    const notPending = scopes.filter((scope) => !pendingScopes.has(scope));
    if (notPending.length > 0) {
      throw validationProblem([
        { field: 'scopes', message: `not requested and pending: ${notPending.join(', ')}` },
      ]);
    }
    return entry.pending.filter((ticket) => scopes.includes(ticket.scopeName));
  }

  private async page(
    entries: AccessEntry[],
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
