import { InMemoryWebStorage, type User, UserManager, WebStorageStateStore } from 'oidc-client-ts';
import { config, issuer } from './config.ts';

/**
 * Login through Keycloak with the public client `photoz-web` (authorization code + PKCE). Tokens
 * stay in memory; only the short-lived state of a redirect in flight is kept in session storage.
 */
export const userManager = new UserManager({
  authority: issuer,
  client_id: config.clientId,
  redirect_uri: `${window.location.origin}/callback`,
  post_logout_redirect_uri: `${window.location.origin}/`,
  response_type: 'code',
  scope: 'openid profile',
  userStore: new WebStorageStateStore({ store: new InMemoryWebStorage() }),
  stateStore: new WebStorageStateStore({ store: window.sessionStorage }),
  automaticSilentRenew: true,
});

/** Where the app was when the login started, restored after the callback. */
interface LoginState {
  readonly returnTo: string;
}

export function login(returnTo: string): Promise<void> {
  const state: LoginState = { returnTo };
  return userManager.signinRedirect({ state });
}

let callback: Promise<{ user: User; returnTo: string }> | undefined;

/**
 * Completes a login on `/callback`; answers the path to go back to. An authorization code can be
 * redeemed once, so every caller (React runs effects twice in development) shares one exchange.
 */
export function completeLogin(): Promise<{ user: User; returnTo: string }> {
  callback ??= redeemCode();
  return callback;
}

async function redeemCode(): Promise<{ user: User; returnTo: string }> {
  const user = await userManager.signinCallback();
  if (user === undefined) {
    throw new Error('The login did not complete.');
  }
  const state = user.state as Partial<LoginState> | undefined;
  const returnTo =
    // A path of this app only: `//host` would leave it.
    typeof state?.returnTo === 'string' &&
    state.returnTo.startsWith('/') &&
    !state.returnTo.startsWith('//')
      ? state.returnTo
      : '/';
  return { user, returnTo };
}

export function logout(): Promise<void> {
  return userManager.signoutRedirect();
}

/** The current access token, renewed when it is about to expire. */
export async function accessToken(): Promise<string> {
  let user = await userManager.getUser();
  if (user !== null && (user.expires_in ?? 0) < 10) {
    user = await userManager.signinSilent().catch(() => null);
  }
  if (user === null) {
    throw new Error('You are not logged in.');
  }
  return user.access_token;
}
