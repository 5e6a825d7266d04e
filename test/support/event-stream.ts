/** One server-sent event as a client reads it. */
export interface StreamEvent {
  readonly event: string;
  readonly data: unknown;
}

/** A notification stream read with `fetch`, as the web app reads it. */
export interface OpenEventStream {
  readonly status: number;
  readonly headers: Headers;
  /** Every event received so far (comments left out), oldest first. */
  readonly events: StreamEvent[];
  /** How many comment lines (heartbeats) were received. */
  readonly comments: () => number;
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens `path` with `headers` and reads its events until closed. */
export async function openEventStream(
  url: string,
  headers: Record<string, string>,
): Promise<OpenEventStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers, signal: abort.signal });
  const events: StreamEvent[] = [];
  let comments = 0;
  const ended = (async () => {
    if (response.body === null) {
      return;
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const lines = block.split('\n');
          if (lines.every((line) => line.startsWith(':'))) {
            comments += 1;
          } else {
            const field = (name: string) =>
              lines
                .filter((line) => line.startsWith(`${name}: `))
                .map((line) => line.slice(name.length + 2));
            const data = field('data').join('\n');
            events.push({
              event: field('event')[0] ?? 'message',
              data: data === '' ? undefined : JSON.parse(data),
            });
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by the test, or cut by the server.
    }
  })();
  return {
    status: response.status,
    headers: response.headers,
    events,
    comments: () => comments,
    ended,
    close: () => abort.abort(),
  };
}
