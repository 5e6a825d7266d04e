import { describe, expect, it } from 'vitest';
import type { Principal } from '@app/auth';
import { ProblemException } from '@app/common';
import { KeycloakUnavailableError } from '@app/keycloak';
import type { AlbumDirectory, AlbumResource } from '../albums/album-directory.ts';
import type { PermissionFlows } from '../audit/permission-flows.ts';
import type { GrantDirectory } from '../grants/grant-directory.ts';
import type { GrantEntry, Party } from '../grants/grant-entry.ts';
import type { AccessChange, GrantService } from '../grants/grant.service.ts';
import type { KeycloakGrants } from '../grants/keycloak-grants.ts';
import type { PartyDirectory } from '../grants/party-directory.ts';
import type { PendingRequestRepository } from '../permission-requests/pending-request.repository.ts';
import type { InvitationLink, InvitationLinkRepository } from './invitation-link.repository.ts';
import { InvitationRedemptionService } from './invitation-redemption.service.ts';
import { invitationSecretHash, newInvitationSecret } from './invitation-secret.ts';
import type { RedeemFailureRepository } from './redeem-failure.repository.ts';

const SECRET = newInvitationSecret();
const ALBUM: AlbumResource = {
  albumId: '00000000-0000-4000-8000-000000000001',
  resourceId: 'resource-1',
  name: 'Italy',
  ownerId: 'alice-id',
  scopes: ['album:view', 'album:edit', 'album:delete'],
};
const LINK: InvitationLink = {
  id: '00000000-0000-4000-8000-0000000000aa',
  albumId: ALBUM.albumId,
  ownerId: ALBUM.ownerId,
  scopes: ['album:view'],
  expiresAt: null,
  maxUses: 1,
  uses: 0,
  createdAt: new Date(0),
  state: 'active',
};
const JDOE = { subject: 'jdoe-id', username: 'jdoe', partner: false } as Principal;
const JDOE_PARTY: Party = { id: 'jdoe-id', username: 'jdoe', partner: false, subject: 'jdoe-id' };

interface World {
  /** What jdoe holds on the album before the redemption, by Keycloak and by the record. */
  readonly held?: readonly string[];
  readonly keycloakFails?: boolean;
  readonly deletedUnderLock?: boolean;
  readonly limitedFor?: number;
  readonly albumGone?: boolean;
}

/** The service over fakes that log, in order, what happens to the link, the record and Keycloak. */
function redemption(world: World = {}) {
  const steps: string[] = [];
  const links = {
    usable: (hash: Buffer) => {
      steps.push('link looked up');
      return Promise.resolve(hash.equals(invitationSecretHash(SECRET)) ? LINK : undefined);
    },
    claim: () => {
      steps.push('use claimed');
      return Promise.resolve({ redemptionId: '1' });
    },
    release: () => {
      steps.push('use given back');
      return Promise.resolve();
    },
    exists: () => Promise.resolve(world.deletedUnderLock !== true),
    ownerUsername: () => Promise.resolve('alice'),
  } as unknown as InvitationLinkRepository;
  const failures = {
    retryAfter: () => Promise.resolve(world.limitedFor),
    record: (keys: readonly string[]) => {
      steps.push(`failure counted for ${keys.join(' ')}`);
      return Promise.resolve();
    },
  } as unknown as RedeemFailureRepository;
  const albums = {
    find: () => Promise.resolve(world.albumGone === true ? undefined : ALBUM),
  } as unknown as AlbumDirectory;
  const parties = { partyOf: () => Promise.resolve(JDOE_PARTY) } as unknown as PartyDirectory;
  const held = [...(world.held ?? [])];
  const entry: GrantEntry | undefined =
    held.length === 0
      ? undefined
      : {
          resourceId: ALBUM.resourceId,
          ownerId: ALBUM.ownerId,
          requester: JDOE_PARTY,
          pending: [],
          granted: held.map((scopeName, index) => ({
            id: `ticket-${index}`,
            scopeName,
            granted: true,
          })) as unknown as GrantEntry['granted'],
          sharedScopes: [],
          current: held,
        };
  const directory = { entry: () => Promise.resolve(entry) } as unknown as GrantDirectory;
  const access = {
    grant: async (scopes: readonly string[], inKeycloak: () => Promise<void>) => {
      await inKeycloak();
      steps.push(`record widened by [${scopes.join(' ')}]`);
    },
  } as unknown as AccessChange;
  const grants = {
    change: <T>(_album: unknown, _party: unknown, work: (access: AccessChange) => Promise<T>) =>
      work(access),
  } as unknown as GrantService;
  const keycloak = {
    grant: (_resource: string, _party: Party, _before: unknown, scopes: readonly string[]) => {
      if (world.keycloakFails === true) {
        return Promise.reject(new KeycloakUnavailableError('grant', new Error('down')));
      }
      steps.push(`Keycloak grants [${scopes.join(' ')}]`);
      return Promise.resolve([]);
    },
  } as unknown as KeycloakGrants;
  const pending = { set: () => Promise.resolve() } as unknown as PendingRequestRepository;
  const flows = {
    record: (action: string, step: { linkId?: string }) => {
      steps.push(`audited ${action} ${step.linkId ?? ''}`);
      return Promise.resolve();
    },
    succeeded: () => undefined,
  } as unknown as PermissionFlows;
  const service = new InvitationRedemptionService(
    albums,
    links,
    failures,
    parties,
    directory,
    grants,
    keycloak,
    pending,
    flows,
    {
      webAppUrl: 'http://web.test',
      maxDurationDays: 90,
      failureLimit: 3,
      failureWindowSeconds: 60,
    },
  );
  const redeem = (token: unknown) =>
    service.redeem({ principal: JDOE, address: '10.0.0.1' }, token);
  return { redeem, steps };
}

