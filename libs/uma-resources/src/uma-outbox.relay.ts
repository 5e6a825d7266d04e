import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { KeycloakUnavailableError } from '@app/keycloak';
import { log, metrics } from '@app/observability';
import type { DataSource, EntityManager } from 'typeorm';
import {
  type OutboxEvent,
  type SupersededEvent,
  UmaOutboxRepository,
} from './uma-outbox.repository.ts';
import { UmaOutboxWriter } from './uma-outbox.writer.ts';
import {
  type EntityKey,
  entityKey,
  UmaResourceLinkRepository,
} from './uma-resource-link.repository.ts';
import { UmaResourceSync } from './uma-resource-sync.ts';
import { UMA_RELAY_OPTIONS, type UmaRelayOptions } from './uma-resources.options.ts';

/** Delay before attempt `attempts + 1`: exponential from 500 ms, capped, with ±20 % jitter. */
export function backoffMs(
  attempts: number,
  maxBackoffMs: number,
  random: () => number = Math.random,
): number {
  const base = Math.min(maxBackoffMs, 500 * 2 ** Math.min(attempts, 20));
  return base * (0.8 + 0.4 * random());
}

const relayLog = log.child({ component: 'uma-relay' });

/** What became of one claimed event's delivery. */
type Delivery =
  | { readonly event: OutboxEvent; readonly resourceId: string | undefined }
  | { readonly event: OutboxEvent; readonly error: unknown };

/**
 * Delivers outbox events to Keycloak with `workers` workers per instance. A worker claims a batch
 * of up to `batchSize` due events in a transaction that holds their row locks
 * (`FOR UPDATE SKIP LOCKED`, see `UmaOutboxRepository.claimDue`), delivers them to Keycloak
 * concurrently, settles each one (delivered: the event goes and the link is written; failed: it
 * waits with backoff or is parked) and commits. So several workers and several instances run at
 * once without handling one event twice, and an entity's events are delivered strictly in order:
 * an event is claimed only once no earlier event of its entity exists, in flight, pending or
 * parked, except an upsert that has failed already, which it supersedes (see
 * `UmaOutboxRepository.claimDue`). A worker holds one database connection while its batch is in
 * flight, and the Keycloak calls of a batch go out together: per event, one claim, one link read
 * and one settlement are shared with the rest of the batch.
 *
 * While Keycloak is unreachable events are retried with backoff and wait without limit;
 * Keycloak's refusals park an event after `maxAttempts`, its server errors after
 * `maxServerErrorAttempts`. A parked event stays visible until someone retries it, a repair
 * request replaces it with the entity's current state, or (a parked upsert) the entity's next
 * event supersedes it; a parked delete holds back the later events of its entity. A retried event
 * that a later one supersedes is dropped (see `UmaOutboxRepository.retry`).
 */
