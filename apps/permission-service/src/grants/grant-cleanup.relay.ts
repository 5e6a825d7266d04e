import {
  type BeforeApplicationShutdown,
  HttpException,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { KeycloakUnavailableError } from '@app/keycloak';
import { log, metrics } from '@app/observability';
import { backoffMs } from '@app/uma-resources';
import {
  type CleanupStore,
  type GrantCleanup,
  GrantCleanupRepository,
} from './grant-cleanup.repository.ts';
import { KeycloakCleanup } from './keycloak-cleanup.ts';
import { PollingLoop } from '../common/polling-loop.ts';

/** How the clean-up relay runs (`GRANT_CLEANUP_*`). */
export interface GrantCleanupOptions {
  readonly enabled: boolean;
  /** How often an idle relay looks for due jobs. */
  readonly pollIntervalMs: number;
  /** Failed attempts (Keycloak refusing, or erring) after which a job is parked. */
  readonly maxAttempts: number;
  /** The longest wait between two attempts. */
  readonly maxBackoffMs: number;
}

export const GRANT_CLEANUP_OPTIONS = Symbol('GRANT_CLEANUP_OPTIONS');

export const DEFAULT_GRANT_CLEANUP_OPTIONS: GrantCleanupOptions = {
  enabled: true,
  pollIntervalMs: 1_000,
  maxAttempts: 10,
  maxBackoffMs: 60_000,
};

/** Jobs leased per claim, and how long a lease keeps other relays off a job. */
const BATCH = 10;
const LEASE_MS = 120_000;

/**
 * A failure that says nothing about the job: Keycloak unreachable, or the party's access being
 * changed by someone else right now (`access-change-in-progress`). Such attempts are retried
 * without limit; only Keycloak's refusals and server errors count towards parking.
 */
function transient(error: unknown): boolean {
  return (
    (error instanceof KeycloakUnavailableError && error.status === undefined) ||
    (error instanceof HttpException && error.getStatus() === 503)
  );
}

/** Does one job's work (`KeycloakCleanup`, a fake in the unit tests). */
export interface CleanupWork {
  perform(job: GrantCleanup): Promise<void>;
}

const relayLog = log.child({ component: 'grant-cleanup' });

/**
 * Finishes revocations in Keycloak. Every instance runs one: it leases due jobs
 * (`GrantCleanupRepository.claimDue`, so one instance works on a job at a time), does each one's
 * work, which is recomputed from the grant record inside the party's exclusive change (so it
 * never undoes a share made after the revocation, and doing it twice is harmless), and settles
 * it: done, the job goes; failed, it waits with backoff, and after `maxAttempts` refusals or
 * server errors it is parked, logged, and waits for an operator (docs/operations.md).
 */
@Injectable()
export class GrantCleanupRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop = new PollingLoop((error) =>
    relayLog.warn(
      { event: 'grant.cleanup.claim-failed', error: messageOf(error) },
      'clean-up relay could not claim jobs',
    ),
  );
  private lastLoggedOutage = 0;

  constructor(
    @Inject(GrantCleanupRepository) private readonly store: CleanupStore,
    @Inject(KeycloakCleanup) private readonly work: CleanupWork,
    @Inject(GRANT_CLEANUP_OPTIONS) private readonly options: GrantCleanupOptions,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.enabled) {
      return;
    }
    this.loop.start(async () => (await this.processBatch()) > 0, this.options.pollIntervalMs);
  }

  /** Stops once the batch in hand is settled, before the database pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /** Leases, does and settles a batch of due jobs, one after the other; returns how many. */
  async processBatch(): Promise<number> {
    const jobs = await this.store.claimDue(BATCH, LEASE_MS);
    for (const job of jobs) {
      await this.attempt(job);
    }
    return jobs.length;
  }

  private async attempt(job: GrantCleanup): Promise<void> {
    try {
      await this.work.perform(job);
    } catch (error) {
      await this.settleFailure(job, error);
      return;
    }
    await this.store.complete(job);
    metrics.grantCleanups.inc({ result: 'done' });
    relayLog.info(
      {
        event: 'grant.cleanup.done',
        cleanup: job.id,
        albumId: job.albumId,
        resourceId: job.resourceId,
        subject: job.party.subject,
        attempts: job.attempts + 1,
      },
      "revocation's Keycloak side done",
    );
  }

  private async settleFailure(job: GrantCleanup, error: unknown): Promise<void> {
    const message = messageOf(error);
    const waits = transient(error);
    const attempts = waits ? job.attempts : job.attempts + 1;
    const park = !waits && attempts >= this.options.maxAttempts;
    await this.store.reschedule(job, {
      attempts,
      delayMs: backoffMs(Math.max(attempts, 1), this.options.maxBackoffMs),
      error: message,
      park,
    });
    metrics.grantCleanups.inc({ result: park ? 'parked' : 'retried' });
    const fields = {
      cleanup: job.id,
      albumId: job.albumId,
      resourceId: job.resourceId,
      subject: job.party.subject,
      attempts,
      error: message,
    };
    if (park) {
      relayLog.error(
        { event: 'grant.cleanup.parked', ...fields },
        "revocation's Keycloak side parked: Keycloak still grants what the record revoked",
      );
    } else if (!waits) {
      relayLog.warn({ event: 'grant.cleanup.retried', ...fields }, 'clean-up failed, retried');
    } else if (Date.now() - this.lastLoggedOutage > 30_000) {
      this.lastLoggedOutage = Date.now();
      relayLog.warn({ event: 'grant.cleanup.waiting', ...fields }, 'clean-ups wait for Keycloak');
    }
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
