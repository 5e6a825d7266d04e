import { type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY } from '@app/common';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import { bearerChallenge, describeTokenFailure } from './invalid-token.error.ts';
import { KEYCLOAK_JWT } from './keycloak-jwt.strategy.ts';
import type { Principal } from './principal.ts';

/** Global, deny by default: every route needs a valid access token unless it is `@Public()`. */
@Injectable()
export class AuthenticationGuard extends AuthGuard(KEYCLOAK_JWT) {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {
    super();
  }

  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (isPublic === true) {
      return true;
    }
    return super.canActivate(context) as Promise<boolean>;
  }

  override handleRequest<TUser = Principal>(error: unknown, user: unknown, info: unknown): TUser {
    if (error === null && user !== false && user !== undefined && user !== null) {
      return user as TUser;
    }
    throw bearerChallenge(this.options.realm, describeTokenFailure(error ?? info));
  }
}
