import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type {
  DataSource,
  EntityManager,
  EntitySubscriberInterface,
  TransactionCommitEvent,
  TransactionRollbackEvent,
} from 'typeorm';
import {
  type OutboxOperation,
  type QueuedEvent,
  type RetryOutcome,
  UmaOutboxRepository,
} from './uma-outbox.repository.ts';
import { UmaResourceLinkRepository } from './uma-resource-link.repository.ts';
import { UmaResourceTypes } from './uma-resource-types.ts';
import { describeResource, UMA_DEPLOYMENT, type UmaResourceType } from './uma-resources.options.ts';

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

/** Where, in a transaction's `queryRunner.data`, the writer notes that it recorded an event. */
const RECORDED = 'umaOutboxRecorded';

/**
 * The write side of the outbox: records, in the transaction that changes an entity, that its
 * Keycloak resource must be created, updated or deleted, and wakes the relay once that transaction
 * has committed. A service changes an entity in `dataSource.transaction(async (manager) => ...)`
 * and records the change with {@link upsert} or {@link delete} through the same `manager`: the
 * entity and its event commit together or not at all, and the writer hears of the commit from
 * TypeORM (it subscribes to the data source's transaction events), so no service can forget the
 * wake-up, nor send it before the event is visible.
 */
@Injectable()
export class UmaOutboxWriter implements EntitySubscriberInterface {
  private readonly logger = new Logger(UmaOutboxWriter.name);
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly types: UmaResourceTypes,
    @Inject(UMA_DEPLOYMENT) private readonly deployment: string,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: UmaOutboxRepository,
    private readonly links: UmaResourceLinkRepository,
  ) {
    dataSource.subscribers.push(this);
  }

  /**
   * Records, in the transaction of `manager`, that the entity was created or changed: its resource
   * must exist and match it. Refuses to run outside a transaction.
   */
  upsert<T>(manager: EntityManager, entityType: string, entity: T): Promise<void> {
    return this.record(manager, entityType, entity, 'upsert');
  }

  /** Records, in the transaction of `manager`, that the entity was deleted: its resource must go. */
  delete<T>(manager: EntityManager, entityType: string, entity: T): Promise<void> {
    return this.record(manager, entityType, entity, 'delete');
  }

  private async record<T>(
    manager: EntityManager,
    entityType: string,
    entity: T,
    operation: OutboxOperation,
  ): Promise<void> {
    if (manager.queryRunner?.isTransactionActive !== true) {
      throw new Error('An outbox event must be recorded inside its transaction');
    }
    const type = this.types.of(entityType) as UmaResourceType<T>;
    const entityId = type.id(entity);
    // Held until the caller commits; see `requestRepair` for the race it closes.
    await this.outbox.lockEntity(manager, entityType, entityId);
    await this.outbox.append(manager, {
      entityType,
      entityId,
      operation,
      resource: describeResource(type, entity, this.deployment),
    });
    this.wakeAfterCommit(manager);
  }

  /** Has the relay woken once the transaction of `manager` commits (see `afterTransactionCommit`). */
  private wakeAfterCommit(manager: EntityManager): void {
    const runner = manager.queryRunner;
    if (runner !== undefined) {
      runner.data[RECORDED] = true;
    }
  }

  /** TypeORM: a transaction (or a savepoint in one) committed; wakes the relay if it recorded. */
  afterTransactionCommit(event: TransactionCommitEvent): void {
    const { data, isTransactionActive } = event.queryRunner;
    if (!isTransactionActive && data[RECORDED] === true) {
      delete data[RECORDED];
      this.notifyCommitted();
    }
  }

  /** TypeORM: a transaction rolled back; what it recorded is gone, and nobody is woken. */
  afterTransactionRollback(event: TransactionRollbackEvent): void {
    if (!event.queryRunner.isTransactionActive) {
      delete event.queryRunner.data[RECORDED];
    }
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
    const type = this.types.of(entityType);
    const queued = await this.outbox.eventsOf(this.dataSource.manager, entityType, entityId);
    if (!repairPlan(queued).act) {
      return;
    }
    await this.dataSource.transaction(async (manager: EntityManager) => {
      // Under the lock every change of the entity is either committed, and seen by the read
      // below, or yet to write its event, which then comes after this one: the repair never
      // re-registers an entity whose delete it was ordered after.
      await this.outbox.lockEntity(manager, entityType, entityId);
      const plan = repairPlan(await this.outbox.eventsOf(manager, entityType, entityId));
      if (!plan.act) {
        return;
      }
      const entity = await type.load(manager, entityId);
      if (entity === undefined) {
        return;
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
      await this.links.remove(manager, entityType, entityId);
      this.wakeAfterCommit(manager);
    });
  }

  /**
   * Puts a parked event back in line, or drops it when a later event of its entity supersedes it
   * (see `UmaOutboxRepository.retry`), and wakes the relay; `undefined` when there is no such
   * parked event.
   */
  async retryParked(eventId: string): Promise<RetryOutcome | undefined> {
    const outcome = await this.dataSource.transaction((manager: EntityManager) =>
      this.outbox.retry(manager, eventId),
    );
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
