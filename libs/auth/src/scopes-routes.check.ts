import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { SCOPES_KEY, UMA_RESOURCE_KEY, type UmaResourceTarget } from './scopes.metadata.ts';
import { UmaResourceResolvers } from './uma-resource.resolver.ts';

/**
 * Refuses to start a service with a `@Scopes` route whose resource kind no module resolves: such a
 * route would otherwise fail only when first called.
 */
@Injectable()
export class ScopesRoutesCheck implements OnApplicationBootstrap {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    private readonly resolvers: UmaResourceResolvers,
  ) {}

  onApplicationBootstrap(): void {
    for (const { instance, metatype } of this.discovery.getControllers()) {
      if (instance === null || typeof instance !== 'object' || metatype === null) {
        continue;
      }
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const name of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function') {
          continue;
        }
        const targets = [handler, metatype];
        if (
          this.reflector.getAllAndOverride<string[] | undefined>(SCOPES_KEY, targets) === undefined
        ) {
          continue;
        }
        const target = this.reflector.getAllAndOverride<UmaResourceTarget | undefined>(
          UMA_RESOURCE_KEY,
          targets,
        );
        if (target === undefined || !this.resolvers.has(target.kind)) {
          throw new Error(
            `${metatype.name}.${name} is a @Scopes route without ${
              target === undefined ? '@UmaResource' : `a resolver for ${target.kind}`
            }`,
          );
        }
      }
    }
  }
}
