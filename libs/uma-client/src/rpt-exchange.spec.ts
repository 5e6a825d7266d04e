import { describe, expect, it } from 'vitest';
import { ClientSecretBasic } from './client-auth.ts';
import { Configuration } from './configuration.ts';
import { RptExchange } from './rpt-exchange.ts';
import { RptStore } from './rpt-store.ts';
import { FakeUmaStack, ISSUER, PARTNER, TOKEN_ENDPOINT } from './testing/fake-uma-stack.ts';
import type { RequestingParty } from './token-endpoint.ts';

const JDOE = 'jdoe-sub';

function setUp(party?: (renew: boolean) => Promise<RequestingParty>, renewsBearer = true) {
  const stack = new FakeUmaStack();
  const rpts = new RptStore({ now: () => stack.nowSeconds * 1000, skewMs: 10_000 });
  const configuration = new Configuration(
    { issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT },
    { fetch: stack.fetch },
  );
  const exchange = new RptExchange({
    configuration: () => Promise.resolve(configuration),
    rpts,
    party: party ?? (() => Promise.resolve({ accessToken: stack.accessToken(JDOE) })),
    renewsBearer,
  });
  return { stack, rpts, exchange };
}

describe('RptExchange', () => {
  it('runs concurrent exchanges one after the other, each upgrading the RPT before it', async () => {
    const { stack, rpts, exchange } = setUp();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.grant(JDOE, 'res-b', 'album:view');

    const [first, second] = await Promise.all([
      exchange.exchange(stack.ticket('res-a', 'album:view'), true),
      exchange.exchange(stack.ticket('res-b', 'album:view'), true),
    ]);

    expect(stack.umaExchanges()[1]?.form?.['rpt']).toBe(
      first.kind === 'rpt' ? first.rpt.token : 'none',
    );
    expect(second.kind === 'rpt' && second.newResources).toEqual(['res-b']);
    expect(rpts.tokenFor('res-a')).toBe(rpts.tokenFor('res-b'));
  });

  it('drops an RPT the server refuses to upgrade and trades the ticket alone', async () => {
    const { stack, rpts, exchange } = setUp();
    stack.grant(JDOE, 'res-a', 'album:view');
    stack.grant(JDOE, 'res-b', 'album:view');
    await exchange.exchange(stack.ticket('res-a', 'album:view'), true);
    const refused = rpts.tokenFor('res-a') ?? '';
    stack.expired.add(refused); // the server's view; the client's clock still calls it valid

    const outcome = await exchange.exchange(stack.ticket('res-b', 'album:view'), true);

    expect(outcome.kind).toBe('rpt');
    expect(stack.umaExchanges().map((call) => call.form?.['rpt'])).toEqual([
      undefined,
      refused,
      undefined,
    ]);
    expect(rpts.tokenFor('res-a')).toBeUndefined();
  });

  it("asks once more with a renewed token when the server refuses a person's", async () => {
    const renewals: boolean[] = [];
    const { stack, exchange } = setUp((renew) => {
      renewals.push(renew);
      const token = stack.accessToken(JDOE);
      if (!renew) {
        stack.sessionEnded.add(token);
      }
      return Promise.resolve({ accessToken: token });
    });
    stack.grant(JDOE, 'res-a', 'album:view');

    expect((await exchange.exchange(stack.ticket('res-a', 'album:view'), true)).kind).toBe('rpt');
    expect(renewals).toEqual([false, true]);
  });

  it("throws a partner's refused authentication without asking again", async () => {
    const { stack, exchange } = setUp(
      () =>
        Promise.resolve({
          clientId: PARTNER.clientId,
          clientAuthentication: ClientSecretBasic('x'),
        }),
      false,
    );

    await expect(
      exchange.exchange(stack.ticket('res-a', 'album:view'), true),
    ).rejects.toMatchObject({ status: 401, code: 'invalid_client' });
    expect(stack.umaExchanges()).toHaveLength(1);
  });
});
