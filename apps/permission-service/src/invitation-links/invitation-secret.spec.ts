import { describe, expect, it } from 'vitest';
import {
  invitationSecretHash,
  isInvitationSecret,
  newInvitationSecret,
} from './invitation-secret.ts';

describe('invitation secrets', () => {
  it('are 43 base64url characters (32 random bytes)', () => {
    const secret = newInvitationSecret();
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
  });

  it('differ each time', () => {
    expect(newInvitationSecret()).not.toBe(newInvitationSecret());
  });

  it('are stored as their 32-byte SHA-256, never as themselves', () => {
    const secret = newInvitationSecret();
    const hash = invitationSecretHash(secret);
    expect(hash).toHaveLength(32);
    expect(hash.toString('base64url')).not.toBe(secret);
    expect(invitationSecretHash(secret)).toEqual(hash);
  });

  it.each([
    ['a new secret', newInvitationSecret(), true],
    ['one character short', 'a'.repeat(42), false],
    ['one character long', 'a'.repeat(44), false],
    ['padding', `${'a'.repeat(42)}=`, false],
    ['base64 rather than base64url', `${'a'.repeat(42)}+`, false],
    ['a number', 42, false],
    ['nothing', undefined, false],
  ])('tell the shape of a secret: %s', (_name, value, expected) => {
    expect(isInvitationSecret(value)).toBe(expected);
  });
});
