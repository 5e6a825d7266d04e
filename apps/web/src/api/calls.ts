import type { AlbumScope } from './contract.ts';
import type { ApiResult } from './result.ts';
import { albumService as albums, permissionService as permissions } from './services.ts';
import { send } from './transport.ts';

/** A page's items. */
async function items<T>(page: Promise<ApiResult<{ items: T[] }>>): Promise<ApiResult<T[]>> {
  const result = await page;
  return result.kind === 'ok' ? { ...result, body: result.body.items } : result;
}

const byId = (id: string) => ({ params: { path: { id } } });
const share = (albumId: string, username: string) => ({ params: { path: { albumId, username } } });
const ofAlbum = (albumId: string) => ({ path: { albumId } });

/** The app's calls, each checked against the services' contract (libs/api-contract). */
export const api = {
  me: () => send(() => albums.GET('/me')),
  myAlbums: () => send(() => albums.GET('/albums', { params: { query: { limit: 100 } } })),
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
  requestAccess: (albumId: string, scopes: AlbumScope[]) =>
    send(() => permissions.POST('/permission-requests', { body: { albumId, scopes } })),
  outgoing: () => items(send(() => permissions.GET('/permission-requests/outgoing'))),
  incoming: () =>
    items(
      send(() =>
        permissions.GET('/permission-requests/incoming', {
          params: { query: { status: 'pending', limit: 100 } },
        }),
      ),
    ),
  approve: (requestId: string, scopes?: AlbumScope[]) =>
    send(() =>
      permissions.POST('/permission-requests/{id}/approve', {
        ...byId(requestId),
        body: scopes === undefined ? {} : { scopes },
      }),
    ),
  deny: (requestId: string) =>
    send(() => permissions.POST('/permission-requests/{id}/deny', byId(requestId))),
  sharedWithMe: () =>
    items(send(() => permissions.GET('/shared-with-me', { params: { query: { limit: 100 } } }))),
  shares: (albumId: string) =>
    items(
      send(() =>
        permissions.GET('/albums/{albumId}/shares', {
          params: { ...ofAlbum(albumId), query: { limit: 100 } },
        }),
      ),
    ),
  share: (albumId: string, username: string, scopes: AlbumScope[]) =>
    send(() =>
      permissions.PUT('/albums/{albumId}/shares/{username}', {
        ...share(albumId, username),
        body: { scopes },
      }),
    ),
  revoke: (albumId: string, username: string) =>
    send(() => permissions.DELETE('/albums/{albumId}/shares/{username}', share(albumId, username))),
  audit: (albumId: string) =>
    send(() =>
      permissions.GET('/albums/{albumId}/audit', {
        params: { ...ofAlbum(albumId), query: { limit: 100 } },
      }),
    ),
  adminAlbums: () => send(() => albums.GET('/admin/albums', { params: { query: { limit: 100 } } })),
  outbox: () => send(() => albums.GET('/admin/uma/outbox')),
};
