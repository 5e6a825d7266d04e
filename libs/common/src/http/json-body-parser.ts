import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RawServerDefault } from 'fastify';
import { ProblemException } from '../problem/problem-details.ts';
import { jsonNestsDeeperThan } from './json-depth.ts';

/** The `400` for a JSON body nested deeper than the service reads. */
export function jsonTooDeep(maxDepth: number): ProblemException {
  return new ProblemException({
    status: 400,
    code: 'json-too-deep',
    title: 'Invalid request',
    detail: `The JSON body nests arrays and objects deeper than ${maxDepth} levels.`,
  });
}

/**
 * Parses `application/json` bodies of at most `bodyLimit` bytes with Fastify's own parser (which
 * refuses `__proto__` and `constructor` keys), once one linear pass has found them no deeper than
 * `maxDepth`: a deeper body is a `400` before anything recurses through it.
 */
export function useJsonBodyParser(
  app: NestFastifyApplication,
  options: { readonly bodyLimit: number; readonly maxDepth: number },
): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parse = fastify.getDefaultJsonParser('error', 'error');
  app.useBodyParser<RawServerDefault>(
    'application/json',
    { bodyLimit: options.bodyLimit },
    (request, body, done) => {
      if (jsonNestsDeeperThan(body, options.maxDepth)) {
        done(jsonTooDeep(options.maxDepth), undefined);
        return;
      }
      void parse(request, body.toString('utf8'), done);
    },
  );
}
