import { useEffect, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import type { Album, Me, Photo } from '../api/contract.ts';
import type { ApiResult } from '../api/result.ts';
import { Failure, Loading, useLoad } from '../ui.tsx';
import { PhotoViewer, Thumbnail, Upload } from './Photos.tsx';
import { RequestAccess } from './RequestAccess.tsx';

/** How many photos the page shows at first, and adds with "Show more photos". */
const PHOTOS_AT_A_TIME = 60;

/**
 * Whether the person may edit an album shared with them: its scopes in "shared with me" (a page
 * at a time, until the album turns up). The album service would answer the same through a UMA
 * challenge, but only when asked to do it, and the page must know before offering an upload.
 */
function useMayEdit(albumId: string, owner: boolean | undefined): boolean {
  const [mayEdit, setMayEdit] = useState(false);
  useEffect(() => {
    let live = owner === false;
    const look = async () => {
      let cursor: string | undefined;
      do {
        const result = await api.sharedWithMe(cursor);
        if (!live || result.kind !== 'ok') {
          return;
        }
        const shared = result.body.items.find((item) => item.albumId === albumId);
        if (shared !== undefined) {
          setMayEdit(shared.scopes.includes('album:edit'));
          return;
        }
        cursor = result.body.nextCursor ?? undefined;
      } while (cursor !== undefined);
    };
    if (live) {
      void look();
    }
    return () => {
      live = false;
    };
  }, [albumId, owner]);
  return owner === true || mayEdit;
}

export function AlbumPage(props: { albumId: string; me: Me }) {
  const [album, reloadAlbum] = useLoad(() => api.album(props.albumId), [props.albumId]);
  const [photos, reloadPhotos] = useLoad(
    async (): Promise<ApiResult<Photo[]>> =>
      album.state === 'ready' ? api.photos(props.albumId) : { kind: 'ok', status: 200, body: [] },
    [props.albumId, album.state],
  );
  const [shown, setShown] = useState(PHOTOS_AT_A_TIME);
  const [viewing, setViewing] = useState<{ index: number; opener: HTMLElement }>();
  const owner = album.state === 'ready' ? album.value.ownerId === props.me.subject : undefined;
  const canEdit = useMayEdit(props.albumId, owner);

  if (album.state === 'loading') {
    return <Loading what="the album" />;
  }
  if (album.state === 'failed') {
    const { result } = album;
    if (result.kind === 'no-access' || result.kind === 'access-requested') {
      return <RequestAccess albumId={props.albumId} onRetry={reloadAlbum} />;
    }
    return (
      <>
        <h1>Album</h1>
        <Failure result={result} />
        <button type="button" onClick={() => void reloadAlbum()}>
          Try again
        </button>
      </>
    );
  }
  const value: Album = album.value;
  const description = value.description ?? '';
  const refresh = async () => {
    await reloadAlbum();
    await reloadPhotos();
  };
  const list = photos.state === 'ready' ? photos.value : [];

  return (
    <>
      <h1>{value.name}</h1>
      <p className="muted">
        {owner === true ? 'Your album' : `Shared by ${value.ownerUsername}`}
        {description === '' ? '' : ` — ${description}`}
      </p>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void refresh()}>
          Refresh
        </button>
        {owner === true && <Link to={`/albums/${value.id}/shares`}>Shares and audit</Link>}
        {owner === true && <Link to={`/albums/${value.id}/links`}>Invitation links</Link>}
      </div>
      {canEdit && <Upload albumId={value.id} onUploaded={reloadPhotos} />}
      <h2>Photos</h2>
      {photos.state === 'loading' && <Loading what="the photos" />}
      {photos.state === 'failed' &&
        (photos.result.kind === 'no-access' ? (
          <RequestAccess albumId={props.albumId} onRetry={refresh} />
        ) : (
          <Failure result={photos.result} />
        ))}
      {photos.state === 'ready' &&
        (list.length === 0 ? (
          <p className="empty">No photos yet.{canEdit ? ' Add one above.' : ''}</p>
        ) : (
          <>
            <ul className="grid" aria-label="Photos">
              {list.slice(0, shown).map((photo, index) => (
                <Thumbnail
                  key={photo.id}
                  photo={photo}
                  canEdit={canEdit}
                  onOpen={(opener) => setViewing({ index, opener })}
                  onDeleted={reloadPhotos}
                />
              ))}
            </ul>
            {list.length > shown && (
              <div className="actions">
                <button
                  type="button"
                  className="secondary"
                  onClick={() => setShown((count) => count + PHOTOS_AT_A_TIME)}
                >
                  Show more photos
                </button>
                <span className="muted">
                  {shown} of {list.length} shown
                </span>
              </div>
            )}
          </>
        ))}
      {viewing !== undefined && (
        <PhotoViewer
          photos={list.slice(0, shown)}
          index={viewing.index}
          opener={viewing.opener}
          onMove={(index) => setViewing({ ...viewing, index })}
          onClose={() => setViewing(undefined)}
        />
      )}
    </>
  );
}
