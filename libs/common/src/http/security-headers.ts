import { fastifyHelmet } from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';

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
 * Every answer can hold personal data (an album, a share, a problem naming the album, a UMA
 * ticket): no browser or proxy keeps a copy. `/health` is not worth an exception (a probe must see
 * the present), nor `/docs` (a developer tool); Swagger UI's static files keep their own headers.
 */
const CACHE_CONTROL = 'no-store';
const REFERRER_POLICY = 'no-referrer';

const noop = () => {};
const apiPolicy = fastifyHelmet.contentSecurityPolicy({
  useDefaults: false,
  directives: API_POLICY,
});
const docsPolicy = fastifyHelmet.contentSecurityPolicy({
  useDefaults: false,
  directives: DOCS_POLICY,
});

/**
 * Security headers on every answer of the service (@fastify/helmet): `nosniff`, no framing, no
 * referrer, a Content-Security-Policy for an API (Swagger UI's own under `docsPath`) and
 * `Cache-Control: no-store`. No `Strict-Transport-Security`: the services speak plain HTTP and
 * cannot tell whether a TLS proxy fronts them; HSTS pins a whole host name for a long time, so the
 * TLS terminator that owns the name sets it (browsers ignore it over plain HTTP anyway).
 */
export async function registerSecurityHeaders(
  app: NestFastifyApplication,
  docsPath: string,
): Promise<void> {
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: { useDefaults: false, directives: API_POLICY },
    strictTransportSecurity: false,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: REFERRER_POLICY },
  });
  // Registered after helmet's hooks (the register above is awaited), so these headers win.
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (request, reply, done) => {
      void reply.header('cache-control', CACHE_CONTROL);
      const route = request.routeOptions.url;
      if (route === docsPath || route?.startsWith(`${docsPath}/`) === true) {
        docsPolicy(request.raw, reply.raw, noop);
      }
      done();
    });
}

/**
 * The same headers on an answer Fastify's router makes before any hook runs (`frameworkErrors`:
 * a malformed URL, a too-long path segment).
 */
export function applySecurityHeaders(reply: FastifyReply): void {
  apiPolicy(reply.request.raw, reply.raw, noop);
  void reply.headers({
    'cache-control': CACHE_CONTROL,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': REFERRER_POLICY,
  });
}
