import { describe, expect, it } from 'vitest';
import { ClientSecretPost } from './client-auth.ts';
import { PARTNER_SUB, partner } from './testing/clients.ts';
import { API, FakeUmaStack, ISSUER, PARTNER, TOKEN_ENDPOINT } from './testing/fake-uma-stack.ts';
import { UmaClient } from './uma-client.ts';

describe('UmaClient for a partner', () => {
  it('reads with a partner: client credentials for the token, HTTP Basic for the UMA grant', async () => {
    const stack = new FakeUmaStack();
    stack.grant(PARTNER_SUB, 'res-a', 'album:view');
    const client = partner(stack);

    const photo = await client.get<ArrayBuffer>('/albums/a/photos/p1/content');
    expect(photo.kind === 'ok' && photo.body.byteLength).toBe(3);
    expect((await client.get('/me')).kind).toBe('ok');

    const tokenCalls = stack.calls.filter((call) => call.url === TOKEN_ENDPOINT);
    expect(tokenCalls.map((call) => call.form?.['grant_type'])).toEqual([
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:uma-ticket',
    ]);
    expect(tokenCalls.every((call) => call.authorization?.startsWith('Basic '))).toBe(true);
    // One discovery serves both grants.
    expect(stack.calls.filter((call) => call.url.includes('/.well-known/'))).toEqual([
      expect.objectContaining({ url: `${ISSUER}/.well-known/uma2-configuration` }),
    ]);
  });

  it('authenticates a partner the way its clientAuthentication says, at the token endpoint only', async () => {
    const stack = new FakeUmaStack();
    stack.grant(PARTNER_SUB, 'res-a', 'album:view');
    const client = new UmaClient({
      issuer: ISSUER,
      baseUrl: API,
      fetch: stack.fetch,
      partner: {
        clientId: PARTNER.clientId,
        clientAuthentication: ClientSecretPost(PARTNER.clientSecret),
      },
    });

    expect((await client.get('/albums/a')).kind).toBe('ok');

    const tokenCalls = stack.calls.filter((call) => call.url === TOKEN_ENDPOINT);
    expect(tokenCalls.map((call) => call.form?.['grant_type'])).toEqual([
      'client_credentials',
      'urn:ietf:params:oauth:grant-type:uma-ticket',
    ]);
    for (const call of tokenCalls) {
      expect(call.authorization).toBeNull();
      expect(call.form).toMatchObject({
        client_id: PARTNER.clientId,
        client_secret: PARTNER.clientSecret,
      });
    }
    expect(JSON.stringify(stack.apiCalls())).not.toContain(PARTNER.clientSecret);
  });

  it("renews a partner's client-credentials token shortly before it expires, not before", async () => {
    const stack = new FakeUmaStack();
    const client = partner(stack);
    const grants = (): number =>
      stack.calls.filter((call) => call.form?.['grant_type'] === 'client_credentials').length;

    await client.get('/me');
    stack.nowSeconds += 30;
    await client.get('/me');
    expect(grants()).toBe(1);
    stack.nowSeconds += 25; // 5 s before the 60 s token expires
    await client.get('/me');
    expect(grants()).toBe(2);
  });

  it('turns a wrong partner secret into an authorization-server problem', async () => {
    const stack = new FakeUmaStack();
    const client = new UmaClient({
      issuer: ISSUER,
      baseUrl: API,
      fetch: stack.fetch,
      partner: { clientId: PARTNER.clientId, clientSecret: 'wrong' },
    });

    expect(await client.get('/me')).toMatchObject({
      kind: 'problem',
      status: 401,
      source: 'authorization-server',
      problem: { error: 'invalid_client' },
    });
  });
});
