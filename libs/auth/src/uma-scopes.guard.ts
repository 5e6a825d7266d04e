import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { notFoundProblem, ProblemException, validationProblem } from '@app/common';
import { KeycloakUnavailableError } from '@app/keycloak';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import { principalOf } from './current-principal.decorator.ts';
import type { Principal } from './principal.ts';
import { SCOPES_KEY, UMA_RESOURCE_KEY, type UmaResourceTarget } from './scopes.decorator.ts';
import { authorizationServerUnavailable, umaChallenge } from './uma-challenge.ts';
import { type ProtectedResource, UmaResourceResolvers } from './uma-resource.resolver.ts';
import { issuedBeforeRevocation } from './rpt-revocations.ts';
import { UmaTicketCache } from './uma-ticket.cache.ts';

/** Whether an RPT grants every scope on the resource. */
export function rptGrants(
  principal: Principal,
  resourceId: string,
  scopes: readonly string[],
): boolean {
  return (principal.permissions ?? []).some(
    (permission) =>
      permission.resourceId === resourceId &&
      scopes.every((scope) => permission.scopes.includes(scope)),
  );
}

interface RequestWithResource {
  readonly params?: Record<string, string | undefined>;
  protectedResource?: ProtectedResource;
}

/**
 * The entity `@Scopes` resolved and allowed, e.g. `@ResolvedResource() album: ProtectedResource<AlbumRecord>`.
 * Only on `@Scopes` routes.
 */
export const ResolvedResource = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ProtectedResource => {
    const resource = context.switchToHttp().getRequest<RequestWithResource>().protectedResource;
    if (resource === undefined) {
      throw new Error('ResolvedResource used on a route without @Scopes');
    }
    return resource;
  },
);

/**
 * Decides `@Scopes(...)` routes, in this order: the owner is allowed; an RPT whose permissions
 * hold the resource with every required scope is allowed, unless the caller's access to it was
 * revoked after the RPT was issued; anyone else gets the UMA challenge with a permission ticket.
 * The allowed paths make no call to Keycloak.
 */
@Injectable()
export class UmaScopesGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly resolvers: UmaResourceResolvers,
    private readonly tickets: UmaTicketCache,
    @Inject(AUTH_OPTIONS) private readonly options: AuthOptions,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const scopes =
      this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets) ?? [];
    const target = this.reflector.getAllAndOverride<UmaResourceTarget | undefined>(
      UMA_RESOURCE_KEY,
      targets,
    );
    if (target === undefined) {
      throw new Error('@Scopes needs @UmaResource to name the protected resource');
    }
    const request = context.switchToHttp().getRequest<RequestWithResource>();
    const principal = principalOf(request);
    if (principal === undefined) {
      return false;
    }
    const id = request.params?.[target.param] ?? '';
    const resolver = this.resolvers.get(target.kind);
    if (!resolver.isValidId(id)) {
      throw validationProblem([
        { field: target.param, message: `${target.param} is not a valid ${target.kind} id` },
      ]);
    }
    const resource = await resolver.resolve(id, principal.subject);
    if (resource === undefined) {
      throw notFoundProblem(`No ${target.kind} ${id}`);
    }
    request.protectedResource = resource;
    if (principal.subject === resource.ownerId) {
      return true;
    }
    if (
      resource.resourceId !== undefined &&
      rptGrants(principal, resource.resourceId, scopes) &&
      !issuedBeforeRevocation(principal, resource.revokedAt)
    ) {
      return true;
    }
    throw await this.challenge(target.kind, resource, scopes);
  }

  private async challenge(
    kind: string,
    resource: ProtectedResource,
    scopes: readonly string[],
  ): Promise<ProblemException> {
    if (resource.resourceId === undefined) {
      return new ProblemException({
        status: 403,
        code: 'not-shareable-yet',
        detail: `This ${kind} is not registered with the authorization server yet; try again shortly.`,
        headers: { 'retry-after': '5' },
      });
    }
    try {
      const ticket = await this.tickets.ticketFor(resource.resourceId, scopes);
      return umaChallenge(this.options.realm, this.options.issuer, ticket, scopes);
    } catch (error) {
      if (error instanceof KeycloakUnavailableError) {
        return authorizationServerUnavailable(
          'The authorization server cannot issue a permission ticket right now.',
        );
      }
      throw error;
    }
  }
}
