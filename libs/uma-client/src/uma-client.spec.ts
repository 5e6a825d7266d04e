import { describe, expect, it } from 'vitest';
import { Configuration, discovery } from './configuration.ts';
import type { UmaClientOptions } from './options.ts';
import { JDOE, person } from './testing/clients.ts';
import {
  API,
  FakeUmaStack,
  HOSTILE,
  ISSUER,
  PARTNER,
  TOKEN_ENDPOINT,
} from './testing/fake-uma-stack.ts';
import { UmaClient } from './uma-client.ts';

describe('UmaClient', () => {
  it('trades a challenge ticket for an RPT at the discovered token endpoint and retries with it', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);

    const result = await client.get<{ name: string }>('/albums/a');

    expect(result).toMatchObject({ kind: 'ok', status: 200, body: { name: 'Album a' } });
    expect(stack.calls.map((call) => `${call.method} ${call.url}`)).toEqual([
      `GET ${API}/albums/a`,
      `GET ${ISSUER}/.well-known/uma2-configuration`,
      `POST ${TOKEN_ENDPOINT}`,
      `GET ${API}/albums/a`,
    ]);
    const [exchange] = stack.umaExchanges();
    expect(exchange?.authorization).toMatch(/^Bearer /);
    expect(exchange?.form).not.toHaveProperty('rpt');
    expect(exchange?.form).not.toHaveProperty('submit_request');
    const retried = stack.claims(stack.apiCalls()[1]?.authorization?.slice(7) ?? '');
    expect(retried?.typ).toBe('rpt');
    expect(client.heldPermissions()).toEqual(new Map([['res-a', ['album:view']]]));
  });

  it('answers access-requested when Keycloak submitted a request to the owner', async () => {
    const stack = new FakeUmaStack();
    const { client } = person(stack);

    expect(await client.get('/albums/a')).toEqual({
      kind: 'access-requested',
      resourceId: 'res-a',
    });
    expect(stack.submitted).toEqual([{ sub: JDOE, rsid: 'res-a' }]);
  });

  it('answers no-access with requestAccess false, sending submit_request=false', async () => {
    const stack = new FakeUmaStack();
    const { client } = person(stack, { requestAccess: false });

    expect(await client.get('/albums/a')).toEqual({ kind: 'no-access', resourceId: 'res-a' });
    expect(stack.umaExchanges()[0]?.form?.['submit_request']).toBe('false');
    expect(stack.submitted).toEqual([]);
  });

  it('upgrades the held RPT: the second exchange passes it as rpt and the new RPT holds both', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.grant(JDOE, 'res-b', 'album:view');
    const { client } = person(stack);

    expect((await client.get('/albums/a')).kind).toBe('ok');
    const first = client.rptFor('res-a');
    expect((await client.get('/albums/b')).kind).toBe('ok');

    const exchanges = stack.umaExchanges();
    expect(exchanges).toHaveLength(2);
    expect(exchanges[1]?.form?.['rpt']).toBe(first);
    expect(client.rptFor('res-a')).toBe(client.rptFor('res-b'));
    expect(stack.claims(client.rptFor('res-b') ?? '')?.authorization?.permissions).toEqual([
      { rsid: 'res-a', scopes: ['album:view'] },
      { rsid: 'res-b', scopes: ['album:view'] },
    ]);
  });

  it('reuses the RPT for later calls to the same resource without a new challenge', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);

    await client.get('/albums/a');
    const before = stack.calls.length;
    expect(await client.get('/albums/a?fresh=1')).toMatchObject({ kind: 'ok' });

    expect(stack.calls.slice(before).map((call) => call.url)).toEqual([`${API}/albums/a?fresh=1`]);
    expect(stack.umaExchanges()).toHaveLength(1);
  });

  it('uses a held RPT for another URL of a resource it covers after the challenge, without Keycloak', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);

    await client.get('/albums/a');
    const photo = await client.get<ArrayBuffer>('/albums/a/photos/p1/content');

    expect(photo.kind).toBe('ok');
    expect(photo.kind === 'ok' && [...new Uint8Array(photo.body)]).toEqual([1, 2, 3]);
    expect(stack.umaExchanges()).toHaveLength(1);
  });

  it('sends the plain access token, never the RPT, to a route outside @Scopes', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);

    await client.get('/albums/a');
    expect(await client.get('/me')).toMatchObject({ kind: 'ok', body: { subject: JDOE } });
    expect(stack.claims(stack.apiCalls().at(-1)?.authorization?.slice(7) ?? '')?.typ).toBe(
      'access',
    );
  });

  it('drops an RPT the API calls expired and gets a fresh one, once', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);
    await client.get('/albums/a');
    const old = client.rptFor('res-a') ?? '';
    stack.expired.add(old);

    expect(await client.get('/albums/a')).toMatchObject({ kind: 'ok' });

    const sent = stack
      .apiCalls()
      .slice(2)
      .map((call) => stack.claims(call.authorization?.slice(7) ?? '')?.typ);
    expect(sent).toEqual(['rpt', 'access', 'rpt']);
    expect(stack.umaExchanges()).toHaveLength(2);
    expect(stack.umaExchanges()[1]?.form).not.toHaveProperty('rpt');
    expect(client.rptFor('res-a')).not.toBe(old);
  });

  it('asks the app for a new access token once when the API calls it expired', async () => {
    const stack = new FakeUmaStack();
    let calls = 0;
    const client = new UmaClient({
      issuer: ISSUER,
      baseUrl: API,
      fetch: stack.fetch,
      person: {
        accessToken: () => {
          calls += 1;
          const token = stack.accessToken(JDOE);
          if (calls === 1) {
            stack.expired.add(token);
          }
          return Promise.resolve(token);
        },
      },
    });

    expect(await client.get('/me')).toMatchObject({ kind: 'ok', body: { subject: JDOE } });
    expect(calls).toBe(2);
  });

  it('asks the app for a new access token once when Keycloak refuses it at the UMA grant', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    // The app hands out the same token until it is told the token was refused.
    const ended = stack.accessToken(JDOE);
    stack.sessionEnded.add(ended);
    let calls = 0;
    const client = new UmaClient({
      issuer: ISSUER,
      baseUrl: API,
      fetch: stack.fetch,
      person: {
        accessToken: () => {
          calls += 1;
          return Promise.resolve(calls <= 2 ? ended : stack.accessToken(JDOE));
        },
      },
    });

    expect((await client.get('/albums/a')).kind).toBe('ok');
    expect(calls).toBe(3);
    expect(stack.umaExchanges().map((exchange) => exchange.authorization)).toEqual([
      `Bearer ${ended}`,
      expect.not.stringContaining(ended),
    ]);
  });

  it('uses a configuration the caller discovered, without discovering again', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const configuration = await discovery(ISSUER, { fetch: stack.fetch });
    const { client } = person(stack, { configuration });

    expect((await client.get('/albums/a')).kind).toBe('ok');
    expect(stack.calls.filter((call) => call.url.includes('/.well-known/'))).toHaveLength(1);
  });

  it('refuses a configuration of another issuer, and a partner without a way to authenticate', () => {
    const stack = new FakeUmaStack();
    const configuration = new Configuration({
      issuer: HOSTILE,
      token_endpoint: `${HOSTILE}/token`,
    });
    expect(() => person(stack, { configuration })).toThrow(/another issuer/);
    expect(
      () =>
        new UmaClient({
          issuer: ISSUER,
          baseUrl: API,
          partner: { clientId: PARTNER.clientId } as unknown as UmaClientOptions['partner'],
        }),
    ).toThrow(/clientSecret/);
  });

  it('returns a non-UMA 401 Bearer refusal as a problem after one renewal', async () => {
    const stack = new FakeUmaStack();
    stack.refuseAudience = true;
    const { client, tokens } = person(stack);

    const result = await client.get('/me');

    expect(result).toMatchObject({ kind: 'problem', status: 401, source: 'api' });
    expect(result.kind === 'problem' && result.response.headers.get('www-authenticate')).toContain(
      'audience not accepted',
    );
    expect(tokens()).toBe(2);
    expect(stack.umaExchanges()).toEqual([]);
  });

  it('returns no-access, without looping, when the API still challenges a fresh RPT', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.notHonoured.add('res-a');
    const { client } = person(stack);

    expect(await client.get('/albums/a')).toEqual({ kind: 'no-access', resourceId: 'res-a' });
    expect(stack.apiCalls()).toHaveLength(2);
    expect(stack.umaExchanges()).toHaveLength(1);
  });

  it('after a revocation asks the owner again, or answers no-access without a request', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);
    await client.get('/albums/a');
    stack.revoke(JDOE, 'res-a');

    expect(await client.get('/albums/a')).toEqual({
      kind: 'access-requested',
      resourceId: 'res-a',
    });
    expect(await client.get('/albums/a', { requestAccess: false })).toEqual({
      kind: 'no-access',
      resourceId: 'res-a',
    });
  });

  it('returns API problems with their body and Retry-After', async () => {
    const stack = new FakeUmaStack();
    const { client } = person(stack);

    expect(await client.get('/albums/missing')).toMatchObject({
      kind: 'problem',
      status: 404,
      problem: { title: 'Not Found', status: 404 },
    });
    expect(await client.get('/albums/unregistered')).toMatchObject({
      kind: 'problem',
      status: 403,
      retryAfter: 5,
    });
  });

  it('runs concurrent exchanges one after the other, so they end in one upgraded RPT', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.grant(JDOE, 'res-b', 'album:view');
    const { client } = person(stack);

    const results = await Promise.all([client.get('/albums/a'), client.get('/albums/b')]);

    expect(results.map((result) => result.kind)).toEqual(['ok', 'ok']);
    expect(client.rptFor('res-a')).toBe(client.rptFor('res-b'));
  });

  it('authorizationFor: the access token for a URL whose resource it holds no RPT for', async () => {
    const stack = new FakeUmaStack();
    const { client } = person(stack);

    const authorization = await client.authorizationFor('/albums/a/photos');

    expect(authorization).toMatch(/^Bearer /);
    expect(stack.claims(authorization.slice(7))).toMatchObject({ typ: 'access', sub: JDOE });
    expect(stack.calls).toEqual([]);
  });

  it('authorizationFor: the held RPT for a URL of a resource it was challenged for', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);
    await client.get('/albums/a');

    expect(await client.authorizationFor(`${API}/albums/a?fresh=1`)).toBe(
      `Bearer ${client.rptFor('res-a')}`,
    );
  });

  it('authorizationFor: the access token, never the RPT, for a URL outside the held resource', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);
    await client.get('/albums/a');

    const authorization = await client.authorizationFor('/me');

    expect(stack.claims(authorization.slice(7))?.typ).toBe('access');
  });

  it('authorizationFor: the access token once the held RPT has expired', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client } = person(stack);
    await client.get('/albums/a');
    stack.nowSeconds += 301;

    const authorization = await client.authorizationFor('/albums/a');

    expect(stack.claims(authorization.slice(7))?.typ).toBe('access');
    expect(client.rptFor('res-a')).toBeUndefined();
  });

  it('discovers the UMA token endpoint once for many challenges', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.grant(JDOE, 'res-b', 'album:view');
    const { client } = person(stack);

    await Promise.all([client.get('/albums/a'), client.get('/albums/b')]);

    expect(stack.calls.filter((call) => call.url.includes('uma2-configuration'))).toHaveLength(1);
  });
});
