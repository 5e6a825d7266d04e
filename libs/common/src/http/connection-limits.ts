import type { Server } from 'node:http';
import type { HttpLimits } from './http-limits.ts';

/**
 * The Fastify server options that bound how long a client may take: Node's HTTP server answers
 * `408` and closes the connection when the headers, or the whole request (an upload included),
 * take longer than their bound, and closes a kept-alive connection left idle. A body other than
 * an upload has a shorter bound of its own ({@link boundBodyTime}).
 */
export function connectionTimeouts(limits: HttpLimits) {
  return {
    requestTimeout: limits.uploadTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      // Node looks for late requests this often (30 s by default, which would stretch a bound
      // of 10 s to 40): a quarter of the shortest bound, at most a second.
      connectionsCheckingInterval: Math.min(
        1_000,
        Math.ceil(Math.min(limits.headersTimeoutMs, limits.uploadTimeoutMs) / 4),
      ),
    },
  } as const;
}

/** Caps the connections `server` holds at once: a connection past the cap is closed on arrival. */
export function capConnections(server: Server, limits: HttpLimits): void {
  server.maxConnections = limits.maxConnections;
}
