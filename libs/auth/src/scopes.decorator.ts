import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { ApiUmaChallenge } from './api-uma-challenge.decorator.ts';
import { SCOPES_KEY, UMA_RESOURCE_KEY, type UmaResourceTarget } from './scopes.metadata.ts';
import { UmaScopesGuard } from './uma-scopes.guard.ts';

/**
 * Declares the route parameter that names the protected resource, e.g.
 * `@UmaResource('album', { param: 'id' })` on a controller or a route.
 */
export const UmaResource = (
  kind: string,
  options: { param: string },
): MethodDecorator & ClassDecorator =>
  SetMetadata(UMA_RESOURCE_KEY, { kind, param: options.param } satisfies UmaResourceTarget);

/**
 * The caller must own the resource (with an access token), or hold an RPT granting every listed
 * scope on it that the owner has not taken back since; anyone else gets the UMA challenge. These
 * are the only routes that accept an RPT. Needs `@UmaResource(...)` on the route or its controller.
 */
export const Scopes = (...scopes: string[]): MethodDecorator =>
  applyDecorators(SetMetadata(SCOPES_KEY, scopes), UseGuards(UmaScopesGuard), ApiUmaChallenge());