/** The problem `work` is refused with. */
const refusal = (work: Promise<unknown>): Promise<ProblemException> =>
  work.then(
    () => Promise.reject(new Error('expected a refusal')),
    (error: unknown) => (error instanceof ProblemException ? error : Promise.reject(error)),
  );

const COUNTED = 'failure counted for subject:jdoe-id address:10.0.0.1';

describe(InvitationRedemptionService.name, () => {
  it('takes the use, grants in Keycloak, then widens the record, then audits with the link', async () => {
    const { redeem, steps } = redemption();
    expect(await redeem(SECRET)).toEqual({
      albumId: ALBUM.albumId,
      albumName: 'Italy',
      ownerUsername: 'alice',
      scopes: ['album:view'],
    });
    expect(steps).toEqual([
      'link looked up',
      'use claimed',
      'Keycloak grants [album:view]',
      'record widened by [album:view]',
      `audited redeemed ${LINK.id}`,
    ]);
  });

  it('keeps what Keycloak grants already when it adds the link’s scopes', async () => {
    const { redeem, steps } = redemption({ held: ['album:edit'] });
    expect((await redeem(SECRET)).scopes).toEqual(['album:edit', 'album:view']);
    expect(steps).toContain('Keycloak grants [album:edit album:view]');
  });

  it('gives the use back when Keycloak fails the grant, and grants nothing', async () => {
    const { redeem, steps } = redemption({ keycloakFails: true });
    await expect(redeem(SECRET)).rejects.toBeInstanceOf(KeycloakUnavailableError);
    expect(steps).toEqual(['link looked up', 'use claimed', 'use given back']);
  });

  it('gives the use back to a caller who holds every scope of the link already', async () => {
    const { redeem, steps } = redemption({ held: ['album:view'] });
    expect((await redeem(SECRET)).scopes).toEqual(['album:view']);
    expect(steps).toEqual(['link looked up', 'use claimed', 'use given back']);
  });

  it('answers a link deleted under the lock as one that does not exist, and counts it', async () => {
    const { redeem, steps } = redemption({ deletedUnderLock: true });
    const refused = await refusal(redeem(SECRET));
    const unknown = await refusal(redemption().redeem(newInvitationSecret()));
    expect(refused.getStatus()).toBe(404);
    expect(refused.toBody()).toEqual(unknown.toBody());
    expect(steps).toEqual(['link looked up', 'use claimed', 'use given back', COUNTED]);
  });

  it('answers an album that is gone as a link that does not exist', async () => {
    const { redeem, steps } = redemption({ albumGone: true });
    expect((await refusal(redeem(SECRET))).getStatus()).toBe(404);
    expect(steps).toEqual(['link looked up', COUNTED]);
  });

  it.each([
    ['a short string', 'abc'],
    ['a number', 42],
    ['nothing', undefined],
  ])('counts %s as a failure without looking it up', async (_name, token) => {
    const { redeem, steps } = redemption();
    expect((await refusal(redeem(token))).getStatus()).toBe(404);
    expect(steps).toEqual([COUNTED]);
  });

  it('refuses a caller over the limit with 429 and Retry-After, even with the right secret', async () => {
    const { redeem, steps } = redemption({ limitedFor: 42 });
    const refused = await refusal(redeem(SECRET));
    expect(refused.getStatus()).toBe(429);
    expect(refused.problem.headers).toEqual({ 'retry-after': '42' });
    expect(refused.toBody()).toMatchObject({
      'violated-policies': ['invitation-redeem-failures'],
    });
    expect(steps).toEqual([]);
  });
});
