import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { KeycloakUnavailableError } from '@app/keycloak';
import type { DataSource, EntityManager } from 'typeorm';
import { type OutboxEvent, UmaOutboxRepository } from './uma-outbox.repository.ts';
import { UmaOutboxWriter } from './uma-outbox.writer.ts';
import { UmaResourceLinkRepository } from './uma-resource-link.repository.ts';
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

/**
 * Delivers outbox events to Keycloak. Each event is handled inside a transaction that holds its
 * row lock (`FOR UPDATE SKIP LOCKED`), so several instances can run relays at once without
 * handling one event twice, and an entity's events are delivered strictly in order. While
 * Keycloak is unreachable events are retried with backoff and wait without limit; Keycloak's
 * refusals park an event after `maxAttempts`, its server errors after `maxServerErrorAttempts`.
 * A parked event stays visible and holds back the later events of its entity until someone
 * retries it (or a repair request replaces it with the entity's current state); a retried event
 * that a later one supersedes is dropped (see `UmaOutboxRepository.retry`).
 */
@Injectable()
export class UmaOutboxRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(UmaOutboxRelay.name);
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** A commit announced while the loop was busy, so that its next wait ends at once. */
  private woken = false;
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
      // The loop may be between a claim that came too early for this commit and its wait: a
      // wake-up lost there would leave the event to the next poll.
      this.woken = true;
      this.wake?.();
    });
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.unsubscribe?.();
    this.wake?.();
    await this.loop;
  }

  /** Delivers every due event now (the tests use it); returns how many. */
  async drain(): Promise<number> {
    let delivered = 0;
    while (await this.processNext()) {
      delivered += 1;
    }
    return delivered;
  }

  private async run(): Promise<void> {
    while (this.running) {
      this.woken = false;
      let worked = false;
      try {
        worked = await this.processNext();
      } catch (error) {
        this.logger.warn(`Outbox relay: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!worked && this.running && !this.woken) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.options.pollIntervalMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = undefined;
      }
    }
  }

  /** Claims, delivers and settles one due event; `false` when none is due. */
  async processNext(): Promise<boolean> {
    // One connection and transaction for the claim, the delivery and the settlement: the event's
    // row lock is held until it is settled, and a failed delivery still commits its settlement.
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const event = await this.outbox.claimNext(runner.manager);
      if (event === undefined) {
        await runner.commitTransaction();
        return false;
      }
      try {
        await this.deliver(runner.manager, event);
        await this.outbox.complete(runner.manager, event.id);
      } catch (error) {
        await this.settleFailure(runner.manager, event, error);
      }
      await runner.commitTransaction();
      return true;
    } catch (error) {
      if (runner.isTransactionActive) {
        await runner.rollbackTransaction();
      }
      throw error;
    } finally {
      await runner.release();
    }
  }

  private async deliver(manager: EntityManager, event: OutboxEvent): Promise<void> {
    const knownId = await this.links.resourceIdOf(event.entityType, event.entityId, manager);
    switch (event.operation) {
      case 'upsert': {
        const resourceId = await this.sync.upsert(event.resource, knownId);
        await this.links.save(event.entityType, event.entityId, resourceId, manager);
        return;
      }
      case 'delete': {
        await this.sync.remove(event.resource, knownId);
        await this.links.remove(event.entityType, event.entityId, manager);
        return;
      }
    }
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
    if (park) {
      this.logger.error(
        `Parked outbox event ${event.id} (${event.operation} ${event.entityType} ${event.entityId}): ${message}`,
      );
    } else if (!unavailable) {
      this.logger.warn(`Outbox event ${event.id} failed (attempt ${attempts}): ${message}`);
    } else if (Date.now() - this.lastLoggedOutage > 30_000) {
      this.lastLoggedOutage = Date.now();
      this.logger.warn(`Keycloak unreachable; outbox events wait and retry (${message})`);
    }
  }
}
