import type { ProblemDetails } from './types.ts';

/**
 * A response body as the client hands it on: parsed JSON for a JSON type (the text when it does not
 * parse), text for `text/*`, else an `ArrayBuffer`; `undefined` for 204/304 and empty bodies.
 */
export async function parseBody(response: Response): Promise<unknown> {
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

/** An error answer's body as problem details: the JSON object sent, else status, reason and text. */
export async function problemOf(response: Response): Promise<ProblemDetails> {
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
