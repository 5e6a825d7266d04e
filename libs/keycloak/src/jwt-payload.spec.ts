import { describe, expect, it } from 'vitest';
import { decodeJwtPayload } from './jwt-payload.ts';

const part = (value: string) => Buffer.from(value).toString('base64url');

describe(decodeJwtPayload.name, () => {
  it('reads the payload of a JWT-shaped string without checking its signature', () => {
    expect(decodeJwtPayload(`${part('{}')}.${part('{"exp":5}')}.not-a-signature`)).toEqual({
      exp: 5,
    });
  });

  it.each([
    ['no payload part', 'header-only'],
    ['a payload that is not JSON', `h.${part('not json')}.s`],
    ['a payload that is not an object', `h.${part('42')}.s`],
    ['a null payload', `h.${part('null')}.s`],
  ])('gives undefined for %s', (_, token) => {
    expect(decodeJwtPayload(token)).toBeUndefined();
  });
});
