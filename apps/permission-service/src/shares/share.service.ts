import { Injectable } from '@nestjs/common';
import { type Principal, RptRevocations } from '@app/auth';
import { notFoundProblem, validationProblem } from '@app/common';
import { KeycloakError, ProtectionApiClient } from '@app/keycloak';
import {
  type AccessEntry,
  AccessDirectory,
  grantedScopes,
  type NamedTicket,
  type Party,
  scopeNames,
} from '../access/access-directory.ts';
import { withKeycloak } from '../access/keycloak-problems.ts';
import { type AlbumResource, AlbumDirectory } from '../albums/album-directory.ts';
import { AuditRepository } from '../audit/audit.repository.ts';
import type { ShareDto, SharedAlbumDto } from './share.dto.ts';

const USERNAME = /^[\p{L}\p{N}._@+-]{1,255}$/u;

function toShare(entry: AccessEntry): ShareDto {
  return {
    userId: entry.requester.subject,
    username: entry.requester.username,
    kind: entry.requester.partner ? 'partner' : 'person',
    scopes: grantedScopes(entry),
  };
}

/**
 * Direct sharing and revocation by an album's owner, with a person or a partner's service account.
 * A person's grants are Keycloak permission tickets; a partner's direct share is a scope permission
 * (see AuthorizationAdminClient). Every revocation is also recorded where the album service checks
 * RPTs, so RPTs issued before it stop opening the album at once.
 */
@Injectable()
export class ShareService {
  constructor(
    private readonly protection: ProtectionApiClient,
    private readonly albums: AlbumDirectory,
    private readonly access: AccessDirectory,
    private readonly revocations: RptRevocations,
    private readonly audit: AuditRepository,
  ) {}

  async list(owner: Principal, albumId: string): Promise<ShareDto[]> {
    return withKeycloak(async () => {
      const album = await this.albums.requireOwned(albumId, owner);
      return (await this.access.entriesOfResource(album.resourceId))
        .filter((entry) => grantedScopes(entry).length > 0)
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
      const party = await this.party(owner, username);
      const unknown = scopes.filter((scope) => !album.scopes.includes(scope));
      if (unknown.length > 0) {
        throw validationProblem([
          { field: 'scopes', message: `the album has no scope ${unknown.join(', ')}` },
        ]);
      }
      const before = await this.access.entry(album.resourceId, party);
      const held = before === undefined ? [] : grantedScopes(before);
      const dropped = held.filter((scope) => !scopes.includes(scope));
      const added = scopes.filter((scope) => !held.includes(scope));
      if (dropped.length > 0) {
        await this.revoke(album, party, () =>
          this.withdrawGrants(album, party, before, (scope) => dropped.includes(scope), scopes),
        );
      }
      if (added.length > 0) {
        await this.grant(album, party, before, scopes);
      }
      const after = await this.access.entry(album.resourceId, party);
      if (added.length > 0 || dropped.length > 0) {
        await this.audit.record({
          albumId: album.albumId,
          action: 'shared',
          actor: owner,
          subject: party,
          scopes,
        });
      }
      if (dropped.length > 0) {
        await this.audit.record({
          albumId: album.albumId,
          action: 'revoked',
          actor: owner,
          subject: party,
          scopes: dropped,
        });
      }
      return toShare(
        after ?? {
          resourceId: album.resourceId,
          ownerId: album.ownerId,
          requester: party,
          pending: [],
          granted: [],
          sharedScopes: [],
        },
      );
    });
  }

  /** Takes away everything `username` holds or asked for on the album. */
  async remove(owner: Principal, albumId: string, username: string): Promise<void> {
    await withKeycloak(async () => {
      const album = await this.albums.requireOwned(albumId, owner);
      const party = await this.party(owner, username);
      const entry = await this.access.entry(album.resourceId, party);
      if (entry === undefined) {
        throw notFoundProblem(`${username} holds nothing on album ${albumId}`);
      }
      await this.revoke(album, party, () =>
        this.withdrawGrants(album, party, entry, () => true, []),
      );
      await this.audit.record({
        albumId: album.albumId,
        action: 'revoked',
        actor: owner,
        subject: party,
        scopes: [...new Set([...grantedScopes(entry), ...scopeNames(entry.pending)])].sort(),
      });
    });
  }

