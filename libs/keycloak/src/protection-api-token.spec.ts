import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KeycloakDiscovery } from './keycloak-discovery.ts';
import { KeycloakError } from './keycloak-http.ts';
import { ProtectionApiToken } from './protection-api-token.ts';

describe(ProtectionApiToken.name, () => {
  let server: Server;
  let tokenEndpoint: string;
  let issued = 0;
  let lastAuthorization: string | undefined;
  let status = 200;
  let clock = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      lastAuthorization = request.headers.authorization;
      issued += 1;
      response.statusCode = status;
      response.setHeader('content-type', 'application/json');
      // Answer a little later, so that concurrent callers overlap.
      setTimeout(() => {
        response.end(
          JSON.stringify(
            status === 200
              ? { access_token: `pat-${issued}`, expires_in: 300 }
              : { error: 'unauthorized_client' },
          ),
        );
      }, 20);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    tokenEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    issued = 0;
    status = 200;
    clock = 0;
  });

  const pat = () =>
    new ProtectionApiToken(
      {
        url: '',
        realm: 'photoz',
        issuer: '',
        clientId: 'album-api',
        clientSecret: 'sec ret',
        timeoutMs: 2_000,
      },
      {
        get: () => Promise.resolve({ token_endpoint: tokenEndpoint }),
      } as unknown as KeycloakDiscovery,
      () => clock,
    );

  it('asks once for concurrent callers and authenticates with HTTP Basic', async () => {
    const provider = pat();
    const tokens = await Promise.all(Array.from({ length: 10 }, () => provider.get()));
    expect(new Set(tokens)).toEqual(new Set(['pat-1']));
    expect(issued).toBe(1);
    expect(lastAuthorization).toBe(`Basic ${Buffer.from('album-api:sec+ret').toString('base64')}`);
  });

  it('keeps the token for the first half of its life, then replaces it', async () => {
    const provider = pat();
    expect(await provider.get()).toBe('pat-1');
    clock += 149_000;
    expect(await provider.get()).toBe('pat-1');
    clock += 2_000;
    expect(await provider.get()).toBe('pat-2');
  });

  it("reports Keycloak's refusal and tries again on the next call", async () => {
    const provider = pat();
    status = 401;
    await expect(provider.get()).rejects.toBeInstanceOf(KeycloakError);
    status = 200;
    expect(await provider.get()).toBe('pat-2');
  });
});
