import { Injectable } from '@nestjs/common';
import { UmaResourceResolvers } from '@app/auth';
import type { UmaResourceType } from './uma-resources.options.ts';

/**
 * The kinds of entity this service keeps registered as Keycloak resources, each registered once,
 * by the injectable that describes it (`register` in its `onModuleInit`): from then on the
 * outbox, the relay and reconciliation know the kind, and the `@Scopes` guard resolves the kind's
 * routes through it.
 */
@Injectable()
export class UmaResourceTypes {
  private readonly types = new Map<string, UmaResourceType>();

  constructor(private readonly resolvers: UmaResourceResolvers) {}

  /** Registers a kind, for this module and for the `@Scopes` guard; a kind registers once. */
  register(type: UmaResourceType): void {
    if (this.types.has(type.entityType) || this.resolvers.has(type.entityType)) {
      throw new Error(`The UMA resource type ${type.entityType} is registered twice`);
    }
    this.types.set(type.entityType, type);
    this.resolvers.register(type.entityType, type);
  }

  /** The registered type of `entityType`'s entities; throws for a type nobody registered. */
  of(entityType: string): UmaResourceType {
    const type = this.types.get(entityType);
    if (type === undefined) {
      throw new Error(`No UMA resource type registered for entity type ${entityType}`);
    }
    return type;
  }
}
