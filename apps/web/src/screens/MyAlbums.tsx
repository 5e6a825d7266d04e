import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import type { Album } from '../api/contract.ts';
import type { Failed } from '../api/result.ts';
import { Failure, LoadMore, Loading, usePaged } from '../ui.tsx';

function AlbumRow(props: { album: Album; onChanged: () => Promise<void> }) {
  const { album } = props;
  const [mode, setMode] = useState<'view' | 'rename' | 'delete'>('view');
  const [name, setName] = useState(album.name);
  const [failure, setFailure] = useState<Failed>();
  const [busy, setBusy] = useState(false);

  const rename = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const result = await api.renameAlbum(album.id, name);
    setBusy(false);
    if (result.kind === 'ok') {
      setFailure(undefined);
      setMode('view');
      await props.onChanged();
    } else {
      setFailure(result);
    }
  };
  const remove = async () => {
    setBusy(true);
    const result = await api.deleteAlbum(album.id);
    setBusy(false);
    if (result.kind === 'ok') {
      await props.onChanged();
    } else {
      setFailure(result);
    }
  };

  return (
    <li className="card">
      {mode === 'rename' ? (
        <form onSubmit={(event) => void rename(event)} className="inline">
          <label htmlFor={`rename-${album.id}`}>New name for “{album.name}”</label>
          <input
            id={`rename-${album.id}`}
            value={name}
            onChange={(event) => setName(event.target.value)}
            required
            maxLength={200}
          />
          <button type="submit" disabled={busy}>
            Save
          </button>
          <button type="button" className="secondary" onClick={() => setMode('view')}>
            Cancel
          </button>
        </form>
      ) : (
        <>
          <h2 className="card-title">
            <Link to={`/albums/${album.id}`}>{album.name}</Link>
          </h2>
          <p className="muted">Created {new Date(album.createdAt).toLocaleString()}</p>
          {mode === 'delete' ? (
            <div className="actions" role="group" aria-label={`Delete ${album.name}?`}>
              <span>Delete “{album.name}” and its photos?</span>
              <button
                type="button"
                className="danger"
                disabled={busy}
                onClick={() => void remove()}
              >
                Yes, delete “{album.name}”
              </button>
              <button type="button" className="secondary" onClick={() => setMode('view')}>
                Keep it
              </button>
            </div>
          ) : (
            <div className="actions">
              <button type="button" className="secondary" onClick={() => setMode('rename')}>
                Rename<span className="visually-hidden"> {album.name}</span>
              </button>
              <button type="button" className="secondary" onClick={() => setMode('delete')}>
                Delete<span className="visually-hidden"> {album.name}</span>
              </button>
            </div>
          )}
        </>
      )}
      <Failure result={failure} />
    </li>
  );
}

export function MyAlbums() {
  const albums = usePaged((cursor) => api.myAlbums(cursor), []);
  const { loaded, reload } = albums;
  const [name, setName] = useState('');
  const [failure, setFailure] = useState<Failed>();
  const [busy, setBusy] = useState(false);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const result = await api.createAlbum(name);
    setBusy(false);
    if (result.kind === 'ok') {
      setName('');
      setFailure(undefined);
      await reload();
    } else {
      setFailure(result);
    }
  };

  return (
    <>
      <h1>My albums</h1>
      <form onSubmit={(event) => void create(event)} className="inline panel">
        <label htmlFor="new-album-name">Album name</label>
        <input
          id="new-album-name"
          value={name}
          onChange={(event) => setName(event.target.value)}
          required
          maxLength={200}
        />
        <button type="submit" disabled={busy}>
          Create album
        </button>
      </form>
      <Failure result={failure} />
      {loaded.state === 'loading' && <Loading what="your albums" />}
      {loaded.state === 'failed' && <Failure result={loaded.result} />}
      {loaded.state === 'ready' &&
        (loaded.value.length === 0 ? (
          <p className="empty">You have no albums yet. Create one above.</p>
        ) : (
          <ul className="cards" aria-label="Your albums">
            {loaded.value.map((album) => (
              <AlbumRow key={album.id} album={album} onChanged={reload} />
            ))}
          </ul>
        ))}
      <LoadMore list={albums} what="albums" />
    </>
  );
}
