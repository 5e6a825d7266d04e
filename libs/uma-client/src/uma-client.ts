import { AuthorizationServerError } from './authorization-server-error.ts';
import { type AuthenticatedClient, ClientSecretBasic } from './client-auth.ts';
import { ClientCredentialsCache, clientCredentialsGrant } from './client-credentials.ts';
import type { Clock } from './clock.ts';
import { type Configuration, lazyDiscovery } from './configuration.ts';
import type { PartnerCredentials, UmaClientOptions, UmaRequestInit } from './options.ts';
import { authorizationServerProblem, resultOf } from './result.ts';
import { RptExchange } from './rpt-exchange.ts';
import { RptStore } from './rpt-store.ts';
import type { UmaResult } from './types.ts';
import { authorizationFor, fetchWithUma, type UmaFetchContext } from './uma-fetch.ts';

/**
 * A UMA 2.0 client on `fetch`: answers the API's UMA challenges by trading the ticket for an RPT
 * at the configured issuer (a challenge naming another server is not answered), keeps one RPT per
 * resource (upgrading it rather than replacing it), and sends an RPT only to URLs of a resource it
 * holds. Credentials go only where they are configured to: the access token and RPTs to the API
 * origins, the client secret, tickets and RPTs to be upgraded to the issuer's token endpoint.
 *
 * It wires the library's parts: `discovery` (the issuer's `Configuration`), the `RptStore`, the
 * `RptExchange` over `umaTicketGrant`, a partner's `ClientCredentialsCache`, `fetchWithUma` and
 * the mapping of outcomes to `UmaResult`.
 */
export class UmaClient {
  readonly #issuer: string;
  readonly #baseUrl: string | undefined;
  readonly #requestAccess: boolean;
  readonly #rpts: RptStore;
  readonly #partnerTokens: ClientCredentialsCache | undefined;
  readonly #context: UmaFetchContext;

