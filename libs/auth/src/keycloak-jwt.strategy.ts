import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import jsonwebtoken, { type JwtPayload } from 'jsonwebtoken';
import { ExtractJwt, Strategy } from 'passport-jwt';
import {
  ASYMMETRIC_ALGORITHMS,
  AUTH_OPTIONS,
  type AuthOptions,
  isAsymmetricAlgorithm,
} from './auth.options.ts';
import { InvalidTokenError } from './invalid-token.error.ts';
import { JwksKeyStore } from './jwks-key-store.ts';
import { type Principal, principalFromClaims } from './principal.ts';

export const KEYCLOAK_JWT = 'keycloak-jwt';

/**
 * Verifies Keycloak access tokens offline: the realm's published asymmetric keys only, the realm
 * issuer, our client id in `aud`, `exp`/`nbf` with a small tolerance, and `typ: Bearer` (ID and
 * refresh tokens are refused). Header fields such as `jku` and `x5u` are never followed.
 */
@Injectable()
export class KeycloakJwtStrategy extends PassportStrategy(Strategy, KEYCLOAK_JWT) {
  constructor(@Inject(AUTH_OPTIONS) options: AuthOptions, keyStore: JwksKeyStore) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      secretOrKeyProvider: (
        _request: unknown,
        rawJwt: string,
        done: (error: unknown, key?: string) => void,
      ) => {
        resolveKey(rawJwt, options, keyStore).then(
          // jsonwebtoken verifies with a KeyObject as it is; the typings only know PEM strings.
          (key) => done(null, key as unknown as string),
          (error: unknown) => done(error),
        );
      },
      issuer: options.issuer,
      audience: options.audience,
      algorithms: [...ASYMMETRIC_ALGORITHMS],
      ignoreExpiration: false,
      jsonWebTokenOptions: { clockTolerance: options.clockToleranceSeconds },
    });
  }

  validate(claims: JwtPayload): Principal {
    if (claims['typ'] !== 'Bearer') {
      throw new InvalidTokenError('not an access token');
    }
    if (typeof claims.sub !== 'string' || claims.sub === '' || typeof claims['azp'] !== 'string') {
      throw new InvalidTokenError('token lacks subject or authorized party');
    }
    return principalFromClaims(claims);
  }
}

/**
 * Checks what can be checked before any key lookup (shape, algorithm, issuer, token type), so that tokens of
 * other issuers or with forbidden algorithms never cause a JWKS refresh, then finds the key by `kid`.
 */
async function resolveKey(
  rawJwt: string,
  options: AuthOptions,
  keyStore: JwksKeyStore,
): Promise<KeyObject> {
  const decoded = jsonwebtoken.decode(rawJwt, { complete: true });
  if (decoded === null || typeof decoded.payload !== 'object') {
    throw new InvalidTokenError('malformed token');
  }
  const { alg, kid } = decoded.header;
  if (!isAsymmetricAlgorithm(alg)) {
    throw new InvalidTokenError('algorithm not allowed');
  }
  if (decoded.payload.iss !== options.issuer) {
    throw new InvalidTokenError('issuer not accepted');
  }
  if (decoded.payload['typ'] !== 'Bearer') {
    throw new InvalidTokenError('not an access token');
  }
  if (typeof kid !== 'string' || kid === '') {
    throw new InvalidTokenError('unknown signing key');
  }
  const verificationKey = await keyStore.find(kid);
  if (verificationKey === undefined) {
    throw new InvalidTokenError('unknown signing key');
  }
  if (verificationKey.alg !== undefined && verificationKey.alg !== alg) {
    throw new InvalidTokenError('algorithm not allowed');
  }
  return verificationKey.key;
}
