import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import type { Album, Me, Photo } from '../api/contract.ts';
import type { ApiResult } from '../api/result.ts';
import { Failure, Loading, useLoad } from '../ui.tsx';
import { Thumbnail, Upload } from './Photos.tsx';
import { RequestAccess } from './RequestAccess.tsx';

export function AlbumPage(props: { albumId: string; me: Me }) {
  const [album, reloadAlbum] = useLoad(() => api.album(props.albumId), [props.albumId]);
  const [photos, reloadPhotos] = useLoad(
    async (): Promise<ApiResult<Photo[]>> =>
      album.state === 'ready' ? api.photos(props.albumId) : { kind: 'ok', status: 200, body: [] },
    [props.albumId, album.state],
  );

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
  const owner = value.ownerId === props.me.subject;
  const description = value.description ?? '';
  const refresh = async () => {
    await reloadAlbum();
    await reloadPhotos();
  };

  return (
    <>
      <h1>{value.name}</h1>
      <p className="muted">
        {owner ? 'Your album' : `Shared by ${value.ownerUsername}`}
        {description === '' ? '' : ` — ${description}`}
      </p>
      <div className="actions">
        <button type="button" className="secondary" onClick={() => void refresh()}>
          Refresh
        </button>
        {owner && <Link to={`/albums/${value.id}/shares`}>Shares and audit</Link>}
      </div>
      {owner && <Upload albumId={value.id} onUploaded={reloadPhotos} />}
      <h2>Photos</h2>
      {photos.state === 'loading' && <Loading what="the photos" />}
      {photos.state === 'failed' &&
        (photos.result.kind === 'no-access' ? (
          <RequestAccess albumId={props.albumId} onRetry={refresh} />
        ) : (
          <Failure result={photos.result} />
        ))}
      {photos.state === 'ready' &&
        (photos.value.length === 0 ? (
          <p className="empty">No photos yet.{owner ? ' Add one above.' : ''}</p>
        ) : (
          <ul className="grid" aria-label="Photos">
            {photos.value.map((photo) => (
              <Thumbnail key={photo.id} photo={photo} canEdit={owner} onDeleted={reloadPhotos} />
            ))}
          </ul>
        ))}
    </>
  );
}
