import { isDeepStrictEqual } from 'node:util';
import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import {
  type OutboxOperation,
  type QueuedEvent,
  type RetryOutcome,
  UmaOutboxRepository,
} from './uma-outbox.repository.ts';
import { UmaResourceLinkRepository } from './uma-resource-link.repository.ts';
import {
  describeResource,
  resourceTypeOf,
  UMA_DEPLOYMENT,
  UMA_RESOURCE_TYPES,
  type UmaResourceType,
} from './uma-resources.options.ts';

/**
 * Whether a repair request has anything to do, given the entity's queued events (oldest first).
 * Nothing when the newest event is a delete: the entity is gone, and an upsert after it would
 * bring its resource back. Nothing either when the newest event is a pending upsert that no
 * parked event holds back: the relay will write the entity's latest state anyway, and recreate a
 * resource that vanished. A parked event would hold the repair back, so the repair supersedes it
 * (drops it); `append` is false when the newest event is already a pending upsert.
 */
export function repairPlan(events: readonly QueuedEvent[]): {
  readonly act: boolean;
  readonly append: boolean;
} {
  const newest = events.at(-1);
  if (newest?.operation === 'delete') {
    return { act: false, append: false };
  }
  const parked = events.some((event) => event.status === 'parked');
  const upsertPending = newest?.status === 'pending' && newest.operation === 'upsert';
  return { act: parked || !upsertPending, append: !upsertPending };
}

/** The transaction {@link UmaOutboxWriter.transaction} runs an entity change in. */
export interface UmaOutboxTransaction {
  /** Write the entity through this manager: the change and its outbox event commit together. */
  readonly manager: EntityManager;
  /** The entity was created or changed: its resource must exist and match it. */
  upsert<T>(entityType: string, entity: T): Promise<void>;
  /** The entity was deleted: its resource must go. */
  delete<T>(entityType: string, entity: T): Promise<void>;
}

/**
 * The write side of the outbox: records, in the entity's own transaction, that its Keycloak
 * resource must be created, updated or deleted, and wakes the relay once that transaction has
 * committed. Services change entities only inside {@link transaction}, so an event is never
 * written without the wake-up, nor the wake-up sent before the event is visible.
 */
@Injectable()
export class UmaOutboxWriter {
  private readonly logger = new Logger(UmaOutboxWriter.name);
  private readonly listeners = new Set<() => void>();

  constructor(
    @Inject(UMA_RESOURCE_TYPES) private readonly types: readonly UmaResourceType[],
    @Inject(UMA_DEPLOYMENT) private readonly deployment: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: UmaOutboxRepository,
    private readonly links: UmaResourceLinkRepository,
  ) {}

  /**
   * Runs `work` in a new transaction whose `upsert`/`delete` record outbox events in it; after the
   * commit, if it recorded any, wakes the relay. Nothing is recorded nor woken when `work` throws
   * (the transaction rolls back), and `upsert`/`delete` refuse to run once `work` has returned.
   */
  async transaction<T>(work: (tx: UmaOutboxTransaction) => Promise<T>): Promise<T> {
    let recorded = false;
    const result = await this.dataSource.transaction(async (manager) => {
      let open = true;
      const record = async (entityType: string, entity: unknown, operation: OutboxOperation) => {
        if (!open) {
          throw new Error('An outbox event must be recorded inside its transaction');
        }
        await this.record(manager, entityType, entity, operation);
        recorded = true;
      };
      try {
        return await work({
          manager,
          upsert: (entityType, entity) => record(entityType, entity, 'upsert'),
          delete: (entityType, entity) => record(entityType, entity, 'delete'),
        });
      } finally {
        open = false;
      }
    });
    if (recorded) {
      this.notifyCommitted();
    }
    return result;
  }

  private async record<T>(
    manager: EntityManager,
    entityType: string,
    entity: T,
    operation: OutboxOperation,
  ): Promise<void> {
    const type = resourceTypeOf(this.types, entityType) as UmaResourceType<T>;
    const entityId = type.id(entity);
    // Held until the caller commits; see `requestRepair` for the race it closes.
    await this.outbox.lockEntity(manager, entityType, entityId);
    await this.outbox.append(manager, {
      entityType,
      entityId,
      operation,
      resource: describeResource(type, entity, this.deployment),
    });
  }

