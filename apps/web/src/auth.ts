import {
  ErrorResponse,
  InMemoryWebStorage,
  type User,
  UserManager,
  WebStorageStateStore,
} from 'oidc-client-ts';
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

/**
 * A hint, not a secret: "this browser signed in to Photoz and has not logged out since". With it,
 * a page that starts with no tokens in memory (a reload, a new tab, a link opened) asks Keycloak
 * with `prompt=none` whether its session is still alive, and gets tokens back without a click;
 * without it, the page shows "Log in". It holds no token and grants nothing: the proof is
 * Keycloak's own session cookie, which the top-level redirect carries to Keycloak only.
 */
const SIGNED_IN_HINT = 'photoz.signed-in';

function hinted(): boolean {
  try {
    return window.localStorage.getItem(SIGNED_IN_HINT) === '1';
  } catch {
    return false;
  }
}

function hint(signedIn: boolean): void {
  try {
    if (signedIn) {
      window.localStorage.setItem(SIGNED_IN_HINT, '1');
    } else {
      window.localStorage.removeItem(SIGNED_IN_HINT);
    }
  } catch {
    // Storage refused (a private window's quota): the session just does not survive a reload.
  }
}

/** Where the app was when the login started, restored after the callback. */
interface LoginState {
  readonly returnTo: string;
  /** A `prompt=none` attempt: its failure means "not signed in", not an error to show. */
  readonly silent?: boolean;
}

/**
 * Starts a login that comes back to `returnTo` (a path of this app, with its query and fragment:
 * the fragment, e.g. an invitation's secret, is kept in the login's state in this tab's session
 * storage and never sent to Keycloak).
 */
export function login(returnTo: string): Promise<void> {
  const state: LoginState = { returnTo };
  return userManager.signinRedirect({ state });
}

let resuming: Promise<boolean> | undefined;

/**
 * Resumes Keycloak's session without a click when this browser signed in before: a top-level
 * redirect with `prompt=none` (no iframe, so neither the app's nor Keycloak's `frame-ancestors`
 * has to allow one). Answers false, without leaving the page, when there is nothing to resume.
 */
export function resumeSession(returnTo: string): Promise<boolean> {
  // One redirect, however often the page asks (React runs effects twice in development).
  resuming ??= hinted()
    ? userManager
        .signinRedirect({
          state: { returnTo, silent: true } satisfies LoginState,
          prompt: 'none',
          redirectMethod: 'replace',
        })
        .then(() => true)
    : Promise.resolve(false);
  return resuming;
}

/** A path of this app only: `//host` would leave it. */
function ownPath(value: unknown): string {
  return typeof value === 'string' && value.startsWith('/') && !value.startsWith('//')
    ? value
    : '/';
}

export type LoginOutcome =
  | { readonly kind: 'signed-in'; readonly user: User; readonly returnTo: string }
  /** A silent resume found no session at Keycloak: show "Log in" where the person was going. */
  | { readonly kind: 'anonymous'; readonly returnTo: string };

let callback: Promise<LoginOutcome> | undefined;

/**
 * Completes a login on `/callback`; answers the path to go back to. An authorization code can be
 * redeemed once, so every caller (React runs effects twice in development) shares one exchange.
 */
export function completeLogin(): Promise<LoginOutcome> {
  callback ??= redeemCode();
  return callback;
}

/** Keycloak's answers to `prompt=none` when a person would have to act. */
const NEEDS_A_PERSON = new Set(['login_required', 'interaction_required', 'consent_required']);

async function redeemCode(): Promise<LoginOutcome> {
  let user: User | undefined;
  try {
    user = await userManager.signinCallback();
  } catch (error) {
    const state = (error instanceof ErrorResponse ? error.state : undefined) as
      Partial<LoginState> | undefined;
    if (state?.silent === true) {
      // Whatever went wrong, the next page does not try again by itself.
      hint(false);
      if (error instanceof ErrorResponse && NEEDS_A_PERSON.has(error.error ?? '')) {
        return { kind: 'anonymous', returnTo: ownPath(state.returnTo) };
      }
    }
    throw error;
  }
  if (user === undefined) {
    throw new Error('The login did not complete.');
  }
  hint(true);
  const state = user.state as Partial<LoginState> | undefined;
  return { kind: 'signed-in', user, returnTo: ownPath(state?.returnTo) };
}

/** Logs out at Keycloak; the hint goes first, so that no later page tries to resume. */
export async function logout(): Promise<void> {
  hint(false);
  await userManager.signoutRedirect();
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
