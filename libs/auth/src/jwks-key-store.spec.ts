import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { JwksKeyStore } from './jwks-key-store.ts';

function jwkOf(kid: string): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

describe(JwksKeyStore.name, () => {
  let server: Server;
  let jwksUri: string;
  let requests = 0;
  let keys: Record<string, unknown>[] = [];
  let clock = 0;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      requests += 1;
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    requests = 0;
    clock = 1_000_000;
    keys = [jwkOf('k1'), { ...jwkOf('enc'), use: 'enc' }];
  });

  const store = () =>
    new JwksKeyStore({
      jwksUri: () => Promise.resolve(jwksUri),
      refreshMinIntervalMs: 10_000,
      timeoutMs: 2_000,
      now: () => clock,
    });

  it('parses each key once and serves the same KeyObject afterwards', async () => {
    const keyStore = store();
    const first = await keyStore.find('k1');
    const second = await keyStore.find('k1');
    expect(first?.key.type).toBe('public');
    expect(second?.key).toBe(first?.key);
    expect(first?.alg).toBe('RS256');
    expect(requests).toBe(1);
  });

  it('ignores encryption keys', async () => {
    expect(await store().find('enc')).toBeUndefined();
  });

  it('refreshes at most once per interval however many unknown kids arrive', async () => {
    const keyStore = store();
    await keyStore.find('k1');
    clock += 10_000;
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, index) => keyStore.find(`bogus-${index}`)),
    );
    expect(results.every((result) => result === undefined)).toBe(true);
    expect(requests).toBe(2);
    for (let index = 0; index < 50; index += 1) {
      clock += 100;
      expect(await keyStore.find(`bogus-again-${index}`)).toBeUndefined();
    }
    // 5 s of flooding inside one 10 s interval: no further request.
    expect(requests).toBe(2);
  });

  it('picks up a rotated key once the interval has passed', async () => {
    const keyStore = store();
    await keyStore.find('k1');
    keys = [...keys, jwkOf('k2')];
    clock += 1_000;
    expect(await keyStore.find('k2')).toBeUndefined();
    clock += 10_000;
    expect(await keyStore.find('k2')).toBeDefined();
    expect(requests).toBe(2);
  });

  it('keeps serving known keys and allows a retry soon after a failed refresh', async () => {
    const keyStore = store();
    await keyStore.find('k1');
    const working = jwksUri;
    jwksUri = 'http://127.0.0.1:9/certs';
    clock += 10_000;
    expect(await keyStore.find('k2')).toBeUndefined();
    expect(await keyStore.find('k1')).toBeDefined();
    jwksUri = working;
    keys = [...keys, jwkOf('k2')];
    clock += 1_000;
    expect(await keyStore.find('k2')).toBeDefined();
  });
});
