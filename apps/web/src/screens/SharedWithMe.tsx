import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import { Failure, Loading, scopeName, useLoad } from '../ui.tsx';

export function SharedWithMe() {
  const [shared] = useLoad(() => api.sharedWithMe(), []);
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
              </li>
            ))}
          </ul>
        ))}
    </>
  );
}
