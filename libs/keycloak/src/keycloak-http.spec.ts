import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metrics } from '@app/observability';
import { KeycloakError, keycloakFetch, KeycloakUnavailableError } from './keycloak-http.ts';

const OPERATION = 'unit test operation';

async function calls(status: string): Promise<number> {
  const { values } = await metrics.keycloakRequests.get();
  return (
    values.find((value) => value.labels.operation === OPERATION && value.labels.status === status)
      ?.value ?? 0
  );
}

async function timed(): Promise<number> {
  const { values } = await metrics.keycloakDuration.get();
  return (
    values.find(
      (value) =>
        value.metricName === 'photoz_keycloak_request_duration_seconds_count' &&
        value.labels.operation === OPERATION,
    )?.value ?? 0
  );
}

/** A loopback port nothing listens on any more: a connection is refused at once. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

describe(keycloakFetch.name, () => {
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const status = Number(new URL(request.url ?? '/', 'http://x').searchParams.get('status'));
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(status === 200 ? { ok: true } : { error: 'invalid_request' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/kc`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const send = (url: string) =>
    keycloakFetch(OPERATION, url, { timeoutMs: 2_000, expected: [200] });

  it('counts and times every call by operation and status, failures included', async () => {
    const before = {
      ok: await calls('200'),
      refused: await calls('400'),
      failed: await calls('503'),
      unreachable: await calls('0'),
      timed: await timed(),
    };
    await expect(send(`${base}?status=200`)).resolves.toMatchObject({ status: 200 });
    await expect(send(`${base}?status=400`)).rejects.toBeInstanceOf(KeycloakError);
    await expect(send(`${base}?status=503`)).rejects.toBeInstanceOf(KeycloakUnavailableError);
    await expect(send(`http://127.0.0.1:${await closedPort()}/kc`)).rejects.toBeInstanceOf(
      KeycloakUnavailableError,
    );

    expect(await calls('200')).toBe(before.ok + 1);
    expect(await calls('400')).toBe(before.refused + 1);
    expect(await calls('503')).toBe(before.failed + 1);
    expect(await calls('0')).toBe(before.unreachable + 1);
    expect(await timed()).toBe(before.timed + 4);
  });
});