  /**
   * Asks for an entity's resource to be registered afresh, e.g. when Keycloak no longer knows the
   * linked resource (deleted behind the service's back). Enqueues an upsert of the entity's current
   * state, forgets the link (until the relay registers the resource again the entity counts as
   * not registered yet, rather than pointing at a dead resource; the relay's upsert adopts the
   * resource by name if it was there after all) and wakes the relay. The entity's parked events
   * are dropped: they would hold the repair back, and the repair carries a newer state.
   *
   * Cheap under a flood: while a pending upsert that nothing holds back is queued, a call costs
   * one indexed read and adds nothing. Resolves without doing anything when the entity does not
   * exist; rejects only when the database fails.
   */
  async requestRepair(entityType: string, entityId: string): Promise<void> {
    const type = resourceTypeOf(this.types, entityType);
    if (!repairPlan(await this.outbox.eventsOf(entityType, entityId)).act) {
      return;
    }
    // Without `load`, the entity can only be read through `loadAll`, on another connection: not
    // while this transaction holds its connection and the entity's lock (a flood of repairs could
    // exhaust the pool that way). It is read before, and checked again after the commit.
    const preloaded = type.load === undefined ? await this.loadOne(type, entityId) : undefined;
    if (type.load === undefined && preloaded === undefined) {
      return;
    }
    const enqueued = await this.dataSource.transaction(async (manager) => {
      // Under the lock every change of the entity is either committed, and seen by the read
      // below, or yet to write its event, which then comes after this one: the repair never
      // re-registers an entity whose delete it was ordered after.
      await this.outbox.lockEntity(manager, entityType, entityId);
      const plan = repairPlan(await this.outbox.eventsOf(entityType, entityId, manager));
      if (!plan.act) {
        return undefined;
      }
      const entity =
        type.load === undefined ? preloaded : ((await type.load(manager, entityId)) ?? undefined);
      if (entity === undefined) {
        return undefined;
      }
      for (const dropped of await this.outbox.dropParked(manager, entityType, entityId)) {
        this.logger.warn(
          `Repair of ${entityType} ${entityId} supersedes parked outbox event ${dropped.id} (${dropped.operation}): ${dropped.lastError ?? ''}`,
        );
      }
      if (plan.append) {
        await this.outbox.append(manager, {
          entityType,
          entityId,
          operation: 'upsert',
          resource: describeResource(type, entity, this.deployment),
        });
      }
      await this.links.remove(entityType, entityId, manager);
      return entity;
    });
    if (enqueued === undefined) {
      return;
    }
    if (type.load === undefined) {
      await this.recheck(type, entityId, enqueued);
    }
    this.notifyCommitted();
  }

  /**
   * Without `load` the repair read the entity before taking its lock: a change committed in
   * between may have written its event before the repair's, whose snapshot is then older. A
   * further event with the entity's state read now puts the newest state last. (A change in the
   * instant between this read and that event's lock could still be overtaken: `load` avoids it.)
   */
  private async recheck(type: UmaResourceType, entityId: string, repaired: unknown): Promise<void> {
    const current = await this.loadOne(type, entityId);
    if (current === undefined) {
      await this.dataSource.transaction((manager) =>
        this.record(manager, type.entityType, repaired, 'delete'),
      );
    } else if (
      !isDeepStrictEqual(
        describeResource(type, current, this.deployment),
        describeResource(type, repaired, this.deployment),
      )
    ) {
      await this.dataSource.transaction((manager) =>
        this.record(manager, type.entityType, current, 'upsert'),
      );
    }
  }

  private async loadOne(type: UmaResourceType, entityId: string): Promise<unknown> {
    return (await type.loadAll(this.dataSource)).find((entity) => type.id(entity) === entityId);
  }

  /**
   * Puts a parked event back in line, or drops it when a later event of its entity supersedes it
   * (see `UmaOutboxRepository.retry`), and wakes the relay; `undefined` when there is no such
   * parked event.
   */
  async retryParked(eventId: string): Promise<RetryOutcome | undefined> {
    const outcome = await this.outbox.retry(eventId);
    if (outcome !== undefined) {
      // Either way the entity's queue can move now, not at the relay's next poll.
      this.notifyCommitted();
    }
    return outcome;
  }

  /** Calls `listener` (the relay) whenever events were committed; returns the unsubscribe. */
  onCommitted(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tells the relay that new events were committed, so it need not wait for its next poll. */
  private notifyCommitted(): void {
    for (const listener of this.listeners) {
      listener();
    }
  }
}
