import { randomBytes } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Plugin } from 'vite';
import { webContentSecurityPolicy, type WebOrigins } from './security-headers.ts';

/**
 * What Vite writes as the nonce of every script and style of the dev page (`html.cspNonce`); this
 * plugin replaces it with a fresh nonce per answer, the one its Content-Security-Policy names.
 */
export const CSP_NONCE_PLACEHOLDER = 'photoz-csp-nonce';

/**
 * The dev server's Content-Security-Policy, with a nonce per answer: the dev page has inline
 * scripts (the React refresh preamble) and injects styles, which a policy without
 * `'unsafe-inline'` allows only by nonce. The page is never answered `304`: a cached copy would
 * carry an older nonce than the policy of the answer.
 */
export function cspNoncePlugin(origins: WebOrigins): Plugin {
  return {
    name: 'photoz:csp-nonce',
    apply: 'serve',
    configureServer(server) {
      server.middlewares.use((request, response, next) => {
        const nonce = randomBytes(16).toString('base64');
        response.setHeader('Content-Security-Policy', webContentSecurityPolicy(origins, nonce));
        if (request.headers.accept?.includes('text/html') === true) {
          delete request.headers['if-none-match'];
        }
        withNonceInHtml(response, nonce);
        next();
      });
    },
  };
}

function withNonceInHtml(response: ServerResponse, nonce: string): void {
  const end = response.end.bind(response) as (...args: unknown[]) => ServerResponse;
  response.end = ((...args: unknown[]) => {
    const [body] = args;
    const isHtml = String(response.getHeader('Content-Type') ?? '').startsWith('text/html');
    if (isHtml && (typeof body === 'string' || Buffer.isBuffer(body))) {
      args[0] = body.toString().replaceAll(CSP_NONCE_PLACEHOLDER, nonce);
      response.removeHeader('Etag');
      response.setHeader('Cache-Control', 'no-store');
    }
    return end(...args);
  }) as ServerResponse['end'];
}
