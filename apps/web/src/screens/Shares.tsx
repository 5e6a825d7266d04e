import { type FormEvent, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import { ALBUM_SCOPES, type AlbumScope, albumScopes, type Share } from '../api/contract.ts';
import type { ApiResult, Failed } from '../api/result.ts';
import { Failure, LoadMore, Loading, ScopePicker, scopeName, useLoad, usePaged } from '../ui.tsx';
import { Expiry, useExpiryField } from './Expiry.tsx';

function ShareRow(props: { albumId: string; share: Share; onChanged: () => Promise<void> }) {
  const { share } = props;
  const [selected, setSelected] = useState<AlbumScope[]>(albumScopes(share.scopes));
  const [failure, setFailure] = useState<Failed>();
  const act = async (call: () => Promise<ApiResult<unknown>>) => {
    const result = await call();
    if (result.kind === 'ok') {
      setFailure(undefined);
      await props.onChanged();
    } else {
      setFailure(result);
    }
  };
  // A PUT sets the whole share: the expiry it has goes with the new scopes.
  const expiresAt = share.expiresAt ?? undefined;
  return (
    <li className="card">
      <h3 className="card-title">
        {share.username} <span className="muted">({share.kind})</span>
      </h3>
      <Expiry at={share.expiresAt} />
      <ScopePicker
        legend={`Scopes ${share.username} holds`}
        scopes={ALBUM_SCOPES}
        selected={selected}
        onChange={setSelected}
        idPrefix={`share-${share.userId}`}
      />
      <div className="actions">
        <button
          type="button"
          className="secondary"
          disabled={selected.length === 0}
          onClick={() =>
            void act(() => api.share(props.albumId, share.username, selected, expiresAt))
          }
        >
          Save scopes<span className="visually-hidden"> for {share.username}</span>
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => void act(() => api.revoke(props.albumId, share.username))}
        >
          Revoke<span className="visually-hidden"> {share.username}</span>
        </button>
      </div>
      <Failure result={failure} />
    </li>
  );
}

export function Shares(props: { albumId: string }) {
  const [album] = useLoad(() => api.album(props.albumId), [props.albumId]);
  const shares = usePaged((cursor) => api.shares(props.albumId, cursor), [props.albumId]);
  const audit = usePaged((cursor) => api.audit(props.albumId, cursor), [props.albumId]);
  const [username, setUsername] = useState('');
  const [kind, setKind] = useState<'person' | 'partner'>('person');
  const [scopes, setScopes] = useState<AlbumScope[]>(['album:view']);
  const [failure, setFailure] = useState<Failed>();
  const expiry = useExpiryField('new-share-expiry', 'Expiry');

  const reload = async () => {
    await Promise.all([shares.reload(), audit.reload()]);
  };
  const add = async (event: FormEvent) => {
    event.preventDefault();
    const name = kind === 'partner' ? `service-account-${username.trim()}` : username.trim();
    const result = await api.share(props.albumId, name, scopes, expiry.expiresAt());
    if (result.kind === 'ok') {
      setUsername('');
      setFailure(undefined);
      expiry.reset();
      await reload();
    } else {
      setFailure(result);
    }
  };

  const title = album.state === 'ready' ? album.value.name : 'Album';
  const list = shares.loaded;
  const events = audit.loaded;
  return (
    <>
      <h1>Shares of {title}</h1>
      <p className="actions">
        <Link to={`/albums/${props.albumId}`}>Back to the album</Link>
        <Link to={`/albums/${props.albumId}/links`}>Invitation links</Link>
      </p>
      <form onSubmit={(event) => void add(event)} className="panel" aria-label="Share">
        <h2>Share with someone</h2>
        <fieldset className="scopes">
          <legend>Who</legend>
          <span className="scope">
            <input
              type="radio"
              id="kind-person"
              name="kind"
              checked={kind === 'person'}
              onChange={() => setKind('person')}
            />
            <label htmlFor="kind-person">person</label>
          </span>
          <span className="scope">
            <input
              type="radio"
              id="kind-partner"
              name="kind"
              checked={kind === 'partner'}
              onChange={() => setKind('partner')}
            />
            <label htmlFor="kind-partner">partner application</label>
          </span>
        </fieldset>
        <p>
          <label htmlFor="share-username">{kind === 'person' ? 'Username' : 'Client id'}</label>{' '}
          <input
            id="share-username"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            required
          />
        </p>
        <ScopePicker
          legend="Scopes to share"
          scopes={ALBUM_SCOPES}
          selected={scopes}
          onChange={setScopes}
          idPrefix="new-share"
        />
        {expiry.field}
        <button type="submit" disabled={scopes.length === 0}>
          Share
        </button>
        <Failure result={failure} />
      </form>
      <h2>Who has access</h2>
      {list.state === 'loading' && <Loading what="the shares" />}
      {list.state === 'failed' && <Failure result={list.result} />}
      {list.state === 'ready' &&
        (list.value.length === 0 ? (
          <p className="empty">This album is not shared with anyone.</p>
        ) : (
          <ul className="cards" aria-label="Shares">
            {list.value.map((share) => (
              <ShareRow
                key={`${share.userId}:${share.scopes.join(',')}:${share.expiresAt ?? ''}`}
                albumId={props.albumId}
                share={share}
                onChanged={reload}
              />
            ))}
          </ul>
        ))}
      <LoadMore list={shares} what="shares" />
      <h2>Audit</h2>
      {events.state === 'loading' && <Loading what="the audit trail" />}
      {events.state === 'failed' && <Failure result={events.result} />}
      {events.state === 'ready' &&
        (events.value.length === 0 ? (
          <p className="empty">Nothing has happened to this album's access yet.</p>
        ) : (
          <ol className="timeline" aria-label="Audit trail">
            {events.value.map((event, index) => (
              <li key={`${event.at}-${index}`}>
                <time dateTime={event.at}>{new Date(event.at).toLocaleString()}</time>{' '}
                <strong>{event.actor}</strong> {event.action}
                {event.subject !== event.actor ? ` ${event.subject}` : ''}:{' '}
                {event.scopes.map(scopeName).join(', ')}
                {typeof event.linkId === 'string' ? ' (through an invitation link)' : ''}
              </li>
            ))}
          </ol>
        ))}
      <LoadMore list={audit} what="audit events" />
    </>
  );
}
