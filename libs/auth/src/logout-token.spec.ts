import { createSign, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  InvalidLogoutTokenError,
  type LogoutTokenKeys,
  verifyLogoutToken,
} from './logout-token.ts';

const NOW_MS = 1_800_000_000_000;
const NOW = NOW_MS / 1000;
const ISSUER = 'https://kc/realms/photoz';
const realmKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const otherKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
const keys: LogoutTokenKeys = {
  find: (kid) =>
    Promise.resolve(kid === 'realm-key' ? { key: realmKey.publicKey, alg: 'RS256' } : undefined),
};
const rules = { issuer: ISSUER, audiences: ['photoz-web', 'photoz-cli'], clockToleranceSeconds: 5 };

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function token(
  claims: Record<string, unknown> = {},
  header: Record<string, unknown> = {},
  privateKey = realmKey.privateKey,
): string {
  const input = `${b64({ alg: 'RS256', typ: 'logout+jwt', kid: 'realm-key', ...header })}.${b64({
    iss: ISSUER,
    aud: 'photoz-cli',
    iat: NOW,
    exp: NOW + 120,
    jti: 'j1',
    sub: 'user-1',
    sid: 'session-1',
    events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
    ...claims,
  })}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url')}`;
}

async function refusal(raw: string): Promise<string | undefined> {
  try {
    await verifyLogoutToken(raw, rules, keys, () => NOW_MS);
    return undefined;
  } catch (error) {
    if (error instanceof InvalidLogoutTokenError) {
      return error.description;
    }
    throw error;
  }
}

describe(verifyLogoutToken.name, () => {
  it("ends the session a Keycloak logout token names, as of the token's iat", async () => {
    await expect(verifyLogoutToken(token(), rules, keys, () => NOW_MS)).resolves.toEqual({
      kind: 'session',
      id: 'session-1',
      endedAt: NOW,
    });
  });

  it('ends every session of the subject when the token names no session', async () => {
    await expect(
      verifyLogoutToken(token({ sid: undefined }), rules, keys, () => NOW_MS),
    ).resolves.toEqual({ kind: 'subject', id: 'user-1', endedAt: NOW });
  });

  it('accepts an aud list naming one of our clients', async () => {
    expect(await refusal(token({ aud: ['elsewhere', 'photoz-web'] }))).toBeUndefined();
  });

  it.each([
    [
      'an unsigned token',
      `${b64({ alg: 'none', typ: 'logout+jwt' })}.${b64({ iss: ISSUER })}.`,
      'algorithm not allowed',
    ],
    ['a JWE', 'a.b.c.d.e', 'malformed token'],
    ['garbage', 'not-a-token', 'malformed token'],
    ['a token signed by another key', token({}, {}, otherKey.privateKey), 'signature invalid'],
    ['a key the realm does not publish', token({}, { kid: 'other' }), 'unknown signing key'],
    ['an HMAC token', token({}, { alg: 'HS256' }), 'algorithm not allowed'],
    ['an access token', token({}, { typ: 'JWT' }), 'not a logout token'],
    ['a token without typ', token({}, { typ: undefined }), 'not a logout token'],
    ['another issuer', token({ iss: 'https://kc/realms/other' }), 'issuer not accepted'],
    ['another audience', token({ aud: 'album-api' }), 'audience not accepted'],
    ['no audience', token({ aud: undefined }), 'audience not accepted'],
    ['no iat', token({ iat: undefined }), 'iat missing'],
    ['an iat in the future', token({ iat: NOW + 60 }), 'iat out of bounds'],
    ['an old iat', token({ iat: NOW - 600, exp: NOW + 60 }), 'iat out of bounds'],
    ['an expired token', token({ exp: NOW - 60 }), 'token expired'],
    ['no exp', token({ exp: undefined }), 'exp missing'],
    ['no jti', token({ jti: undefined }), 'jti missing'],
    ['no events', token({ events: undefined }), 'not a back-channel logout event'],
    ['another event', token({ events: { 'urn:other': {} } }), 'not a back-channel logout event'],
    [
      'an event that is not an object',
      token({ events: { [BACKCHANNEL_LOGOUT_EVENT]: 'x' } }),
      'not a back-channel logout event',
    ],
    ['a nonce', token({ nonce: 'n' }), 'nonce not allowed'],
    ['neither sid nor sub', token({ sid: undefined, sub: undefined }), 'neither sid nor sub'],
    ['a sid that is not a string', token({ sid: 42 }), 'sid invalid'],
    ["a sid too long to be Keycloak's", token({ sid: 'x'.repeat(256) }), 'sid invalid'],
  ])('refuses %s', async (_case, raw, reason) => {
    expect(await refusal(raw)).toBe(reason);
  });
});
