import { useEffect, useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { api } from '../api/calls.ts';
import type { Failed } from '../api/result.ts';
import { Failure, Loading } from '../ui.tsx';

/** An invitation's secret as the links carry it: 32 bytes, base64url. */
const TOKEN = /^[A-Za-z0-9_-]{20,200}$/;

/**
 * The landing page of an invitation link, `/invite#<secret>`. The secret is in the fragment, which
 * the browser sends to no server (nor in a Referer); it is taken out of the address bar at once,
 * then sent in the body of `POST /links/redeem`, and the person lands in the album.
 */
export function Invite() {
  const navigate = useNavigate();
  const [failure, setFailure] = useState<Failed>();
  const [missing, setMissing] = useState(false);
  const started = useRef(false);

  useEffect(() => {
    // Once: a redemption is not to be sent twice (React runs effects twice in development).
    if (started.current) {
      return;
    }
    started.current = true;
    const token = decodeURIComponent(window.location.hash.replace(/^#/, ''));
    // Out of the address bar and the history entry: the secret is not left behind.
    window.history.replaceState(window.history.state, '', '/invite');
    if (!TOKEN.test(token)) {
      setMissing(true);
      return;
    }
    void api.redeem(token).then((result) => {
      if (result.kind === 'ok') {
        void navigate(`/albums/${result.body.albumId}`, { replace: true });
      } else {
        setFailure(result);
      }
    });
  }, [navigate]);

  return (
    <>
      <h1>Invitation</h1>
      {missing ? (
        <p role="alert" className="error">
          This address holds no invitation: open the whole link you were sent.
        </p>
      ) : failure === undefined ? (
        <Loading what="the invitation" />
      ) : (
        <>
          <Failure result={failure} />
          <p>
            The link may have expired, been used up or deleted: ask the person who sent it for a new
            one. <Link to="/">Go to my albums</Link>.
          </p>
        </>
      )}
    </>
  );
}
