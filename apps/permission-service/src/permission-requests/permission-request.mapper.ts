import type { AlbumResource } from '../albums/album-directory.ts';
import { effectiveScopes, type GrantEntry, scopeNames } from '../grants/grant-entry.ts';
import type { PartyDirectory } from '../grants/party-directory.ts';
import type { PermissionRequestDto } from './permission-request.dto.ts';
import { requestId } from './permission-request-id.ts';
import type { PendingRecord } from './pending-request.repository.ts';
import { type RequestConditions, requestExpiresAt } from './request-conditions.ts';

/**
 * A request as the API shows it: pending while any scope waits for the owner, with the message and
 * the expiry of what this service keeps of it (`kept`; none for a request it does not hold).
 */
export function toPermissionRequestDto(
  entry: GrantEntry,
  album: AlbumResource,
  ownerUsername: string | undefined,
  kept: PendingRecord | undefined,
  conditions: RequestConditions,
): PermissionRequestDto {
  const pendingScopes = scopeNames(entry.pending);
  const pending = pendingScopes.length > 0 ? kept : undefined;
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
    message: pending?.message ?? null,
    expiresAt:
      pending === undefined
        ? null
        : requestExpiresAt(pending.requestedAt, conditions).toISOString(),
  };
}

/** {@link toPermissionRequestDto}, with the album owner's username looked up. */
export async function permissionRequestDto(
  parties: PartyDirectory,
  entry: GrantEntry,
  album: AlbumResource,
  kept: PendingRecord | undefined,
  conditions: RequestConditions,
): Promise<PermissionRequestDto> {
  return toPermissionRequestDto(
    entry,
    album,
    await parties.username(album.ownerId),
    kept,
    conditions,
  );
}
