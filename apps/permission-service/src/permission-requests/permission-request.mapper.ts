import type { AlbumResource } from '../albums/album-directory.ts';
import { effectiveScopes, type GrantEntry, scopeNames } from '../grants/grant-entry.ts';
import type { PartyDirectory } from '../grants/party-directory.ts';
import type { PermissionRequestDto } from './permission-request.dto.ts';
import { requestId } from './permission-request-id.ts';

/** A request as the API shows it: pending while any scope waits for the owner. */
export function toPermissionRequestDto(
  entry: GrantEntry,
  album: AlbumResource,
  ownerUsername: string | undefined,
): PermissionRequestDto {
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
    ownerUsername: ownerUsername ?? null,
    status: pendingScopes.length > 0 ? 'pending' : 'granted',
    pendingScopes,
    grantedScopes: effectiveScopes(entry),
  };
}

/** {@link toPermissionRequestDto}, with the album owner's username looked up. */
export async function permissionRequestDto(
  parties: PartyDirectory,
  entry: GrantEntry,
  album: AlbumResource,
): Promise<PermissionRequestDto> {
  return toPermissionRequestDto(entry, album, await parties.username(album.ownerId));
}
