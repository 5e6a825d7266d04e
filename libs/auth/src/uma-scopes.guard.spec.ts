import { describe, expect, it } from 'vitest';
import type { Principal } from './principal.ts';
import { decideAccess } from './uma-scopes.guard.ts';

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
