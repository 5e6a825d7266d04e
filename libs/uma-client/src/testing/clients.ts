import { UmaClient } from '../uma-client.ts';
import type { UmaClientOptions } from '../options.ts';
import { API, type FakeUmaStack, ISSUER, PARTNER } from './fake-uma-stack.ts';

/** The person of the unit tests, and the partner's service account. */
export const JDOE = 'jdoe-sub';
export const PARTNER_SUB = `service-account-${PARTNER.clientId}`;

/** A client for jdoe on the fake stack, counting the access tokens his app hands out. */
export function person(
  stack: FakeUmaStack,
  options: Partial<UmaClientOptions> = {},
): { client: UmaClient; tokens: () => number } {
  let issued = 0;
  const client = new UmaClient({
    issuer: ISSUER,
    baseUrl: API,
    fetch: stack.fetch,
    now: () => stack.nowSeconds * 1000,
    person: {
      accessToken: () => {
        issued += 1;
        return Promise.resolve(stack.accessToken(JDOE));
      },
    },
    ...options,
  });
  return { client, tokens: () => issued };
}

/** A client for the partner (client id and secret) on the fake stack. */
export function partner(stack: FakeUmaStack): UmaClient {
  return new UmaClient({
    baseUrl: API,
    fetch: stack.fetch,
    now: () => stack.nowSeconds * 1000,
    issuer: ISSUER,
    partner: PARTNER,
  });
}
