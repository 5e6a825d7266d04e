import type { AdminEvent } from '@app/keycloak';
import { describe, expect, it } from 'vitest';
import { changeOf } from './keycloak-change.ts';

const SERVER = 'rs-uuid';
const AUTHZ = `clients/${SERVER}/authz/resource-server`;

function event(
  resourceType: string,
  resourcePath: string,
  representation?: unknown,
  operationType = 'DELETE',
): AdminEvent {
  return {
    id: `${resourceType} ${resourcePath}`,
    time: 1,
    operationType,
    resourceType,
    resourcePath,
    representation: representation === undefined ? undefined : JSON.stringify(representation),
  };
}

function changed(...events: AdminEvent[]) {
  const change = changeOf(events, SERVER);
  return {
    resources: [...change.resources].sort(),
    subjects: [...change.subjects],
    everything: change.everything,
  };
}

describe(changeOf.name, () => {
  it("names the album of a partner's share permission deleted in the admin console", () => {
    expect(
      changed(
        event('AUTHORIZATION_POLICY', `${AUTHZ}/policy/p1`, {
          id: 'p1',
          name: 'share r1 partner-printshop',
          type: 'scope',
        }),
      ),
    ).toEqual({ resources: ['r1'], subjects: [], everything: false });
  });

  it('names the resources of another permission changed in the admin console', () => {
    expect(
      changed(
        event(
          'AUTHORIZATION_POLICY',
          `${AUTHZ}/permission/scope/p2`,
          { name: 'mine', resources: ['r2', 'r3'] },
          'UPDATE',
        ),
      ),
    ).toEqual({ resources: ['r2', 'r3'], subjects: [], everything: false });
  });

  it("reconciles everything when a policy names no resource (a partner's client policy)", () => {
    expect(
      changed(event('AUTHORIZATION_POLICY', `${AUTHZ}/policy/p3`, { name: 'partner x' }))
        .everything,
    ).toBe(true);
  });

  it('names a resource changed or deleted in the admin console or through the protection API', () => {
    expect(
      changed(
        event('AUTHORIZATION_RESOURCE', `${AUTHZ}/resource/r4`),
        event('AUTHORIZATION_RESOURCE', 'authz/protection/resource_set/r5', undefined, 'UPDATE'),
      ),
    ).toEqual({ resources: ['r4', 'r5'], subjects: [], everything: false });
  });

  it('names a deleted user as a subject, and ignores a changed one', () => {
    expect(
      changed(
        event('USER', 'users/u1'),
        event('USER', 'users/u2', undefined, 'UPDATE'),
        event('USER', 'users/u3/role-mappings'),
      ),
    ).toEqual({ resources: [], subjects: ['u1'], everything: false });
  });

  it.each([
    ['a scope', event('AUTHORIZATION_SCOPE', `${AUTHZ}/scope/s1`)],
    ['the resource server settings', event('AUTHORIZATION_RESOURCE_SERVER', AUTHZ, {}, 'UPDATE')],
    ['a deleted client', event('CLIENT', 'clients/c1')],
    ['an unreadable representation', event('AUTHORIZATION_POLICY', `${AUTHZ}/policy/p4`)],
  ])('reconciles everything for %s', (_, what) => {
    expect(changed(what).everything).toBe(true);
  });

  it("ignores another resource server's authorization changes", () => {
    expect(
      changed(
        event('AUTHORIZATION_POLICY', 'clients/other/authz/resource-server/policy/p5', {}),
        event('AUTHORIZATION_SCOPE', 'clients/other/authz/resource-server/scope/s2'),
      ),
    ).toEqual({ resources: [], subjects: [], everything: false });
  });
});
