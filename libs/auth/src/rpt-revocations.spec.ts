import { describe, expect, it } from 'vitest';
import { principalFromClaims } from './principal.ts';
import { issuedBeforeRevocation } from './rpt-revocations.ts';

const rptIssuedAt = (iat: number) => principalFromClaims({ sub: 'u1', iat, exp: iat + 300 });

describe(issuedBeforeRevocation.name, () => {
  const revokedAt = new Date(10_300); // 10.3 s

  it('lets every RPT through when nothing was revoked', () => {
    expect(issuedBeforeRevocation(rptIssuedAt(5), undefined)).toBe(false);
  });

  it('refuses an RPT from before the revocation', () => {
    expect(issuedBeforeRevocation(rptIssuedAt(9), revokedAt)).toBe(true);
  });

  it('refuses an RPT from the second of the revocation, whichever side of it', () => {
    // iat has whole seconds: 10 may be 10.2 (before) or 10.6 (after); refusing both is the safe side.
    expect(issuedBeforeRevocation(rptIssuedAt(10), revokedAt)).toBe(true);
  });

  it('accepts an RPT from a later second', () => {
    expect(issuedBeforeRevocation(rptIssuedAt(11), revokedAt)).toBe(false);
  });

  it('refuses an RPT from the exact second of a revocation on a whole second', () => {
    expect(issuedBeforeRevocation(rptIssuedAt(10), new Date(10_000))).toBe(true);
  });
});