@Injectable()
export class UmaOutboxRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(UmaOutboxRelay.name);
  private running = false;
  private loops: Promise<void>[] = [];
  /** The wake-ups of idle workers, the longest idle first. */
  private readonly idle: (() => void)[] = [];
  /**
   * Counts the commits the writer announced, so that a worker whose claim came too early for one
   * claims again instead of waiting for the next poll.
   */
  private announced = 0;
  private unsubscribe: (() => void) | undefined;
  private lastLoggedOutage = 0;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: UmaOutboxRepository,
    private readonly links: UmaResourceLinkRepository,
    private readonly sync: UmaResourceSync,
    private readonly writer: UmaOutboxWriter,
    @Inject(UMA_RELAY_OPTIONS) private readonly options: UmaRelayOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.enabled) {
      return;
    }
    this.running = true;
    this.unsubscribe = this.writer.onCommitted(() => {
      this.announced += 1;
      this.wakeOne();
    });
    this.loops = Array.from({ length: Math.max(1, this.options.workers) }, () => this.run());
  }

  /**
   * Stops the workers once their batches are settled: before the application's shutdown hooks,
   * among them the one closing the database pool that those batches still use.
   */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    for (const wake of this.idle.splice(0)) {
      wake();
    }
    await Promise.all(this.loops);
  }

  /** Delivers every due event now, one batch after the other (the tests use it); returns how many. */
  async drain(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const handled = await this.processBatch();
      if (handled === 0) {
        return delivered;
      }
      delivered += handled;
    }
  }

  /** Wakes one idle worker, if any: one commit's event needs one worker. */
  private wakeOne(): void {
    this.idle.shift()?.();
  }

  /** One worker: claims and delivers batches while there are due events, else waits. */
  private async run(): Promise<void> {
    while (this.running) {
      const announced = this.announced;
      let handled = 0;
      try {
        handled = await this.processBatch();
      } catch (error) {
        this.logger.warn(`Outbox relay: ${error instanceof Error ? error.message : String(error)}`);
      }
      // A commit announced while this worker was claiming may not have been visible to its
      // claim: then it claims again at once rather than leaving the event to the next poll.
      if (handled === 0 && this.running && this.announced === announced) {
        await new Promise<void>((resolve) => {
          const wake = () => {
            clearTimeout(timer);
            const index = this.idle.indexOf(wake);
            if (index >= 0) {
              this.idle.splice(index, 1);
            }
            resolve();
          };
          const timer = setTimeout(wake, this.options.pollIntervalMs);
          this.idle.push(wake);
        });
      }
    }
  }

  /** Claims, delivers and settles a batch of due events; returns how many (0: none was due). */
  async processBatch(): Promise<number> {
    // One connection and transaction for the claim, the deliveries and the settlements: the
    // events' row locks are held until they are settled, and failed deliveries still commit
    // their settlement.
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const { due: events, superseded } = await this.outbox.claimDue(
        manager,
        this.options.batchSize,
      );
      for (const event of superseded) {
        this.recordSuperseded(event);
      }
      if (events.length === this.options.batchSize) {
        // A full batch: more events are probably due, for another worker.
        this.wakeOne();
      }
      if (events.length > 0) {
        const known = await this.links.resourceIdsFor(manager, events);
        const deliveries = await Promise.all(
          events.map((event) =>
            this.deliver(event, known.get(entityKey(event.entityType, event.entityId))),
          ),
        );
        await this.settle(manager, deliveries);
      }
      return events.length;
    });
  }

  /** Makes Keycloak match one event; never throws (a failure is part of the outcome). */
  private async deliver(event: OutboxEvent, knownId: string | undefined): Promise<Delivery> {
    try {
      if (event.operation === 'delete') {
        await this.sync.remove(event.resource, knownId);
        return { event, resourceId: undefined };
      }
      return { event, resourceId: await this.sync.upsert(event.resource, knownId) };
    } catch (error) {
      return { event, error };
    }
  }

  /** Writes what the deliveries did, in the claiming transaction. */
  private async settle(manager: EntityManager, deliveries: readonly Delivery[]): Promise<void> {
    const linked: (EntityKey & { resourceId: string })[] = [];
    const unlinked: EntityKey[] = [];
    const done: string[] = [];
    for (const delivery of deliveries) {
      const { event } = delivery;
      if ('error' in delivery) {
        await this.settleFailure(manager, event, delivery.error);
        continue;
      }
      done.push(event.id);
      metrics.relayDeliveries.inc({ operation: event.operation, result: 'delivered' });
      relayLog.info(
        {
          event: 'uma.outbox.delivered',
          outboxEvent: event.id,
          operation: event.operation,
          entityType: event.entityType,
          entityId: event.entityId,
          resourceId: delivery.resourceId,
          attempts: event.attempts + 1,
        },
        'outbox event delivered',
      );
      if (delivery.resourceId === undefined) {
        unlinked.push(event);
      } else {
        linked.push({
          entityType: event.entityType,
          entityId: event.entityId,
          resourceId: delivery.resourceId,
        });
      }
    }
    await this.links.saveAll(manager, linked);
    await this.links.removeAll(manager, unlinked);
    await this.outbox.complete(manager, done);
  }

  /** A failed upsert that a later event of its entity replaced (see `claimDue`). */
  private recordSuperseded(event: SupersededEvent): void {
    metrics.relayDeliveries.inc({ operation: event.operation, result: 'superseded' });
    relayLog.warn(
      {
        event: 'uma.outbox.superseded',
        outboxEvent: event.id,
        operation: event.operation,
        entityType: event.entityType,
        entityId: event.entityId,
        status: event.status,
        attempts: event.attempts,
        error: event.lastError,
      },
      'outbox event superseded by a later event of its entity',
    );
  }

  private async settleFailure(
    manager: EntityManager,
    event: OutboxEvent,
    error: unknown,
  ): Promise<void> {
    const attempts = event.attempts + 1;
    const message = error instanceof Error ? error.message : String(error);
    const unavailable = error instanceof KeycloakUnavailableError && error.status === undefined;
    const limit =
      error instanceof KeycloakUnavailableError
        ? this.options.maxServerErrorAttempts
        : this.options.maxAttempts;
    const park = !unavailable && attempts >= limit;
    await this.outbox.reschedule(manager, event.id, {
      attempts,
      delayMs: backoffMs(attempts, this.options.maxBackoffMs),
      error: message,
      park,
    });
    metrics.relayDeliveries.inc({
      operation: event.operation,
      result: park ? 'parked' : 'retried',
    });
    if (park) {
      relayLog.error(
        {
          event: 'uma.outbox.parked',
          outboxEvent: event.id,
          operation: event.operation,
          entityType: event.entityType,
          entityId: event.entityId,
          attempts,
          error: message,
        },
        'outbox event parked',
      );
    } else if (!unavailable) {
      this.logger.warn(`Outbox event ${event.id} failed (attempt ${attempts}): ${message}`);
    } else if (Date.now() - this.lastLoggedOutage > 30_000) {
      this.lastLoggedOutage = Date.now();
      this.logger.warn(`Keycloak unreachable; outbox events wait and retry (${message})`);
    }
  }
}
