/** One server-sent event: its `event` name (`message` when unnamed) and its `data` lines joined. */
export interface StreamEvent {
  readonly event: string;
  readonly data: string;
}

/**
 * Reads a `text/event-stream` body (the WHATWG format: `field: value` lines, an empty line ends an
 * event, `:` starts a comment) and hands each event to `onEvent`; resolves when the body ends.
 * `EventSource` would do this, but it cannot send an `Authorization` header, and a token in the
 * URL would end up in access logs.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: StreamEvent) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let event = '';
  let data: string[] = [];
  const line = (text: string) => {
    if (text === '') {
      if (data.length > 0) {
        onEvent({ event: event === '' ? 'message' : event, data: data.join('\n') });
      }
      event = '';
      data = [];
      return;
    }
    if (text.startsWith(':')) {
      return;
    }
    const colon = text.indexOf(':');
    const field = colon === -1 ? text : text.slice(0, colon);
    const value = colon === -1 ? '' : text.slice(colon + 1).replace(/^ /, '');
    if (field === 'event') {
      event = value;
    } else if (field === 'data') {
      data.push(value);
    }
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    // Lines end with CRLF, LF or CR; the last piece may be a line still arriving.
    const lines = buffer.split(/\r\n|\n|\r(?!$)/);
    buffer = lines.pop() ?? '';
    for (const text of lines) {
      line(text);
    }
  }
}

export interface FollowOptions {
  /** The stream's URL (no secret in it). */
  readonly url: string;
  /** A current access token, asked anew for every connection (the server ends a stream when its token expires). */
  readonly accessToken: () => Promise<string>;
  readonly onEvent: (event: StreamEvent) => void;
  /** Told when a connection opens (true) and when it is lost (false). */
  readonly onConnected?: (connected: boolean) => void;
  readonly signal: AbortSignal;
  readonly fetch?: typeof fetch;
  /** The wait before the n-th reconnection in a row (from 0), in ms. */
  readonly backoff?: (attempt: number) => number;
  /** Waits `ms`, or less when `signal` aborts (tests pass one that does not wait). */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** 1 s, 2 s, 4 s … up to 30 s, each shortened by up to a quarter so that tabs do not reconnect in step. */
export function defaultBackoff(attempt: number): number {
  const base = Math.min(30_000, 1000 * 2 ** attempt);
  return base - Math.floor(Math.random() * (base / 4));
}

function wait(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

/**
 * Follows a server-sent event stream with `fetch` and the `Authorization` header, until `signal`
 * aborts: whenever the connection ends or fails it connects again, with a fresh token, after a
 * backoff that grows while connections keep failing and starts over once one delivered an event.
 */
export async function followEventStream(options: FollowOptions): Promise<void> {
  const fetchFn = options.fetch ?? globalThis.fetch.bind(globalThis);
  const backoff = options.backoff ?? defaultBackoff;
  const sleep = options.sleep ?? wait;
  const { signal } = options;
  let attempt = 0;
  while (!signal.aborted) {
    try {
      const token = await options.accessToken();
      const response = await fetchFn(options.url, {
        headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' },
        cache: 'no-store',
        signal,
      });
      if (response.ok && response.body !== null) {
        options.onConnected?.(true);
        await readEventStream(response.body, (event) => {
          attempt = 0;
          options.onEvent(event);
        });
      } else {
        await response.body?.cancel();
      }
    } catch {
      // A network failure, an abort, or no login: wait, then try again (unless aborted).
    }
    options.onConnected?.(false);
    if (signal.aborted) {
      return;
    }
    await sleep(backoff(attempt), signal);
    attempt += 1;
  }
}
