import { describe, expect, it } from 'vitest';
import { ProblemException } from '@app/common';
import type { AuditEventEntity } from '../audit/audit-event.entity.ts';
import type { AuditRepository } from '../audit/audit.repository.ts';
import { ReaskInterval } from './reask-interval.ts';
import { DEFAULT_REQUEST_CONDITIONS } from './request-conditions.ts';

const BOB = { id: 'bob-id' };

/** An interval of `reaskSeconds` over an audit whose latest event about bob is `latest`. */
function interval(
  latest: Pick<AuditEventEntity, 'action' | 'createdAt'> | undefined,
  reaskSeconds = 86_400,
): ReaskInterval {
  const audit = { latest: () => Promise.resolve(latest) } as unknown as AuditRepository;
  return new ReaskInterval({ ...DEFAULT_REQUEST_CONDITIONS, reaskSeconds }, audit);
}

async function refusal(check: Promise<void>): Promise<ProblemException> {
  const error: unknown = await check.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(ProblemException);
  return error as ProblemException;
}

describe(ReaskInterval.name, () => {
  it('refuses within the interval after a denial, saying when and in how many seconds', async () => {
    const deniedAt = new Date(Date.now() - 3600 * 1000);
    const refused = await refusal(
      interval({ action: 'denied', createdAt: deniedAt }).check('album', BOB),
    );
    const askAgainAt = new Date(deniedAt.getTime() + 86_400 * 1000).toISOString();
    expect(refused.getStatus()).toBe(429);
    expect(refused.toBody()).toMatchObject({
      type: 'urn:photoz:problem:ask-again-later',
      askAgainAt,
    });
    const retryAfter = Number(refused.problem.headers?.['retry-after']);
    expect(retryAfter).toBeGreaterThan(82_700);
    expect(retryAfter).toBeLessThanOrEqual(82_800);
    expect(refused.problem.detail).toBe(
      `The owner denied your last request for this album. You may ask again from ${askAgainAt} (in ${retryAfter} s).`,
    );
  });

  it('lets the requester ask once the interval is over', async () => {
    const deniedAt = new Date(Date.now() - 86_401 * 1000);
    await expect(
      interval({ action: 'denied', createdAt: deniedAt }).check('album', BOB),
    ).resolves.toBeUndefined();
  });

  it.each(['withdrawn', 'shared', 'approved', 'revoked', 'request-expired', 'requested'] as const)(
    'lets the requester ask at once when the latest event is %s',
    async (action) => {
      await expect(
        interval({ action, createdAt: new Date() }).check('album', BOB),
      ).resolves.toBeUndefined();
    },
  );

  it('lets anyone ask who was never answered, and everyone when the interval is 0', async () => {
    await expect(interval(undefined).check('album', BOB)).resolves.toBeUndefined();
    await expect(
      interval({ action: 'denied', createdAt: new Date() }, 0).check('album', BOB),
    ).resolves.toBeUndefined();
  });
});
