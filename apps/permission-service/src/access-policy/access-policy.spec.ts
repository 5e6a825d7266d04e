import { describe, expect, it } from 'vitest';
import type { Principal } from '@app/auth';
import { isUuid, ProblemException, validationProblem } from '@app/common';
import type { TicketQuery } from '@app/keycloak';
import type { AlbumDirectory, AlbumResource } from '../albums/album-directory.ts';
import type { GrantDirectory } from '../grants/grant-directory.ts';
import type { GrantEntry, Party } from '../grants/grant-entry.ts';
import type { PartyDirectory } from '../grants/party-directory.ts';
import { requestId } from '../permission-requests/permission-request-id.ts';
import { AccessPolicy, type AccessTargets, Permission } from './access-policy.ts';

const ALICE = 'a11ce000-0000-4000-8000-000000000001';
const BOB = 'b0b00000-0000-4000-8000-000000000002';
const JDOE = 'd0e00000-0000-4000-8000-000000000003';
const RESOURCE = 'f0000000-0000-4000-8000-000000000004';
const ALBUM_ID = 'a0000000-0000-4000-8000-000000000005';
const MISSING_ALBUM_ID = 'a0000000-0000-4000-8000-000000000006';

const principal = (subject: string): Principal => ({
  subject,
  username: subject,
  clientId: 'photoz-cli',
  partner: false,
  realmRoles: [],
  permissions: undefined,
  issuedAt: 0,
  expiresAt: 0,
});
const party = (id: string): Party => ({ id, username: id, partner: false, subject: id });

const album: AlbumResource = {
  albumId: ALBUM_ID,
  resourceId: RESOURCE,
  name: 'Italy',
  ownerId: ALICE,
  scopes: ['album:view'],
};
const jdoesRequest: GrantEntry = {
  resourceId: RESOURCE,
  ownerId: ALICE,
  requester: party(JDOE),
  pending: [
    {
      id: 't1',
      ownerId: ALICE,
      resourceId: RESOURCE,
      requesterId: JDOE,
      scopeId: 's1',
      scopeName: 'album:view',
      granted: false,
    },
  ],
  granted: [],
  sharedScopes: [],
  current: [],
};

/** How a request the caller may not see is answered: exactly as one that does not exist. */
const noSuchRequest = { status: 404, detail: `No permission request ${requestId(jdoesRequest)}` };

/** A policy over one album of alice's, with one pending request of jdoe's; it logs Keycloak reads. */
function policy() {
  const keycloakReads: string[] = [];
  const albums = {
    find: (albumId: string) => {
      if (!isUuid(albumId)) {
        throw validationProblem([{ field: 'albumId', message: 'albumId is not a valid album id' }]);
      }
      keycloakReads.push('find album');
      return Promise.resolve(albumId === ALBUM_ID ? album : undefined);
    },
    listed: (albumId: string) => {
      if (!isUuid(albumId)) {
        throw validationProblem([{ field: 'albumId', message: 'albumId is not a valid album id' }]);
      }
      return Promise.resolve(albumId === ALBUM_ID ? album : undefined);
    },
    byResourceIds: (ids: Iterable<string>) => {
      keycloakReads.push('albums by resource');
      return Promise.resolve(
        new Map([...ids].filter((id) => id === RESOURCE).map((id) => [id, album])),
      );
    },
  } as unknown as AlbumDirectory;
  const parties = {
    partyOf: (caller: Principal) => {
      keycloakReads.push('party');
      return Promise.resolve(party(caller.subject));
    },
    listingParty: (caller: Principal) => Promise.resolve(party(caller.subject)),
  } as unknown as PartyDirectory;
  const grants = {
    entries: (query: TicketQuery) => {
      keycloakReads.push('tickets');
      const matches =
        (query.resourceId === undefined || query.resourceId === jdoesRequest.resourceId) &&
        (query.owner === undefined || query.owner === jdoesRequest.ownerId) &&
        (query.requester === undefined || query.requester === jdoesRequest.requester.id);
      return Promise.resolve(matches ? [jdoesRequest] : []);
    },
  } as unknown as GrantDirectory;
  const access = new AccessPolicy(albums, grants, parties);
  /** `caller`'s access to `target` under `permission`. */
  const ask = <P extends Permission>(caller: string, permission: P, target: AccessTargets[P]) =>
    access.requireAccess(principal(caller), permission, target);
  return { ask, keycloakReads };
}

/** The problem `work` is refused with. */
const refusal = (work: Promise<unknown>): Promise<ProblemException> =>
  work.then(
    () => Promise.reject(new Error('expected a refusal')),
    (error: unknown) => (error instanceof ProblemException ? error : Promise.reject(error)),
  );

