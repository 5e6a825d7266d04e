import type { UmaClient, UmaResult } from '@app/uma-client';
import { type ApiResult, failed, failure } from './result.ts';

/** A call uma-client did not complete with a success: its result, carried out of openapi-fetch. */
class CallFailed extends Error {
  constructor(readonly result: Exclude<UmaResult, { kind: 'ok' }>) {
    super(`the call ended in ${result.kind}`);
  }
}

/** Statuses whose answer has no body (the `Response` constructor refuses one). */
const NO_BODY = new Set([204, 205, 304]);

/**
 * openapi-fetch's `fetch`: the request it built from the contract, sent by `client`, which
 * answers a UMA challenge (ticket → RPT at Keycloak → the same request again) or renews the
 * access token. A success goes back to openapi-fetch to parse, with the body uma-client read;
 * anything else leaves as `CallFailed`, whose result `send` turns into the screens' result.
 */
export function umaFetch(client: UmaClient): (request: Request) => Promise<Response> {
  return async (request) => {
    const result = await client.request(request.url, {
      method: request.method,
      headers: request.headers,
      // Bytes, so that uma-client can send them again after a challenge.
      body: request.body === null ? undefined : await request.arrayBuffer(),
      signal: request.signal,
    });
    if (result.kind !== 'ok') {
      throw new CallFailed(result);
    }
    const { response, body } = result;
    const headers = new Headers(response.headers);
    // The body below is the parsed one written again: the original's length and encoding do not hold.
    headers.delete('content-length');
    headers.delete('content-encoding');
    const payload =
      body === undefined || NO_BODY.has(response.status)
        ? null
        : body instanceof ArrayBuffer || typeof body === 'string'
          ? body
          : JSON.stringify(body);
    return new Response(payload, {
      status: response.status,
      statusText: response.statusText,
      headers,
    });
  };
}

/** What openapi-fetch answers for a success (the only answer `umaFetch` hands it). */
interface Answer<T> {
  readonly data?: T;
  readonly response: Response;
}

/** One call of a service, as the screens see its outcome. */
export async function send<T>(call: () => Promise<Answer<T>>): Promise<ApiResult<T>> {
  try {
    const { data, response } = await call();
    return { kind: 'ok', status: response.status, body: data as T };
  } catch (error) {
    return error instanceof CallFailed ? failure(error.result) : failed(error);
  }
}
