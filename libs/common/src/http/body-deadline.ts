import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ProblemException } from '../problem/problem-details.ts';

/** Whether the request says a body follows (a length above zero, or chunks). */
export function announcesBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return (
    (length !== undefined && length !== '0') || request.headers['transfer-encoding'] !== undefined
  );
}

/** The `408` for a body that did not arrive within its bound. */
export function bodyTimeout(timeoutMs: number): ProblemException {
  return new ProblemException({
    status: 408,
    code: 'body-timeout',
    detail: `The request body did not arrive within ${timeoutMs / 1000} s.`,
  });
}

/**
 * The body as it arrives, failing with {@link bodyTimeout} unless it has ended `timeoutMs` after
 * the stream was made. `receivedEncodedLength` is what Fastify checks the body limit against.
 */
class BodyWithDeadline extends Transform {
  receivedEncodedLength = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(source: Readable, timeoutMs: number) {
    super();
    this.timer = setTimeout(() => {
      source.unpipe(this);
      this.destroy(bodyTimeout(timeoutMs));
    }, timeoutMs).unref();
    // Fastify listens while it reads the body; a body it never reads (refused for its length or
    // its content type) must not turn the deadline into an uncaught error.
    this.on('error', () => undefined);
    source.once('error', (error) => this.destroy(error));
    source.pipe(this);
  }

  /** Stops the clock: the request has been answered. */
  stop(): void {
    clearTimeout(this.timer);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.receivedEncodedLength += chunk.length;
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    clearTimeout(this.timer);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    clearTimeout(this.timer);
    callback(error);
  }
}

/**
 * Bounds the time a body read into memory (JSON, text, a form) may take to `timeoutMs` from the
 * end of its headers: a slower one is a `408`. Uploads (`multipart/form-data`, streamed by their
 * route) are bounded by the whole request's time instead (`requestTimeout`). An answer sent
 * before its request's body has arrived closes the connection, so that a client that never
 * finishes its body holds no connection once it has been answered.
 */
export function boundBodyTime(fastify: FastifyInstance, timeoutMs: number): void {
  fastify.addHook('preParsing', (request, reply, payload, done) => {
    const multipart = (request.headers['content-type'] ?? '')
      .trimStart()
      .toLowerCase()
      .startsWith('multipart/');
    if (!announcesBody(request) || multipart) {
      done(null, payload);
      return;
    }
    const body = new BodyWithDeadline(payload, timeoutMs);
    reply.raw.once('close', () => body.stop());
    done(null, body);
  });
  fastify.addHook('onSend', (request, reply, payload, done) => {
    if (!request.raw.complete) {
      void reply.header('connection', 'close');
    }
    done(null, payload);
  });
}