describe(AccessPolicy.name, () => {
  describe.each([
    Permission.AlbumSharesRead,
    Permission.AlbumSharesWrite,
    Permission.AlbumLinksRead,
    Permission.AlbumLinksWrite,
    Permission.AlbumAuditRead,
  ] as const)('%s', (permission) => {
    it('resolves the album for its owner', async () => {
      const { ask } = policy();
      expect(await ask(ALICE, permission, { albumId: ALBUM_ID })).toBe(album);
    });

    it('answers anyone else exactly as for an album that does not exist', async () => {
      const { ask } = policy();
      const forbidden = await refusal(ask(BOB, permission, { albumId: ALBUM_ID }));
      const missing = await refusal(ask(ALICE, permission, { albumId: MISSING_ALBUM_ID }));
      expect(forbidden.getStatus()).toBe(404);
      expect(forbidden.toBody()).toEqual({
        ...missing.toBody(),
        detail: `No album ${ALBUM_ID}`,
      });
    });

    it('refuses a malformed album id before asking Keycloak', async () => {
      const { ask, keycloakReads } = policy();
      const refused = await refusal(ask(ALICE, permission, { albumId: 'nope' }));
      expect(refused.getStatus()).toBe(400);
      expect(keycloakReads).toEqual([]);
    });
  });

  describe(Permission.PermissionRequestCreate, () => {
    it('lets anyone but the owner ask for an album', async () => {
      const { ask } = policy();
      expect(await ask(BOB, Permission.PermissionRequestCreate, { albumId: ALBUM_ID })).toBe(album);
    });

    it.each([
      ['albumId', { albumId: ALBUM_ID }],
      ['ticket', { acceptedTicketResourceId: RESOURCE }],
    ] as const)(
      'tells the owner they own the album already (asked by %s)',
      async (field, target) => {
        const { ask } = policy();
        const refused = await refusal(ask(ALICE, Permission.PermissionRequestCreate, target));
        expect(refused.getStatus()).toBe(400);
        expect(refused.toBody()).toMatchObject({
          errors: [{ field, message: 'you own this album already' }],
        });
      },
    );

    it('answers an unknown album with 404', async () => {
      const { ask } = policy();
      const refused = await refusal(
        ask(BOB, Permission.PermissionRequestCreate, { albumId: MISSING_ALBUM_ID }),
      );
      expect(refused.getStatus()).toBe(404);
    });

    it('resolves the album of an accepted ticket, and answers a ticket naming none as invalid', async () => {
      const { ask } = policy();
      expect(
        await ask(BOB, Permission.PermissionRequestCreate, { acceptedTicketResourceId: RESOURCE }),
      ).toBe(album);
      const refused = await refusal(
        ask(BOB, Permission.PermissionRequestCreate, { acceptedTicketResourceId: 'not-an-album' }),
      );
      expect(refused.getStatus()).toBe(400);
      expect(refused.toBody()).toMatchObject({ errors: [{ field: 'ticket' }] });
    });
  });

  describe(Permission.PermissionRequestAnswer, () => {
    const id = requestId(jdoesRequest);

    it("resolves the request and its album for the album's owner", async () => {
      const { ask } = policy();
      expect(await ask(ALICE, Permission.PermissionRequestAnswer, { requestId: id })).toEqual({
        entry: jdoesRequest,
        album,
      });
    });

    it('answers anyone else, the requester included, as for a request that does not exist', async () => {
      const { ask } = policy();
      for (const caller of [BOB, JDOE]) {
        const refused = await refusal(
          ask(caller, Permission.PermissionRequestAnswer, { requestId: id }),
        );
        expect(refused.toBody()).toMatchObject(noSuchRequest);
      }
    });
  });

  describe(Permission.PermissionRequestWithdraw, () => {
    const id = requestId(jdoesRequest);

    it('resolves the pending request for its requester', async () => {
      const { ask } = policy();
      expect(await ask(JDOE, Permission.PermissionRequestWithdraw, { requestId: id })).toEqual({
        entry: jdoesRequest,
        requester: party(JDOE),
      });
    });

    it('answers anyone else, the owner included, as for a request that does not exist', async () => {
      const { ask } = policy();
      const someoneElses = requestId({ resourceId: RESOURCE, requester: { id: BOB } });
      for (const caller of [ALICE, BOB]) {
        const refused = await refusal(
          ask(caller, Permission.PermissionRequestWithdraw, { requestId: id }),
        );
        expect(refused.toBody()).toMatchObject(noSuchRequest);
      }
      // bob's own id, with nothing pending: still a 404.
      const nothingPending = await refusal(
        ask(BOB, Permission.PermissionRequestWithdraw, { requestId: someoneElses }),
      );
      expect(nothingPending.getStatus()).toBe(404);
    });
  });

  it.each([Permission.PermissionRequestAnswer, Permission.PermissionRequestWithdraw] as const)(
    '%s refuses a malformed request id before asking Keycloak',
    async (permission) => {
      const { ask, keycloakReads } = policy();
      const refused = await refusal(ask(JDOE, permission, { requestId: 'not-a-request' }));
      expect(refused.getStatus()).toBe(404);
      expect(keycloakReads).toEqual([]);
    },
  );

  describe('lists of ones own', () => {
    it('shows owners the requests on their albums, requesters their own and what they hold', async () => {
      const { ask, keycloakReads } = policy();
      expect(await ask(ALICE, Permission.IncomingRequestsRead, {})).toEqual({ owner: ALICE });
      expect(await ask(JDOE, Permission.OutgoingRequestsRead, {})).toEqual(party(JDOE));
      expect(await ask(JDOE, Permission.SharedWithMeRead, {})).toEqual({ subject: JDOE });
      expect(keycloakReads).toEqual([]);
    });
  });
});
