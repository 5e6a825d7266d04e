import { Link } from 'react-router';
import { api } from '../api/calls.ts';
import { Failure, LoadMore, Loading, useLoad, usePaged } from '../ui.tsx';

export function Admin() {
  const albums = usePaged((cursor) => api.adminAlbums(cursor), []);
  const { loaded } = albums;
  const [outbox, reloadOutbox] = useLoad(() => api.outbox(), []);
  return (
    <>
      <h1>Administration</h1>
      <h2>Registration outbox</h2>
      {outbox.state === 'loading' && <Loading what="the outbox" />}
      {outbox.state === 'failed' && <Failure result={outbox.result} />}
      {outbox.state === 'ready' && (
        <>
          <dl className="stats">
            <div>
              <dt>pending</dt>
              <dd>{outbox.value.pending}</dd>
            </div>
            <div>
              <dt>due</dt>
              <dd>{outbox.value.due}</dd>
            </div>
            <div>
              <dt>blocked</dt>
              <dd>{outbox.value.blocked}</dd>
            </div>
            <div>
              <dt>parked</dt>
              <dd>{outbox.value.parked}</dd>
            </div>
            <div>
              <dt>oldest pending</dt>
              <dd>
                {typeof outbox.value.oldestPendingAgeSeconds === 'number'
                  ? `${outbox.value.oldestPendingAgeSeconds} s`
                  : '—'}
              </dd>
            </div>
          </dl>
          <button type="button" className="secondary" onClick={() => void reloadOutbox()}>
            Refresh the outbox
          </button>
          {outbox.value.parkedEvents.length === 0 ? (
            <p className="empty">No parked events.</p>
          ) : (
            <div className="scroll">
              <table>
                <caption>Parked events</caption>
                <thead>
                  <tr>
                    <th scope="col">entity</th>
                    <th scope="col">operation</th>
                    <th scope="col">attempts</th>
                    <th scope="col">last error</th>
                  </tr>
                </thead>
                <tbody>
                  {outbox.value.parkedEvents.map((event) => (
                    <tr key={event.id}>
                      <td>
                        {event.entityType} {event.entityId}
                      </td>
                      <td>{event.operation}</td>
                      <td>{event.attempts}</td>
                      <td>{event.lastError ?? ''}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      )}
      <h2>All albums</h2>
      {loaded.state === 'loading' && <Loading what="all albums" />}
      {loaded.state === 'failed' && <Failure result={loaded.result} />}
      {loaded.state === 'ready' &&
        (loaded.value.length === 0 ? (
          <p className="empty">There are no albums.</p>
        ) : (
          <div className="scroll">
            <table>
              <caption>Every owner's albums, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">album</th>
                  <th scope="col">owner</th>
                  <th scope="col">created</th>
                  <th scope="col">registered</th>
                </tr>
              </thead>
              <tbody>
                {loaded.value.map((album) => (
                  <tr key={album.id}>
                    <td>
                      <Link to={`/albums/${album.id}`}>{album.name}</Link>
                    </td>
                    <td>{album.ownerUsername}</td>
                    <td>{new Date(album.createdAt).toLocaleString()}</td>
                    <td>{typeof album.keycloakResourceId === 'string' ? 'yes' : 'not yet'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ))}
      <LoadMore list={albums} what="albums" />
    </>
  );
}
