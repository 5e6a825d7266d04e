import { useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import { albumScopes, type PermissionRequest } from '../api/contract.ts';
import type { ApiResult, Failed } from '../api/result.ts';
import { useLiveNotifications } from '../notifications/live.tsx';
import { Failure, LoadMore, Loading, ScopePicker, scopeName, usePaged } from '../ui.tsx';
import { Expiry, useExpiryField } from './Expiry.tsx';

function RequestCard(props: { request: PermissionRequest; onAnswered: () => Promise<void> }) {
  const { request } = props;
  const [selected, setSelected] = useState<string[]>(request.pendingScopes);
  const [failure, setFailure] = useState<Failed>();
  const [busy, setBusy] = useState(false);
  const expiry = useExpiryField(`grant-${request.id}-expiry`, 'Expiry of the access');
  const who = request.requester.username + (request.requester.partner ? ' (partner)' : '');

  const answer = async (call: () => Promise<ApiResult<unknown>>) => {
    setBusy(true);
    const result = await call();
    setBusy(false);
    if (result.kind === 'ok') {
      await props.onAnswered();
    } else {
      setFailure(result);
    }
  };
  const all = selected.length === request.pendingScopes.length;
  const message = request.message ?? null;

  return (
    <li className="card">
      <h3 className="card-title">{who}</h3>
      <p>
        asks to {request.pendingScopes.map(scopeName).join(', ')}
        {request.grantedScopes.length > 0 &&
          ` (already holds ${request.grantedScopes.map(scopeName).join(', ')})`}
      </p>
      {message !== null && (
        <blockquote className="message" aria-label={`Message from ${request.requester.username}`}>
          {message}
        </blockquote>
      )}
      <Expiry at={request.expiresAt ?? null} label="The request lapses" />
      <ScopePicker
        legend={`Scopes to grant ${request.requester.username}`}
        scopes={request.pendingScopes}
        selected={selected}
        onChange={setSelected}
        idPrefix={`grant-${request.id}`}
      />
      {expiry.field}
      <div className="actions">
        <button
          type="button"
          disabled={busy || selected.length === 0}
          onClick={() => {
            const expiresAt = expiry.expiresAt();
            void answer(() =>
              api.approve(request.id, {
                ...(all ? {} : { scopes: albumScopes(selected) }),
                ...(expiresAt === undefined ? {} : { expiresAt }),
              }),
            );
          }}
        >
          {all ? 'Approve all' : 'Approve selected'}
          <span className="visually-hidden"> for {request.requester.username}</span>
        </button>
        <button
          type="button"
          className="secondary"
          disabled={busy}
          onClick={() => void answer(() => api.deny(request.id))}
        >
          Deny<span className="visually-hidden"> {request.requester.username}</span>
        </button>
      </div>
      <Failure result={failure} />
    </li>
  );
}

/** The person's own requests and how they stand. */
function Outgoing() {
  const requests = usePaged((cursor) => api.outgoing(cursor), []);
  const { loaded } = requests;
  return (
    <section aria-labelledby="outgoing-title">
      <h2 id="outgoing-title">Your requests</h2>
      {loaded.state === 'loading' && <Loading what="your requests" />}
      {loaded.state === 'failed' && <Failure result={loaded.result} />}
      {loaded.state === 'ready' &&
        (loaded.value.length === 0 ? (
          <p className="empty">You have not asked for access to any album.</p>
        ) : (
          <ul className="timeline" aria-label="Your requests">
            {loaded.value.map((request) => (
              <li key={request.id}>
                <Link to={`/albums/${request.albumId}`}>{request.albumName}</Link>
                {request.ownerUsername === null ? '' : ` (${request.ownerUsername})`}:{' '}
                {request.pendingScopes.length > 0
                  ? `waiting for ${request.pendingScopes.map(scopeName).join(', ')}`
                  : `granted ${request.grantedScopes.map(scopeName).join(', ')}`}
              </li>
            ))}
          </ul>
        ))}
      <LoadMore list={requests} what="of your requests" />
    </section>
  );
}

/**
 * Requests on the person's albums, grouped by album, and their own requests. A new request shows
 * up by itself: the notification stream says when one arrives, and the list loads again.
 */
export function Inbox() {
  const requests = usePaged((cursor) => api.incoming(cursor), []);
  const { loaded, reload } = requests;
  const { latest } = useLiveNotifications();
  /** The notification the list was last loaded again for. */
  const followed = useRef<string>(undefined);
  useEffect(() => {
    // The service keeps a request for the lists before it tells the owner: one load shows it.
    if (latest?.kind !== 'request-received' || followed.current === latest.id) {
      return;
    }
    followed.current = latest.id;
    void reload();
  }, [latest, reload]);

  const byAlbum = new Map<string, PermissionRequest[]>();
  for (const request of loaded.state === 'ready' ? loaded.value : []) {
    byAlbum.set(request.albumId, [...(byAlbum.get(request.albumId) ?? []), request]);
  }
  return (
    <>
      <h1>Inbox</h1>
      <button type="button" className="secondary" onClick={() => void reload()}>
        Refresh
      </button>
      {loaded.state === 'loading' && <Loading what="access requests" />}
      {loaded.state === 'failed' && <Failure result={loaded.result} />}
      {loaded.state === 'ready' &&
        (byAlbum.size === 0 ? (
          <p className="empty">No one is waiting for an answer.</p>
        ) : (
          [...byAlbum.entries()].map(([albumId, list]) => (
            <section key={albumId} className="group">
              <h2>
                <Link to={`/albums/${albumId}`}>{list[0]?.albumName ?? albumId}</Link>
              </h2>
              <ul className="cards">
                {list.map((request) => (
                  <RequestCard key={request.id} request={request} onAnswered={reload} />
                ))}
              </ul>
            </section>
          ))
        ))}
      <LoadMore list={requests} what="requests" />
      <Outgoing />
    </>
  );
}
