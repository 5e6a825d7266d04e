import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { ExtractJwt } from 'passport-jwt';
import { IS_PUBLIC_KEY, type ProblemException } from '@app/common';
import { metrics } from '@app/observability';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import { principalOf } from './current-principal.decorator.ts';
import { EndedSessions } from './ended-sessions.ts';
import { bearerChallenge, describeTokenFailure } from './invalid-token.error.ts';
import { JwksKeyStore } from './jwks-key-store.ts';
import { KEYCLOAK_JWT } from './keycloak-jwt.strategy.ts';
import type { Principal } from './principal.ts';
import { SCOPES_KEY } from './scopes.metadata.ts';
import { VerifiedTokenCache } from './verified-token.cache.ts';

/** The same extraction as the strategy's, so that the cache is keyed by the token it verified. */
const bearerTokenOf = ExtractJwt.fromAuthHeaderAsBearerToken();

/** The `kid` of a token the strategy has just verified (its header is known to parse). */
function kidOf(token: string): string {
  const header = JSON.parse(
    Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString(),
  ) as { kid?: unknown };
  return typeof header.kid === 'string' ? header.kid : '';
}

/** Why an RPT is refused outside `@Scopes` routes; also the `error_description` of the 401. */
export const RPT_NOT_ACCEPTED = 'an RPT is accepted only where a permission is asked for';

/** Why a token of a session that ended at Keycloak is refused; the `error_description` of the 401. */
export const SESSION_ENDED = 'session ended';

/**
 * The 401 for a refused token, counted in `photoz_token_refusals_total` by the reason the
 * challenge gives (one of a fixed set, never anything of the token), `missing` without credentials.
 */
function refuse(realm: string, reason: string | undefined): ProblemException {
  metrics.tokenRefusals.inc({ reason: reason ?? 'missing' });
  return bearerChallenge(realm, reason);
}

/**
 * The guard's own refusal, counted alike, for what refuses a token outside it: a body announced
 * without a token is refused before it is read (`createHttpApp`), and a token Keycloak no longer
 * accepts when a service calls it with the token ({@link TOKEN_NO_LONGER_ACTIVE}).
 */
export function tokenRefusal(realm: string, reason?: string): ProblemException {
  return refuse(realm, reason);
}

/**
 * Global, deny by default: every route needs a valid access token unless it is `@Public()`. An RPT
 * is a pass for the permissions it lists, not an identity: Keycloak puts this API in its `aud`
 * whichever client asked for it, so it would carry a client without this API's audience past the
 * audience check. It is accepted only on `@Scopes` routes, which decide by its permissions.
 * A token verified once is not verified again until it expires ({@link VerifiedTokenCache}); a
 * token of a session that ended at Keycloak is refused ({@link EndedSessions}), verified or not.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard(KEYCLOAK_JWT) {
  private readonly verified: VerifiedTokenCache;

  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
    private readonly keys: JwksKeyStore,
    private readonly endedSessions: EndedSessions,
  ) {
    super();
    this.verified = new VerifiedTokenCache(options.verifiedTokenCacheSize);
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets);
    if (isPublic === true) {
      return true;
    }
    const request = context.switchToHttp().getRequest<{ user?: Principal }>();
    const token = bearerTokenOf(request) ?? undefined;
    const known =
      token === undefined ? undefined : this.verified.get(token, (kid) => this.keys.publishes(kid));
    if (known === undefined) {
      await (super.canActivate(context) as Promise<boolean>);
    } else {
      request.user = known;
    }
    const principal = principalOf(request);
    if (known === undefined && token !== undefined && principal !== undefined) {
      this.verified.set(token, principal, kidOf(token));
    }
    // Asked of remembered tokens too: a logout must stop a token verified before it.
    if (principal !== undefined && this.endedSessions.refuses(principal)) {
      throw refuse(this.options.realm, SESSION_ENDED);
    }
    if (
      principal?.permissions !== undefined &&
      this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets) === undefined
    ) {
      throw refuse(this.options.realm, RPT_NOT_ACCEPTED);
    }
    return true;
  }

  override handleRequest<TUser = Principal>(error: unknown, user: unknown, info: unknown): TUser {
    if (error === null && user !== false && user !== undefined && user !== null) {
      return user as TUser;
    }
    throw refuse(this.options.realm, describeTokenFailure(error ?? info));
  }
}
