import { describe, expect, it } from 'vitest';
import { principalFromClaims } from './principal.ts';

describe(principalFromClaims.name, () => {
  it('reads a user token', () => {
    const principal = principalFromClaims({
      sub: 'u1',
      preferred_username: 'alice',
      azp: 'photoz-web',
      realm_access: { roles: ['user'] },
      iat: 10,
      exp: 310,
    });
    expect(principal).toEqual({
      subject: 'u1',
      username: 'alice',
      clientId: 'photoz-web',
      partner: false,
      realmRoles: ['user'],
      permissions: undefined,
      issuedAt: 10,
      expiresAt: 310,
    });
  });

  it('reads the session the token was issued in', () => {
    expect(principalFromClaims({ sub: 'u1', azp: 'photoz-cli', sid: 's1' }).sessionId).toBe('s1');
  });

  it("recognises a partner's service account", () => {
    expect(
      principalFromClaims({
        sub: 's1',
        preferred_username: 'service-account-partner-printshop',
        azp: 'partner-printshop',
      }).partner,
    ).toBe(true);
  });

  it('does not take a user named like a service account of another client for a partner', () => {
    expect(
      principalFromClaims({
        sub: 'u2',
        preferred_username: 'service-account-partner-printshop',
        azp: 'photoz-cli',
      }).partner,
    ).toBe(false);
  });

  it("reads an RPT's permissions and skips malformed entries", () => {
    const principal = principalFromClaims({
      sub: 'u1',
      azp: 'photoz-cli',
      authorization: {
        permissions: [
          { rsid: 'r1', rsname: 'album', scopes: ['album:view'] },
          { scopes: ['album:edit'] },
          'junk',
        ],
      },
    });
    expect(principal.permissions).toEqual([
      { resourceId: 'r1', resourceName: 'album', scopes: ['album:view'] },
    ]);
  });
});
