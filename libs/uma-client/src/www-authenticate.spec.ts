import { describe, expect, it } from 'vitest';
import { bearerError, findUmaChallenge, parseWwwAuthenticate } from './www-authenticate.ts';

describe('WWW-Authenticate parsing', () => {
  it('reads the UMA challenge the API sends', () => {
    expect(
      findUmaChallenge(
        'UMA realm="photoz", as_uri="http://kc/realms/photoz", ticket="eyJ.a-b_c.d"',
      ),
    ).toEqual({ realm: 'photoz', asUri: 'http://kc/realms/photoz', ticket: 'eyJ.a-b_c.d' });
  });

  it('reads a Bearer error with escapes, and several challenges in one header', () => {
    const header =
      'Bearer realm="photoz", error="invalid_token", error_description="a \\"quoted\\" reason", UMA realm="r", as_uri="http://as", ticket=t1';
    expect(parseWwwAuthenticate(header).map((challenge) => challenge.scheme)).toEqual([
      'Bearer',
      'UMA',
    ]);
    expect(bearerError(header)).toEqual({
      error: 'invalid_token',
      description: 'a "quoted" reason',
    });
    expect(findUmaChallenge(header)?.ticket).toBe('t1');
  });

  it('finds no challenge in a missing or plain Bearer header', () => {
    expect(findUmaChallenge(null)).toBeUndefined();
    expect(findUmaChallenge('Bearer realm="photoz"')).toBeUndefined();
    expect(bearerError('Bearer realm="photoz"')).toBeUndefined();
  });
});
