import { connect, type Socket } from 'node:net';

/** What a raw connection saw: the bytes the server sent, and whether and when it closed. */
export interface SocketOutcome {
  /** The server closed the connection (or reset it) before `waitMs`. */
  readonly closed: boolean;
  /** Milliseconds from the connection to its close, or to `waitMs`. */
  readonly afterMs: number;
  readonly received: string;
  /** The status of the first response, when one came. */
  readonly status: number | undefined;
}

export interface SlowRequest {
  /** Written as soon as the connection is open. */
  readonly head?: string | Buffer;
  /** Then written piece by piece, `everyMs` apart, until they run out or the server closes. */
  readonly drip?: { readonly pieces: readonly (string | Buffer)[]; readonly everyMs: number };
  /** How long to wait for the server to close the connection. */
  readonly waitMs: number;
}

/**
 * Talks to a server through a bare TCP connection, as a slow or idle client would: writes
 * `head`, then the `drip` pieces one at a time, and reports what the server answered and
 * whether it closed the connection within `waitMs` (then the connection is ended by the test).
 */
export function slowRequest(base: string, request: SlowRequest): Promise<SocketOutcome> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const startedAt = Date.now();
    const chunks: Buffer[] = [];
    const socket: Socket = connect(Number(url.port), url.hostname);
    let timer: NodeJS.Timeout | undefined;
    let waiting: NodeJS.Timeout | undefined;
    const finish = (closed: boolean) => {
      clearInterval(timer);
      clearTimeout(waiting);
      socket.destroy();
      const received = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.1 (\d{3})/.exec(received)?.[1];
      resolve({
        closed,
        afterMs: Date.now() - startedAt,
        received,
        status: status === undefined ? undefined : Number(status),
      });
    };
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => {
      // A reset is a close, reported as such by the 'close' event that follows.
    });
    socket.on('close', () => finish(true));
    socket.on('connect', () => {
      if (request.head !== undefined) {
        socket.write(request.head);
      }
      const pieces = [...(request.drip?.pieces ?? [])];
      if (pieces.length > 0) {
        timer = setInterval(() => {
          const piece = pieces.shift();
          if (piece === undefined || socket.destroyed) {
            clearInterval(timer);
            return;
          }
          socket.write(piece);
        }, request.drip?.everyMs ?? 1000);
      }
    });
    waiting = setTimeout(() => {
      socket.removeAllListeners('close');
      finish(false);
    }, request.waitMs);
  });
}

/** The head of an HTTP/1.1 request, ending with the blank line when `complete`. */
export function requestHead(
  method: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  complete = true,
): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) {
    lines.push(`${name}: ${value}`);
  }
  return `${lines.join('\r\n')}\r\n${complete ? '\r\n' : ''}`;
}
