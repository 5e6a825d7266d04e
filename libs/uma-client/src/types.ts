/** An RFC 9457 problem-details body (or whatever JSON/text the server sent with an error). */
export interface ProblemDetails {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly detail?: string;
  readonly [extension: string]: unknown;
}

/**
 * The outcome of a call. Only network failures and programming errors are thrown (as `Error`s);
 * everything the API or the authorization server answers is one of these.
 */
export type UmaResult<T = unknown> =
  /** A 2xx/3xx answer; `body` is parsed JSON, text for `text/*`, else an `ArrayBuffer` (undefined when empty). */
  | { readonly kind: 'ok'; readonly status: number; readonly body: T; readonly response: Response }
  /** The authorization server stored an access request (`403 request_submitted`): the owner was asked. */
  | { readonly kind: 'access-requested'; readonly resourceId?: string }
  /** The caller has no access and none was asked for (`access_denied`/`not_authorized`, or the API still challenges). */
  | { readonly kind: 'no-access'; readonly resourceId?: string }
  /**
   * Any other 4xx/5xx: from the API (`source: 'api'`, e.g. `404`, `403 not-shareable-yet`) or from
   * the authorization server (`source: 'authorization-server'`, e.g. a wrong client secret).
   * `retryAfter` is the `Retry-After` header in seconds, when sent.
   */
  | {
      readonly kind: 'problem';
      readonly status: number;
      readonly problem: ProblemDetails;
      readonly source: 'api' | 'authorization-server';
      readonly retryAfter?: number;
      readonly response: Response;
    };

/** A person: the app's OIDC library holds and renews the access token. */
export interface PersonCredentials {
  /** The current access token; called again (to get a renewed one) when the API calls it expired. */
  readonly accessToken: () => Promise<string>;
}

/** A partner application: confidential client with a service account (client credentials). */
export interface PartnerCredentials {
  readonly clientId: string;
  /** Sent only to the issuer's token endpoint (HTTP Basic), never to an API. */
  readonly clientSecret: string;
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface UmaClientOptions {
  /**
   * The authorization server's issuer, e.g. `http://localhost:8080/realms/photoz`: the only one
   * this client trusts. A UMA challenge whose `as_uri` is not exactly this string (as RFC 8414 and
   * OIDC discovery compare issuers) is answered with a `problem` result, and nothing is sent to
   * that server; the token endpoint is discovered from this issuer's metadata, whose `issuer` must
   * be this string too.
   */
  readonly issuer: string;
  /** Relative URLs are resolved against it (in a browser, against the page when absent). */
  readonly baseUrl?: string;
  /**
   * The APIs this client calls with credentials (URLs or origins; only their origins count). The
   * access token and RPTs are sent to these origins only, the client secret only to the issuer's
   * token endpoint. A request to any other origin is sent as given, without credentials, and a
   * challenge in its answer is not answered. Default: the origin of `baseUrl`, else (in a
   * browser) of the page.
   */
  readonly apiOrigins?: readonly string[];
  /** `fetch` to use; the global one by default. */
  readonly fetch?: FetchLike;
  /** Exactly one of `person` and `partner`. */
  readonly person?: PersonCredentials;
  readonly partner?: PartnerCredentials;
  /**
   * Whether a refused ticket should ask the owner for access (Keycloak's default); `false` sends
   * `submit_request=false`. Can be overridden per call.
   */
  readonly requestAccess?: boolean;
  /** Tokens this close to their `exp` are treated as expired (default 10 s). */
  readonly expirySkewMs?: number;
  /** The clock, for tests (default `Date.now`). */
  readonly now?: () => number;
}

export interface UmaRequestInit extends RequestInit {
  /** Overrides the client's `requestAccess` for this call. */
  readonly requestAccess?: boolean;
}
