import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { KeycloakDiscovery } from '@app/keycloak';
import { createServiceApp, type ServiceDefinition } from '@app/platform';
import type { ServiceConfig } from '@app/common';
import { serviceEnv } from '../setup/test-env.ts';

/** A service running in this process on an ephemeral loopback port, against the real stack. */
export interface RunningService {
  readonly url: string;
  readonly app: NestFastifyApplication;
  close(): Promise<void>;
}

export async function startService<C extends ServiceConfig>(
  definition: ServiceDefinition<C>,
  env: Record<string, string> = {},
): Promise<RunningService> {
  const config = definition.loadConfig(serviceEnv(env));
  const app = await createServiceApp(definition, config, ['error', 'fatal']);
  await app.listen(0, '127.0.0.1');
  // Tests start once discovery is loaded, as a load balancer would wait for readiness.
  await app.get(KeycloakDiscovery).get();
  const address = app.getHttpServer().address();
  if (address === null || typeof address === 'string') {
    throw new Error('service did not bind a TCP port');
  }
  return { url: `http://127.0.0.1:${address.port}`, app, close: () => app.close() };
}

export interface HttpResult<T = unknown> {
  readonly status: number;
  readonly headers: Headers;
  readonly body: T;
  readonly text: string;
}

/** One HTTP request to a service; JSON bodies are parsed. */
export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
  });
  const text = await response.text();
  let body: unknown = text;
  if ((response.headers.get('content-type') ?? '').includes('json') && text !== '') {
    body = JSON.parse(text);
  }
  return { status: response.status, headers: response.headers, body: body as T, text };
}
