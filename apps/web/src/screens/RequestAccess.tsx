import { useEffect, useState } from 'react';
import { api } from '../api/calls.ts';
import { ALBUM_SCOPES, type AlbumScope } from '../api/contract.ts';
import type { Failed } from '../api/result.ts';
import { Failure, Loading, ScopePicker } from '../ui.tsx';

/**
 * What a person sees of an album not shared with them: their pending request, or the scopes to
 * ask the owner for (through the permission service, which audits the request).
 */
export function RequestAccess(props: { albumId: string; onRetry: () => Promise<void> }) {
  const [scopes, setScopes] = useState<AlbumScope[]>(['album:view']);
  const [state, setState] = useState<'checking' | 'ask' | 'pending'>('checking');
  const [failure, setFailure] = useState<Failed>();

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
