import { type ChangeEvent, useEffect, useRef, useState } from 'react';
import { api } from '../api/calls.ts';
import type { Photo } from '../api/contract.ts';
import { type Failed, sentence } from '../api/result.ts';
import { uploadPhoto } from '../api/upload.ts';
import { ErrorMessage, Failure } from '../ui.tsx';

const MAX_BYTES = 10 * 1024 * 1024;

/** A photo's bytes as an object URL, freed when the component goes away; or why they are not. */
function usePhotoUrl(photo: Photo): { url: string | undefined; failure: Failed | undefined } {
  const [url, setUrl] = useState<string>();
  const [failure, setFailure] = useState<Failed>();
  useEffect(() => {
    let objectUrl: string | undefined;
    let live = true;
    setUrl(undefined);
    setFailure(undefined);
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
  return { url, failure };
}

export function Thumbnail(props: {
  photo: Photo;
  canEdit: boolean;
  onOpen: (opener: HTMLElement) => void;
  onDeleted: () => Promise<void>;
}) {
  const { photo } = props;
  const { url, failure: notLoaded } = usePhotoUrl(photo);
  const [failure, setFailure] = useState<Failed>();

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
            {notLoaded === undefined ? 'Loading…' : 'Not available'}
          </div>
        ) : (
          <button
            type="button"
            className="photo-open"
            aria-label={`View ${photo.fileName}`}
            onClick={(event) => props.onOpen(event.currentTarget)}
          >
            <img src={url} alt={`Photo ${photo.fileName}`} />
          </button>
        )}
        <figcaption>{photo.fileName}</figcaption>
      </figure>
      {props.canEdit && (
        <button type="button" className="secondary" onClick={() => void remove()}>
          Delete<span className="visually-hidden"> photo {photo.fileName}</span>
        </button>
      )}
      <Failure result={notLoaded ?? failure} />
    </li>
  );
}

/**
 * One photo at a time, large, in a modal `<dialog>`: ← and → (or the buttons) move through the
 * album, Esc (or Close) closes it and puts the focus back on the thumbnail that opened it. The
 * modal dialog keeps the focus inside it while open and makes the page behind it inert.
 */
export function PhotoViewer(props: {
  photos: readonly Photo[];
  index: number;
  onMove: (index: number) => void;
  onClose: () => void;
  opener: HTMLElement | undefined;
}) {
  const { photos, index, onClose, opener } = props;
  const dialog = useRef<HTMLDialogElement>(null);
  const photo = photos[index];
  useEffect(() => {
    const element = dialog.current;
    if (element !== null && !element.open) {
      element.showModal();
    }
    // No close() here: React's development run of effects would close the dialog it just opened
    // (its `close` event closes the viewer). Leaving the page takes an open dialog with it.
    return () => opener?.focus();
  }, [opener]);
  if (photo === undefined) {
    return null;
  }
  const count = photos.length;
  const move = (step: number) => props.onMove((index + step + count) % count);
  return (
    <dialog
      ref={dialog}
      className="viewer"
      aria-labelledby="viewer-title"
      onClose={onClose}
      onKeyDown={(event) => {
        if (event.key === 'ArrowLeft' && count > 1) {
          event.preventDefault();
          move(-1);
        } else if (event.key === 'ArrowRight' && count > 1) {
          event.preventDefault();
          move(1);
        }
      }}
    >
      <h2 id="viewer-title">
        {photo.fileName}{' '}
        <span className="muted">
          ({index + 1} of {count})
        </span>
      </h2>
      <ViewedPhoto key={photo.id} photo={photo} />
      <div className="actions">
        <button type="button" className="secondary" disabled={count < 2} onClick={() => move(-1)}>
          Previous photo
        </button>
        <button type="button" className="secondary" disabled={count < 2} onClick={() => move(1)}>
          Next photo
        </button>
        <button type="button" autoFocus onClick={onClose}>
          Close
        </button>
      </div>
      <p className="muted">Use the ← and → keys to move between photos, Esc to close.</p>
    </dialog>
  );
}

function ViewedPhoto(props: { photo: Photo }) {
  const { url, failure } = usePhotoUrl(props.photo);
  if (failure !== undefined) {
    return <Failure result={failure} />;
  }
  return url === undefined ? (
    <p role="status" className="muted">
      Loading the photo…
    </p>
  ) : (
    <img src={url} alt={`Photo ${props.photo.fileName}, large`} />
  );
}

export function Upload(props: { albumId: string; onUploaded: () => Promise<void> }) {
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
