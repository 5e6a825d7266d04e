import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { metrics } from '@app/observability';
import { JwksKeyStore, type JwksKeyStoreOptions } from './jwks-key-store.ts';

const REFRESH_INTERVAL_MS = 300_000;

/** The value of `photoz_jwks_refreshes_total{result}` now. */
async function refreshes(result: 'success' | 'failure'): Promise<number> {
  const { values } = await metrics.jwksRefreshes.get();
  return values.find((value) => value.labels.result === result)?.value ?? 0;
}

function jwkOf(kid: string): Record<string, unknown> {
  const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
}

describe(JwksKeyStore.name, () => {
  let server: Server;
  let workingJwksUri: string;
  let jwksUri: string;
  /** How many reads the store began: it asks for the URI first thing, synchronously. */
  let lookups = 0;
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
    workingJwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/certs`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    jwksUri = workingJwksUri;
    lookups = 0;
    requests = 0;
    clock = 1_000_000;
    keys = [jwkOf('k1'), { ...jwkOf('enc'), use: 'enc' }];
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  const store = (overrides: Partial<JwksKeyStoreOptions> = {}) =>
    new JwksKeyStore({
      jwksUri: () => {
        lookups += 1;
        return Promise.resolve(jwksUri);
      },
      refreshMinIntervalMs: 10_000,
      refreshIntervalMs: REFRESH_INTERVAL_MS,
      timeoutMs: 2_000,
      now: () => clock,
      ...overrides,
    });

  /** A store whose schedule runs on fake timers, with the realm's keys loaded. */
  async function scheduledStore(): Promise<JwksKeyStore> {
    // Only the interval is faked: the HTTP client's socket timeouts keep real time.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const keyStore = store();
    keyStore.onApplicationBootstrap();
    expect(await keyStore.find('k1')).toBeDefined();
    expect(lookups).toBe(1);
    return keyStore;
  }

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

  it('refuses a key the realm stopped publishing after the next scheduled refresh', async () => {
    const keyStore = await scheduledStore();
    keys = [jwkOf('k2')];
    vi.advanceTimersByTime(REFRESH_INTERVAL_MS);
    expect(lookups).toBe(2);
    // Waits for the scheduled read in flight rather than causing one.
    expect(await keyStore.find('k2')).toBeDefined();
    expect(requests).toBe(2);
    expect(await keyStore.find('k1')).toBeUndefined();
    keyStore.onApplicationShutdown();
  });

  it('keeps the known keys and counts the failure when a scheduled refresh fails', async () => {
    const keyStore = await scheduledStore();
    const before = { success: await refreshes('success'), failure: await refreshes('failure') };
    jwksUri = 'http://127.0.0.1:9/certs';
    vi.advanceTimersByTime(REFRESH_INTERVAL_MS);
    await vi.waitFor(async () => expect(await refreshes('failure')).toBe(before.failure + 1));
    expect(await refreshes('success')).toBe(before.success);
    expect(await keyStore.find('k1')).toBeDefined();
    keyStore.onApplicationShutdown();
  });

  it('leaves the unknown-kid throttle open after a scheduled refresh', async () => {
    const keyStore = await scheduledStore();
    vi.advanceTimersByTime(REFRESH_INTERVAL_MS);
    // Waits for the scheduled read in flight rather than causing one.
    expect(await keyStore.find('not-yet-rotated')).toBeUndefined();
    expect(lookups).toBe(2);
    keys = [...keys, jwkOf('k2')];
    expect(await keyStore.find('k2')).toBeDefined();
    expect(lookups).toBe(3);
    keyStore.onApplicationShutdown();
  });

  it('stops the scheduled refresh on application shutdown', async () => {
    const keyStore = await scheduledStore();
    expect(vi.getTimerCount()).toBe(1);
    keyStore.onApplicationShutdown();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * REFRESH_INTERVAL_MS);
    expect(lookups).toBe(1);
  });
});
