import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

type Policy = Readonly<Record<string, readonly string[]>>;

/** An API answers data: nothing in an answer may load, run or be framed, even if opened as a page. */
const API_POLICY: Policy = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"],
};

/**
 * Swagger UI (`/docs`): its own script and stylesheet files, the inline `<style>` and `style`
 * attributes of its page, its `data:` icons, and "Try it out" calls to the service itself.
 */
const DOCS_POLICY: Policy = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/**
 * What an API answer needs of helmet's headers (OWASP's REST Security Cheat Sheet): the CSP,
 * `nosniff`, no framing, no referrer, and `Cross-Origin-Resource-Policy: same-origin` (no other
 * site embeds an answer without CORS). Left out: HSTS (the services speak plain HTTP and cannot tell
 * whether a TLS proxy fronts them; HSTS pins a whole host name for a long time, so the TLS
 * terminator that owns the name sets it, and browsers ignore it over plain HTTP anyway), and the
 * headers for documents or for browsers of the past (`Cross-Origin-Opener-Policy`,
 * `Origin-Agent-Cluster`, `X-DNS-Prefetch-Control`, `X-Download-Options`,
 * `X-Permitted-Cross-Domain-Policies`, `X-XSS-Protection`).
 */
function apiHelmet(directives: Policy): HelmetOptions {
  return {
    contentSecurityPolicy: { useDefaults: false, directives },
    strictTransportSecurity: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginResourcePolicy: { policy: 'same-origin' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  };
}

/**
 * The headers helmet sets for `options`, computed once: they depend on nothing of the request
 * (no nonce), so every answer gets the same object instead of helmet's middleware chain.
 */
function helmetHeaders(options: HelmetOptions): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader(name: string, value: unknown) {
      headers[name.toLowerCase()] = String(value);
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()];
    },
  };
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error) => {
    if (error instanceof Error) {
      throw error;
    }
  });
  return headers;
}

/**
 * Every answer can hold personal data (an album, a share, a problem naming the album, a UMA
 * ticket): no browser or proxy keeps a copy. `/health` is not worth an exception (a probe must see
 * the present), nor `/docs` (a developer tool); Swagger UI's static files keep their own headers.
 */
const NO_STORE = { 'cache-control': 'no-store' } as const;

const API_HEADERS = { ...helmetHeaders(apiHelmet(API_POLICY)), ...NO_STORE };
const DOCS_HEADERS = { ...helmetHeaders(apiHelmet(DOCS_POLICY)), ...NO_STORE };

/**
 * Security headers on every answer of the service (helmet's, see {@link apiHelmet}): a
 * Content-Security-Policy for an API (Swagger UI's own under `docsPath`) and
 * `Cache-Control: no-store`. Set first thing, so that answers made by the problem filter, the UMA
 * challenge and the guards carry them too.
 */
export function registerSecurityHeaders(app: NestFastifyApplication, docsPath: string): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      const route = request.routeOptions.url;
      void reply.headers(
        route !== undefined && (route === docsPath || route.startsWith(`${docsPath}/`))
          ? DOCS_HEADERS
          : API_HEADERS,
      );
      done();
    });
}

/**
 * The same headers on an answer Fastify's router makes before any hook runs (`frameworkErrors`:
 * a malformed URL, a too-long path segment).
 */
export function applySecurityHeaders(reply: FastifyReply): void {
  void reply.headers(API_HEADERS);
}
