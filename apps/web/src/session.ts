import type { User } from 'oidc-client-ts';
import { useEffect, useState } from 'react';
import { api } from './api/calls.ts';
import type { Me } from './api/contract.ts';
import { sentence } from './api/result.ts';
import { completeLogin, resumeSession, userManager } from './auth.ts';

export type Session =
  | { state: 'starting' }
  | { state: 'anonymous'; error?: string }
  | { state: 'signed-in'; user: User; me?: Me; error?: string };

/**
 * The person's login, followed through oidc-client-ts's events, and who the album service says
 * they are (`GET /me`). On `/callback` it completes the login first: `returnTo` is the path to go
 * back to once that is done (the start page when it failed), and none until then. Elsewhere, a
 * page that starts with no tokens in memory resumes Keycloak's session when this browser signed
 * in before (auth.ts `resumeSession`): a reload keeps the person signed in without a click.
 */
export function useSession(): { session: Session; returnTo: string | undefined } {
  const [session, setSession] = useState<Session>({ state: 'starting' });
  const [returnTo, setReturnTo] = useState<string>();

  useEffect(() => {
    const start = async () => {
      if (window.location.pathname === '/callback') {
        try {
          const completed = await completeLogin();
          setReturnTo(completed.returnTo);
          setSession(
            completed.kind === 'signed-in'
              ? { state: 'signed-in', user: completed.user }
              : { state: 'anonymous' },
          );
        } catch (error) {
          setReturnTo('/');
          setSession({
            state: 'anonymous',
            error: error instanceof Error ? error.message : 'The login failed.',
          });
        }
        return;
      }
      const user = await userManager.getUser();
      if (user !== null) {
        setSession({ state: 'signed-in', user });
        return;
      }
      const { pathname, search, hash } = window.location;
      const resuming = await resumeSession(pathname + search + hash).catch(() => false);
      if (!resuming) {
        setSession({ state: 'anonymous' });
      }
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

  return { session, returnTo };
}
