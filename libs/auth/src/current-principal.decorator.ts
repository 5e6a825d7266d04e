import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Principal } from './principal.ts';

interface AuthenticatedRequest {
  readonly user?: Principal;
}

/** The validated caller of this request. Only on routes behind the authentication guard. */
export const CurrentPrincipal = createParamDecorator(
  (_data: unknown, context: ExecutionContext): Principal => {
    const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().user;
    if (principal === undefined) {
      throw new Error('CurrentPrincipal used on a route without an authenticated principal');
    }
    return principal;
  },
);

export function principalOf(request: unknown): Principal | undefined {
  return (request as AuthenticatedRequest).user;
}
