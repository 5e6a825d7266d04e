import { describe, expect, it } from 'vitest';
import { ClientSecretPost } from './client-auth.ts';
import { ClientCredentialsCache, clientCredentialsGrant } from './client-credentials.ts';
import { Configuration } from './configuration.ts';
import { FakeUmaStack, ISSUER, PARTNER, TOKEN_ENDPOINT } from './testing/fake-uma-stack.ts';
import type { TokenResponse } from './token-endpoint.ts';

describe('clientCredentialsGrant', () => {
  it("fetches the client's own token, authenticated as its ClientAuth says", async () => {
    const stack = new FakeUmaStack();
    const configuration = new Configuration(
      { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT },
      { fetch: stack.fetch },
    );

    const answer = await clientCredentialsGrant(
      configuration,
      { clientId: PARTNER.clientId, clientAuthentication: ClientSecretPost(PARTNER.clientSecret) },
      { scope: 'openid' },
    );

    expect(stack.claims(answer.access_token)).toMatchObject({
      sub: `service-account-${PARTNER.clientId}`,
      typ: 'access',
    });
    expect(answer.expires_in).toBe(60);
    expect(stack.calls[0]?.form).toEqual({
      scope: 'openid',
      grant_type: 'client_credentials',
      client_id: PARTNER.clientId,
      client_secret: PARTNER.clientSecret,
    });
  });
});

describe('ClientCredentialsCache', () => {
  /** A grant that counts its calls and answers the given lifetimes in turn (or fails). */
  function grants(...answers: (number | Error)[]) {
    let count = 0;
    const grant = (): Promise<TokenResponse> => {
      const answer = answers[count] ?? 60;
      count += 1;
      return answer instanceof Error
        ? Promise.reject(answer)
        : Promise.resolve({ access_token: `token-${count}`, expires_in: answer });
    };
    return { grant, count: () => count };
  }

  it('shares one grant between concurrent callers', async () => {
    const { grant, count } = grants(60);
    const cache = new ClientCredentialsCache(grant, { now: () => 0, skewMs: 10_000 });

    const tokens = await Promise.all([cache.token(), cache.token(), cache.token()]);

    expect(tokens).toEqual(['token-1', 'token-1', 'token-1']);
    expect(count()).toBe(1);
  });

  it('renews when asked, and a tenth of a short lifetime before it expires', async () => {
    let now = 0;
    const { grant, count } = grants(60, 20, 60);
    const cache = new ClientCredentialsCache(grant, { now: () => now, skewMs: 10_000 });

    expect(await cache.token()).toBe('token-1');
    expect(await cache.token(true)).toBe('token-2');
    now = 17_000; // the 20 s token is renewed 2 s before it expires (a tenth), not 10 s
    expect(await cache.token()).toBe('token-2');
    now = 18_000;
    expect(await cache.token()).toBe('token-3');
    expect(count()).toBe(3);
  });

  it('keeps no failed grant: the next call asks again', async () => {
    const { grant } = grants(new Error('invalid_client'), 60);
    const cache = new ClientCredentialsCache(grant, { now: () => 0, skewMs: 10_000 });

    await expect(cache.token()).rejects.toThrow('invalid_client');
    expect(await cache.token()).toBe('token-2');
  });

  it("reads a token's expiry from its exp when the answer has no expires_in", async () => {
    let now = 0;
    let count = 0;
    const jwt = (exp: number): string =>
      `e30.${btoa(JSON.stringify({ exp })).replaceAll('=', '')}.sig`;
    const cache = new ClientCredentialsCache(
      () => {
        count += 1;
        return Promise.resolve({ access_token: jwt(100 * count) });
      },
      { now: () => now, skewMs: 10_000 },
    );

    const first = await cache.token();
    now = 89_000;
    expect(await cache.token()).toBe(first);
    now = 90_000; // 10 s (the skew) before its exp of 100 s
    expect(await cache.token()).not.toBe(first);
  });
});
