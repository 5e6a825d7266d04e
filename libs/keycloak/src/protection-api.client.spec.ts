import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { KeycloakDiscovery } from './keycloak-discovery.ts';
import { ProtectionApiClient } from './protection-api.client.ts';
import type { ProtectionApiToken } from './protection-api-token.ts';

/** A protection API that holds `count` resources and `count` tickets and honours `first`/`max`. */
describe(`${ProtectionApiClient.name} searches`, () => {
  let server: Server;
  let base: string;
  let count = 0;
  let queries: URLSearchParams[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      queries.push(url.searchParams);
      const first = Number(url.searchParams.get('first'));
      const max = Number(url.searchParams.get('max'));
      const all = Array.from({ length: count }, (_, index) =>
        url.pathname === '/resource_set'
          ? { _id: `r${index}`, name: `resource ${index}`, owner: 'alice' }
          : { id: `t${index}`, owner: 'alice', resource: 'r0', scope: 's', requester: 'jdoe' },
      );
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify(all.slice(first, first + max)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    queries = [];
  });

  const client = () =>
    new ProtectionApiClient(
      {
        url: base,
        realm: 'photoz',
        issuer: '',
        clientId: 'album-api',
        clientSecret: 's',
        timeoutMs: 2_000,
      },
      {
        get: () =>
          Promise.resolve({
            resource_registration_endpoint: `${base}/resource_set`,
            permission_endpoint: `${base}/permission`,
          }),
      } as unknown as KeycloakDiscovery,
      {
        get: () => Promise.resolve('pat'),
        invalidate: () => undefined,
      } as unknown as ProtectionApiToken,
    );

  // A full last page costs one more request, which answers empty.
  it.each([
    [0, 1],
    [1, 1],
    [4, 3],
    [5, 3],
  ])('finds all of %i resources in pages of 2 (%i requests)', async (total, requests) => {
    count = total;
    const found = await client().findResources({ type: 'album', owner: 'alice' }, 2);
    expect(found.map((resource) => resource.id)).toEqual(
      Array.from({ length: total }, (_, index) => `r${index}`),
    );
    expect(queries).toHaveLength(requests);
    expect(queries.map((query) => query.get('first'))).toEqual(
      Array.from({ length: requests }, (_, index) => String(index * 2)),
    );
    for (const query of queries) {
      expect(Object.fromEntries(query)).toMatchObject({
        deep: 'true',
        max: '2',
        type: 'album',
        owner: 'alice',
      });
    }
  });

  it('finds every ticket across pages and sends only the filters given', async () => {
    count = 5;
    const found = await client().findTickets({ resourceId: 'r0', granted: false }, 2);
    expect(found.map((ticket) => ticket.id)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    expect(queries.map((query) => Object.fromEntries(query))).toEqual([
      { first: '0', max: '2', resourceId: 'r0', granted: 'false' },
      { first: '2', max: '2', resourceId: 'r0', granted: 'false' },
      { first: '4', max: '2', resourceId: 'r0', granted: 'false' },
    ]);
  });
});