  constructor(options: UmaClientOptions) {
    const { issuer, person, partner } = options;
    if ((person === undefined) === (partner === undefined)) {
      throw new Error('UmaClient needs exactly one of `person` and `partner`');
    }
    if (typeof issuer !== 'string' || !URL.canParse(issuer)) {
      throw new Error(
        'UmaClient needs `issuer`, the URL of the one authorization server it trusts',
      );
    }
    if (options.configuration !== undefined && options.configuration.issuer !== issuer) {
      throw new Error(`UmaClient's configuration names another issuer than ${issuer}`);
    }
    const apiOrigins = apiOriginsOf(options);
    const fetchFn = options.fetch ?? globalThis.fetch;
    const clock: Clock = { now: options.now ?? Date.now, skewMs: options.expirySkewMs ?? 10_000 };
    const known = options.configuration;
    const configuration =
      known === undefined
        ? lazyDiscovery(issuer, { fetch: fetchFn })
        : (): Promise<Configuration> => Promise.resolve(known);

    this.#issuer = issuer;
    this.#baseUrl = options.baseUrl;
    this.#requestAccess = options.requestAccess ?? true;
    this.#rpts = new RptStore(clock);
    const client = partner === undefined ? undefined : authenticatedClient(partner);
    this.#partnerTokens =
      client === undefined
        ? undefined
        : new ClientCredentialsCache(
            async () => clientCredentialsGrant(await configuration(), client),
            clock,
          );
    const accessToken = accessTokenSource(person, this.#partnerTokens);
    this.#context = {
      issuer,
      apiOrigins,
      fetch: (input, init) => fetchFn(input, init),
      rpts: this.#rpts,
      accessToken,
      exchange: new RptExchange({
        configuration,
        rpts: this.#rpts,
        party: async (renew) => client ?? { accessToken: await accessToken(renew) },
        renewsBearer: client === undefined,
      }),
    };
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

  /**
   * Sends one API call. The body must be replayable (string, `FormData`, `Blob`, `URLSearchParams`,
   * `ArrayBuffer`; not a stream): the call may be sent again after a challenge or a renewal.
   */
  async request<T = unknown>(url: string, init: UmaRequestInit = {}): Promise<UmaResult<T>> {
    const { requestAccess = this.#requestAccess, ...fetchInit } = init;
    try {
      const outcome = await fetchWithUma(
        this.#context,
        this.#resolve(url),
        fetchInit,
        requestAccess,
      );
      return await resultOf<T>(outcome, this.#issuer);
    } catch (error) {
      if (error instanceof AuthorizationServerError) {
        return authorizationServerProblem(error);
      }
      throw error;
    }
  }

  /** The resources this client holds an unexpired RPT for, with their scopes. */
  heldPermissions(): Map<string, readonly string[]> {
    return this.#rpts.permissions();
  }

  /** The RPT currently held for a resource (e.g. to hand to an `<img>` loader), if any. */
  rptFor(resourceId: string): string | undefined {
    return this.#rpts.tokenFor(resourceId);
  }

  /**
   * The `Authorization` value this client would send first to a URL, for a request it cannot send
   * itself (e.g. an upload with `XMLHttpRequest`, for its progress): `Bearer <RPT>` when it holds an
   * unexpired RPT for the URL's resource (learned from an earlier challenge), else `Bearer <access
   * token>`. The caller handles a `401` itself (or repeats the call with `request`).
   */
  authorizationFor(url: string): Promise<string> {
    return authorizationFor(this.#context, this.#resolve(url));
  }

  /** Forgets every RPT and cached token (e.g. at logout). */
  clear(): void {
    this.#rpts.clear();
    this.#partnerTokens?.clear();
  }

  #resolve(url: string): URL {
    const page = (globalThis as { location?: { href?: string } }).location?.href;
    return new URL(url, this.#baseUrl ?? page);
  }
}

/** The origins that receive credentials: `apiOrigins`, else that of `baseUrl`, else the page's. */
function apiOriginsOf(options: UmaClientOptions): ReadonlySet<string> {
  const page = (globalThis as { location?: { origin?: string } }).location?.origin;
  const apiUrls =
    options.apiOrigins ??
    (options.baseUrl !== undefined ? [options.baseUrl] : page === undefined ? [] : [page]);
  const apiOrigins = new Set(apiUrls.map((url) => new URL(url).origin));
  if (apiOrigins.size === 0) {
    throw new Error('UmaClient needs `baseUrl` or `apiOrigins`: where it may send credentials');
  }
  return apiOrigins;
}

/** The caller's access token: the person's app hands it out, a partner's is fetched and cached. */
function accessTokenSource(
  person: UmaClientOptions['person'],
  partnerTokens: ClientCredentialsCache | undefined,
): (renew: boolean) => Promise<string> {
  if (partnerTokens !== undefined) {
    return (renew) => partnerTokens.token(renew);
  }
  if (person === undefined) {
    throw new Error('UmaClient needs exactly one of `person` and `partner`');
  }
  // The app renews the token itself: it is asked again whenever a renewal is needed.
  return () => person.accessToken();
}

function authenticatedClient(partner: PartnerCredentials): AuthenticatedClient {
  if ('clientAuthentication' in partner && typeof partner.clientAuthentication === 'function') {
    return { clientId: partner.clientId, clientAuthentication: partner.clientAuthentication };
  }
  if ('clientSecret' in partner && typeof partner.clientSecret === 'string') {
    return {
      clientId: partner.clientId,
      clientAuthentication: ClientSecretBasic(partner.clientSecret),
    };
  }
  throw new Error("UmaClient needs the partner's `clientSecret` or `clientAuthentication`");
}

function withJson(init: UmaRequestInit, json: unknown): UmaRequestInit {
  if (json === undefined) {
    return init;
  }
  const headers = new Headers(init.headers);
  headers.set('content-type', 'application/json');
  return { ...init, headers, body: JSON.stringify(json) };
}
