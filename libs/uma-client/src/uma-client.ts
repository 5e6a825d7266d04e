import { expiresAtMs, jwtPayload, rptPermissions, ticketPermissions } from './jwt.ts';
import type {
  FetchLike,
  PartnerCredentials,
  ProblemDetails,
  UmaClientOptions,
  UmaRequestInit,
  UmaResult,
} from './types.ts';
import { bearerError, findUmaChallenge, type UmaChallenge } from './www-authenticate.ts';

const UMA_GRANT = 'urn:ietf:params:oauth:grant-type:uma-ticket';

/**
 * The problem type of a UMA challenge that names another authorization server than the configured
 * issuer: the client answered it with nothing (no ticket, token or secret went there).
 */
export const UNTRUSTED_AUTHORIZATION_SERVER = 'urn:photoz:problem:untrusted-authorization-server';

/** An answer of the authorization server that ends a call (turned into a `problem` result). */
class AuthorizationServerProblem extends Error {
  constructor(
    readonly status: number,
    readonly problem: ProblemDetails,
    readonly response: Response,
  ) {
    super(`authorization server answered ${status}`);
  }
}

interface HeldRpt {
  readonly token: string;
  readonly expiresAt: number | undefined;
  /** resource id → scopes the RPT lists for it */
  readonly permissions: ReadonlyMap<string, readonly string[]>;
}

interface PartnerToken {
  readonly token: string;
  readonly renewAt: number;
}

type Sent = { readonly kind: 'access' } | { readonly kind: 'rpt'; readonly rpt: HeldRpt };

/**
 * A UMA 2.0 client on `fetch`: answers the API's UMA challenges by trading the ticket for an RPT
 * at the configured issuer (a challenge naming another server is not answered), keeps one RPT per
 * resource (upgrading it rather than replacing it), and sends an RPT only to URLs of a resource it
 * holds. Credentials go only where they are configured to: the access token and RPTs to the API
 * origins, the client secret, tickets and RPTs to be upgraded to the issuer's token endpoint.
 */
