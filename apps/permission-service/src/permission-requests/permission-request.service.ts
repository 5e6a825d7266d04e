import { Injectable } from '@nestjs/common';
import { type Principal, UmaTicketCache } from '@app/auth';
import { notFoundProblem, ProblemException, validationProblem } from '@app/common';
import { KeycloakError, ProtectionApiClient, UmaGrantClient } from '@app/keycloak';
import {
  type AccessEntry,
  groupTickets,
  isPartner,
  parseRequestId,
  requestId,
  scopeNames,
} from '../access/access-entry.ts';
import { withKeycloak } from '../access/keycloak-problems.ts';
import { pageOf } from '../access/page.ts';
import { type AlbumResource, AlbumDirectory } from '../albums/album-directory.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import type {
  CreatePermissionRequestDto,
  PermissionRequestDto,
  PermissionRequestPageDto,
} from './permission-request.dto.ts';

function toDto(entry: AccessEntry, album: AlbumResource): PermissionRequestDto {
  const pendingScopes = scopeNames(entry.pending);
  return {
    id: requestId(entry),
    albumId: album.albumId,
    albumName: album.name,
    requester: {
      id: entry.requesterId,
      username: entry.requesterName,
      partner: isPartner(entry.requesterName),
    },
    ownerUsername: entry.ownerName ?? null,
    status: pendingScopes.length > 0 ? 'pending' : 'granted',
    pendingScopes,
    grantedScopes: scopeNames(entry.granted),
  };
}

