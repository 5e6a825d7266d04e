import { Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { IS_PUBLIC_KEY, Public, PUBLIC_ROUTE } from './public.decorator.ts';

/** Where Nest's Fastify adapter reads a route's config from (`@RouteConfig()`). */
const ROUTE_CONFIG = '__fastify_route_config__';

@Public()
class PublicController {
  live(): string {
    return 'up';
  }
}

class MixedController {
  @Public()
  open(): string {
    return 'open';
  }

  closed(): string {
    return 'closed';
  }
}

/** A controller's method as Nest finds it, without calling it. */
const handler = (controller: { prototype: object }, name: string): (() => string) =>
  Object.getOwnPropertyDescriptor(controller.prototype, name)?.value as () => string;

describe(Public.name, () => {
  const reflector = new Reflector();

  it("marks every route of a public controller in Fastify's route config", () => {
    expect(Reflect.getMetadata(ROUTE_CONFIG, handler(PublicController, 'live'))).toEqual({
      [PUBLIC_ROUTE]: true,
    });
    expect(
      reflector.getAllAndOverride(IS_PUBLIC_KEY, [
        handler(PublicController, 'live'),
        PublicController,
      ]),
    ).toBe(true);
  });

  it('marks a public route of a controller, and no other', () => {
    expect(Reflect.getMetadata(ROUTE_CONFIG, handler(MixedController, 'open'))).toEqual({
      [PUBLIC_ROUTE]: true,
    });
    expect(reflector.get(IS_PUBLIC_KEY, handler(MixedController, 'open'))).toBe(true);
    expect(Reflect.getMetadata(ROUTE_CONFIG, handler(MixedController, 'closed'))).toBeUndefined();
    expect(reflector.get(IS_PUBLIC_KEY, handler(MixedController, 'closed'))).toBeUndefined();
  });
});
