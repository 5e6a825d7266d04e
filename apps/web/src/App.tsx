import type { User } from 'oidc-client-ts';
import { useEffect, useState } from 'react';
import { completeLogin, login, logout, userManager } from './auth.ts';
import { api, type Me, sentence } from './photoz.ts';
import { Link, navigate, usePath } from './router.tsx';
import { Admin } from './screens/Admin.tsx';
import { AlbumPage } from './screens/AlbumPage.tsx';
import { Inbox } from './screens/Inbox.tsx';
import { MyAlbums } from './screens/MyAlbums.tsx';
import { SharedWithMe } from './screens/SharedWithMe.tsx';
import { Shares } from './screens/Shares.tsx';
import { ErrorMessage, Loading } from './ui.tsx';

type Session =
  | { state: 'starting' }
  | { state: 'anonymous'; error?: string }
  | { state: 'signed-in'; user: User; me?: Me; error?: string };

const UUID = '[0-9a-fA-F-]{36}';

function Screen(props: { path: string; me: Me }) {
  const { path, me } = props;
  const shares = new RegExp(`^/albums/(${UUID})/shares$`).exec(path);
  if (shares?.[1] !== undefined) {
    return <Shares albumId={shares[1]} />;
  }
  const album = new RegExp(`^/albums/(${UUID})$`).exec(path);
  if (album?.[1] !== undefined) {
    return <AlbumPage key={album[1]} albumId={album[1]} me={me} />;
  }
  switch (path) {
    case '/':
      return <MyAlbums />;
    case '/shared':
      return <SharedWithMe />;
    case '/inbox':
      return <Inbox />;
    case '/admin':
      return me.realmRoles.includes('admin') ? (
        <Admin />
      ) : (
        <>
          <h1>Administration</h1>
          <ErrorMessage>This page is for administrators only.</ErrorMessage>
        </>
      );
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            There is no page at {path}. <Link to="/">Go to my albums</Link>.
          </p>
        </>
      );
  }
}

export function App() {
  const path = usePath();
  const [session, setSession] = useState<Session>({ state: 'starting' });

  useEffect(() => {
    const start = async () => {
      if (window.location.pathname === '/callback') {
        try {
          const { user, returnTo } = await completeLogin();
          navigate(returnTo, true);
          setSession({ state: 'signed-in', user });
        } catch (error) {
          navigate('/', true);
          setSession({
            state: 'anonymous',
            error: error instanceof Error ? error.message : 'The login failed.',
          });
        }
        return;
      }
      const user = await userManager.getUser();
      setSession(user === null ? { state: 'anonymous' } : { state: 'signed-in', user });
    };
    void start();
    const loaded = (user: User) =>
      setSession((current) =>
        current.state === 'signed-in' ? { ...current, user } : { state: 'signed-in', user },
      );
    const unloaded = () => setSession({ state: 'anonymous' });
    userManager.events.addUserLoaded(loaded);
    userManager.events.addUserUnloaded(unloaded);
    return () => {
      userManager.events.removeUserLoaded(loaded);
      userManager.events.removeUserUnloaded(unloaded);
    };
  }, []);

  const signedIn = session.state === 'signed-in';
  const needsMe = signedIn && session.me === undefined && session.error === undefined;
  useEffect(() => {
    if (!needsMe) {
      return;
    }
    void api
      .me()
      .then((result) =>
        setSession((current) =>
          current.state !== 'signed-in'
            ? current
            : result.kind === 'ok'
              ? { ...current, me: result.body }
              : { ...current, error: sentence(result) },
        ),
      );
  }, [needsMe]);

  if (session.state === 'starting' || path === '/callback') {
    return (
      <main id="main">
        <Loading what="Photoz" />
      </main>
    );
  }
  if (session.state === 'anonymous') {
    const albumLink = path.startsWith('/albums/');
    return (
      <main id="main" className="login">
        <h1>Photoz</h1>
        <p>
          {albumLink
            ? 'Someone sent you a link to an album. Log in to open it.'
            : 'Your photo albums, shared only with the people you choose.'}
        </p>
        {session.error !== undefined && <ErrorMessage>{session.error}</ErrorMessage>}
        <button type="button" onClick={() => void login(path + window.location.search)}>
          Log in
        </button>
      </main>
    );
  }
  const { me } = session;
  const isAdmin = me?.realmRoles.includes('admin') === true;
  const nav: [string, string][] = [
    ['/', 'My albums'],
    ['/shared', 'Shared with me'],
    ['/inbox', 'Inbox'],
    ...(isAdmin ? ([['/admin', 'Admin']] as [string, string][]) : []),
  ];
  return (
    <>
      <a className="skip" href="#main">
        Skip to the content
      </a>
      <header className="top">
        <span className="brand">Photoz</span>
        <nav aria-label="Main">
          <ul>
            {nav.map(([to, label]) => (
              <li key={to}>
                <Link to={to} current={path === to}>
                  {label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          {me?.username ?? session.user.profile.preferred_username ?? ''}
          <button type="button" className="secondary" onClick={() => void logout()}>
            Log out
          </button>
        </span>
      </header>
      <main id="main">
        {session.error !== undefined && <ErrorMessage>{session.error}</ErrorMessage>}
        {me === undefined ? (
          session.error === undefined && <Loading what="your account" />
        ) : (
          <Screen path={path} me={me} />
        )}
      </main>
    </>
  );
}
