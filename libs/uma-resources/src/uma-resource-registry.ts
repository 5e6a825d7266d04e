import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type OutboxOperation, umaOutboxRepository } from './uma-outbox.repository.ts';
import {
  describeResource,
  UMA_DEPLOYMENT,
  UMA_RESOURCE_TYPES,
  type UmaResourceType,
} from './uma-resources.options.ts';

/**
 * The write side of the module: records, in the caller's transaction, that an entity's Keycloak
 * resource must be created, updated or deleted. The relay delivers it once the transaction commits.
 */
@Injectable()
export class UmaResourceRegistry {
  private readonly types: ReadonlyMap<string, UmaResourceType>;
  private readonly listeners = new Set<() => void>();

  constructor(
    @Inject(UMA_RESOURCE_TYPES) types: readonly UmaResourceType[],
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(UMA_DEPLOYMENT) readonly deployment: string,
  ) {
    this.types = new Map(types.map((type) => [type.entityType, type]));
  }

  typeOf(entityType: string): UmaResourceType {
    const type = this.types.get(entityType);
    if (type === undefined) {
      throw new Error(`No UMA resource type registered for entity type ${entityType}`);
    }
    return type;
  }

  get entityTypes(): readonly string[] {
    return [...this.types.keys()];
  }

  /** The entity was created or changed: its resource must exist and match it. */
  recordUpsert<T>(manager: EntityManager, entityType: string, entity: T): Promise<void> {
    return this.record(manager, entityType, entity, 'upsert');
  }

  /** The entity was deleted: its resource must go. */
  recordDelete<T>(manager: EntityManager, entityType: string, entity: T): Promise<void> {
    return this.record(manager, entityType, entity, 'delete');
  }

  private async record<T>(
    manager: EntityManager,
    entityType: string,
    entity: T,
    operation: OutboxOperation,
  ): Promise<void> {
    const type = this.typeOf(entityType) as UmaResourceType<T>;
    await umaOutboxRepository.append(manager, {
      entityType,
      entityId: type.id(entity),
      operation,
      resource: describeResource(type, entity, this.deployment),
    });
  }

  /** The Keycloak resource id of an entity, once registered. */
  resourceIdOf(
    entityType: string,
    entityId: string,
    manager?: EntityManager,
  ): Promise<string | undefined> {
    return umaOutboxRepository.linkOf(manager ?? this.dataSource, entityType, entityId);
  }

  /** Tells the relay that new events were committed, so it need not wait for its next poll. */
  notifyCommitted(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }

  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
