import { useEffect, useState } from 'react';
import { api } from '../api/calls.ts';
import { ALBUM_SCOPES, type AlbumScope } from '../api/contract.ts';
import type { Failed } from '../api/result.ts';
import { Failure, Loading, ScopePicker } from '../ui.tsx';

/** The longest message a request carries (the permission service refuses a longer one). */
export const MAX_MESSAGE = 500;

/**
 * Whether the person has a request pending on the album: their outgoing requests, a page at a
 * time, until it turns up.
 */
async function pendingRequest(albumId: string): Promise<boolean> {
  let cursor: string | undefined;
  do {
    const result = await api.outgoing(cursor);
    if (result.kind !== 'ok') {
      return false;
    }
    if (
      result.body.items.some(
        (request) => request.albumId === albumId && request.pendingScopes.length > 0,
      )
    ) {
      return true;
    }
    cursor = result.body.nextCursor ?? undefined;
  } while (cursor !== undefined);
  return false;
}

/**
 * What a person sees of an album not shared with them: their pending request, or the scopes to
 * ask the owner for, with a message (through the permission service, which audits the request).
 */
export function RequestAccess(props: { albumId: string; onRetry: () => Promise<void> }) {
  const [scopes, setScopes] = useState<AlbumScope[]>(['album:view']);
  const [message, setMessage] = useState('');
  const [state, setState] = useState<'checking' | 'ask' | 'pending'>('checking');
  const [failure, setFailure] = useState<Failed>();

  useEffect(() => {
    void pendingRequest(props.albumId).then((pending) => setState(pending ? 'pending' : 'ask'));
  }, [props.albumId]);

  const ask = async () => {
    const words = message.trim();
    const result = await api.requestAccess(props.albumId, scopes, words === '' ? undefined : words);
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
        <form
          className="panel"
          aria-label="Request access"
          onSubmit={(event) => {
            event.preventDefault();
            void ask();
          }}
        >
          <p>Ask the owner for access. They will see your request in their inbox.</p>
          <ScopePicker
            legend="Scopes to ask for"
            scopes={ALBUM_SCOPES}
            selected={scopes}
            onChange={setScopes}
            idPrefix="ask"
          />
          <p>
            <label htmlFor="ask-message">Message to the owner (optional)</label>
            <textarea
              id="ask-message"
              rows={3}
              maxLength={MAX_MESSAGE}
              value={message}
              aria-describedby="ask-message-count"
              onChange={(event) => setMessage(event.target.value)}
            />
            <span id="ask-message-count" className="muted">
              {MAX_MESSAGE - message.length} characters left
            </span>
          </p>
          <button type="submit" disabled={scopes.length === 0}>
            Request access
          </button>
        </form>
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
