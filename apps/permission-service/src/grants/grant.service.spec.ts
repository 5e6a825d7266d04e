import { describe, expect, it } from 'vitest';
import { ProblemException } from '@app/common';
import type { ExpiredGrant, GrantRecordRepository, GrantWriter } from '@app/grant-record';
import { KeycloakUnavailableError } from '@app/keycloak';
import type { RecentRequestRepository } from '../permission-requests/recent-request.repository.ts';
import type { ExpiredGrants } from './expired-grants.ts';
import type { GrantCleanupRepository } from './grant-cleanup.repository.ts';
import type { Party } from './grant-entry.ts';
import type { GrantReconciler } from './grant-reconciler.ts';
import { type AccessChange, GrantService } from './grant.service.ts';
import type { PartyDirectory } from './party-directory.ts';

const ALBUM = { albumId: 'album-1', resourceId: 'resource-1' };
const JDOE: Party = { id: 'jdoe-id', username: 'jdoe', partner: false, subject: 'jdoe-id' };

/** A service whose record, lock and Keycloak steps only log what happens, in order. */
function service(options: { disabled?: boolean; expired?: ExpiredGrant } = {}) {
  const steps: string[] = [];
  let expired = options.expired;
  const writer: GrantWriter = {
    narrow: (keep) => {
      steps.push(`record narrowed to [${keep.join(' ')}]`);
      return Promise.resolve();
    },
    widen: (scopes, expiresAt) => {
      const until =
        expiresAt === undefined ? '' : ` until ${expiresAt?.toISOString() ?? 'revoked'}`;
      steps.push(`record widened by [${scopes.join(' ')}]${until}`);
      return Promise.resolve();
    },
    takeExpired: () => {
      const taken = expired;
      expired = undefined;
      if (taken !== undefined) {
        steps.push(`expired grant [${taken.scopes.join(' ')}] removed`);
      }
      return Promise.resolve(taken);
    },
  };
  const record = {
    exclusive: async <T>(resourceId: string, subject: string, work: (w: GrantWriter) => T) => {
      steps.push(`lock ${resourceId} ${subject}`);
      try {
        return await work(writer);
      } finally {
        steps.push('unlock');
      }
    },
  } as unknown as GrantRecordRepository;
  const recentRequests = {
    forgetAfter: async <T>(key: { requesterId: string }, change: () => Promise<T>) => {
      try {
        return await change();
      } finally {
        steps.push(`recent requests of ${key.requesterId} forgotten`);
      }
    },
  } as unknown as RecentRequestRepository;
  const parties = {
    requireEnabled: (party: Party) => {
      steps.push(`${party.username} enabled?`);
      return options.disabled === true
        ? Promise.reject(new ProblemException({ status: 409, code: 'user-disabled' }))
        : Promise.resolve();
    },
  } as unknown as PartyDirectory;
  const cleanups = {
    record: (album: { resourceId: string }, party: Party, requests: readonly string[]) => {
      steps.push(
        `clean-up recorded for ${album.resourceId} ${party.subject} [${requests.join(' ')}]`,
      );
      return Promise.resolve();
    },
  } as unknown as GrantCleanupRepository;
  const ends = {
    record: (grant: ExpiredGrant, party: Party) => {
      steps.push(`end of [${grant.scopes.join(' ')}] of ${party.subject} recorded`);
      return Promise.resolve();
    },
  } as unknown as ExpiredGrants;
  const grants = new GrantService(
    record,
    recentRequests,
    parties,
    {} as GrantReconciler,
    cleanups,
    ends,
  );
  const change = (work: (access: AccessChange) => Promise<void>) =>
    grants.change(ALBUM, JDOE, work);
  const keycloak =
    (step: string, fails = false) =>
    () => {
      steps.push(`keycloak: ${step}`);
      return fails
        ? Promise.reject(new KeycloakUnavailableError(step, new Error('down')))
        : Promise.resolve();
    };
  return { change, keycloak, steps };
}

describe(GrantService.name, () => {
  it('grants in Keycloak first, then in the record, inside the lock', async () => {
    const { change, keycloak, steps } = service();
    await change((access) => access.grant(['album:view'], keycloak('grant album:view')));
    expect(steps).toEqual([
      'lock resource-1 jdoe-id',
      'jdoe enabled?',
      'keycloak: grant album:view',
      'record widened by [album:view]',
      'unlock',
      'recent requests of jdoe-id forgotten',
    ]);
  });

  it('removes an expired grant first, records its end, then grants afresh with the expiry given', async () => {
    const { change, keycloak, steps } = service({
      expired: {
        resourceId: 'resource-1',
        subject: 'jdoe-id',
        scopes: ['album:edit', 'album:view'],
        expiresAt: new Date('2030-01-01T00:00:00Z'),
      },
    });
    const until = new Date('2031-01-01T00:00:00Z');
    await change((access) => access.grant(['album:view'], keycloak('grant album:view'), until));
    expect(steps).toEqual([
      'lock resource-1 jdoe-id',
      'expired grant [album:edit album:view] removed',
      'end of [album:edit album:view] of jdoe-id recorded',
      'jdoe enabled?',
      'keycloak: grant album:view',
      'record widened by [album:view] until 2031-01-01T00:00:00.000Z',
      'unlock',
      'recent requests of jdoe-id forgotten',
    ]);
  });

  it('records nothing when Keycloak fails to grant', async () => {
    const { change, keycloak, steps } = service();
    await expect(
      change((access) => access.grant(['album:view'], keycloak('grant album:view', true))),
    ).rejects.toThrow(KeycloakUnavailableError);
    expect(steps.filter((step) => step.startsWith('record'))).toEqual([]);
  });

  it('refuses a disabled person before Keycloak is asked to grant, asking once per change', async () => {
    const { change, keycloak, steps } = service({ disabled: true });
    await expect(
      change(async (access) => {
        await access.requireEnabled().catch(() => undefined);
        await access.grant(['album:view'], keycloak('grant album:view'));
      }),
    ).rejects.toThrow(ProblemException);
    expect(steps.filter((step) => step.includes('enabled?'))).toHaveLength(1);
    expect(
      steps.filter((step) => step.startsWith('keycloak') || step.startsWith('record')),
    ).toEqual([]);
  });

  it('revokes in the record first, then in Keycloak, then in the record again', async () => {
    const { change, keycloak, steps } = service();
    await change((access) => access.revoke(['album:view'], keycloak('delete album:edit')));
    expect(steps).toEqual([
      'lock resource-1 jdoe-id',
      'record narrowed to [album:view]',
      'keycloak: delete album:edit',
      'record narrowed to [album:view]',
      'unlock',
      'recent requests of jdoe-id forgotten',
    ]);
  });

  it('keeps the revocation when Keycloak fails half-way, records the clean-up and succeeds', async () => {
    const { change, keycloak, steps } = service();
    await change((access) => access.revoke([], keycloak('delete album:view', true), ['request-1']));
    expect(steps).toEqual([
      'lock resource-1 jdoe-id',
      'record narrowed to []',
      'keycloak: delete album:view',
      'clean-up recorded for resource-1 jdoe-id [request-1]',
      'record narrowed to []',
      'unlock',
      'recent requests of jdoe-id forgotten',
    ]);
  });

  it("records no clean-up when the failure is not Keycloak's", async () => {
    const { change, steps } = service();
    await expect(
      change((access) => access.revoke([], () => Promise.reject(new Error('bug')))),
    ).rejects.toThrow('bug');
    expect(steps.filter((step) => step.startsWith('clean-up'))).toEqual([]);
  });
});
