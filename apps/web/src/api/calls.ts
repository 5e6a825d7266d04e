import type { AlbumScope } from './contract.ts';
import { albumService as albums, permissionService as permissions } from './services.ts';
import { send } from './transport.ts';

/** How many items a list screen asks for at a time; "Load more" asks for the next as many. */
export const PAGE_SIZE = 50;

const byId = (id: string) => ({ params: { path: { id } } });
const share = (albumId: string, username: string) => ({ params: { path: { albumId, username } } });
const ofAlbum = (albumId: string) => ({ path: { albumId } });
/** One page's query: the first without a cursor, the next with the last page's `nextCursor`. */
const page = (cursor: string | undefined) => ({
  limit: PAGE_SIZE,
  ...(cursor === undefined ? {} : { cursor }),
});

/** The app's calls, each checked against the services' contract (libs/api-contract). */
export const api = {
  me: () => send(() => albums.GET('/me')),
  myAlbums: (cursor?: string) =>
    send(() => albums.GET('/albums', { params: { query: page(cursor) } })),
  createAlbum: (name: string) => send(() => albums.POST('/albums', { body: { name } })),
  renameAlbum: (albumId: string, name: string) =>
    send(() => albums.PATCH('/albums/{id}', { ...byId(albumId), body: { name } })),
  deleteAlbum: (albumId: string) => send(() => albums.DELETE('/albums/{id}', byId(albumId))),
  album: (albumId: string) => send(() => albums.GET('/albums/{id}', byId(albumId))),
  photos: (albumId: string) => send(() => albums.GET('/albums/{id}/photos', byId(albumId))),
  photoContent: (albumId: string, photoId: string) =>
    send(() =>
      albums.GET('/albums/{id}/photos/{photoId}/content', {
        params: { path: { id: albumId, photoId } },
        parseAs: 'blob',
      }),
    ),
  deletePhoto: (albumId: string, photoId: string) =>
    send(() =>
      albums.DELETE('/albums/{id}/photos/{photoId}', {
        params: { path: { id: albumId, photoId } },
      }),
    ),
  requestAccess: (albumId: string, scopes: AlbumScope[], message?: string) =>
    send(() =>
      permissions.POST('/permission-requests', {
        body: { albumId, scopes, ...(message === undefined ? {} : { message }) },
      }),
    ),
  outgoing: (cursor?: string) =>
    send(() =>
      permissions.GET('/permission-requests/outgoing', { params: { query: page(cursor) } }),
    ),
  incoming: (cursor?: string) =>
    send(() =>
      permissions.GET('/permission-requests/incoming', {
        params: { query: { status: 'pending', ...page(cursor) } },
      }),
    ),
  approve: (requestId: string, answer: { scopes?: AlbumScope[]; expiresAt?: string }) =>
    send(() =>
      permissions.POST('/permission-requests/{id}/approve', { ...byId(requestId), body: answer }),
    ),
  deny: (requestId: string) =>
    send(() => permissions.POST('/permission-requests/{id}/deny', byId(requestId))),
  sharedWithMe: (cursor?: string) =>
    send(() => permissions.GET('/shared-with-me', { params: { query: page(cursor) } })),
  shares: (albumId: string, cursor?: string) =>
    send(() =>
      permissions.GET('/albums/{albumId}/shares', {
        params: { ...ofAlbum(albumId), query: page(cursor) },
      }),
    ),
  share: (albumId: string, username: string, scopes: AlbumScope[], expiresAt?: string) =>
    send(() =>
      permissions.PUT('/albums/{albumId}/shares/{username}', {
        ...share(albumId, username),
        body: { scopes, ...(expiresAt === undefined ? {} : { expiresAt }) },
      }),
    ),
  revoke: (albumId: string, username: string) =>
    send(() => permissions.DELETE('/albums/{albumId}/shares/{username}', share(albumId, username))),
  audit: (albumId: string, cursor?: string) =>
    send(() =>
      permissions.GET('/albums/{albumId}/audit', {
        params: { ...ofAlbum(albumId), query: page(cursor) },
      }),
    ),
  links: (albumId: string, cursor?: string) =>
    send(() =>
      permissions.GET('/albums/{albumId}/links', {
        params: { ...ofAlbum(albumId), query: page(cursor) },
      }),
    ),
  createLink: (
    albumId: string,
    link: { scopes: AlbumScope[]; expiresAt?: string; maxUses?: number },
  ) =>
    send(() =>
      permissions.POST('/albums/{albumId}/links', { params: ofAlbum(albumId), body: link }),
    ),
  deleteLink: (albumId: string, linkId: string, revokeShares: boolean) =>
    send(() =>
      permissions.DELETE('/albums/{albumId}/links/{linkId}', {
        params: {
          path: { albumId, linkId },
          query: { revokeShares: revokeShares ? 'true' : 'false' },
        },
      }),
    ),
  /** The secret travels in the body: paths end up in access logs. */
  redeem: (token: string) => send(() => permissions.POST('/links/redeem', { body: { token } })),
  notifications: (cursor?: string) =>
    send(() => permissions.GET('/notifications', { params: { query: page(cursor) } })),
  markRead: (which: { ids: string[] } | { all: true }) =>
    send(() => permissions.POST('/notifications/read', { body: which })),
  notificationSettings: () => send(() => permissions.GET('/notifications/settings')),
  putNotificationSettings: (email: boolean) =>
    send(() => permissions.PUT('/notifications/settings', { body: { email } })),
  adminAlbums: (cursor?: string) =>
    send(() => albums.GET('/admin/albums', { params: { query: page(cursor) } })),
  outbox: () => send(() => albums.GET('/admin/uma/outbox')),
};
