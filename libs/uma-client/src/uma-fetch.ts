import { findUmaChallenge, bearerError } from './www-authenticate.ts';
import { ticketPermissions } from './jwt.ts';
import type { RptExchange } from './rpt-exchange.ts';
import type { HeldRpt, RptStore } from './rpt-store.ts';
import type { FetchLike } from './types.ts';

/** What `fetchWithUma` works with: where credentials may go, and where they come from. */
export interface UmaFetchContext {
  /** The one authorization server whose challenges are answered. */
  readonly issuer: string;
  /** The origins that receive the access token and RPTs. */
  readonly apiOrigins: ReadonlySet<string>;
  readonly fetch: FetchLike;
  readonly rpts: RptStore;
  readonly exchange: RptExchange;
  /** The caller's access token; `renew`: the API refused the last one. */
  accessToken(renew: boolean): Promise<string>;
}

/** How a call ended: an answer of the API, or what the UMA grant said instead. */
export type UmaFetchOutcome =
  | { readonly kind: 'response'; readonly response: Response }
  | { readonly kind: 'access-requested'; readonly resourceId?: string }
  | { readonly kind: 'no-access'; readonly resourceId?: string }
  /** The API named another authorization server than the issuer; nothing was sent to it. */
  | { readonly kind: 'untrusted'; readonly asUri: string; readonly response: Response };

type Sent = { readonly kind: 'access' } | { readonly kind: 'rpt'; readonly rpt: HeldRpt };

const ACCESS: Sent = { kind: 'access' };

/**
 * Sends a call to the API with the RPT held for the URL's resource, else the access token, and
 * answers what comes back: a UMA challenge naming the issuer with an RPT it holds that covers the
 * ticket, else with one traded for the ticket (once); a Bearer `invalid_token` by dropping the RPT
 * it sent, or renewing the access token, once each. A URL outside the API origins is fetched as
 * given, with no credential, and its challenges are not answered.
 */
export async function fetchWithUma(
  context: UmaFetchContext,
  target: URL,
  init: RequestInit,
  requestAccess: boolean,
): Promise<UmaFetchOutcome> {
  if (!context.apiOrigins.has(target.origin)) {
    return { kind: 'response', response: await context.fetch(target.href, init) };
  }
  const { rpts } = context;
  const held = rpts.forUrl(target);
  let sent: Sent = held === undefined ? ACCESS : { kind: 'rpt', rpt: held };
  let response = await send(context, target, init, sent, false);
  let renewedAccess = false;
  let droppedRpt = false;
  let exchanged = false;
  let usedHeld = false;

  for (;;) {
    if (response.status !== 401) {
      return { kind: 'response', response };
    }
    const header = response.headers.get('www-authenticate');
    const challenge = findUmaChallenge(header);
    if (challenge === undefined) {
      if (bearerError(header)?.error !== 'invalid_token') {
        return { kind: 'response', response };
      }
      if (sent.kind === 'rpt' && !droppedRpt) {
        // An expired (or misplaced) RPT: dropped, and the call sent with the access token.
        droppedRpt = true;
        rpts.drop(sent.rpt);
        sent = ACCESS;
        response = await send(context, target, init, sent, false);
        continue;
      }
      if (sent.kind === 'access' && !renewedAccess) {
        renewedAccess = true;
        response = await send(context, target, init, sent, true);
        continue;
      }
      return { kind: 'response', response };
    }

    await discard(response);
    if (challenge.asUri !== context.issuer) {
      return { kind: 'untrusted', asUri: challenge.asUri, response };
    }
    const [wanted] = ticketPermissions(challenge.ticket);
    if (exchanged) {
      // A fresh RPT did not open it: the API no longer counts what the RPT lists (e.g. revoked).
      return { kind: 'no-access', ...optionalResource(wanted?.rsid) };
    }
    // Already holding an RPT that lists the resource and scopes: use it without asking the server.
    const covering = wanted === undefined ? undefined : rpts.covering(wanted);
    if (wanted !== undefined && covering !== undefined && !usedHeld && !isSent(sent, covering)) {
      usedHeld = true;
      rpts.remember(target, wanted.rsid);
      sent = { kind: 'rpt', rpt: covering };
      response = await send(context, target, init, sent, false);
      continue;
    }

    exchanged = true;
    const outcome = await context.exchange.exchange(challenge.ticket, requestAccess);
    if (outcome.kind !== 'rpt') {
      return { kind: outcome.kind, ...optionalResource(wanted?.rsid) };
    }
    const resourceId = wanted?.rsid ?? outcome.newResources[0];
    if (resourceId !== undefined && outcome.rpt.permissions.has(resourceId)) {
      rpts.remember(target, resourceId);
    }
    sent = { kind: 'rpt', rpt: outcome.rpt };
    response = await send(context, target, init, sent, false);
  }
}

/**
 * The `Authorization` value `fetchWithUma` would send first to the URL: `Bearer <RPT>` when it
 * holds an unexpired RPT for the URL's resource, else `Bearer <access token>`. Throws for a URL
 * outside the API origins.
 */
export async function authorizationFor(context: UmaFetchContext, target: URL): Promise<string> {
  if (!context.apiOrigins.has(target.origin)) {
    throw new Error(
      `UmaClient sends no credentials to ${target.origin}: not one of its API origins`,
    );
  }
  const held = context.rpts.forUrl(target);
  return `Bearer ${held === undefined ? await context.accessToken(false) : held.token}`;
}

async function send(
  context: UmaFetchContext,
  target: URL,
  init: RequestInit,
  sent: Sent,
  renewAccess: boolean,
): Promise<Response> {
  const token = sent.kind === 'rpt' ? sent.rpt.token : await context.accessToken(renewAccess);
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${token}`);
  return context.fetch(target.href, { ...init, headers });
}

function isSent(sent: Sent, rpt: HeldRpt): boolean {
  return sent.kind === 'rpt' && sent.rpt === rpt;
}

function optionalResource(resourceId: string | undefined): { resourceId?: string } {
  return resourceId === undefined ? {} : { resourceId };
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // already consumed or closed
  }
}
