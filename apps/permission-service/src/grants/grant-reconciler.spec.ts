import { describe, expect, it } from 'vitest';
import type { GrantEntry } from './grant-entry.ts';
import { beyondKeycloak, keycloakGrants } from './grant-reconciler.ts';

function entry(subject: string, granted: string[], sharedScopes: string[] = []): GrantEntry {
  return {
    resourceId: 'r1',
    ownerId: 'alice',
    requester: { id: `id-${subject}`, username: subject, partner: false, subject },
    pending: [],
    granted: granted.map((scopeName) => ({
      id: `${subject} ${scopeName}`,
      ownerId: 'alice',
      resourceId: 'r1',
      scopeId: scopeName,
      requesterId: `id-${subject}`,
      granted: true,
      scopeName,
    })),
    sharedScopes,
    current: [],
  };
}

describe(keycloakGrants.name, () => {
  it("joins a party's granted tickets and share permission", () => {
    expect(
      keycloakGrants(
        [
          entry('jdoe', ['album:view']),
          entry('jdoe', [], ['album:edit']),
          entry('bob', ['album:delete']),
        ],
        'jdoe',
      ),
    ).toEqual(['album:edit', 'album:view']);
  });

  it('is nothing for a party Keycloak has no entry for', () => {
    expect(keycloakGrants([entry('bob', ['album:view'])], 'jdoe')).toEqual([]);
  });
});

describe(beyondKeycloak.name, () => {
  it('names what the record holds and Keycloak no longer grants', () => {
    expect(beyondKeycloak(['album:edit', 'album:view'], ['album:view'])).toEqual(['album:edit']);
  });

  it('is nothing when Keycloak grants more than the record (a grant made there waits)', () => {
    expect(beyondKeycloak(['album:view'], ['album:edit', 'album:view'])).toEqual([]);
  });
});
