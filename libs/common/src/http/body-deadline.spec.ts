import { connect } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { ProblemException } from '../problem/problem-details.ts';
import { boundBodyTime } from './body-deadline.ts';

const BOUND_MS = 200;

async function server(): Promise<{ app: FastifyInstance; port: number }> {
  const app = Fastify();
  boundBodyTime(app, BOUND_MS);
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) =>
    reply
      .status(error instanceof ProblemException ? error.getStatus() : (error.statusCode ?? 500))
      .send({}),
  );
  app.post('/echo', (request) => request.body);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  return { app, port: typeof address === 'object' && address !== null ? address.port : 0 };
}

/** Sends `head` and `body`, and what the server answered once it closed the connection. */
function exchange(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (chunk) => (received += chunk.toString('latin1')));
    socket.on('close', () => resolve(received));
    socket.on('error', () => undefined);
    socket.write(text);
  });
}

const request = (contentType: string, length: number, body: string) =>
  `POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${length}\r\n\r\n${body}`;

describe(boundBodyTime.name, () => {
  let app: FastifyInstance | undefined;

  afterEach(async () => {
    await app?.close();
  });

  it('answers a body that has not arrived within its bound with 408, and closes', async () => {
    const started = await server();
    app = started.app;
    const answer = await exchange(started.port, request('application/json', 100, '{"a":'));
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer).toMatch(/connection: close/i);
  });

  it('reads a body that arrives in time', async () => {
    const started = await server();
    app = started.app;
    const answer = await exchange(
      started.port,
      request('application/json', 7, '{"a":1}').replace('Host: x', 'Host: x\r\nConnection: close'),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('closes, and never fails later, after answering a request whose body it did not read', async () => {
    const started = await server();
    app = started.app;
    const answer = await exchange(started.port, request('application/x-unknown', 100, 'abc'));
    expect(answer).toMatch(/^HTTP\/1\.1 415 /);
    // Past the bound: the deadline of the unread body must not fire as an uncaught error.
    await new Promise((resolve) => setTimeout(resolve, BOUND_MS * 2));
  });
});
