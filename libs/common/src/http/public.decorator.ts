import { SetMetadata } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';

export const IS_PUBLIC_KEY = 'photoz:public';

/**
 * Set in the Fastify route config (`request.routeOptions.config`) of every `@Public()` route, for
 * what runs before the guard and cannot ask Nest's metadata (the hooks before the body is read).
 * `@RouteConfig()` on a public route must carry it too: route configs are not merged.
 */
export const PUBLIC_ROUTE = 'photozPublic';

declare module 'fastify' {
  interface FastifyContextConfig {
    readonly [PUBLIC_ROUTE]?: boolean;
  }
}

type Handler = (...args: never[]) => unknown;

function publicRoute(handler: Handler): void {
  RouteConfig({ [PUBLIC_ROUTE]: true })({}, '', { value: handler });
}

/** Opts a route (or controller) out of the global deny-by-default authentication guard. */
export const Public =
  (): MethodDecorator & ClassDecorator =>
  (target: object, key?: string | symbol, descriptor?: PropertyDescriptor): void => {
    if (descriptor === undefined) {
      const controller = target as { prototype: object };
      SetMetadata(IS_PUBLIC_KEY, true)(controller as Handler);
      for (const name of Object.getOwnPropertyNames(controller.prototype)) {
        const method: unknown = Object.getOwnPropertyDescriptor(controller.prototype, name)?.value;
        if (name !== 'constructor' && typeof method === 'function') {
          publicRoute(method as Handler);
        }
      }
      return;
    }
    SetMetadata(IS_PUBLIC_KEY, true)(target, key ?? '', descriptor);
    publicRoute(descriptor.value as Handler);
  };
