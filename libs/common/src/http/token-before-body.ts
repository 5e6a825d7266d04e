import type { FastifyInstance, FastifyRequest } from 'fastify';
import { announcesBody } from './body-deadline.ts';
import { PUBLIC_ROUTE } from './public.decorator.ts';

/** As passport-jwt reads the header: a scheme, spaces, a value. */
const CREDENTIALS = /(\S+)\s+(\S+)/;

function carriesBearerToken(request: FastifyRequest): boolean {
  const scheme = CREDENTIALS.exec(request.headers.authorization ?? '')?.[1];
  return scheme?.toLowerCase() === 'bearer';
}

/**
 * Answers a request that announces a body but carries no bearer token at all, on a route that is
 * not `@Public()`, with `refusal` before its body is read: the guard would refuse it anyway, once
 * the body had been received and parsed. A request with a token, valid or not, is read and then
 * judged by the guard as before.
 */
export function refuseBodiesWithoutToken(fastify: FastifyInstance, refusal: () => Error): void {
  fastify.addHook('preParsing', (request, _reply, payload, done) => {
    const refused =
      !request.is404 &&
      // Fastify reads no body for these: nothing to save, and the docs routes take no token.
      request.method !== 'GET' &&
      request.method !== 'HEAD' &&
      request.routeOptions.config[PUBLIC_ROUTE] !== true &&
      announcesBody(request) &&
      !carriesBearerToken(request);
    if (refused) {
      done(refusal());
      return;
    }
    done(null, payload);
  });
}