/** The resource and scopes a permission ticket asks for (Keycloak verifies the ticket itself). */
function ticketPermission(ticket: string): { resourceId: string; scopes: string[] } | undefined {
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
    private readonly grants: UmaGrantClient,
    private readonly challenges: UmaTicketCache,
    private readonly albums: AlbumDirectory,
    private readonly audit: AuditRepository,
  ) {}

  /** Asks the album's owner for access on the requester's behalf; `created` when something new was asked. */
  async request(
    requester: Principal,
    requesterToken: string,
    input: CreatePermissionRequestDto,
  ): Promise<PermissionRequestDto> {
    return withKeycloak(async () => {
      const { album, scopes, ticket } = await this.target(input);
      if (album.ownerId === requester.subject) {
        throw validationProblem([{ field: 'albumId', message: 'you own this album already' }]);
      }
      const before = await this.entry(album.resourceId, requester.subject);
      const granted = new Set(scopeNames(before?.granted ?? []));
      const asked = new Set([...granted, ...scopeNames(before?.pending ?? [])]);
      const missing = scopes.filter((scope) => !asked.has(scope));
      if (missing.length > 0) {
        try {
          await this.grants.submitRequest(
            ticket ?? (await this.challenges.ticketFor(album.resourceId, missing)),
            requesterToken,
          );
        } catch (error) {
          if (error instanceof KeycloakError && error.status < 500 && ticket !== undefined) {
            throw invalidTicket();
          }
          throw error;
        }
        await this.audit.record({
          albumId: album.albumId,
          action: 'requested',
          actor: requester,
          subject: { id: requester.subject, username: requester.username },
          scopes: missing,
        });
      }
      const after = await this.entry(album.resourceId, requester.subject);
      if (after === undefined) {
        // Keycloak granted access without recording a request (a policy allows it).
        return {
          id: requestId({ resourceId: album.resourceId, requesterId: requester.subject }),
          albumId: album.albumId,
          albumName: album.name,
          requester: {
            id: requester.subject,
            username: requester.username,
            partner: requester.partner,
          },
          ownerUsername: null,
          status: 'granted',
          pendingScopes: [],
          grantedScopes: [...scopes].sort(),
        };
      }
      return toDto(after, album);
    });
  }

  /** Requests on the caller's albums, one entry per (album, requester). */
  async incoming(
    owner: Principal,
    status: 'pending' | 'granted',
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    return withKeycloak(async () => {
      const tickets = await this.protection.findTickets({ owner: owner.subject });
      const entries = groupTickets(tickets).filter((entry) =>
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
      const tickets = await this.protection.findTickets({ requester: requester.subject });
      return this.page(groupTickets(tickets), limit, cursor);
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
      for (const ticket of chosen) {
        await this.protection.approveTicket(ticket.id);
      }
      await this.audit.record({
        albumId: album.albumId,
        action: 'approved',
        actor: owner,
        subject: { id: entry.requesterId, username: entry.requesterName },
        scopes: scopeNames(chosen),
      });
      const after = await this.entry(entry.resourceId, entry.requesterId);
      return toDto(after ?? entry, album);
    });
  }

  /** The owner denies all pending scopes of a request. */
  async deny(owner: Principal, id: string): Promise<void> {
    await withKeycloak(async () => {
      const { entry, album } = await this.ownedRequest(owner, id);
      const pending = this.pendingTickets(entry, undefined);
      for (const ticket of pending) {
        await this.protection.deleteTicket(ticket.id);
      }
      await this.audit.record({
        albumId: album.albumId,
        action: 'denied',
        actor: owner,
        subject: { id: entry.requesterId, username: entry.requesterName },
        scopes: scopeNames(pending),
      });
    });
  }

  /** The requester withdraws what is still pending. */
  async withdraw(requester: Principal, id: string): Promise<void> {
    await withKeycloak(async () => {
      const parsed = parseRequestId(id);
      if (parsed === undefined || parsed.requesterId !== requester.subject) {
        throw notFoundProblem(`No permission request ${id}`);
      }
      const entry = await this.entry(parsed.resourceId, requester.subject);
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
          subject: { id: requester.subject, username: requester.username },
          scopes: scopeNames(entry.pending),
        });
      }
    });
  }

  private async target(
    input: CreatePermissionRequestDto,
  ): Promise<{ album: AlbumResource; scopes: string[]; ticket: string | undefined }> {
    if (input.ticket !== undefined) {
      if (input.albumId !== undefined || input.scopes !== undefined) {
        throw validationProblem([
          { field: 'ticket', message: 'send either ticket, or albumId with scopes' },
        ]);
      }
      const permission = ticketPermission(input.ticket);
      const album =
        permission === undefined
          ? undefined
          : (await this.albums.byResourceIds([permission.resourceId])).get(permission.resourceId);
      if (permission === undefined || album === undefined) {
        throw invalidTicket();
      }
      return { album, scopes: permission.scopes, ticket: input.ticket };
    }
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
    return { album, scopes: input.scopes, ticket: undefined };
  }

  /** The request when the caller owns its album; 404 otherwise, as for a request that does not exist. */
  private async ownedRequest(
    owner: Principal,
    id: string,
  ): Promise<{ entry: AccessEntry; album: AlbumResource }> {
    const parsed = parseRequestId(id);
    const entry =
      parsed === undefined
        ? undefined
        : groupTickets(
            await this.protection.findTickets({
              resourceId: parsed.resourceId,
              owner: owner.subject,
              requester: parsed.requesterId,
            }),
          )[0];
    const album =
      entry === undefined
        ? undefined
        : (await this.albums.byResourceIds([entry.resourceId])).get(entry.resourceId);
    if (entry === undefined || album === undefined || entry.ownerId !== owner.subject) {
      throw notFoundProblem(`No permission request ${id}`);
    }
    return { entry, album };
  }

  private pendingTickets(entry: AccessEntry, scopes: readonly string[] | undefined) {
    if (entry.pending.length === 0) {
      throw new ProblemException({
        status: 409,
        code: 'nothing-pending',
        detail: 'The request has no pending scopes.',
      });
    }
    if (scopes === undefined) {
      return entry.pending;
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

  private async entry(resourceId: string, requesterId: string): Promise<AccessEntry | undefined> {
    return groupTickets(
      await this.protection.findTickets({ resourceId, requester: requesterId }),
    )[0];
  }

  private async page(
    entries: AccessEntry[],
    limit: number,
    cursor: string | undefined,
  ): Promise<PermissionRequestPageDto> {
    const albums = await this.albums.byResourceIds(entries.map((entry) => entry.resourceId));
    const known = entries.filter((entry) => albums.has(entry.resourceId));
    const page = pageOf(known, limit, cursor);
    return {
      items: page.items.map((entry) => toDto(entry, albums.get(entry.resourceId) as AlbumResource)),
      nextCursor: page.nextCursor,
    };
  }
}
