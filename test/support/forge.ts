import {
  createHmac,
  createPublicKey,
  createSign,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { ISSUER } from '../../scripts/dev-realm/realm.ts';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWS with the given header and claims; `sign` produces the signature over `header.payload`. */
export function forgeToken(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  sign: (input: string) => string,
): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign(input)}`;
}

export const rs256 = (privateKey: KeyObject) => (input: string) =>
  createSign('RSA-SHA256').update(input).sign(privateKey).toString('base64url');

export const hs256 = (secret: string) => (input: string) =>
  createHmac('sha256', secret).update(input).digest('base64url');

export function foreignKeyPair(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('rsa', { modulusLength: 2048 });
}

/** The realm's current RS256 signing key, as published in its JWKS. */
export async function realmSigningKey(): Promise<{ kid: string; pem: string }> {
  const response = await fetch(`${ISSUER}/protocol/openid-connect/certs`);
  const { keys } = (await response.json()) as { keys: { kid: string; alg: string; use: string }[] };
  const jwk = keys.find((key) => key.alg === 'RS256' && key.use === 'sig');
  if (jwk === undefined) {
    throw new Error('the realm publishes no RS256 signing key');
  }
  const pem = createPublicKey({ key: jwk, format: 'jwk' })
    .export({ type: 'spki', format: 'pem' })
    .toString();
  return { kid: jwk.kid, pem };
}

/** Claims shaped like a Keycloak access token of alice for the album API. */
export function accessClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    exp: now + 300,
    iat: now,
    jti: 'forged',
    iss: ISSUER,
    aud: ['album-api'],
    sub: '00000000-0000-0000-0000-000000000001',
    typ: 'Bearer',
    azp: 'photoz-cli',
    preferred_username: 'alice',
    realm_access: { roles: ['user', 'admin'] },
    ...overrides,
  };
}
