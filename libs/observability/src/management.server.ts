import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { log } from './logger.ts';
import { registry } from './metrics.ts';

/**
 * The management port: `GET /metrics` (Prometheus text) and `GET /health/live`, on its own
 * listener, bound to loopback unless configured otherwise, so metrics are never served on the
 * public port by accident. Plain `node:http`: nothing of the application's pipeline (guards,
 * CORS, problem details) applies, nor is needed.
 */
export class ManagementServer {
  private server: Server | undefined;

  constructor(private readonly options: { readonly host: string; readonly port: number }) {}

  async start(): Promise<string> {
    const server = createServer((request, response) => {
      const path = (request.url ?? '/').split('?')[0];
      if (request.method !== 'GET' && request.method !== 'HEAD') {
        response.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      if (path === '/metrics') {
        registry.metrics().then(
          (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
          (error: unknown) => {
            log.error({ err: error }, 'metrics collection failed');
            response.writeHead(500).end();
          },
        );
        return;
      }
      if (path === '/health/live') {
        response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"up"}');
        return;
      }
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port, this.options.host, () => resolve());
    });
    // The service's own shutdown decides when the process ends, not this listener.
    server.unref();
    this.server = server;
    return this.url;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo | null | undefined;
    const host = this.options.host.includes(':') ? `[${this.options.host}]` : this.options.host;
    return `http://${host}:${address?.port ?? this.options.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
}
