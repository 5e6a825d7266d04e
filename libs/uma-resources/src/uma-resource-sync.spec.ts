import { describe, expect, it } from 'vitest';
import type { RegisteredResource, ResourceDescription } from '@app/keycloak';
import { driftOf, resourcesToRemove } from './uma-resource-sync.ts';

const desired: ResourceDescription = {
  name: 'album-1',
  displayName: 'Italy',
  type: 'urn:photoz:album',
  ownerId: 'alice-id',
  uris: ['/albums/1'],
  scopes: ['album:view', 'album:edit', 'album:delete'],
  attributes: { deployment: ['photoz'] },
};

const matching: RegisteredResource = {
  id: 'r1',
  name: 'album-1',
  displayName: 'Italy',
  type: 'urn:photoz:album',
  ownerId: 'alice-id',
  ownerManagedAccess: true,
  uris: ['/albums/1'],
  scopes: ['album:delete', 'album:view', 'album:edit'],
  attributes: { deployment: ['photoz'] },
};

describe(driftOf.name, () => {
  it('finds nothing when only the order of scopes differs', () => {
    expect(driftOf(matching, desired)).toEqual([]);
  });

  it('names every field that drifted', () => {
    expect(
      driftOf(
        {
          ...matching,
          ownerId: 'album-api',
          displayName: 'Old name',
          scopes: ['album:view'],
          uris: [],
          ownerManagedAccess: false,
          attributes: {},
        },
        desired,
      ),
    ).toEqual([
      'owner',
      'displayName',
      'scopes',
      'uris',
      'ownerManagedAccess',
      'attribute deployment',
    ]);
  });
});

describe(resourcesToRemove.name, () => {
  it('removes the linked resource and every resource of this deployment with the name', () => {
    expect(
      resourcesToRemove('r1', [matching, { ...matching, id: 'r2', ownerId: 'album-api' }], desired),
    ).toEqual(['r1', 'r2']);
  });

  it('removes a resource without the deployment attribute (registered before it existed)', () => {
    expect(resourcesToRemove(undefined, [{ ...matching, attributes: {} }], desired)).toEqual([
      'r1',
    ]);
  });

  it("leaves another deployment's resource of the same name", () => {
    expect(
      resourcesToRemove(
        undefined,
        [{ ...matching, attributes: { deployment: ['photoz_test'] } }],
        desired,
      ),
    ).toEqual([]);
  });
});
