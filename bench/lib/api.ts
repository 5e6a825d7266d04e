/** Small JSON-over-HTTP helpers for the benchmark's own setup calls. */
export interface JsonResponse<T> {
  readonly status: number;
  readonly body: T;
}

export async function callJson<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown } = {},
): Promise<JsonResponse<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
}

/** Fails with the call's status and body unless it answered `expected`. */
export function expectStatus<T>(
  what: string,
  response: JsonResponse<T>,
  expected: number,
): JsonResponse<T> {
  if (response.status !== expected) {
    throw new Error(
      `${what}: expected ${expected}, got ${response.status} ${JSON.stringify(response.body)}`,
    );
  }
  return response;
}

export interface AlbumJson {
  readonly id: string;
  readonly keycloakResourceId: string | null;
}

/** Creates an album and waits until the relay has registered it; returns it with its resource id. */
export async function registeredAlbum(
  base: string,
  token: string,
  name: string,
  timeoutMs = 30_000,
): Promise<{ id: string; resourceId: string }> {
  const created = expectStatus(
    'create album',
    await callJson<AlbumJson>(base, 'POST', '/albums', { token, body: { name } }),
    201,
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const read = await callJson<AlbumJson>(base, 'GET', `/albums/${created.body.id}`, { token });
    if (read.body.keycloakResourceId !== null) {
      return { id: created.body.id, resourceId: read.body.keycloakResourceId };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`album ${created.body.id} was not registered within ${timeoutMs} ms`);
}
