import { describe, expect, it } from 'vitest';
import { AuthorizationServerError } from './authorization-server-error.ts';
import { Configuration, discovery, lazyDiscovery } from './configuration.ts';
import { FakeUmaStack, HOSTILE, ISSUER, TOKEN_ENDPOINT } from './testing/fake-uma-stack.ts';

describe('discovery', () => {
  it("reads the issuer's UMA metadata through the given fetch into a configuration", async () => {
    const stack = new FakeUmaStack();

    const configuration = await discovery(ISSUER, { fetch: stack.fetch });

    expect(stack.calls.map((call) => call.url)).toEqual([
      `${ISSUER}/.well-known/uma2-configuration`,
    ]);
    expect(configuration.issuer).toBe(ISSUER);
    expect(configuration.tokenEndpoint).toBe(TOKEN_ENDPOINT);
    expect(configuration.serverMetadata()).toMatchObject({
      issuer: ISSUER,
      token_endpoint: TOKEN_ENDPOINT,
    });
  });

  it('refuses metadata that names another issuer', async () => {
    const stack = new FakeUmaStack();
    stack.metadataIssuer = HOSTILE;

    await expect(discovery(ISSUER, { fetch: stack.fetch })).rejects.toThrow(/names another issuer/);
  });

  it('throws an AuthorizationServerError when the metadata request is refused', async () => {
    const fetch = (): Promise<Response> =>
      Promise.resolve(Response.json({ error: 'unavailable' }, { status: 503 }));

    const failure = discovery(ISSUER, { fetch });

    await expect(failure).rejects.toBeInstanceOf(AuthorizationServerError);
    await expect(failure).rejects.toMatchObject({ status: 503, code: 'unavailable' });
  });

  it('needs an issuer URL', async () => {
    await expect(discovery('not a url')).rejects.toThrow(/issuer/);
  });
});

describe('Configuration', () => {
  it('is built from known metadata without a request', () => {
    const configuration = new Configuration({ issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT });

    expect(configuration.tokenEndpoint).toBe(TOKEN_ENDPOINT);
  });

  it('needs a token endpoint', () => {
    const metadata = { issuer: ISSUER } as unknown as ConstructorParameters<
      typeof Configuration
    >[0];

    expect(() => new Configuration(metadata)).toThrow(/token_endpoint/);
  });
});

describe('lazyDiscovery', () => {
  it('discovers once for concurrent callers, and again after a failure', async () => {
    const stack = new FakeUmaStack();
    let refuse = true;
    const fetch = (input: string, init?: RequestInit): Promise<Response> => {
      if (refuse) {
        refuse = false;
        return Promise.resolve(new Response('down', { status: 502 }));
      }
      return stack.fetch(input, init);
    };
    const configuration = lazyDiscovery(ISSUER, { fetch });

    await expect(configuration()).rejects.toMatchObject({ status: 502 });
    const [first, second] = await Promise.all([configuration(), configuration()]);

    expect(first).toBe(second);
    expect(stack.calls).toHaveLength(1);
  });
});