export class UmaClient {
  private readonly fetchFn: FetchLike;
  private readonly now: () => number;
  private readonly skewMs: number;
  /** The origins that receive the access token and RPTs. */
  private readonly apiOrigins: ReadonlySet<string>;
  /** kind of metadata → the issuer's discovered token endpoint */
  private readonly tokenEndpoints = new Map<string, Promise<string>>();
  /** origin + path of a URL that was challenged → the resource the challenge named */
  private readonly resourceByUrl = new Map<string, string>();
  /** resource id → the RPT that holds it */
  private readonly rptByResource = new Map<string, HeldRpt>();
  /** the newest RPT, sent as Keycloak's `rpt` so an exchange upgrades it */
  private latestRpt: HeldRpt | undefined;
  private partnerToken: Promise<PartnerToken> | undefined;
  /** exchanges run one at a time, so each upgrades the RPT the previous one produced */
  private exchanges: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: UmaClientOptions) {
    if ((options.person === undefined) === (options.partner === undefined)) {
      throw new Error('UmaClient needs exactly one of `person` and `partner`');
    }
    if (typeof options.issuer !== 'string' || !URL.canParse(options.issuer)) {
      throw new Error(
        'UmaClient needs `issuer`, the URL of the one authorization server it trusts',
      );
    }
    const page = (globalThis as { location?: { origin?: string } }).location?.origin;
    const apiUrls =
      options.apiOrigins ??
      (options.baseUrl !== undefined ? [options.baseUrl] : page === undefined ? [] : [page]);
    this.apiOrigins = new Set(apiUrls.map((url) => new URL(url).origin));
    if (this.apiOrigins.size === 0) {
      throw new Error('UmaClient needs `baseUrl` or `apiOrigins`: where it may send credentials');
    }
    const fetchFn = options.fetch ?? globalThis.fetch;
    this.fetchFn = (input, init) => fetchFn(input, init);
    this.now = options.now ?? Date.now;
    this.skewMs = options.expirySkewMs ?? 10_000;
  }

  get<T = unknown>(url: string, init: UmaRequestInit = {}): Promise<UmaResult<T>> {
    return this.request<T>(url, { ...init, method: 'GET' });
  }

  delete<T = unknown>(url: string, init: UmaRequestInit = {}): Promise<UmaResult<T>> {
    return this.request<T>(url, { ...init, method: 'DELETE' });
  }

  post<T = unknown>(url: string, json?: unknown, init: UmaRequestInit = {}): Promise<UmaResult<T>> {
    return this.request<T>(url, withJson({ ...init, method: 'POST' }, json));
  }

  put<T = unknown>(url: string, json?: unknown, init: UmaRequestInit = {}): Promise<UmaResult<T>> {
    return this.request<T>(url, withJson({ ...init, method: 'PUT' }, json));
  }

  patch<T = unknown>(
    url: string,
    json?: unknown,
    init: UmaRequestInit = {},
  ): Promise<UmaResult<T>> {
    return this.request<T>(url, withJson({ ...init, method: 'PATCH' }, json));
  }

  /** The resources this client holds an unexpired RPT for, with their scopes. */
  heldPermissions(): Map<string, readonly string[]> {
    const held = new Map<string, readonly string[]>();
    for (const [resourceId, rpt] of this.rptByResource) {
      if (!this.expired(rpt.expiresAt)) {
        held.set(resourceId, rpt.permissions.get(resourceId) ?? []);
      }
    }
    return held;
  }

  /** The RPT currently held for a resource (e.g. to hand to an `<img>` loader), if any. */
  rptFor(resourceId: string): string | undefined {
    const rpt = this.rptByResource.get(resourceId);
    return rpt === undefined || this.expired(rpt.expiresAt) ? undefined : rpt.token;
  }

  /**
   * The `Authorization` value this client would send first to a URL, for a request it cannot send
   * itself (e.g. an upload with `XMLHttpRequest`, for its progress): `Bearer <RPT>` when it holds an
   * unexpired RPT for the URL's resource (learned from an earlier challenge), else `Bearer <access
   * token>`. The caller handles a `401` itself (or repeats the call with `request`).
   */
  async authorizationFor(url: string): Promise<string> {
    const target = this.resolve(url);
    if (!this.apiOrigins.has(target.origin)) {
      throw new Error(
        `UmaClient sends no credentials to ${target.origin}: not one of its API origins`,
      );
    }
    const sent = this.credentialFor(urlKey(target));
    return `Bearer ${sent.kind === 'rpt' ? sent.rpt.token : await this.accessToken(false)}`;
  }

  /** Forgets every RPT and cached token (e.g. at logout). */
  clear(): void {
    this.resourceByUrl.clear();
    this.rptByResource.clear();
    this.latestRpt = undefined;
    this.partnerToken = undefined;
  }

  /**
   * Sends one API call. The body must be replayable (string, `FormData`, `Blob`, `URLSearchParams`,
   * `ArrayBuffer`; not a stream): the call may be sent again after a challenge or a renewal.
   */
  async request<T = unknown>(url: string, init: UmaRequestInit = {}): Promise<UmaResult<T>> {
    const { requestAccess = this.options.requestAccess ?? true, ...fetchInit } = init;
    const target = this.resolve(url);
    if (!this.apiOrigins.has(target.origin)) {
      // Not one of the APIs: no credential of this client goes there, and no challenge is answered.
      return await toResult<T>(await this.fetchFn(target.href, fetchInit));
    }
    const key = urlKey(target);
    try {
      let sent = this.credentialFor(key);
      let response = await this.send(target, fetchInit, sent, false);
      let renewedAccess = false;
      let droppedRpt = false;
      let exchanged = false;
      let usedHeld = false;

      for (;;) {
        if (response.status !== 401) {
          return await toResult<T>(response);
        }
        const header = response.headers.get('www-authenticate');
        const challenge = findUmaChallenge(header);
        if (challenge === undefined) {
          // A Bearer refusal: an expired (or misplaced) RPT is dropped, an expired access token renewed, once each.
          if (bearerError(header)?.error !== 'invalid_token') {
            return await toResult<T>(response);
          }
          if (sent.kind === 'rpt' && !droppedRpt) {
            droppedRpt = true;
            this.dropRpt(sent.rpt);
            sent = { kind: 'access' };
            response = await this.send(target, fetchInit, sent, false);
            continue;
          }
          if (sent.kind === 'access' && !renewedAccess) {
            renewedAccess = true;
            response = await this.send(target, fetchInit, sent, true);
            continue;
          }
          return await toResult<T>(response);
        }

        await discard(response);
        if (challenge.asUri !== this.options.issuer) {
          return untrustedAuthorizationServer(challenge.asUri, this.options.issuer, response);
        }
        const [wanted] = ticketPermissions(challenge.ticket);
        if (exchanged) {
          // A fresh RPT did not open it: the API no longer counts what the RPT lists (e.g. revoked).
          return noAccess(wanted?.rsid);
        }
        // Already holding an RPT that lists the resource and scopes: use it without asking Keycloak.
        const held = wanted === undefined ? undefined : this.rptCovering(wanted);
        if (held !== undefined && !usedHeld && !(sent.kind === 'rpt' && sent.rpt === held)) {
          usedHeld = true;
          this.resourceByUrl.set(key, wanted?.rsid ?? '');
          sent = { kind: 'rpt', rpt: held };
          response = await this.send(target, fetchInit, sent, false);
          continue;
        }

        exchanged = true;
        const outcome = await this.serialized(() => this.exchange(challenge, requestAccess));
        if (outcome.kind !== 'rpt') {
          return outcome.kind === 'access-requested'
            ? { kind: 'access-requested', ...optionalResource(wanted?.rsid) }
            : noAccess(wanted?.rsid);
        }
        const resourceId = wanted?.rsid ?? outcome.newResources[0];
        if (resourceId !== undefined && outcome.rpt.permissions.has(resourceId)) {
          this.resourceByUrl.set(key, resourceId);
        }
        sent = { kind: 'rpt', rpt: outcome.rpt };
        response = await this.send(target, fetchInit, sent, false);
      }
    } catch (error) {
      if (error instanceof AuthorizationServerProblem) {
        return {
          kind: 'problem',
          status: error.status,
          problem: error.problem,
          source: 'authorization-server',
          response: error.response,
        };
      }
      throw error;
    }
  }

  private serialized<R>(task: () => Promise<R>): Promise<R> {
    const run = this.exchanges.then(task, task);
    this.exchanges = run.catch(() => undefined);
    return run;
  }

  private resolve(url: string): URL {
    const base =
      this.options.baseUrl ?? (globalThis as { location?: { href?: string } }).location?.href;
    return new URL(url, base);
  }

  /** The RPT held for the URL's resource, else the access token. */
  private credentialFor(key: string): Sent {
    const resourceId = this.resourceByUrl.get(key);
    const rpt = resourceId === undefined ? undefined : this.rptByResource.get(resourceId);
    if (rpt === undefined) {
      return { kind: 'access' };
    }
    if (this.expired(rpt.expiresAt)) {
      this.dropRpt(rpt);
      return { kind: 'access' };
    }
    return { kind: 'rpt', rpt };
  }

  private rptCovering(wanted: { rsid: string; scopes: readonly string[] }): HeldRpt | undefined {
    const rpt = this.rptByResource.get(wanted.rsid);
    if (rpt === undefined || this.expired(rpt.expiresAt)) {
      return undefined;
    }
    const scopes = rpt.permissions.get(wanted.rsid) ?? [];
    return wanted.scopes.every((scope) => scopes.includes(scope)) ? rpt : undefined;
  }

  private async send(
    target: URL,
    init: RequestInit,
    sent: Sent,
    renewAccess: boolean,
  ): Promise<Response> {
    const token = sent.kind === 'rpt' ? sent.rpt.token : await this.accessToken(renewAccess);
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${token}`);
    return this.fetchFn(target.href, { ...init, headers });
  }

  private dropRpt(rpt: HeldRpt): void {
    for (const [resourceId, held] of this.rptByResource) {
      if (held === rpt) {
        this.rptByResource.delete(resourceId);
      }
    }
    if (this.latestRpt === rpt) {
      this.latestRpt = undefined;
    }
  }

  private expired(expiresAt: number | undefined): boolean {
    return expiresAt !== undefined && expiresAt - this.skewMs <= this.now();
  }

  /** The caller's access token: the person's provider, or the partner's client-credentials token. */
  private async accessToken(renew: boolean): Promise<string> {
    const { person, partner } = this.options;
    if (person !== undefined) {
      return person.accessToken();
    }
    if (partner === undefined) {
      throw new Error('no credentials');
    }
    if (renew || this.partnerToken === undefined) {
      this.partnerToken = this.clientCredentials(partner);
    }
    const pending = this.partnerToken;
    try {
      const cached = await pending;
      if (cached.renewAt > this.now()) {
        return cached.token;
      }
    } catch (error) {
      if (this.partnerToken === pending) {
        this.partnerToken = undefined;
      }
      throw error;
    }
    if (this.partnerToken === pending) {
      this.partnerToken = this.clientCredentials(partner);
    }
    return (await this.partnerToken).token;
  }

  private async clientCredentials(partner: PartnerCredentials): Promise<PartnerToken> {
    const endpoint = await this.tokenEndpoint('openid');
    const body = await this.tokenRequest(
      endpoint,
      new URLSearchParams({ grant_type: 'client_credentials' }),
      basic(partner),
    );
    const token = body['access_token'];
    if (typeof token !== 'string') {
      throw new Error('token endpoint answered without an access_token');
    }
    const expiresIn =
      typeof body['expires_in'] === 'number' ? body['expires_in'] * 1000 : undefined;
    const expiresAt =
      expiresIn === undefined ? expiresAtMs(jwtPayload(token)) : this.now() + expiresIn;
    // Renewed shortly before it expires: the skew, or a tenth of a short lifetime.
    const margin =
      expiresAt === undefined ? 0 : Math.min(this.skewMs, (expiresAt - this.now()) / 10);
    return {
      token,
      renewAt: expiresAt === undefined ? Number.POSITIVE_INFINITY : expiresAt - margin,
    };
  }

  /**
   * The configured issuer's token endpoint, from its UMA (or OIDC) metadata, cached. The metadata
   * must name the configured issuer (RFC 8414 §3.3, OIDC Discovery §4.3).
   */
  private tokenEndpoint(kind: 'uma2' | 'openid'): Promise<string> {
    const { issuer } = this.options;
    const base = issuer.replace(/\/+$/, '');
    const cacheKey = kind;
    let endpoint = this.tokenEndpoints.get(cacheKey);
    if (endpoint === undefined) {
      endpoint = (async () => {
        const metadataUrl = `${base}/.well-known/${kind === 'uma2' ? 'uma2-configuration' : 'openid-configuration'}`;
        const response = await this.fetchFn(metadataUrl, {
          headers: { accept: 'application/json' },
        });
        if (!response.ok) {
          throw new AuthorizationServerProblem(
            response.status,
            await problemOf(response),
            response,
          );
        }
        const metadata = (await response.json()) as { issuer?: unknown; token_endpoint?: unknown };
        if (metadata.issuer !== issuer) {
          throw new Error(`${metadataUrl} names another issuer than ${issuer}`);
        }
        if (typeof metadata.token_endpoint !== 'string') {
          throw new Error(`${metadataUrl} names no token_endpoint`);
        }
        return metadata.token_endpoint;
      })();
      this.tokenEndpoints.set(cacheKey, endpoint);
      endpoint.catch(() => this.tokenEndpoints.delete(cacheKey));
    }
    return endpoint;
  }

  private async tokenRequest(
    endpoint: string,
    form: URLSearchParams,
    authorization: string,
  ): Promise<Record<string, unknown>> {
    const response = await this.fetchFn(endpoint, {
      method: 'POST',
      // A redirect would carry the form (ticket, RPT) elsewhere.
      redirect: 'error',
      headers: {
        authorization,
        'content-type': 'application/x-www-form-urlencoded',
        accept: 'application/json',
      },
      body: form.toString(),
    });
    if (!response.ok) {
      throw new AuthorizationServerProblem(response.status, await problemOf(response), response);
    }
    return (await response.json()) as Record<string, unknown>;
  }

  /**
   * The UMA grant: the ticket (and the held RPT, to upgrade it) for an RPT, authenticated as the
   * person (Bearer) or the partner (Basic). An expired access token is renewed once; a held RPT
   * that Keycloak refuses as `rpt` is left out once.
   */
  private async exchange(
    challenge: UmaChallenge,
    requestAccess: boolean,
  ): Promise<
    | { kind: 'rpt'; rpt: HeldRpt; newResources: string[] }
    | { kind: 'access-requested' }
    | { kind: 'no-access' }
  > {
    const endpoint = await this.tokenEndpoint('uma2');
    let upgrade =
      this.latestRpt !== undefined && !this.expired(this.latestRpt.expiresAt)
        ? this.latestRpt
        : undefined;
    let renewed = false;
    for (;;) {
      const form = new URLSearchParams({ grant_type: UMA_GRANT, ticket: challenge.ticket });
      if (upgrade !== undefined) {
        form.set('rpt', upgrade.token);
      }
      if (!requestAccess) {
        form.set('submit_request', 'false');
      }
      const authorization =
        this.options.partner === undefined
          ? `Bearer ${await this.accessToken(renewed)}`
          : basic(this.options.partner);
      try {
        const body = await this.tokenRequest(endpoint, form, authorization);
        const token = body['access_token'];
        if (typeof token !== 'string') {
          throw new Error('token endpoint answered without an access_token');
        }
        return this.hold(token);
      } catch (error) {
        if (!(error instanceof AuthorizationServerProblem)) {
          throw error;
        }
        const { error: code, error_description: description } = error.problem as {
          error?: unknown;
          error_description?: unknown;
        };
        if (error.status === 403 && code === 'access_denied') {
          return description === 'request_submitted'
            ? { kind: 'access-requested' }
            : { kind: 'no-access' };
        }
        if (error.status === 403 && code === 'not_authorized') {
          return { kind: 'no-access' };
        }
        // Keycloak refuses an access token whose session ended with 401 (26.5.6) or with 400
        // `invalid_grant` "Invalid bearer token" (26.7.3).
        const refusedBearer =
          error.status === 401 ||
          (error.status === 400 &&
            code === 'invalid_grant' &&
            description === 'Invalid bearer token');
        if (refusedBearer && this.options.person !== undefined && !renewed) {
          renewed = true;
          continue;
        }
        if (error.status === 400 && upgrade !== undefined) {
          // Keycloak refused the RPT to upgrade (e.g. expired): ask for a new one.
          this.dropRpt(upgrade);
          upgrade = undefined;
          continue;
        }
        throw error;
      }
    }
  }

  private hold(token: string): { kind: 'rpt'; rpt: HeldRpt; newResources: string[] } {
    const payload = jwtPayload(token);
    const permissions = new Map<string, readonly string[]>();
    for (const permission of rptPermissions(payload)) {
      permissions.set(permission.rsid, [
        ...(permissions.get(permission.rsid) ?? []),
        ...permission.scopes,
      ]);
    }
    const rpt: HeldRpt = { token, expiresAt: expiresAtMs(payload), permissions };
    const newResources = [...permissions.keys()].filter((id) => !this.rptByResource.has(id));
    for (const resourceId of permissions.keys()) {
      this.rptByResource.set(resourceId, rpt);
    }
    this.latestRpt = rpt;
    return { kind: 'rpt', rpt, newResources };
  }
}

function urlKey(url: URL): string {
  return `${url.origin}${url.pathname}`;
}

function withJson(init: UmaRequestInit, json: unknown): UmaRequestInit {
  if (json === undefined) {
    return init;
  }
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return { ...init, headers, body: JSON.stringify(json) };
}

function basic(partner: PartnerCredentials): string {
  // RFC 6749 §2.3.1: form-encode id and secret, then base64 (ASCII only, so `btoa` is safe).
  return `Basic ${btoa(`${formEncode(partner.clientId)}:${formEncode(partner.clientSecret)}`)}`;
}

function formEncode(value: string): string {
  return new URLSearchParams({ v: value }).toString().slice(2);
}

function untrustedAuthorizationServer(
  asUri: string,
  issuer: string,
  response: Response,
): UmaResult<never> {
  return {
    kind: 'problem',
    status: response.status,
    problem: {
      type: UNTRUSTED_AUTHORIZATION_SERVER,
      title: 'Untrusted authorization server',
      status: response.status,
      detail: `The API named the authorization server ${asUri}, not the configured issuer ${issuer}; nothing was sent to it.`,
      asUri,
    },
    source: 'api',
    response,
  };
}

function optionalResource(resourceId: string | undefined): { resourceId?: string } {
  return resourceId === undefined ? {} : { resourceId };
}

function noAccess(resourceId: string | undefined): UmaResult<never> {
  return { kind: 'no-access', ...optionalResource(resourceId) };
}

async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // already consumed or closed
  }
}

async function parseBody(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 304) {
    return undefined;
  }
  const type = (response.headers.get('content-type') ?? '').toLowerCase();
  if (type.includes('json')) {
    const text = await response.text();
    if (text === '') {
      return undefined;
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  if (type.startsWith('text/')) {
    return response.text();
  }
  const bytes = await response.arrayBuffer();
  return bytes.byteLength === 0 && type === '' ? undefined : bytes;
}

async function problemOf(response: Response): Promise<ProblemDetails> {
  const body = await parseBody(response);
  if (typeof body === 'object' && body !== null && !(body instanceof ArrayBuffer)) {
    return body as ProblemDetails;
  }
  return {
    status: response.status,
    title: response.statusText,
    ...(typeof body === 'string' && body !== '' ? { detail: body } : {}),
  };
}

async function toResult<T>(response: Response): Promise<UmaResult<T>> {
  if (response.status < 400) {
    return {
      kind: 'ok',
      status: response.status,
      body: (await parseBody(response)) as T,
      response,
    };
  }
  const retryAfter = Number.parseInt(response.headers.get('retry-after') ?? '', 10);
  return {
    kind: 'problem',
    status: response.status,
    problem: await problemOf(response),
    source: 'api',
    ...(Number.isNaN(retryAfter) ? {} : { retryAfter }),
    response,
  };
}
