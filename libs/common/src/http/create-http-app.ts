import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { DynamicModule, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { annotateRequestSpan, log, metrics, NestPinoLogger } from '@app/observability';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ProblemDetailsFilter, sendProblem } from '../problem/problem-details.filter.ts';
import { createOpenApiDocument } from '../problem/openapi-document.ts';
import { problemType, statusTitle } from '../problem/problem-details.ts';
import { applySecurityHeaders, registerSecurityHeaders } from './security-headers.ts';
import { boundBodyTime } from './body-deadline.ts';
import { capConnections, connectionTimeouts } from './connection-limits.ts';
import { DEFAULT_HTTP_LIMITS, type HttpLimits } from './http-limits.ts';
import { useJsonBodyParser } from './json-body-parser.ts';
import { refuseBodiesWithoutToken } from './token-before-body.ts';
import { createValidationPipe } from './validation.ts';

export interface HttpAppOptions {
  readonly title: string;
  readonly description: string;
  readonly corsOrigins: readonly string[];
  /** Body size, JSON depth, time bounds and connection cap (`HTTP_*`); the defaults otherwise. */
  readonly limits?: HttpLimits;
  /**
   * The answer to a request with a body but no bearer token on a route that is not `@Public()`,
   * given before the body is read; without it, such bodies are read and the guard answers.
   */
  readonly tokenRequired?: () => Error;
  /** Nest's own messages at these levels only (tests); the log level is `LOG_LEVEL`'s. */
  readonly logLevels?: LogLevel[];
}

/**
 * The request lines, one per request: written without the redaction every other line goes
 * through, as they hold only the fields the `onResponse` hook below picks (method, route pattern,
 * status, duration, request id, the caller's subject and client id), never a header, a body or a
 * URL. Redacting them cost four times the rest of writing the line (16 µs against 4), on every
 * request.
 */
const requestLog = log.child({ component: 'http' }, { redact: [] });

/** Who called, as the authentication guard left it on the request; never the token. */
interface CallerOnRequest {
  readonly user?: { readonly subject?: string; readonly clientId?: string };
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** What the router says about the URLs it refuses before any route, hook or filter runs. */
const ROUTER_REFUSALS: Readonly<Record<string, string>> = {
  FST_ERR_BAD_URL: 'The URL is not valid: a percent-encoded sequence is malformed.',
  FST_ERR_MAX_PARAM_LENGTH: 'A path segment of the URL is too long.',
};

/**
 * Creates a Fastify-backed Nest application with the project's HTTP conventions: problem details
 * for every error (Nest routes Fastify's own errors, such as unparsable JSON, through the same filter), a correlation id per request (`x-request-id`), validation, CORS for the
 * frontend, OpenAPI at `/docs` and `/docs-json`, and graceful shutdown on SIGTERM/SIGINT.
 */
export async function createHttpApp(
  module: DynamicModule,
  options: HttpAppOptions,
): Promise<NestFastifyApplication> {
  const limits = options.limits ?? DEFAULT_HTTP_LIMITS;
  const adapter = new FastifyAdapter({
    bodyLimit: limits.bodyLimitBytes,
    ...connectionTimeouts(limits),
    requestIdHeader: false,
    genReqId: (request: IncomingMessage) => {
      const supplied = request.headers['x-request-id'];
      return typeof supplied === 'string' && REQUEST_ID.test(supplied) ? supplied : randomUUID();
    },
    return503OnClosing: true,
    // Fastify would answer these itself, with its own error code in a non-problem body; the
    // adapter's default handler only adds a security hook this project does not register.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      const status = error.statusCode ?? 500;
      void reply.header('x-request-id', request.id);
      applySecurityHeaders(reply);
      sendProblem(reply, {
        type: problemType(undefined),
        title: statusTitle(status),
        status,
        detail: ROUTER_REFUSALS[error.code] ?? 'An unexpected error occurred.',
        instance: request.url.split('?')[0],
        correlationId: request.id,
      });
    },
  });
  const app = await NestFactory.create<NestFastifyApplication>(module, adapter, {
    logger: new NestPinoLogger(options.logLevels),
    bufferLogs: false,
    // A failed start throws (and the service exits with a message) instead of aborting the process.
    abortOnError: false,
  });
  registerSecurityHeaders(app, '/docs');
  const fastify = app.getHttpAdapter().getInstance();
  capConnections(fastify.server, limits);
  useJsonBodyParser(app, { bodyLimit: limits.bodyLimitBytes, maxDepth: limits.jsonMaxDepth });
  if (options.tokenRequired !== undefined) {
    refuseBodiesWithoutToken(fastify, options.tokenRequired);
  }
  boundBodyTime(fastify, limits.bodyTimeoutMs);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header('x-request-id', request.id);
    annotateRequestSpan({
      method: request.method,
      route: request.routeOptions.url,
      requestId: request.id,
    });
    done();
  });
  // One line and one histogram sample per request: the route pattern, never the URL (ids, query
  // strings), and the caller's subject and client, never a header.
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    metrics.httpRequestDuration.observe(
      { method: request.method, route, status: String(status) },
      reply.elapsedTime / 1000,
    );
    const caller = (request as CallerOnRequest).user;
    requestLog.info(
      {
        method: request.method,
        route,
        status,
        durationMs: Math.round(reply.elapsedTime * 100) / 100,
        requestId: request.id,
        subject: caller?.subject,
        clientId: caller?.clientId,
      },
      'request',
    );
    done();
  });
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.useGlobalPipes(createValidationPipe());
  app.enableCors({
    origin: [...options.corsOrigins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'X-Request-Id'],
    // The frontend reads the UMA ticket from WWW-Authenticate.
    exposedHeaders: [
      'WWW-Authenticate',
      'X-Request-Id',
      'Location',
      // The rate-limit fields (see RateLimitModule), so the frontend can pace itself.
      'RateLimit',
      'RateLimit-Policy',
      'Retry-After',
    ],
    maxAge: 600,
  });
  app.enableShutdownHooks();

  // The same document `npm run openapi` writes to libs/api-contract (the web app's contract).
  const document = createOpenApiDocument(app, options);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
