import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import { Failure, LoadMore, Loading, scopeName, usePaged } from '../ui.tsx';
import { Expiry } from './Expiry.tsx';

export function SharedWithMe() {
  const list = usePaged((cursor) => api.sharedWithMe(cursor), []);
  const shared = list.loaded;
  return (
    <>
      <h1>Shared with me</h1>
      {shared.state === 'loading' && <Loading what="albums shared with you" />}
      {shared.state === 'failed' && <Failure result={shared.result} />}
      {shared.state === 'ready' &&
        (shared.value.length === 0 ? (
          <p className="empty">No one has shared an album with you yet.</p>
        ) : (
          <ul className="cards" aria-label="Albums shared with you">
            {shared.value.map((album) => (
              <li key={album.albumId} className="card">
                <h2 className="card-title">
                  <Link to={`/albums/${album.albumId}`}>{album.albumName}</Link>
                </h2>
                <p className="muted">
                  from {album.ownerUsername}; you may {album.scopes.map(scopeName).join(', ')}
                </p>
                <Expiry at={album.expiresAt} />
              </li>
            ))}
          </ul>
        ))}
      <LoadMore list={list} what="shared albums" />
    </>
  );
}
