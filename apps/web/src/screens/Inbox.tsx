import { useState } from 'react';
import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import { albumScopes, type PermissionRequest } from '../api/contract.ts';
import type { ApiResult, Failed } from '../api/result.ts';
import { Failure, Loading, ScopePicker, scopeName, useLoad } from '../ui.tsx';

function RequestCard(props: { request: PermissionRequest; onAnswered: () => Promise<void> }) {
  const { request } = props;
  const [selected, setSelected] = useState<string[]>(request.pendingScopes);
  const [failure, setFailure] = useState<Failed>();
  const [busy, setBusy] = useState(false);
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

  return (
    <li className="card">
      <h3 className="card-title">{who}</h3>
      <p>
        asks to {request.pendingScopes.map(scopeName).join(', ')}
        {request.grantedScopes.length > 0 &&
          ` (already holds ${request.grantedScopes.map(scopeName).join(', ')})`}
      </p>
      <ScopePicker
        legend={`Scopes to grant ${request.requester.username}`}
        scopes={request.pendingScopes}
        selected={selected}
        onChange={setSelected}
        idPrefix={`grant-${request.id}`}
      />
      <div className="actions">
        <button
          type="button"
          disabled={busy || selected.length === 0}
          onClick={() =>
            void answer(() => api.approve(request.id, all ? undefined : albumScopes(selected)))
          }
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

export function Inbox() {
  const [requests, reload] = useLoad(() => api.incoming(), []);
  if (requests.state === 'loading') {
    return (
      <>
        <h1>Inbox</h1>
        <Loading what="access requests" />
      </>
    );
  }
  if (requests.state === 'failed') {
    return (
      <>
        <h1>Inbox</h1>
        <Failure result={requests.result} />
      </>
    );
  }
  const byAlbum = new Map<string, PermissionRequest[]>();
  for (const request of requests.value) {
    byAlbum.set(request.albumId, [...(byAlbum.get(request.albumId) ?? []), request]);
  }
  return (
    <>
      <h1>Inbox</h1>
      <button type="button" className="secondary" onClick={() => void reload()}>
        Refresh
      </button>
      {byAlbum.size === 0 ? (
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
      )}
    </>
  );
}
