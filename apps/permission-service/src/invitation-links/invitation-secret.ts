import { createHash, randomBytes } from 'node:crypto';

/** 32 random bytes, base64url without padding: 43 characters. */
const SECRET_BYTES = 32;
const SECRET_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** A new link's secret: shown to its owner once, never stored. */
export function newInvitationSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

/**
 * What is stored of a secret, and what a link is looked up by: its SHA-256. A secret has 256 bits
 * of entropy, so a plain hash is as hard to reverse as the secret is to guess, and the lookup by
 * hash (a unique index) compares no secret in the service, leaving no timing to measure.
 */
export function invitationSecretHash(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Whether `value` has the shape of a secret this service hands out (anything else opens nothing). */
export function isInvitationSecret(value: unknown): value is string {
  return typeof value === 'string' && SECRET_SHAPE.test(value);
}
