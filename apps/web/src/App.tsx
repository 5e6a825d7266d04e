import { Navigate, NavLink, useLocation } from 'react-router';
import { login, logout } from './auth.ts';
import { NotificationsProvider, useLiveNotifications } from './notifications/live.tsx';
import { Pages } from './routes.tsx';
import { type Session, useSession } from './session.ts';
import { ErrorMessage, Loading } from './ui.tsx';

function Starting() {
  return (
    <main id="main">
      <Loading what="Photoz" />
    </main>
  );
}

function LoginPage(props: { error: string | undefined }) {
  const { pathname, search, hash } = useLocation();
  return (
    <main id="main" className="login">
      <h1>Photoz</h1>
      <p>
        {pathname === '/invite'
          ? 'You were invited to an album. Log in to accept the invitation.'
          : pathname.startsWith('/albums/')
            ? 'Someone sent you a link to an album. Log in to open it.'
            : 'Your photo albums, shared only with the people you choose.'}
      </p>
      {props.error !== undefined && <ErrorMessage>{props.error}</ErrorMessage>}
      {/* The fragment (an invitation's secret) stays in this tab: see auth.ts `login`. */}
      <button type="button" onClick={() => void login(pathname + search + hash)}>
        Log in
      </button>
    </main>
  );
}

/** The link to the notifications, with the live unread count as a badge. */
function Bell() {
  const { unread, latest } = useLiveNotifications();
  const count = unread ?? 0;
  return (
    <>
      {/* Said by a screen reader when a notification arrives; the badge only shows it. */}
      <span role="status" className="visually-hidden">
        {latest === undefined
          ? ''
          : `New notification: ${latest.actorUsername}, ${latest.albumName}`}
      </span>
      <NavLink to="/notifications" end className="bell">
        <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22" focusable="false">
          <path
            fill="currentColor"
            d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"
          />
        </svg>
        <span className="visually-hidden">Notifications</span>
        {count > 0 && (
          <span className="badge">
            {count > 99 ? '99+' : count}
            <span className="visually-hidden"> unread</span>
          </span>
        )}
      </NavLink>
    </>
  );
}

function SignedIn(props: { session: Extract<Session, { state: 'signed-in' }> }) {
  const { me, user, error } = props.session;
  const nav: [string, string][] = [
    ['/', 'My albums'],
    ['/shared', 'Shared with me'],
    ['/inbox', 'Inbox'],
    ...(me?.realmRoles.includes('admin') === true
      ? ([['/admin', 'Admin']] satisfies [string, string][])
      : []),
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
                {/* `end`: current on its own page only; NavLink marks it aria-current="page". */}
                <NavLink to={to} end>
                  {label}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <span className="who">
          <Bell />
          <span className="username">{me?.username ?? user.profile.preferred_username ?? ''}</span>
          <button type="button" className="secondary" onClick={() => void logout()}>
            Log out
          </button>
        </span>
      </header>
      <main id="main">
        {error !== undefined && <ErrorMessage>{error}</ErrorMessage>}
        {me === undefined ? (
          error === undefined && <Loading what="your account" />
        ) : (
          <Pages me={me} />
        )}
      </main>
    </>
  );
}

export function App() {
  const { pathname } = useLocation();
  const { session, returnTo } = useSession();
  if (pathname === '/callback') {
    // Back where the login started once it completed (the start page when it failed).
    return returnTo === undefined ? <Starting /> : <Navigate to={returnTo} replace />;
  }
  if (session.state === 'starting') {
    return <Starting />;
  }
  if (session.state === 'anonymous') {
    return <LoginPage error={session.error} />;
  }
  return (
    <NotificationsProvider>
      <SignedIn session={session} />
    </NotificationsProvider>
  );
}
