import { describe, expect, it } from 'vitest';
import type { Principal } from '@app/auth';
import { isUuid, ProblemException, validationProblem } from '@app/common';
import type { TicketQuery } from '@app/keycloak';
import type { AlbumDirectory, AlbumResource } from '../albums/album-directory.ts';
import type { GrantDirectory } from '../grants/grant-directory.ts';
import type { GrantEntry, Party } from '../grants/grant-entry.ts';
import { requestId } from '../permission-requests/permission-request-id.ts';
import { AccessPolicy, Permission } from './access-policy.ts';

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
    byResourceIds: (ids: Iterable<string>) => {
      keycloakReads.push('albums by resource');
      return Promise.resolve(
        new Map([...ids].filter((id) => id === RESOURCE).map((id) => [id, album])),
      );
    },
  } as unknown as AlbumDirectory;
  const grants = {
    partyOf: (caller: Principal) => {
      keycloakReads.push('party');
      return Promise.resolve(party(caller.subject));
    },
    entries: (query: TicketQuery) => {
      keycloakReads.push('tickets');
      const matches =
        (query.resourceId === undefined || query.resourceId === jdoesRequest.resourceId) &&
        (query.owner === undefined || query.owner === jdoesRequest.ownerId) &&
        (query.requester === undefined || query.requester === jdoesRequest.requester.id);
      return Promise.resolve(matches ? [jdoesRequest] : []);
    },
  } as unknown as GrantDirectory;
  return { access: new AccessPolicy(albums, grants), keycloakReads };
}

/** The problem `work` is refused with. */
async function refusal(work: () => Promise<unknown>): Promise<ProblemException> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ProblemException) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a refusal');
}

