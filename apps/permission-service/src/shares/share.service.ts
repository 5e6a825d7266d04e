import { Injectable } from '@nestjs/common';
import { type Principal, RptRevocations } from '@app/auth';
import { notFoundProblem, validationProblem } from '@app/common';
import { type PermissionTicket, ProtectionApiClient } from '@app/keycloak';
import { type AccessEntry, groupTickets, isPartner, scopeNames } from '../access/access-entry.ts';
import { isUnknownUser, withKeycloak } from '../access/keycloak-problems.ts';
import { type AlbumResource, AlbumDirectory } from '../albums/album-directory.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import type { ShareDto, SharedAlbumDto } from './share.dto.ts';

const USERNAME = /^[\p{L}\p{N}._@+-]{1,255}$/u;

function toShare(entry: AccessEntry): ShareDto {
  return {
    userId: entry.requesterId,
    username: entry.requesterName,
    kind: isPartner(entry.requesterName) ? 'partner' : 'person',
    scopes: scopeNames(entry.granted),
  };
}

/**
 * Direct sharing and revocation by an album's owner, with a person or a partner's service account.
 * Grants are Keycloak permission tickets; a revocation is also recorded where the album service
 * checks RPTs, so RPTs issued before it stop opening the album at once.
 */
@Injectable()
export class ShareService {
  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly albums: AlbumDirectory,
    private readonly revocations: RptRevocations,
    private readonly audit: AuditRepository,
  ) {}

  async list(owner: Principal, albumId: string): Promise<ShareDto[]> {
    return withKeycloak(async () => {
      const album = await this.albums.requireOwned(albumId, owner);
      const tickets = await this.protection.findTickets({
        resourceId: album.resourceId,
        granted: true,
      });
      return groupTickets(tickets)
        .map(toShare)
        .sort((a, b) => a.username.localeCompare(b.username));
    });
  }

  /** Makes `username` hold exactly `scopes` on the album. */
  async put(
    owner: Principal,
    albumId: string,
    username: string,
    scopes: readonly string[],
  ): Promise<ShareDto> {
    return withKeycloak(async () => {
      const album = await this.albums.requireOwned(albumId, owner);
      this.checkUsername(owner, username);
      const unknown = scopes.filter((scope) => !album.scopes.includes(scope));
      if (unknown.length > 0) {
        throw validationProblem([
          { field: 'scopes', message: `the album has no scope ${unknown.join(', ')}` },
        ]);
      }
      const before = await this.entry(album, username);
      const granted = new Set(scopeNames(before?.granted ?? []));
      const dropped = (before?.granted ?? []).filter(
        (ticket) => !scopes.includes(ticket.scopeName),
      );
      const added = scopes.filter((scope) => !granted.has(scope));
      if (before !== undefined && dropped.length > 0) {
        await this.revoke(album, before.requesterId, dropped);
      }
      for (const scope of added) {
        const pending = before?.pending.find((ticket) => ticket.scopeName === scope);
        if (pending === undefined) {
          await this.grant(album, username, scope);
        } else {
          await this.protection.approveTicket(pending.id);
        }
      }
      const after = await this.entry(album, username);
      if (after === undefined) {
        throw notFoundProblem(`No user ${username}`);
      }
      const subject = { id: after.requesterId, username: after.requesterName };
      if (added.length > 0 || dropped.length > 0) {
        await this.audit.record({
          albumId: album.albumId,
          action: 'shared',
          actor: owner,
          subject,
          scopes,
        });
      }
      if (dropped.length > 0) {
        await this.audit.record({
          albumId: album.albumId,
          action: 'revoked',
          actor: owner,
          subject,
          scopes: scopeNames(dropped),
        });
      }
      return toShare(after);
    });
  }

  /** Takes away everything `username` holds or asked for on the album. */
  async remove(owner: Principal, albumId: string, username: string): Promise<void> {
    await withKeycloak(async () => {
      const album = await this.albums.requireOwned(albumId, owner);
      this.checkUsername(owner, username);
      const entry = await this.entry(album, username);
      if (entry === undefined) {
        throw notFoundProblem(`${username} holds nothing on album ${albumId}`);
      }
      await this.revoke(album, entry.requesterId, [...entry.granted, ...entry.pending]);
      await this.audit.record({
        albumId: album.albumId,
        action: 'revoked',
        actor: owner,
        subject: { id: entry.requesterId, username: entry.requesterName },
        scopes: scopeNames([...entry.granted, ...entry.pending]),
      });
    });
  }

  /** Albums shared with the caller, with the scopes held. */
  async sharedWith(caller: Principal): Promise<SharedAlbumDto[]> {
    return withKeycloak(async () => {
      const entries = groupTickets(
        await this.protection.findTickets({ requester: caller.subject, granted: true }),
      );
      const albums = await this.albums.byResourceIds(entries.map((entry) => entry.resourceId));
      return entries.flatMap((entry) => {
        const album = albums.get(entry.resourceId);
        return album === undefined
          ? []
          : [
              {
                albumId: album.albumId,
                albumName: album.name,
                ownerUsername: entry.ownerName ?? '',
                scopes: scopeNames(entry.granted),
              },
            ];
      });
    });
  }

  /**
   * Records the revocation before deleting the grants (a failure in between leaves the user with
   * less access, never more) and again after (RPTs minted meanwhile are older than it too).
   */
  private async revoke(
    album: AlbumResource,
    requesterId: string,
    tickets: readonly PermissionTicket[],
  ): Promise<void> {
    await this.revocations.record(album.resourceId, requesterId);
    for (const ticket of tickets) {
      await this.protection.deleteTicket(ticket.id);
    }
    await this.revocations.record(album.resourceId, requesterId);
  }

  private async grant(album: AlbumResource, username: string, scope: string): Promise<void> {
    try {
      await this.protection.grant(album.resourceId, username, scope);
    } catch (error) {
      if (isUnknownUser(error)) {
        throw validationProblem([{ field: 'username', message: `no user ${username}` }]);
      }
      throw error;
    }
  }

  private async entry(album: AlbumResource, username: string): Promise<AccessEntry | undefined> {
    const tickets = await this.protection.findTickets({
      resourceId: album.resourceId,
      requester: username,
    });
    // Keycloak matches the requester by id or username; keep the tickets of this username only.
    return groupTickets(tickets.filter((ticket) => ticket.requesterName === username))[0];
  }

  private checkUsername(owner: Principal, username: string): void {
    if (!USERNAME.test(username)) {
      throw validationProblem([{ field: 'username', message: 'username is not a valid username' }]);
    }
    if (username === owner.username) {
      throw validationProblem([
        { field: 'username', message: 'you cannot share an album with yourself' },
      ]);
    }
  }
}
