import { performance } from 'node:perf_hooks';
import { log, metrics } from '@app/observability';

const keycloakLog = log.child({ component: 'keycloak' });

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

/** The {@link KeycloakError} for an answer its caller does not accept, with Keycloak's own fields. */
export function keycloakErrorOf(operation: string, response: KeycloakResponse): KeycloakError {
  const { error, description } = errorFields(response.body);
  return new KeycloakError(operation, response.status, error, description);
}

/** What a failed exchange says about itself in the log: names and codes, never a URL or a body. */
function failureFields(error: unknown): Record<string, unknown> {
  if (error instanceof KeycloakError) {
    return { error: error.error };
  }
  const cause = error instanceof Error ? error.cause : undefined;
  return {
    error: error instanceof Error ? error.name : typeof error,
    cause:
      typeof cause === 'object' && cause !== null && 'code' in cause
        ? String(cause.code)
        : undefined,
  };
}

/**
 * Counts, times and logs one exchange: `photoz_keycloak_requests_total{operation,status}` (status
 * 0 when Keycloak could not be reached or did not answer in time),
 * `photoz_keycloak_request_duration_seconds{operation}`, and one line per call: `info` for an
 * expected answer, `warn` for anything else. `operation` is one of the clients' fixed names, never
 * an id; the line has the method and path, never the query, headers or body.
 */
function record(
  operation: string,
  method: string,
  url: string,
  startedAt: number,
  status: number,
  failure?: unknown,
): void {
  const seconds = (performance.now() - startedAt) / 1000;
  metrics.keycloakRequests.inc({ operation, status: String(status) });
  metrics.keycloakDuration.observe({ operation }, seconds);
  const fields = {
    event: 'keycloak.call',
    operation,
    method,
    path: pathOf(url),
    status,
    durationMs: Math.round(seconds * 100_000) / 100,
  };
  if (failure === undefined) {
    keycloakLog.info(fields, 'keycloak call');
  } else {
    keycloakLog.warn({ ...fields, ...failureFields(failure) }, 'keycloak call failed');
  }
}

function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}

/**
 * One HTTP exchange with Keycloak. Network failures, timeouts and 5xx become
 * {@link KeycloakUnavailableError}; statuses outside `expected` become {@link KeycloakError}.
 * Every call to Keycloak goes through here, and is counted, timed and logged ({@link record}).
 */
export async function keycloakFetch(
  operation: string,
  url: string,
  init: RequestInit & { timeoutMs: number; expected: readonly number[] },
): Promise<KeycloakResponse> {
  const { timeoutMs, expected, ...requestInit } = init;
  const method = (requestInit.method ?? 'GET').toUpperCase();
  const startedAt = performance.now();
  let response: Response;
  let text: string;
  try {
    response = await fetch(url, { ...requestInit, signal: AbortSignal.timeout(timeoutMs) });
    text = await response.text();
  } catch (error) {
    const unavailable = new KeycloakUnavailableError(operation, error);
    record(operation, method, url, startedAt, 0, error);
    throw unavailable;
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
    const unavailable = new KeycloakUnavailableError(
      operation,
      new Error(`HTTP ${response.status}`),
      response.status,
    );
    record(operation, method, url, startedAt, response.status, unavailable);
    throw unavailable;
  }
  if (!expected.includes(response.status)) {
    const refused = keycloakErrorOf(operation, {
      status: response.status,
      body,
      headers: response.headers,
    });
    record(operation, method, url, startedAt, response.status, refused);
    throw refused;
  }
  record(operation, method, url, startedAt, response.status);
  return { status: response.status, body, headers: response.headers };
}

export function basicAuth(clientId: string, clientSecret: string): string {
  // RFC 6749 §2.3.1: both parts are form-urlencoded before being joined.
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}