describe(AccessPolicy.name, () => {
  describe.each([
    Permission.AlbumSharesRead,
    Permission.AlbumSharesWrite,
    Permission.AlbumAuditRead,
  ] as const)('%s', (permission) => {
    it('resolves the album for its owner', async () => {
      const { access } = policy();
      expect(await access.requireAccess(principal(ALICE), permission, { albumId: ALBUM_ID })).toBe(
        album,
      );
    });

    it('answers anyone else exactly as for an album that does not exist', async () => {
      const { access } = policy();
      const forbidden = await refusal(() =>
        access.requireAccess(principal(BOB), permission, { albumId: ALBUM_ID }),
      );
      const missing = await refusal(() =>
        access.requireAccess(principal(ALICE), permission, { albumId: MISSING_ALBUM_ID }),
      );
      expect(forbidden.getStatus()).toBe(404);
      expect(forbidden.toBody()).toEqual({
        ...missing.toBody(),
        detail: `No album ${ALBUM_ID}`,
      });
    });

    it('refuses a malformed album id before asking Keycloak', async () => {
      const { access, keycloakReads } = policy();
      const refused = await refusal(() =>
        access.requireAccess(principal(ALICE), permission, { albumId: 'nope' }),
      );
      expect(refused.getStatus()).toBe(400);
      expect(keycloakReads).toEqual([]);
    });
  });

  describe(Permission.PermissionRequestCreate, () => {
    it('lets anyone but the owner ask for an album', async () => {
      const { access } = policy();
      expect(
        await access.requireAccess(principal(BOB), Permission.PermissionRequestCreate, {
          albumId: ALBUM_ID,
        }),
      ).toBe(album);
    });

    it('tells the owner they own the album already', async () => {
      const { access } = policy();
      const refused = await refusal(() =>
        access.requireAccess(principal(ALICE), Permission.PermissionRequestCreate, {
          albumId: ALBUM_ID,
        }),
      );
      expect(refused.getStatus()).toBe(400);
      expect(refused.toBody()).toMatchObject({
        errors: [{ field: 'albumId', message: 'you own this album already' }],
      });
    });

    it('answers an unknown album with 404', async () => {
      const { access } = policy();
      const refused = await refusal(() =>
        access.requireAccess(principal(BOB), Permission.PermissionRequestCreate, {
          albumId: MISSING_ALBUM_ID,
        }),
      );
      expect(refused.getStatus()).toBe(404);
    });

    it('resolves the album of an accepted ticket, and answers a ticket naming none as invalid', async () => {
      const { access } = policy();
      expect(
        await access.requireAccess(principal(BOB), Permission.PermissionRequestCreate, {
          acceptedTicketResourceId: RESOURCE,
        }),
      ).toBe(album);
      const refused = await refusal(() =>
        access.requireAccess(principal(BOB), Permission.PermissionRequestCreate, {
          acceptedTicketResourceId: 'not-an-album',
        }),
      );
      expect(refused.getStatus()).toBe(400);
      expect(refused.toBody()).toMatchObject({ errors: [{ field: 'ticket' }] });
    });

    it("tells the owner of an accepted ticket's album they own it already", async () => {
      const { access } = policy();
      const refused = await refusal(() =>
        access.requireAccess(principal(ALICE), Permission.PermissionRequestCreate, {
          acceptedTicketResourceId: RESOURCE,
        }),
      );
      expect(refused.getStatus()).toBe(400);
      expect(refused.toBody()).toMatchObject({
        errors: [{ field: 'ticket', message: 'you own this album already' }],
      });
    });
  });

  describe(Permission.PermissionRequestAnswer, () => {
    const id = requestId(jdoesRequest);

    it("resolves the request and its album for the album's owner", async () => {
      const { access } = policy();
      expect(
        await access.requireAccess(principal(ALICE), Permission.PermissionRequestAnswer, {
          requestId: id,
        }),
      ).toEqual({ entry: jdoesRequest, album });
    });

    it('answers anyone else, the requester included, as for a request that does not exist', async () => {
      const { access } = policy();
      for (const caller of [BOB, JDOE]) {
        const refused = await refusal(() =>
          access.requireAccess(principal(caller), Permission.PermissionRequestAnswer, {
            requestId: id,
          }),
        );
        expect(refused.toBody()).toMatchObject({
          status: 404,
          detail: `No permission request ${id}`,
        });
      }
    });

    it('refuses a malformed request id before asking Keycloak', async () => {
      const { access, keycloakReads } = policy();
      const refused = await refusal(() =>
        access.requireAccess(principal(ALICE), Permission.PermissionRequestAnswer, {
          requestId: 'not-a-request',
        }),
      );
      expect(refused.getStatus()).toBe(404);
      expect(keycloakReads).toEqual([]);
    });
  });

  describe(Permission.PermissionRequestWithdraw, () => {
    const id = requestId(jdoesRequest);

    it('resolves the pending request for its requester', async () => {
      const { access } = policy();
      expect(
        await access.requireAccess(principal(JDOE), Permission.PermissionRequestWithdraw, {
          requestId: id,
        }),
      ).toEqual({ entry: jdoesRequest, requester: party(JDOE) });
    });

    it('answers anyone else, the owner included, as for a request that does not exist', async () => {
      const { access } = policy();
      const someoneElses = requestId({ resourceId: RESOURCE, requester: { id: BOB } });
      for (const caller of [ALICE, BOB]) {
        const refused = await refusal(() =>
          access.requireAccess(principal(caller), Permission.PermissionRequestWithdraw, {
            requestId: id,
          }),
        );
        expect(refused.toBody()).toMatchObject({
          status: 404,
          detail: `No permission request ${id}`,
        });
      }
      // bob's own id, with nothing pending: still a 404.
      const nothingPending = await refusal(() =>
        access.requireAccess(principal(BOB), Permission.PermissionRequestWithdraw, {
          requestId: someoneElses,
        }),
      );
      expect(nothingPending.getStatus()).toBe(404);
    });

    it('refuses a malformed request id before asking Keycloak', async () => {
      const { access, keycloakReads } = policy();
      await refusal(() =>
        access.requireAccess(principal(JDOE), Permission.PermissionRequestWithdraw, {
          requestId: 'x',
        }),
      );
      expect(keycloakReads).toEqual([]);
    });
  });

  describe('lists of ones own', () => {
    it('shows owners the tickets on their albums, requesters their own tickets', async () => {
      const { access } = policy();
      expect(
        await access.requireAccess(principal(ALICE), Permission.IncomingRequestsRead, {}),
      ).toEqual({ owner: ALICE });
      expect(
        await access.requireAccess(principal(JDOE), Permission.OutgoingRequestsRead, {}),
      ).toEqual({ requester: JDOE });
      expect(await access.requireAccess(principal(JDOE), Permission.SharedWithMeRead, {})).toEqual(
        party(JDOE),
      );
    });
  });
});
