import type { ClientAuth } from './client-auth.ts';
import type { Configuration } from './configuration.ts';
import type { FetchLike } from './types.ts';

/** A person: the app's OIDC library holds and renews the access token. */
export interface PersonCredentials {
  /** The current access token; called again (to get a renewed one) when the API calls it expired. */
  readonly accessToken: () => Promise<string>;
}

/**
 * A partner application: a confidential client with a service account (client credentials). Its
 * secret is sent only to the issuer's token endpoint, never to an API: with `clientSecret` in HTTP
 * Basic (`client_secret_basic`), or the way `clientAuthentication` says (e.g.
 * `ClientSecretPost(secret)`).
 */
export type PartnerCredentials =
  | { readonly clientId: string; readonly clientSecret: string }
  | { readonly clientId: string; readonly clientAuthentication: ClientAuth };

export interface UmaClientOptions {
  /**
   * The authorization server's issuer, e.g. `http://localhost:8080/realms/photoz`: the only one
   * this client trusts. A UMA challenge whose `as_uri` is not exactly this string (as RFC 8414 and
   * OIDC discovery compare issuers) is answered with a `problem` result, and nothing is sent to
   * that server; the token endpoint is discovered from this issuer's metadata, whose `issuer` must
   * be this string too.
   */
  readonly issuer: string;
  /**
   * The issuer's configuration, when the caller ran `discovery` itself (it must name `issuer`).
   * Without it, the client runs `discovery` on its first challenge or token request.
   */
  readonly configuration?: Configuration;
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
  /** `fetch` for the APIs (and for discovery and the token endpoint without `configuration`). */
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
