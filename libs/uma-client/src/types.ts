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

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;
