/** Keycloak answered with an error status; `error`/`description` are Keycloak's own fields. */
export class KeycloakError extends Error {
  override readonly name = 'KeycloakError';

  constructor(
    readonly operation: string,
    readonly status: number,
    readonly error: string | undefined,
    readonly description: string | undefined,
  ) {
    super(
      `Keycloak ${operation} failed with ${status}${error === undefined ? '' : ` ${error}`}${
        description === undefined ? '' : `: ${description}`
      }`,
    );
  }
}

/** Keycloak could not be reached, timed out, or answered with a server error. Worth retrying. */
export class KeycloakUnavailableError extends Error {
  override readonly name = 'KeycloakUnavailableError';

  constructor(
    readonly operation: string,
    cause: unknown,
    /** The `5xx` status when Keycloak answered; `undefined` when it could not be reached. */
    readonly status?: number,
  ) {
    super(
      `Keycloak unavailable during ${operation}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

export interface KeycloakResponse {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

interface KeycloakErrorBody {
  readonly error?: unknown;
  readonly error_description?: unknown;
  readonly errorMessage?: unknown;
}

function errorFields(body: unknown): { error?: string; description?: string } {
  if (typeof body !== 'object' || body === null) {
    return {};
  }
  const { error, error_description: description, errorMessage } = body as KeycloakErrorBody;
  return {
    error: typeof error === 'string' ? error : undefined,
    description:
      typeof description === 'string'
        ? description
        : typeof errorMessage === 'string'
          ? errorMessage
          : undefined,
  };
}

/**
 * One HTTP exchange with Keycloak. Network failures, timeouts and 5xx become
 * {@link KeycloakUnavailableError}; statuses outside `expected` become {@link KeycloakError}.
 */
export async function keycloakFetch(
  operation: string,
  url: string,
  init: RequestInit & { timeoutMs: number; expected: readonly number[] },
): Promise<KeycloakResponse> {
  const { timeoutMs, expected, ...requestInit } = init;
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...requestInit, signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (error) {
    throw new KeycloakUnavailableError(operation, error);
  }
  let body: unknown = undefined;
  if (text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      body = text;
    }
  }
  if (response.status >= 500) {
    throw new KeycloakUnavailableError(
      operation,
      new Error(`HTTP ${response.status}`),
      response.status,
    );
  }
  if (!expected.includes(response.status)) {
    const { error, description } = errorFields(body);
    throw new KeycloakError(operation, response.status, error, description);
  }
  return { status: response.status, body, headers: response.headers };
}

export function basicAuth(clientId: string, clientSecret: string): string {
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
