import { createServer, request as httpRequest, type Server } from 'node:http';

/** Decides, per request to Keycloak, whether it fails; `true` answers it with a `500`. */
export type FaultRule = (method: string, path: string) => boolean;

/**
 * A loopback HTTP proxy in front of the real Keycloak that can fail chosen requests, so a test can
 * make Keycloak break in the middle of a multi-step change (e.g. after the first of two ticket
 * deletions). Everything else passes through untouched.
 */
export class HttpFaultProxy {
  private server: Server | undefined;
  private rule: FaultRule = () => false;
  /** Every request that reached the proxy, as `METHOD path`, oldest first: a count of calls. */
  readonly seen: string[] = [];

  constructor(private readonly target: URL) {}

  failWhen(rule: FaultRule): void {
    this.rule = rule;
  }

  heal(): void {
    this.rule = () => false;
  }

  async listen(): Promise<string> {
    this.server = createServer((incoming, outgoing) => {
      const method = incoming.method ?? 'GET';
      const path = incoming.url ?? '/';
      this.seen.push(`${method} ${path}`);
      if (this.rule(method, path)) {
        incoming.resume();
        outgoing.writeHead(500, { 'content-type': 'application/json' });
        outgoing.end('{"error":"unknown_error"}');
        return;
      }
      const upstream = httpRequest(
        {
          host: this.target.hostname,
          port: this.target.port,
          method,
          path,
          // The Host header stays the proxy's: Keycloak answers discovery with back-channel URLs
          // of the address it was asked at, so the service keeps coming through here.
          headers: incoming.headers,
        },
        (response) => {
          outgoing.writeHead(response.statusCode ?? 502, response.headers);
          response.pipe(outgoing);
        },
      );
      upstream.on('error', () => outgoing.destroy());
      incoming.pipe(upstream);
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') {
      throw new Error('proxy did not bind a TCP port');
    }
    return `http://127.0.0.1:${address.port}`;
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
