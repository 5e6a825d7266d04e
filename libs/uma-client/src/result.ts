import type { AuthorizationServerError } from './authorization-server-error.ts';
import { parseBody, problemOf } from './body.ts';
import type { UmaFetchOutcome } from './uma-fetch.ts';
import type { UmaResult } from './types.ts';

/**
 * The problem type of a UMA challenge that names another authorization server than the configured
 * issuer: the client answered it with nothing (no ticket, token or secret went there).
 */
export const UNTRUSTED_AUTHORIZATION_SERVER = 'urn:photoz:problem:untrusted-authorization-server';

/** A call's outcome as the result callers switch on. */
export function resultOf<T>(outcome: UmaFetchOutcome, issuer: string): Promise<UmaResult<T>> {
  if (outcome.kind === 'response') {
    return toResult<T>(outcome.response);
  }
  if (outcome.kind === 'untrusted') {
    return Promise.resolve(untrustedAuthorizationServer(outcome.asUri, issuer, outcome.response));
  }
  return Promise.resolve(outcome);
}

/** An API answer as a result: `ok` below 400 with the parsed body, else a `problem` from the API. */
export async function toResult<T>(response: Response): Promise<UmaResult<T>> {
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

/** A refusal of the authorization server (e.g. a wrong client secret) as a `problem` result. */
export function authorizationServerProblem(error: AuthorizationServerError): UmaResult<never> {
  return {
    kind: 'problem',
    status: error.status,
    problem: error.problem,
    source: 'authorization-server',
    response: error.response,
  };
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
