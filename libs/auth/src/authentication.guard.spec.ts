import { Reflector } from '@nestjs/core';
import { TokenExpiredError } from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { ProblemException } from '@app/common';
import { metrics } from '@app/observability';
import { AuthenticationGuard } from './authentication.guard.ts';
import { InvalidTokenError } from './invalid-token.error.ts';
import type { EndedSessions } from './ended-sessions.ts';
import type { JwksKeyStore } from './jwks-key-store.ts';

/** The value of `photoz_token_refusals_total{reason}` now. */
async function refusals(reason: string): Promise<number> {
  const { values } = await metrics.tokenRefusals.get();
  return values.find((value) => value.labels.reason === reason)?.value ?? 0;
}

describe(AuthenticationGuard.name, () => {
  const guard = new AuthenticationGuard(
    new Reflector(),
    {
      issuer: 'https://kc/realms/photoz',
      audience: 'album-api',
      realm: 'photoz',
      clockToleranceSeconds: 5,
      jwksRefreshMinIntervalMs: 10_000,
      jwksRefreshIntervalMs: 300_000,
      verifiedTokenCacheSize: 0,
      accessTokenMaxLifespanSeconds: 300,
      endedSessionsReloadIntervalMs: 10_000,
      backchannelLogoutClients: ['photoz-cli'],
    },
    { publishes: () => false } as unknown as JwksKeyStore,
    { refuses: () => false } as unknown as EndedSessions,
  );

  /** What `handleRequest` throws for a failure passport reports. */
  function refusal(error: unknown, info: unknown): unknown {
    try {
      guard.handleRequest(error, false, info);
      return undefined;
    } catch (thrown) {
      return thrown;
    }
  }

  it.each([
    ['missing', null, new Error('No auth token')],
    ['token expired', null, new TokenExpiredError('jwt expired', new Date(0))],
    ['unknown signing key', new InvalidTokenError('unknown signing key'), undefined],
  ])('counts a refusal as %s, the reason of the 401', async (reason, error, info) => {
    const before = await refusals(reason);
    const problem = refusal(error, info);
    expect(problem).toBeInstanceOf(ProblemException);
    expect((problem as ProblemException).getStatus()).toBe(401);
    expect(await refusals(reason)).toBe(before + 1);
  });

  it('lets a verified caller through without counting anything', async () => {
    const before = (await metrics.tokenRefusals.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(guard.handleRequest(null, { subject: 'x' }, undefined)).toEqual({ subject: 'x' });
    const after = (await metrics.tokenRefusals.get()).values.reduce((sum, v) => sum + v.value, 0);
    expect(after).toBe(before);
  });
});