  /** Albums shared with the caller, with the scopes held. */
  async sharedWith(caller: Principal): Promise<SharedAlbumDto[]> {
    return withKeycloak(async () => {
      const party = await this.access.partyOf(caller);
      const held = new Map<string, Set<string>>();
      const hold = (resourceId: string, scopes: readonly string[]) => {
        const set = held.get(resourceId) ?? new Set<string>();
        scopes.forEach((scope) => set.add(scope));
        held.set(resourceId, set);
      };
      for (const entry of await this.access.entries({ requester: party.id, granted: true })) {
        hold(entry.resourceId, scopeNames(entry.granted));
      }
      for (const share of await this.access.partnerShares(party)) {
        hold(share.resourceId, share.scopes);
      }
      const albums = await this.albums.byResourceIds(held.keys());
      const shared: SharedAlbumDto[] = [];
      for (const [resourceId, scopes] of held) {
        const album = albums.get(resourceId);
        if (album !== undefined) {
          shared.push({
            albumId: album.albumId,
            albumName: album.name,
            ownerUsername: (await this.access.username(album.ownerId)) ?? '',
            scopes: [...scopes].sort(),
          });
        }
      }
      return shared;
    });
  }

  /**
   * Records the revocation before taking the grants away (a failure in between leaves the party
   * with less access, never more) and again after (RPTs minted meanwhile are older than it too).
   */
  private async revoke(album: AlbumResource, party: Party, takeAway: () => Promise<void>) {
    await this.revocations.record(album.resourceId, party.subject);
    await takeAway();
    await this.revocations.record(album.resourceId, party.subject);
  }

  /** Deletes the tickets whose scope matches and, for a partner, narrows its share to `keep`. */
  private async withdrawGrants(
    album: AlbumResource,
    party: Party,
    entry: AccessEntry | undefined,
    matches: (scope: string) => boolean,
    keep: readonly string[],
  ): Promise<void> {
    const tickets: NamedTicket[] = [...(entry?.granted ?? []), ...(entry?.pending ?? [])];
    for (const ticket of tickets.filter((candidate) => matches(candidate.scopeName))) {
      await this.protection.deleteTicket(ticket.id);
    }
    if (party.partner && (entry?.sharedScopes.length ?? 0) > 0) {
      await this.access.setPartnerShare(album.resourceId, party, keep);
    }
  }

  private async grant(
    album: AlbumResource,
    party: Party,
    before: AccessEntry | undefined,
    scopes: readonly string[],
  ): Promise<void> {
    const answered = (before?.pending ?? []).filter((ticket) => scopes.includes(ticket.scopeName));
    if (party.partner) {
      // A partner's share is one permission with the full set; its requests are answered by it.
      await this.access.setPartnerShare(album.resourceId, party, scopes);
      for (const ticket of answered) {
        await this.protection.deleteTicket(ticket.id);
      }
      return;
    }
    // Pending requests for the scopes are approved, so that they do not linger as requests.
    for (const ticket of answered) {
      await this.protection.approveTicket(ticket.id);
    }
    const granted = new Set([...scopeNames(before?.granted ?? []), ...scopeNames(answered)]);
    for (const scope of scopes.filter((candidate) => !granted.has(candidate))) {
      try {
        await this.protection.grant(album.resourceId, party.username, scope);
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
  }

  private async party(owner: Principal, username: string): Promise<Party> {
    if (!USERNAME.test(username)) {
      throw validationProblem([{ field: 'username', message: 'username is not a valid username' }]);
    }
    if (username.toLowerCase() === owner.username.toLowerCase()) {
      throw validationProblem([
        { field: 'username', message: 'you cannot share an album with yourself' },
      ]);
    }
    const party = await this.access.partyByUsername(username);
    if (party === undefined) {
      throw validationProblem([{ field: 'username', message: `no user ${username}` }]);
    }
    return party;
  }
}
