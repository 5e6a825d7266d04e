import jsonwebtoken from 'jsonwebtoken';
import { describe, expect, it } from 'vitest';
import { bearerChallenge, describeTokenFailure, InvalidTokenError } from './invalid-token.error.ts';

describe(describeTokenFailure.name, () => {
  it.each([
    [new jsonwebtoken.TokenExpiredError('jwt expired', new Date()), 'token expired'],
    [new jsonwebtoken.NotBeforeError('jwt not active', new Date()), 'token not yet valid'],
    [
      new jsonwebtoken.JsonWebTokenError('jwt audience invalid. expected: album-api'),
      'audience not accepted',
    ],
    [new jsonwebtoken.JsonWebTokenError('jwt issuer invalid. expected: x'), 'issuer not accepted'],
    [new jsonwebtoken.JsonWebTokenError('invalid signature'), 'signature invalid'],
    [new jsonwebtoken.JsonWebTokenError('invalid algorithm'), 'algorithm not allowed'],
    [new jsonwebtoken.JsonWebTokenError('jwt malformed'), 'malformed token'],
    [new InvalidTokenError('not an access token'), 'not an access token'],
    [new Error('something else'), 'token invalid'],
  ])('describes %s', (failure, description) => {
    expect(describeTokenFailure(failure)).toBe(description);
  });

  it('treats a missing token as no error at all', () => {
    expect(describeTokenFailure(new Error('No auth token'))).toBeUndefined();
  });
});

describe(bearerChallenge.name, () => {
  it('quotes the description in an RFC 6750 challenge', () => {
    const problem = bearerChallenge('photoz', 'say "hi"');
    expect(problem.problem.headers?.['www-authenticate']).toBe(
      'Bearer realm="photoz", error="invalid_token", error_description="say \\"hi\\""',
    );
    expect(problem.getStatus()).toBe(401);
  });
});
