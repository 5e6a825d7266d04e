import { describe, expect, it } from 'vitest';
import type { GrantDirectory } from '../grants/grant-directory.ts';
import type { GrantEntry, NamedTicket } from '../grants/grant-entry.ts';
import { MAX_IMPORTED_TICKETS, PendingRequestImport } from './pending-request.import.ts';
import type { PendingRequest, PendingRequestRepository } from './pending-request.repository.ts';

const ALBUM = 'album-resource';
const OTHER_DEPLOYMENT = 'other-resource';

function ticket(scopeName: string, granted = false): NamedTicket {
  return {
    id: `${scopeName}-${String(granted)}`,
    ownerId: 'alice',
    resourceId: ALBUM,
    scopeId: scopeName,
    requesterId: 'jdoe',
    granted,
    scopeName,
  };
}

function entry(resourceId: string, pending: NamedTicket[]): GrantEntry {
  return {
    resourceId,
    ownerId: 'alice',
    requester: { id: 'jdoe', username: 'jdoe', partner: false, subject: 'jdoe' },
    pending,
    granted: [],
    sharedScopes: [],
    current: [],
  };
}

/** An import over fakes: the entries Keycloak's pending tickets make, and what it wrote. */
function importOver(entries: GrantEntry[]) {
  const replaced: { found: readonly PendingRequest[]; complete: boolean }[] = [];
  const asked: (number | undefined)[] = [];
  const directory = {
    entries: (_query: unknown, limit?: number) => {
      asked.push(limit);
      return Promise.resolve(entries);
    },
  } as unknown as GrantDirectory;
  const pending = {
    clock: () => Promise.resolve(new Date(0)),
    albumResources: (ids: readonly string[]) =>
      Promise.resolve(new Set(ids.filter((id) => id === ALBUM))),
    replace: (found: readonly PendingRequest[], _since: Date, complete: boolean) => {
      replaced.push({ found, complete });
      return Promise.resolve({ written: found.length, deleted: 0 });
    },
  } as unknown as PendingRequestRepository;
  return { requests: new PendingRequestImport(directory, pending), replaced, asked };
}

describe(PendingRequestImport.name, () => {
  it("imports this deployment's pending requests, bounded, and replaces them all", async () => {
    const { requests, replaced, asked } = importOver([
      entry(ALBUM, [ticket('album:view'), ticket('album:edit')]),
      entry(OTHER_DEPLOYMENT, [ticket('album:view')]),
    ]);
    expect(await requests.importAll()).toEqual({ requests: 1, written: 1, deleted: 0 });
    expect(asked).toEqual([MAX_IMPORTED_TICKETS]);
    expect(replaced).toEqual([
      {
        found: [
          {
            resourceId: ALBUM,
            requesterId: 'jdoe',
            ownerId: 'alice',
            scopes: ['album:edit', 'album:view'],
          },
        ],
        complete: true,
      },
    ]);
  });

  it('deletes nothing when the read reached its bound', async () => {
    const many = Array.from({ length: MAX_IMPORTED_TICKETS }, (_, index) =>
      ticket(`scope-${index}`),
    );
    const { requests, replaced } = importOver([entry(ALBUM, many)]);
    await requests.importAll();
    expect(replaced.map((call) => call.complete)).toEqual([false]);
  });
});
