import { applyDecorators, SetMetadata, UseGuards } from '@nestjs/common';
import { UmaScopesGuard } from './uma-scopes.guard.ts';

export const SCOPES_KEY = 'photoz:scopes';
export const UMA_RESOURCE_KEY = 'photoz:uma-resource';

/** Which route parameter names the protected resource, and of which kind. */
export interface UmaResourceTarget {
  readonly kind: string;
  readonly param: string;
}

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
 * The caller must own the resource, or hold an RPT granting every listed scope on it; anyone
 * else gets the UMA challenge. Needs `@UmaResource(...)` on the route or its controller.
 */
export const Scopes = (...scopes: string[]): MethodDecorator =>
  applyDecorators(SetMetadata(SCOPES_KEY, scopes), UseGuards(UmaScopesGuard));
