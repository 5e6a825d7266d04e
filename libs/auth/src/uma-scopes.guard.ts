import {
  type CanActivate,
  createParamDecorator,
  type ExecutionContext,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { notFoundProblem, ProblemException, validationProblem } from '@app/common';
import type { CurrentGrant } from '@app/grant-record';
import { KeycloakError } from '@app/keycloak';
import { metrics } from '@app/observability';
import { AUTH_OPTIONS, type AuthOptions } from './auth.options.ts';
import { principalOf } from './current-principal.decorator.ts';
import type { Principal } from './principal.ts';
import { SCOPES_KEY, UMA_RESOURCE_KEY, type UmaResourceTarget } from './scopes.metadata.ts';
import { authorizationServerUnavailable, umaChallenge } from './uma-challenge.ts';
import {
  type ProtectedResource,
  type UmaResourceResolver,
  UmaResourceResolvers,
} from './uma-resource.resolver.ts';
import { UmaTicketCache } from './uma-ticket.cache.ts';

/** Whether an RPT lists every scope on the resource. */
export function rptGrants(
  principal: Pick<Principal, 'permissions'>,
  resourceId: string,
  scopes: readonly string[],
): boolean {
  return (principal.permissions ?? []).some(
    (permission) =>
      permission.resourceId === resourceId &&
      scopes.every((scope) => permission.scopes.includes(scope)),
  );
}

/** How a `@Scopes` route lets a caller in, or that it does not. */
export type AccessDecision = 'owner' | 'rpt' | 'challenge';

/**
 * What `photoz_access_decisions_total` counts: the decision, with a challenge told apart when the
 * caller's RPT lists every scope on the resource but the current grant no longer covers them
 * (`rpt_revoked`), when the entity is not registered at Keycloak (`not_shareable_yet`), and an
 * unknown entity (`not_found`).
 */
export type AccessOutcome =
  'owner' | 'rpt' | 'challenge' | 'rpt_revoked' | 'not_shareable_yet' | 'not_found';

/**
 * Why {@link decideAccess} challenged: `rpt_revoked` when the caller's RPT lists the resource with
 * every scope, so that only the current grant refused it (a revocation, or a narrowed share, since
 * the RPT was issued); `challenge` otherwise.
 */
export function challengeOutcome(
  principal: Pick<Principal, 'permissions'>,
  resource: {
    readonly resourceId: string | undefined;
    readonly grant: Pick<CurrentGrant, 'covers'>;
  },
  scopes: readonly string[],
): 'challenge' | 'rpt_revoked' {
  return principal.permissions !== undefined &&
    resource.resourceId !== undefined &&
    rptGrants(principal, resource.resourceId, scopes) &&
    !resource.grant.covers(scopes)
    ? 'rpt_revoked'
    : 'challenge';
}

function count(outcome: AccessOutcome): void {
  metrics.accessDecisions.inc({ outcome });
}

/**
 * The decision order of `@Scopes`, without any I/O:
 * 1. an access token of the owner is let in;
 * 2. an RPT is let in when it lists the resource with every scope and the caller still holds
 *    them now (`grant`): Keycloak never takes a permission back from an issued RPT, and its refresh
 *    grant copies the permissions into a fresh token, so the RPT alone proves only what was once
 *    granted. An RPT is only ever a pass for what it lists, never an identity: even the owner's RPT
 *    does not count as the owner (a client without this API's audience can obtain an RPT);
 * 3. anyone else is challenged.
 */
export function decideAccess(
  principal: Pick<Principal, 'subject' | 'permissions'>,
  resource: {
    readonly ownerId: string;
    readonly resourceId: string | undefined;
    readonly grant: Pick<CurrentGrant, 'covers'>;
  },
  scopes: readonly string[],
): AccessDecision {
  if (principal.permissions === undefined) {
    return principal.subject === resource.ownerId ? 'owner' : 'challenge';
  }
  return resource.resourceId !== undefined &&
    rptGrants(principal, resource.resourceId, scopes) &&
    resource.grant.covers(scopes)
    ? 'rpt'
    : 'challenge';
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

function notShareableYet(kind: string): ProblemException {
  return new ProblemException({
    status: 403,
    code: 'not-shareable-yet',
    detail: `This ${kind} is not registered with the authorization server yet; try again shortly.`,
    headers: { 'retry-after': '5' },
  });
}

/**
 * Decides `@Scopes(...)` routes (see {@link decideAccess}); the allowed paths make no call to
 * Keycloak.
 */
@Injectable()
export class UmaScopesGuard implements CanActivate {
  private readonly logger = new Logger(UmaScopesGuard.name);

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
    // Only an RPT is held to a grant: an access token's caller is let in as the owner or not at all.
    const resource = await resolver.resolve(
      id,
      principal.permissions === undefined ? undefined : principal.subject,
    );
    if (resource === undefined) {
      count('not_found');
      throw notFoundProblem(`No ${target.kind} ${id}`);
    }
    request.protectedResource = resource;
    const decision = decideAccess(principal, resource, scopes);
    if (decision !== 'challenge') {
      count(decision);
      return true;
    }
    throw await this.challenge(
      target.kind,
      id,
      resolver,
      resource,
      scopes,
      challengeOutcome(principal, resource, scopes),
    );
  }

  private async challenge(
    kind: string,
    id: string,
    resolver: UmaResourceResolver,
    resource: ProtectedResource,
    scopes: readonly string[],
    outcome: 'challenge' | 'rpt_revoked',
  ): Promise<ProblemException> {
    if (resource.resourceId === undefined) {
      count('not_shareable_yet');
      return notShareableYet(kind);
    }
    try {
      const ticket = await this.tickets.ticketFor(resource.resourceId, scopes);
      count(outcome);
      return umaChallenge(this.options.realm, this.options.issuer, ticket, scopes);
    } catch (error) {
      if (
        error instanceof KeycloakError &&
        (error.error === 'invalid_resource_id' || error.error === 'invalid_scope')
      ) {
        count('not_shareable_yet');
        // Keycloak no longer knows the resource, or its scopes (changed behind our back): until it
        // is registered again, the entity is as unshareable as one never registered.
        Promise.resolve()
          .then(() => resolver.resourceMissing(id))
          .catch((repairError: unknown) => {
            this.logger.warn(
              `could not schedule the re-registration of ${kind} ${id}: ${
                repairError instanceof Error ? repairError.message : String(repairError)
              }`,
            );
          });
        return notShareableYet(kind);
      }
      // The decision stands; the answer is Keycloak's failure (counted with its calls).
      count(outcome);
      if (error instanceof KeycloakError) {
        this.logger.error(`permission ticket refused: ${error.message}`);
        return authorizationServerUnavailable(
          'The authorization server cannot issue a permission ticket right now.',
        );
      }
      // An unreachable Keycloak (KeycloakUnavailableError) is answered by the global filter
      // (@app/platform), as on every other route.
      throw error;
    }
  }
}
