import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type ExpiredGrant, GrantRecordRepository } from '@app/grant-record';
import { log } from '@app/observability';
import type { DataSource } from 'typeorm';
import { ExpiredGrants } from './expired-grants.ts';
import type { Party } from './grant-entry.ts';
import { PartyDirectory } from './party-directory.ts';
import { PartyRecordRepository } from './party-record.repository.ts';
import { PollingLoop } from '../common/polling-loop.ts';

/** How the sweep of expired grants runs (`GRANT_EXPIRY_SWEEP_*`). */
export interface GrantExpirySweepOptions {
  readonly enabled: boolean;
  /** How often an instance looks for grants whose expiry has come. */
  readonly intervalMs: number;
}

export const GRANT_EXPIRY_SWEEP_OPTIONS = Symbol('GRANT_EXPIRY_SWEEP_OPTIONS');

export const DEFAULT_GRANT_EXPIRY_SWEEP_OPTIONS: GrantExpirySweepOptions = {
  enabled: true,
  intervalMs: 30_000,
};

/** Grants removed per transaction. */
const BATCH = 100;
/** The transaction-scoped advisory lock that lets one instance sweep at a time. */
const SWEEP_LOCK = 'photoz:grant-expiry-sweep';

const sweepLog = log.child({ component: 'grant-expiry' });

/**
 * Removes the grants whose expiry has come from the grant record, records each one's end (the
 * audit's `expired`) and hands its Keycloak side to the clean-up relay (`ExpiredGrants`), in the
 * transaction that removes it: a grant is never removed without its clean-up, nor cleaned up
 * twice. Every `intervalMs` each instance tries; one sweeps at a time (a transaction-scoped
 * advisory lock, the rows taken `FOR UPDATE SKIP LOCKED` besides), the others skip their turn.
 * The sweep is housekeeping: an expired grant stops opening anything at its instant because
 * every read leaves it out, whether or not it has been swept.
 */
@Injectable()
export class GrantExpirySweep implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop = new PollingLoop((error) =>
    sweepLog.warn(
      { event: 'grants.expiry-sweep-failed', error: messageOf(error) },
      'sweeping expired grants failed; the next turn tries again',
    ),
  );

  constructor(
    @Inject(GRANT_EXPIRY_SWEEP_OPTIONS) private readonly options: GrantExpirySweepOptions,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly record: GrantRecordRepository,
    private readonly expired: ExpiredGrants,
    private readonly partyRecord: PartyRecordRepository,
    private readonly parties: PartyDirectory,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.options.enabled) {
      return;
    }
    // A sweep removes every grant due by its end: the next one waits its turn.
    this.loop.start(async () => {
      await this.sweep();
      return false;
    }, this.options.intervalMs);
  }

  /** Stops once the sweep in hand is done, before the database pool closes. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.loop.stop();
  }

  /**
   * Sweeps every grant expired by now, a batch per transaction; returns how many were removed
   * (none when another instance is sweeping).
   */
  async sweep(): Promise<number> {
    let removed = 0;
    for (;;) {
      const batch = await this.sweepBatch();
      removed += batch;
      if (batch < BATCH) {
        return removed;
      }
    }
  }

  private async sweepBatch(): Promise<number> {
    const unnamed: ExpiredGrant[] = [];
    const removed = await this.dataSource.transaction(async (manager) => {
      const [lock] = (await manager.query(
        'SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked',
        [SWEEP_LOCK],
      )) as { locked: boolean }[];
      if (lock?.locked !== true) {
        return [];
      }
      const grants = await this.record.removeExpired(manager, BATCH);
      for (const grant of grants) {
        const party = await this.partyRecord.bySubject(grant.subject);
        if (party === undefined) {
          unnamed.push(grant);
        } else {
          await this.expired.record(grant, party, manager);
        }
      }
      return grants;
    });
    // A holder the party record does not name yet is asked of Keycloak outside the transaction.
    for (const grant of unnamed) {
      try {
        const party: Party | undefined = await this.parties.partyBySubject(grant.subject);
        // Gone from Keycloak (a deleted user): its tickets went with it.
        if (party !== undefined) {
          await this.expired.record(grant, party);
        }
      } catch (error) {
        // The grant is gone from the record (it opens nothing); Keycloak's side waits for the
        // full reconciliation's narrowing or an owner's next change of the party's access.
        sweepLog.warn(
          {
            event: 'grant.expired.unrecorded',
            resourceId: grant.resourceId,
            error: messageOf(error),
          },
          "an expired grant's holder could not be named: its Keycloak side is not handed over",
        );
      }
    }
    if (removed.length > 0) {
      sweepLog.info(
        { event: 'grants.expired', grants: removed.length },
        'expired grants removed from the grant record',
      );
    }
    return removed.length;
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
