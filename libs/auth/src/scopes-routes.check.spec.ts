import { Controller, Get } from '@nestjs/common';
import { type DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { describe, expect, it } from 'vitest';
import { Scopes, UmaResource } from './scopes.decorator.ts';
import { ScopesRoutesCheck } from './scopes-routes.check.ts';
import { type UmaResourceResolver, UmaResourceResolvers } from './uma-resource.resolver.ts';

@UmaResource('album', { param: 'id' })
@Controller('albums')
class AlbumsController {
  @Get(':id')
  @Scopes('album:view')
  get(): string {
    return 'album';
  }
}

@Controller('loose')
class WithoutResourceController {
  @Get(':id')
  @Scopes('album:view')
  get(): string {
    return 'loose';
  }
}

function check(controller: object, kinds: string[]): ScopesRoutesCheck {
  const discovery = {
    getControllers: () => [{ instance: controller, metatype: controller.constructor }],
  } as unknown as DiscoveryService;
  const resolvers = new UmaResourceResolvers();
  for (const kind of kinds) {
    resolvers.register(kind, {} as UmaResourceResolver);
  }
  return new ScopesRoutesCheck(discovery, new MetadataScanner(), new Reflector(), resolvers);
}

describe(ScopesRoutesCheck.name, () => {
  it('lets a service start when every @Scopes route has a resolver', () => {
    expect(() => check(new AlbumsController(), ['album']).onApplicationBootstrap()).not.toThrow();
  });

  it('stops a service whose @Scopes route names a kind nobody resolves', () => {
    expect(() => check(new AlbumsController(), []).onApplicationBootstrap()).toThrow(
      'AlbumsController.get is a @Scopes route without a resolver for album',
    );
  });

  it('stops a service whose @Scopes route has no @UmaResource', () => {
    expect(() =>
      check(new WithoutResourceController(), ['album']).onApplicationBootstrap(),
    ).toThrow('WithoutResourceController.get is a @Scopes route without @UmaResource');
  });
});
