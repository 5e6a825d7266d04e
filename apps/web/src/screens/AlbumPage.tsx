import { type ChangeEvent, useEffect, useRef, useState } from 'react';
import { ALBUM_SCOPES } from '../config.ts';
import {
  type Album,
  api,
  type Me,
  type Photo,
  type ApiResult,
  sentence,
  uploadPhoto,
} from '../photoz.ts';
import { Link } from '../router.tsx';
import { ErrorMessage, Failure, Loading, ScopePicker, useLoad } from '../ui.tsx';

type NotOk = Exclude<ApiResult<unknown>, { kind: 'ok' }>;

const MAX_BYTES = 10 * 1024 * 1024;

function Thumbnail(props: { photo: Photo; canEdit: boolean; onDeleted: () => Promise<void> }) {
  const { photo } = props;
  const [url, setUrl] = useState<string>();
  const [failure, setFailure] = useState<NotOk>();
  useEffect(() => {
    let objectUrl: string | undefined;
    let live = true;
    void api.photoContent(photo.albumId, photo.id).then((result) => {
      if (!live) {
        return;
      }
      if (result.kind === 'ok') {
        objectUrl = URL.createObjectURL(result.body);
        setUrl(objectUrl);
      } else {
        setFailure(result);
      }
    });
    return () => {
      live = false;
      if (objectUrl !== undefined) {
        URL.revokeObjectURL(objectUrl);
      }
    };
  }, [photo.albumId, photo.id]);

  const remove = async () => {
    const result = await api.deletePhoto(photo.albumId, photo.id);
    if (result.kind === 'ok') {
      await props.onDeleted();
    } else {
      setFailure(result);
    }
  };

  return (
    <li className="photo">
      <figure>
        {url === undefined ? (
          <div className="placeholder" role="status">
            {failure === undefined ? 'Loading…' : 'Not available'}
          </div>
        ) : (
          <img src={url} alt={`Photo ${photo.fileName}`} />
        )}
        <figcaption>{photo.fileName}</figcaption>
      </figure>
      {props.canEdit && (
        <button type="button" className="secondary" onClick={() => void remove()}>
          Delete<span className="visually-hidden"> photo {photo.fileName}</span>
        </button>
      )}
      <Failure result={failure} />
    </li>
  );
}

function Upload(props: { albumId: string; onUploaded: () => Promise<void> }) {
  const [progress, setProgress] = useState<number>();
  const [error, setError] = useState<string>();
  const [done, setDone] = useState<string>();
  const input = useRef<HTMLInputElement>(null);

  const upload = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file === undefined) {
      return;
    }
    setError(undefined);
    setDone(undefined);
    if (file.size > MAX_BYTES) {
      setError(`“${file.name}” is larger than 10 MB; choose a smaller photo.`);
      return;
    }
    setProgress(0);
    const result = await uploadPhoto(props.albumId, file, setProgress);
    setProgress(undefined);
    if (input.current !== null) {
      input.current.value = '';
    }
    if (result.kind === 'ok') {
      setDone(`Uploaded “${result.body.fileName}”.`);
      await props.onUploaded();
    } else {
      setError(sentence(result));
    }
  };

  return (
    <div className="panel">
      <label htmlFor="photo-file">Add a photo (JPEG, PNG, WebP or GIF, up to 10 MB)</label>
      <input
        id="photo-file"
        ref={input}
        type="file"
        accept="image/jpeg,image/png,image/webp,image/gif"
        onChange={(event) => void upload(event)}
        disabled={progress !== undefined}
      />
      {progress !== undefined && (
        <p>
          <label htmlFor="upload-progress">Uploading </label>
          <progress id="upload-progress" max={1} value={progress} />
        </p>
      )}
      {error !== undefined && <ErrorMessage>{error}</ErrorMessage>}
      {done !== undefined && (
        <p role="status" className="ok">
          {done}
        </p>
      )}
    </div>
  );
}

function RequestAccess(props: { albumId: string; onRetry: () => Promise<void> }) {
  const [scopes, setScopes] = useState<string[]>(['album:view']);
  const [state, setState] = useState<'checking' | 'ask' | 'pending'>('checking');
  const [failure, setFailure] = useState<NotOk>();

  useEffect(() => {
    void api.outgoing().then((result) => {
      const pending =
        result.kind === 'ok' &&
        result.body.some(
          (request) => request.albumId === props.albumId && request.pendingScopes.length > 0,
        );
      setState(pending ? 'pending' : 'ask');
    });
  }, [props.albumId]);

  const ask = async () => {
    const result = await api.requestAccess(props.albumId, scopes);
    if (result.kind !== 'ok') {
      setFailure(result);
    } else if (result.body.status === 'granted') {
      await props.onRetry();
    } else {
      setFailure(undefined);
      setState('pending');
    }
  };

  return (
    <>
      <h1>This album is not shared with you</h1>
      {state === 'checking' && <Loading what="your requests" />}
      {state === 'ask' && (
        <div className="panel">
          <p>Ask the owner for access. They will see your request in their inbox.</p>
          <ScopePicker
            legend="Scopes to ask for"
            scopes={ALBUM_SCOPES}
            selected={scopes}
            onChange={setScopes}
            idPrefix="ask"
          />
          <button type="button" disabled={scopes.length === 0} onClick={() => void ask()}>
            Request access
          </button>
        </div>
      )}
      {state === 'pending' && (
        <div className="panel">
          <p role="status">Your request is pending: the owner has not answered yet.</p>
          <button type="button" onClick={() => void props.onRetry()}>
            Check again
          </button>
        </div>
      )}
      <Failure result={failure} />
    </>
  );
}

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
