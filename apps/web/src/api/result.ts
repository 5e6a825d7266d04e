import type { UmaResult } from '@app/uma-client';
import type { Problem } from './contract.ts';

/** The outcome of a call as the screens see it: uma-client's `UmaResult`, without the `Response`. */
export type ApiResult<T> =
  | { readonly kind: 'ok'; readonly status: number; readonly body: T }
  /** Keycloak filed an access request with the owner (not with `requestAccess: false`). */
  | { readonly kind: 'access-requested' }
  /** The person holds no access to the album. */
  | { readonly kind: 'no-access' }
  | {
      readonly kind: 'problem';
      readonly status: number;
      readonly problem: Problem;
      /** Seconds to wait before repeating the call (`Retry-After`), when the service said. */
      readonly retryAfter?: number;
    };

/** A call that did not succeed. */
export type Failed = Exclude<ApiResult<unknown>, { kind: 'ok' }>;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A failure of the call itself (network, no login): a problem with status 0. */
export function failed(error: unknown): ApiResult<never> {
  const detail =
    error instanceof TypeError
      ? 'The service could not be reached; check the connection and try again.'
      : error instanceof Error
        ? error.message
        : 'Something went wrong.';
  return { kind: 'problem', status: 0, problem: { detail } };
}

/** `Retry-After` in seconds, when the service sent one. */
export function retryAfter(seconds: number | undefined): { retryAfter?: number } {
  return seconds === undefined || Number.isNaN(seconds) ? {} : { retryAfter: seconds };
}

/** uma-client's result of a call that did not succeed, as the screens see it. */
export function failure(result: Exclude<UmaResult, { kind: 'ok' }>): Failed {
  if (result.kind === 'access-requested' || result.kind === 'no-access') {
    return { kind: result.kind };
  }
  if (result.source === 'api') {
    return {
      kind: 'problem',
      status: result.status,
      problem: result.problem,
      ...retryAfter(result.retryAfter),
    };
  }
  // An OAuth error of Keycloak (`error`, `error_description`), not problem details.
  const reason = text(result.problem['error_description']) ?? text(result.problem['error']);
  return {
    kind: 'problem',
    status: result.status,
    problem: {
      status: result.status,
      detail: `The login server refused the call${reason === undefined ? '' : ` (${reason})`}; log in again or try later.`,
    },
  };
}

/** A result that is not `ok`, as one sentence for the person using the app. */
export function sentence(result: Failed): string {
  if (result.kind === 'no-access') {
    return 'You do not have access to this.';
  }
  if (result.kind === 'access-requested') {
    return 'Access has been requested; the owner has not answered yet.';
  }
  const { problem } = result;
  const fields = (problem.errors ?? [])
    .map((error) => error.message || error.field)
    .filter((message) => message !== '');
  const said =
    problem.detail === undefined && fields.length > 0
      ? fields.join('; ')
      : (problem.detail ?? problem.title ?? `The server answered ${result.status}.`);
  return result.retryAfter === undefined
    ? said
    : `${said} You can try again in ${result.retryAfter} s.`;
}
