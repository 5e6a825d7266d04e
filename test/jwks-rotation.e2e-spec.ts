import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JwksKeyStore } from '@app/auth';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { ISSUER } from '../scripts/dev-realm/realm.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { decodeJwt, login } from '../scripts/dev-realm/tokens.ts';

/** Long enough for several scheduled refreshes at the interval the service runs with here. */
const WAIT = { timeout: 10_000, interval: 200 } as const;

/** The kids the realm publishes for signing right now. */
async function publishedKids(): Promise<string[]> {
  const response = await fetch(`${ISSUER}/protocol/openid-connect/certs`);
  const { keys } = (await response.json()) as { keys: { kid: string; use?: string }[] };
  return keys.filter((key) => key.use !== 'enc').map((key) => key.kid);
}

describe('realm signing keys on the JWKS schedule', () => {
  const admin = new KeycloakAdmin();
  let service: RunningService;
  let providerId: string | undefined;

  beforeAll(async () => {
    service = await startService(albumService, {
      JWKS_REFRESH_INTERVAL_MS: '1000',
      JWKS_REFRESH_MIN_INTERVAL_MS: '1000',
    });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    // The realm must keep signing with its own keys for the suites that follow.
    if (providerId !== undefined) {
      await admin.removeComponent(providerId);
      providerId = undefined;
    }
  });
  afterAll(async () => {
    await service.close();
  });

  it('refuses a still-unexpired token once its signing key is removed from the realm', async () => {
    const before = (await login('alice')).access_token;
    const { body } = await admin.call<{ keys: { providerPriority?: number }[] }>('GET', '/keys');
    const highestPriority = Math.max(0, ...body.keys.map((key) => key.providerPriority ?? 0));
    providerId = await admin.addKeyProvider('jwks-rotation-removed-key', 'rsa-generated', {
      priority: [String(highestPriority + 100)],
      active: ['true'],
      enabled: ['true'],
      keySize: ['2048'],
      algorithm: ['RS256'],
    });
    const newKid = await admin.kidOf(providerId);
    const token = (await login('alice')).access_token;
    expect(decodeJwt(token).header['kid']).toBe(newKid);
    expect(decodeJwt(token).header['kid']).not.toBe(decodeJwt(before).header['kid']);
    await vi.waitFor(async () => {
      expect((await call(service.url, 'GET', '/me', { token })).status).toBe(200);
    }, WAIT);

    await admin.removeComponent(providerId);
    providerId = undefined;
    expect(await publishedKids()).not.toContain(newKid);
    // Only a scheduled read can drop the key: a known kid never causes a read on its own.
    await vi.waitFor(async () => {
      const response = await call(service.url, 'GET', '/me', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(
        'Bearer realm="photoz", error="invalid_token", error_description="unknown signing key"',
      );
    }, WAIT);
    expect(decodeJwt(token).payload['exp']).toBeGreaterThan(Date.now() / 1000);
  });

  it('keeps accepting a token signed by a key still in the realm across scheduled refreshes', async () => {
    const token = (await login('alice')).access_token;
    expect(await publishedKids()).toContain(decodeJwt(token).header['kid']);
    expect((await call(service.url, 'GET', '/me', { token })).status).toBe(200);

    const refreshes = vi.spyOn(service.app.get(JwksKeyStore), 'refresh');
    await vi.waitFor(() => expect(refreshes.mock.calls.length).toBeGreaterThanOrEqual(3), WAIT);
    // Each of them replaced the key set: a failed read, which keeps the keys, proves nothing here.
    await Promise.all(refreshes.mock.results.map((result) => result.value as Promise<void>));

    const response = await call(service.url, 'GET', '/me', { token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ username: 'alice' });
  });
});
