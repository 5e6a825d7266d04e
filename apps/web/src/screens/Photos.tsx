import { type ChangeEvent, useEffect, useRef, useState } from 'react';
import { api } from '../api/calls.ts';
import type { Photo } from '../api/contract.ts';
import { type Failed, sentence } from '../api/result.ts';
import { uploadPhoto } from '../api/upload.ts';
import { ErrorMessage, Failure } from '../ui.tsx';

const MAX_BYTES = 10 * 1024 * 1024;

export function Thumbnail(props: {
  photo: Photo;
  canEdit: boolean;
  onDeleted: () => Promise<void>;
}) {
  const { photo } = props;
  const [url, setUrl] = useState<string>();
  const [failure, setFailure] = useState<Failed>();
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
