/** The services' types the screens use, by the names of the contract (libs/api-contract). */
import type { AlbumService, PermissionService } from '@app/api-contract';

type AlbumSchemas = AlbumService.components['schemas'];
type PermissionSchemas = PermissionService.components['schemas'];

export type Me = AlbumSchemas['PrincipalResponseDto'];
export type Album = AlbumSchemas['AlbumResponseDto'];
export type AlbumPage = AlbumSchemas['AlbumPageDto'];
export type Photo = AlbumSchemas['PhotoResponseDto'];
export type ParkedEvent = AlbumSchemas['ParkedEventDto'];
export type OutboxBacklog = AlbumSchemas['OutboxStatusDto'];
export type PermissionRequest = PermissionSchemas['PermissionRequestDto'];
export type PermissionRequestPage = PermissionSchemas['PermissionRequestPageDto'];
export type Share = PermissionSchemas['ShareDto'];
export type SharedAlbum = PermissionSchemas['SharedAlbumDto'];
export type AuditEvent = PermissionSchemas['AuditEventDto'];
export type AuditPage = PermissionSchemas['AuditPageDto'];
export type InvitationLink = PermissionSchemas['InvitationLinkDto'];
export type CreatedInvitationLink = PermissionSchemas['CreatedInvitationLinkDto'];
export type RedeemedInvitation = PermissionSchemas['RedeemedInvitationDto'];
export type Notification = PermissionSchemas['NotificationDto'];
export type NotificationPage = PermissionSchemas['NotificationPageDto'];
export type NotificationSettings = PermissionSchemas['NotificationSettingsDto'];

/** A page of a list, as every list route answers it (`?limit&cursor` → `{items, nextCursor}`). */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/**
 * An error as the screens show it: the services' RFC 9457 problem details (every field optional,
 * since the authorization server, the network or the app itself may be the one failing).
 */
export type Problem = Partial<AlbumSchemas['ProblemDetailsDto']>;

/** A scope of an album, as the services take it. */
export type AlbumScope = PermissionSchemas['PutShareDto']['scopes'][number];

/**
 * Every scope of an album, in the order the screens offer them: the record names each scope of the
 * contract once, so it fails to compile when the contract gains or loses one.
 */
const SCOPE_ORDER = { 'album:view': 1, 'album:edit': 2, 'album:delete': 3 } satisfies Record<
  AlbumScope,
  number
>;
export const ALBUM_SCOPES = Object.keys(SCOPE_ORDER) as AlbumScope[];

/** Scopes as the services answer them (plain strings), as the services take them. */
export function albumScopes(scopes: readonly string[]): AlbumScope[] {
  return scopes.filter((scope): scope is AlbumScope => Object.hasOwn(SCOPE_ORDER, scope));
}
