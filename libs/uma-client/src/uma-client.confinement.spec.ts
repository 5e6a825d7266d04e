import { describe, expect, it } from 'vitest';
import type { UmaClientOptions } from './options.ts';
import { UNTRUSTED_AUTHORIZATION_SERVER } from './result.ts';
import { JDOE, PARTNER_SUB, partner, person } from './testing/clients.ts';
import {
  API,
  FakeUmaStack,
  HOSTILE,
  ISSUER,
  PARTNER,
  TOKEN_ENDPOINT,
} from './testing/fake-uma-stack.ts';
import { UmaClient } from './uma-client.ts';

describe('credentials stay with the configured servers', () => {
  const secret = encodeURIComponent(PARTNER.clientSecret);

  /** Whether any recorded call carried a credential, a ticket or an RPT. */
  function carriedSomething(calls: readonly { authorization: string | null; form?: object }[]) {
    return calls.some((call) => call.authorization !== null || call.form !== undefined);
  }

  it('answers a challenge naming another authorization server with a problem, sending it nothing', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.challengeAsUri = HOSTILE;
    const { client } = person(stack);

    const result = await client.get('/albums/a');

    expect(result).toMatchObject({
      kind: 'problem',
      status: 401,
      source: 'api',
      problem: { type: UNTRUSTED_AUTHORIZATION_SERVER, asUri: HOSTILE },
    });
    expect(stack.calls.map((call) => call.url)).toEqual([`${API}/albums/a`]);
  });

  it('compares the announced server with the issuer exactly: a trailing slash is another issuer', async () => {
    const stack = new FakeUmaStack();
    stack.grant(PARTNER_SUB, 'res-a', 'album:view');
    stack.challengeAsUri = `${ISSUER}/`;
    const client = partner(stack);

    expect(await client.get('/albums/a')).toMatchObject({
      kind: 'problem',
      problem: { type: UNTRUSTED_AUTHORIZATION_SERVER },
    });
    expect(stack.umaExchanges()).toEqual([]);
  });

  it('sends a request outside its API origins bare, and leaves the challenge it gets unanswered', async () => {
    const stack = new FakeUmaStack();
    stack.grant(PARTNER_SUB, 'res-a', 'album:view');
    const client = partner(stack);
    expect((await client.get('/albums/a')).kind).toBe('ok');
    const before = stack.calls.length;

    const result = await client.get(`${HOSTILE}/albums/a`);

    expect(result).toMatchObject({ kind: 'problem', status: 401, source: 'api' });
    const sent = stack.calls.slice(before);
    expect(sent.map((call) => `${call.method} ${call.url}`)).toEqual([`GET ${HOSTILE}/albums/a`]);
    expect(carriedSomething(sent)).toBe(false);
    expect(JSON.stringify(sent)).not.toContain(secret);
  });

  it('never sends the access token or an RPT to a URL outside its API origins', async () => {
    const stack = new FakeUmaStack();
    stack.grant(JDOE, 'res-a', 'album:view');
    const { client, tokens } = person(stack);
    await client.get('/albums/a');
    const issued = tokens();

    await client.get(`${HOSTILE}/albums/a`);
    await client.get(`${HOSTILE}/me`);

    expect(carriedSomething(stack.hostileCalls())).toBe(false);
    expect(tokens()).toBe(issued);
  });

  it('sends credentials to every configured API origin', async () => {
    const stack = new FakeUmaStack();
    const second = 'http://permissions.test';
    const { client } = person(stack, { apiOrigins: [API, `${second}/some/path`] });

    expect(await client.get(`${second}/me`)).toMatchObject({
      kind: 'ok',
      body: { subject: JDOE },
    });
    expect(stack.calls[0]?.authorization).toMatch(/^Bearer /);
  });

  it('authorizationFor: refuses a URL outside its API origins', async () => {
    const stack = new FakeUmaStack();
    const { client, tokens } = person(stack);

    await expect(client.authorizationFor(`${HOSTILE}/albums/a/photos`)).rejects.toThrow(
      /not one of its API origins/,
    );
    expect(tokens()).toBe(0);
  });

  it("refuses the issuer's metadata when it names another issuer, before any secret is sent", async () => {
    const stack = new FakeUmaStack();
    stack.metadataIssuer = HOSTILE;
    const client = partner(stack);

    await expect(client.get('/me')).rejects.toThrow(/names another issuer/);
    expect(stack.calls.filter((call) => call.url === TOKEN_ENDPOINT)).toEqual([]);
  });

  it('needs the issuer it trusts', () => {
    const options = { baseUrl: API, person: { accessToken: () => Promise.resolve('') } };
    expect(() => new UmaClient(options as unknown as UmaClientOptions)).toThrow(/issuer/);
  });
});
