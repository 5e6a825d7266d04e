import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '@app/common';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import { principalOf } from './current-principal.decorator.ts';
import { bearerChallenge, describeTokenFailure } from './invalid-token.error.ts';
import { KEYCLOAK_JWT } from './keycloak-jwt.strategy.ts';
import type { Principal } from './principal.ts';
import { SCOPES_KEY } from './scopes.metadata.ts';

/** Why an RPT is refused outside `@Scopes` routes; also the `error_description` of the 401. */
export const RPT_NOT_ACCEPTED = 'an RPT is accepted only where a permission is asked for';

/**
 * Global, deny by default: every route needs a valid access token unless it is `@Public()`. An RPT
 * is a pass for the permissions it lists, not an identity: Keycloak puts this API in its `aud`
 * whichever client asked for it, so it would carry a client without this API's audience past the
 * audience check. It is accepted only on `@Scopes` routes, which decide by its permissions.
 */
@Injectable()
export class AuthenticationGuard extends AuthGuard(KEYCLOAK_JWT) {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets);
    if (isPublic === true) {
      return true;
    }
    await (super.canActivate(context) as Promise<boolean>);
    const principal = principalOf(context.switchToHttp().getRequest());
    if (
      principal?.permissions !== undefined &&
      this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets) === undefined
    ) {
      throw bearerChallenge(this.options.realm, RPT_NOT_ACCEPTED);
    }
    return true;
  }

  override handleRequest<TUser = Principal>(error: unknown, user: unknown, info: unknown): TUser {
    if (error === null && user !== false && user !== undefined && user !== null) {
      return user as TUser;
    }
    throw bearerChallenge(this.options.realm, describeTokenFailure(error ?? info));
  }
}
