import { Link, Route, Routes, useLocation, useParams } from 'react-router';
import type { Me } from './api/contract.ts';
import { Admin } from './screens/Admin.tsx';
import { AlbumPage } from './screens/AlbumPage.tsx';
import { Inbox } from './screens/Inbox.tsx';
import { Invite } from './screens/Invite.tsx';
import { Links } from './screens/Links.tsx';
import { MyAlbums } from './screens/MyAlbums.tsx';
import { Notifications } from './screens/Notifications.tsx';
import { SharedWithMe } from './screens/SharedWithMe.tsx';
import { Shares } from './screens/Shares.tsx';
import { ErrorMessage } from './ui.tsx';

/** An album id as the services make them (a UUID); any other segment is a page that is not. */
const ALBUM_ID = /^[0-9a-fA-F-]{36}$/;

function NotFound() {
  const { pathname } = useLocation();
  return (
    <>
      <h1>Not found</h1>
      <p>
        There is no page at {pathname}. <Link to="/">Go to my albums</Link>.
      </p>
    </>
  );
}

/** The album of `/albums/:albumId…`, when the segment is an album id. */
function useAlbumId(): string | undefined {
  const { albumId } = useParams();
  return albumId !== undefined && ALBUM_ID.test(albumId) ? albumId : undefined;
}

function AlbumRoute(props: { me: Me }) {
  const albumId = useAlbumId();
  // A key per album: another album's page starts afresh rather than showing the last one's state.
  return albumId === undefined ? (
    <NotFound />
  ) : (
    <AlbumPage key={albumId} albumId={albumId} me={props.me} />
  );
}

function SharesRoute() {
  const albumId = useAlbumId();
  return albumId === undefined ? <NotFound /> : <Shares key={albumId} albumId={albumId} />;
}

function LinksRoute() {
  const albumId = useAlbumId();
  return albumId === undefined ? <NotFound /> : <Links key={albumId} albumId={albumId} />;
}

function AdminRoute(props: { me: Me }) {
  return props.me.realmRoles.includes('admin') ? (
    <Admin />
  ) : (
    <>
      <h1>Administration</h1>
      <ErrorMessage>This page is for administrators only.</ErrorMessage>
    </>
  );
}

/**
 * The app's pages by path (react-router, declarative mode). Every path is a link one can share:
 * the servers answer index.html for any path (vite's dev server and preview, nginx `try_files`).
 */
export function Pages(props: { me: Me }) {
  return (
    <Routes>
      <Route path="/" element={<MyAlbums />} />
      <Route path="/shared" element={<SharedWithMe />} />
      <Route path="/inbox" element={<Inbox />} />
      <Route path="/notifications" element={<Notifications />} />
      <Route path="/invite" element={<Invite />} />
      <Route path="/admin" element={<AdminRoute me={props.me} />} />
      <Route path="/albums/:albumId" element={<AlbumRoute me={props.me} />} />
      <Route path="/albums/:albumId/shares" element={<SharesRoute />} />
      <Route path="/albums/:albumId/links" element={<LinksRoute />} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}
