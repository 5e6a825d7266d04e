import type { ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { ProblemException } from '@app/common';
import type { CurrentGrant } from '@app/grant-record';
import { KeycloakError, KeycloakUnavailableError } from '@app/keycloak';
import { metrics } from '@app/observability';
import type { Principal } from './principal.ts';
import { Scopes, UmaResource } from './scopes.decorator.ts';
import { type ProtectedResource, UmaResourceResolvers } from './uma-resource.resolver.ts';
import {
  type AccessOutcome,
  challengeOutcome,
  decideAccess,
  UmaScopesGuard,
} from './uma-scopes.guard.ts';
import type { UmaTicketCache } from './uma-ticket.cache.ts';

const OWNER = 'owner-id';
const CALLER = 'caller-id';
const RESOURCE = 'resource-1';

function held(...scopes: string[]) {
  return { covers: (wanted: readonly string[]) => wanted.every((scope) => scopes.includes(scope)) };
}

function album(grant = held()) {
  return { ownerId: OWNER, resourceId: RESOURCE as string | undefined, grant };
}

function accessToken(subject: string): Pick<Principal, 'subject' | 'permissions'> {
  return { subject, permissions: undefined };
}

function rpt(
  subject: string,
  ...permissions: { resourceId: string; scopes: string[] }[]
): Pick<Principal, 'subject' | 'permissions'> {
  return {
    subject,
    permissions: permissions.map((permission) => ({ ...permission, resourceName: undefined })),
  };
}

describe(decideAccess.name, () => {
  it("lets the owner's access token in", () => {
    expect(decideAccess(accessToken(OWNER), album(), ['album:delete'])).toBe('owner');
  });

  it("challenges anyone else's access token", () => {
    expect(decideAccess(accessToken(CALLER), album(held('album:view')), ['album:view'])).toBe(
      'challenge',
    );
  });

  it('lets in an RPT that lists the resource with the scope the caller still holds', () => {
    const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
    expect(decideAccess(token, album(held('album:view')), ['album:view'])).toBe('rpt');
  });

  it('challenges an RPT whose scope was revoked since it was issued (or refreshed)', () => {
    const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view', 'album:edit'] });
    expect(decideAccess(token, album(held('album:view')), ['album:edit'])).toBe('challenge');
  });

  it('challenges an RPT when the caller holds nothing any more', () => {
    const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
    expect(decideAccess(token, album(held()), ['album:view'])).toBe('challenge');
  });

  it('challenges an RPT that lacks one of the required scopes, whatever the caller holds', () => {
    const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
    expect(
      decideAccess(token, album(held('album:view', 'album:edit')), ['album:view', 'album:edit']),
    ).toBe('challenge');
  });

  it('challenges an RPT for another resource', () => {
    const token = rpt(CALLER, { resourceId: 'resource-2', scopes: ['album:view'] });
    expect(decideAccess(token, album(held('album:view')), ['album:view'])).toBe('challenge');
  });

  it('challenges an RPT while the resource is not registered', () => {
    const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
    expect(
      decideAccess(token, { ...album(held('album:view')), resourceId: undefined }, ['album:view']),
    ).toBe('challenge');
  });

  it("does not let the owner's RPT in as the owner: an RPT is a pass for what it lists", () => {
    const token = rpt(OWNER, { resourceId: 'resource-2', scopes: ['album:view'] });
    expect(decideAccess(token, album(), ['album:view'])).toBe('challenge');
  });
});

describe(challengeOutcome.name, () => {
  it('tells an RPT refused only by the current grant (revoked since issued)', () => {
    const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view', 'album:edit'] });
    expect(challengeOutcome(token, album(held('album:view')), ['album:edit'])).toBe('rpt_revoked');
  });

  it('is a plain challenge for an access token, an RPT lacking a scope, or another resource', () => {
    expect(challengeOutcome(accessToken(CALLER), album(), ['album:view'])).toBe('challenge');
    const lacking = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
    expect(challengeOutcome(lacking, album(), ['album:edit'])).toBe('challenge');
    const other = rpt(CALLER, { resourceId: 'resource-2', scopes: ['album:view'] });
    expect(challengeOutcome(other, album(), ['album:view'])).toBe('challenge');
  });
});

/** The value of `photoz_access_decisions_total{outcome}` now. */
async function decisions(outcome: AccessOutcome): Promise<number> {
  const { values } = await metrics.accessDecisions.get();
  return values.find((value) => value.labels.outcome === outcome)?.value ?? 0;
}

describe(UmaScopesGuard.name, () => {
  const ALBUM_ID = '3f9c1c2e-1111-4222-8333-444455556666';

  @UmaResource('album', { param: 'id' })
  class AlbumsController {
    @Scopes('album:view')
    get(this: void): void {
      // Only its metadata is read.
    }
  }

  function guardWith(options: {
    resource?: Partial<ProtectedResource>;
    ticket?: () => Promise<string>;
  }) {
    const missing: string[] = [];
    const grantsRead: (string | undefined)[] = [];
    const resolvers = new UmaResourceResolvers();
    resolvers.register('album', {
      isValidId: (id) => id === ALBUM_ID,
      resolve: (id, rptHolder) => {
        grantsRead.push(rptHolder);
        return Promise.resolve(
          id === ALBUM_ID && options.resource !== undefined
            ? {
                ownerId: OWNER,
                resourceId: RESOURCE,
                entity: { id },
                grant: held() as unknown as CurrentGrant,
                ...options.resource,
              }
            : undefined,
        );
      },
      resourceMissing: (id) => {
        missing.push(id);
        return Promise.resolve();
      },
    });
    const tickets = {
      ticketFor: options.ticket ?? (() => Promise.resolve('ticket-1')),
    } as unknown as UmaTicketCache;
    const guard = new UmaScopesGuard(new Reflector(), resolvers, tickets, {
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
    });
    return { guard, missing, grantsRead };
  }

  function context(
    id: string,
    subject: string,
    user: unknown = { ...accessToken(subject), username: subject, realmRoles: [] },
  ): ExecutionContext {
    const request = { params: { id }, user };
    return {
      getHandler: () => AlbumsController.prototype.get,
      getClass: () => AlbumsController,
      switchToHttp: () => ({ getRequest: () => request }),
    } as unknown as ExecutionContext;
  }

  async function problemOf(promise: Promise<unknown>): Promise<ProblemException> {
    const error: unknown = await promise.then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(error).toBeInstanceOf(ProblemException);
    return error as ProblemException;
  }

  it('refuses a malformed id with a 400 before looking anything up', async () => {
    const { guard } = guardWith({ resource: {} });
    expect((await problemOf(guard.canActivate(context('nope', OWNER)))).getStatus()).toBe(400);
  });

  it('answers an unknown album with a 404', async () => {
    const { guard } = guardWith({});
    expect((await problemOf(guard.canActivate(context(ALBUM_ID, OWNER)))).getStatus()).toBe(404);
  });

  it('lets the owner in', async () => {
    const { guard } = guardWith({ resource: {} });
    await expect(guard.canActivate(context(ALBUM_ID, OWNER))).resolves.toBe(true);
  });

  it("reads the current grant for an RPT's holder, and none for an access token", async () => {
    const { guard, grantsRead } = guardWith({ resource: {} });
    await guard.canActivate(context(ALBUM_ID, OWNER));
    const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
    // Let in or challenged, the guard read what the RPT's holder holds now.
    await guard.canActivate(context(ALBUM_ID, CALLER, token)).catch(() => false);
    expect(grantsRead).toEqual([undefined, CALLER]);
  });

  it('challenges anyone else with the ticket in WWW-Authenticate', async () => {
    const { guard } = guardWith({ resource: {} });
    const problem = await problemOf(guard.canActivate(context(ALBUM_ID, CALLER)));
    expect(problem.getStatus()).toBe(401);
    expect(problem.problem.headers?.['www-authenticate']).toContain('ticket="ticket-1"');
  });

  it('answers 403 not-shareable-yet while the album is not registered', async () => {
    const { guard } = guardWith({ resource: { resourceId: undefined } });
    expect((await problemOf(guard.canActivate(context(ALBUM_ID, CALLER)))).getStatus()).toBe(403);
  });

  it('answers 403 and asks for a repair when Keycloak no longer knows the resource', async () => {
    const { guard, missing } = guardWith({
      resource: {},
      ticket: () =>
        Promise.reject(
          new KeycloakError('create permission ticket', 400, 'invalid_resource_id', undefined),
        ),
    });
    expect((await problemOf(guard.canActivate(context(ALBUM_ID, CALLER)))).getStatus()).toBe(403);
    await Promise.resolve();
    expect(missing).toEqual([ALBUM_ID]);
  });

  it('leaves an unreachable Keycloak to the filter that answers 503', async () => {
    const unavailable = new KeycloakUnavailableError('create permission ticket', new Error('down'));
    const { guard } = guardWith({ resource: {}, ticket: () => Promise.reject(unavailable) });
    await expect(guard.canActivate(context(ALBUM_ID, CALLER))).rejects.toBe(unavailable);
  });
  describe('counts each decision in photoz_access_decisions_total', () => {
    async function expectCounted(
      outcome: AccessOutcome,
      decide: () => Promise<unknown>,
    ): Promise<void> {
      const before = await decisions(outcome);
      await decide().catch(() => undefined);
      expect(await decisions(outcome)).toBe(before + 1);
    }

    it('owner, rpt and challenge', async () => {
      const { guard } = guardWith({
        resource: { grant: held('album:view') as unknown as CurrentGrant },
      });
      await expectCounted('owner', () => guard.canActivate(context(ALBUM_ID, OWNER)));
      const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
      await expectCounted('rpt', () => guard.canActivate(context(ALBUM_ID, CALLER, token)));
      await expectCounted('challenge', () => guard.canActivate(context(ALBUM_ID, CALLER)));
    });

    it('rpt_revoked: the RPT lists the scope, the current grant no longer has it', async () => {
      const { guard } = guardWith({ resource: {} });
      const token = rpt(CALLER, { resourceId: RESOURCE, scopes: ['album:view'] });
      const before = await decisions('challenge');
      await expectCounted('rpt_revoked', () => guard.canActivate(context(ALBUM_ID, CALLER, token)));
      expect(await decisions('challenge')).toBe(before);
    });

    it('not_shareable_yet, unregistered or unknown to Keycloak, and not_found', async () => {
      const unregistered = guardWith({ resource: { resourceId: undefined } }).guard;
      await expectCounted('not_shareable_yet', () =>
        unregistered.canActivate(context(ALBUM_ID, CALLER)),
      );
      const forgotten = guardWith({
        resource: {},
        ticket: () =>
          Promise.reject(
            new KeycloakError('create permission ticket', 400, 'invalid_resource_id', undefined),
          ),
      }).guard;
      await expectCounted('not_shareable_yet', () =>
        forgotten.canActivate(context(ALBUM_ID, CALLER)),
      );
      await expectCounted('not_found', () =>
        guardWith({}).guard.canActivate(context(ALBUM_ID, OWNER)),
      );
    });
  });
});
