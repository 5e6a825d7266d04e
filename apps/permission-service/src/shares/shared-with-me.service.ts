import { Injectable } from '@nestjs/common';
import type { Principal } from '@app/auth';
import { GrantRecordRepository } from '@app/grant-record';
import { AccessPolicy, Permission } from '../access-policy/access-policy.ts';
import { AlbumDirectory } from '../albums/album-directory.ts';
import { GrantDirectory } from '../grants/grant-directory.ts';
import { scopeNames } from '../grants/grant-entry.ts';
import { PartyDirectory } from '../grants/party-directory.ts';
import type { SharedAlbumDto } from './share.dto.ts';

/** The albums shared with the caller: what it can use, granted in Keycloak and in the record. */
@Injectable()
export class SharedWithMeService {
  constructor(
    private readonly access: AccessPolicy,
    private readonly albums: AlbumDirectory,
    private readonly directory: GrantDirectory,
    private readonly parties: PartyDirectory,
    private readonly record: GrantRecordRepository,
  ) {}

  /** Albums shared with the caller, with the scopes held. */
  async sharedWith(caller: Principal): Promise<SharedAlbumDto[]> {
    const party = await this.access.requireAccess(caller, Permission.SharedWithMeRead, {});
    const held = new Map<string, Set<string>>();
    const hold = (resourceId: string, scopes: readonly string[]) => {
      const set = held.get(resourceId) ?? new Set<string>();
      scopes.forEach((scope) => set.add(scope));
      held.set(resourceId, set);
    };
    for (const entry of await this.directory.entries({ requester: party.id, granted: true })) {
      hold(entry.resourceId, scopeNames(entry.granted));
    }
    for (const share of await this.directory.partnerShares(party)) {
      hold(share.resourceId, share.scopes);
    }
    // Only what the party can use: granted in Keycloak and in the record RPTs are held to.
    const current = await this.record.ofSubject(party.subject);
    for (const [resourceId, scopes] of held) {
      const usable = current.get(resourceId) ?? [];
      for (const scope of scopes) {
        if (!usable.includes(scope)) {
          scopes.delete(scope);
        }
      }
      if (scopes.size === 0) {
        held.delete(resourceId);
      }
    }
    const albums = await this.albums.byResourceIds(held.keys());
    const shared: SharedAlbumDto[] = [];
    for (const [resourceId, scopes] of held) {
      const album = albums.get(resourceId);
      if (album !== undefined) {
        shared.push({
          albumId: album.albumId,
          albumName: album.name,
          ownerUsername: (await this.parties.username(album.ownerId)) ?? '',
          scopes: [...scopes].sort(),
        });
      }
    }
    return shared;
  }
}
