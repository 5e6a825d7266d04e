import { KeycloakError, KeycloakUnavailableError } from '@app/keycloak';
import { describe, expect, it } from 'vitest';
import { accessChangeInProgress } from '@app/grant-record';
import type { CleanupStore, GrantCleanup } from './grant-cleanup.repository.ts';
import {
  type CleanupWork,
  DEFAULT_GRANT_CLEANUP_OPTIONS,
  GrantCleanupRelay,
} from './grant-cleanup.relay.ts';

interface StoredJob extends GrantCleanup {
  status: 'pending' | 'parked';
  attempts: number;
  generation: number;
  dueAt: number;
  lastError: string | undefined;
  leased: boolean;
}

/** The clean-up table in memory: a claim leases due jobs, as `GrantCleanupRepository` does. */
class MemoryStore implements CleanupStore {
  readonly jobs: StoredJob[] = [];

  add(resourceId: string, attempts = 0): StoredJob {
    const job: StoredJob = {
      id: String(this.jobs.length + 1),
      albumId: `album-${resourceId}`,
      resourceId,
      party: { id: 'jdoe-id', username: 'jdoe', partner: false, subject: 'jdoe-id' },
      requests: [],
      attempts,
      generation: 0,
      status: 'pending',
      dueAt: 0,
      lastError: undefined,
      leased: false,
    };
    this.jobs.push(job);
    return job;
  }

  /** Everything waiting becomes due, as time passes. */
  advance(): void {
    for (const job of this.jobs) {
      job.dueAt = 0;
      job.leased = false;
    }
  }

  /** A revocation of the pair recorded again (`GrantCleanupRepository.record`). */
  recordAgain(job: StoredJob): void {
    Object.assign(job, {
      status: 'pending',
      attempts: 0,
      dueAt: 0,
      lastError: undefined,
      leased: false,
    });
    job.generation += 1;
  }

  claimDue(limit: number): Promise<GrantCleanup[]> {
    const due = this.jobs
      .filter((job) => job.status === 'pending' && !job.leased && job.dueAt <= Date.now())
      .slice(0, limit);
    for (const job of due) {
      job.leased = true;
    }
    return Promise.resolve(due.map((job) => ({ ...job })));
  }

  complete(claimed: GrantCleanup): Promise<void> {
    const index = this.jobs.findIndex(
      (job) => job.id === claimed.id && job.generation === claimed.generation,
    );
    if (index >= 0) {
      this.jobs.splice(index, 1);
    }
    return Promise.resolve();
  }

  reschedule(
    claimed: GrantCleanup,
    change: { attempts: number; delayMs: number; error: string; park: boolean },
  ): Promise<void> {
    const job = this.jobs.find(
      (candidate) => candidate.id === claimed.id && candidate.generation === claimed.generation,
    );
    if (job !== undefined) {
      Object.assign(job, {
        attempts: change.attempts,
        dueAt: Date.now() + change.delayMs,
        lastError: change.error,
        status: change.park ? 'parked' : 'pending',
        leased: false,
      });
    }
    return Promise.resolve();
  }
}

/**
 * Work that fails with the next of `failures` each time, then succeeds; it logs what it did.
 * `during` runs during the first attempt.
 */
function work(failures: unknown[], during?: () => void): CleanupWork & { done: string[] } {
  const done: string[] = [];
  let first = true;
  return {
    done,
    perform: (job) => {
      if (first) {
        first = false;
        during?.();
      }
      const failure = failures.shift();
      if (failure !== undefined) {
        return Promise.reject(failure);
      }
      done.push(job.resourceId);
      return Promise.resolve();
    },
  };
}

function relay(store: CleanupStore, cleanup: CleanupWork, maxAttempts = 3) {
  return new GrantCleanupRelay(store, cleanup, {
    ...DEFAULT_GRANT_CLEANUP_OPTIONS,
    enabled: false,
    maxAttempts,
  });
}

const serverError = () =>
  new KeycloakUnavailableError('delete permission ticket', new Error('500'), 500);
const refusal = () => new KeycloakError('delete permission ticket', 400, 'invalid_request', 'no');
const unreachable = () =>
  new KeycloakUnavailableError('delete permission ticket', new Error('ECONNREFUSED'));

describe(GrantCleanupRelay.name, () => {
  it('does a due job and drops it', async () => {
    const store = new MemoryStore();
    store.add('r1');
    const cleanup = work([]);
    expect(await relay(store, cleanup).processBatch()).toBe(1);
    expect(cleanup.done).toEqual(['r1']);
    expect(store.jobs).toEqual([]);
  });

  it('retries a failed job later, with backoff, counting the attempt', async () => {
    const store = new MemoryStore();
    const job = store.add('r1');
    const cleanup = work([serverError()]);
    const subject = relay(store, cleanup);
    await subject.processBatch();
    expect(job).toMatchObject({ status: 'pending', attempts: 1 });
    expect(job.dueAt).toBeGreaterThan(Date.now());
    expect(await subject.processBatch()).toBe(0);

    store.advance();
    await subject.processBatch();
    expect(cleanup.done).toEqual(['r1']);
    expect(store.jobs).toEqual([]);
  });

  it('parks a job after the bound of refusals and server errors, and leaves it parked', async () => {
    const store = new MemoryStore();
    const job = store.add('r1');
    const cleanup = work([serverError(), refusal(), serverError(), serverError()]);
    const subject = relay(store, cleanup, 3);
    for (let round = 0; round < 5; round += 1) {
      await subject.processBatch();
      store.advance();
    }
    expect(job).toMatchObject({ status: 'parked', attempts: 3 });
    expect(job.lastError).toMatch(/500|failed/);
    expect(cleanup.done).toEqual([]);
  });

  it('waits without limit while Keycloak is unreachable or the party is being changed', async () => {
    const store = new MemoryStore();
    const job = store.add('r1', 2);
    const cleanup = work([unreachable(), accessChangeInProgress(), unreachable(), unreachable()]);
    const subject = relay(store, cleanup, 3);
    for (let round = 0; round < 4; round += 1) {
      await subject.processBatch();
      expect(job).toMatchObject({ status: 'pending', attempts: 2 });
      store.advance();
    }
    await subject.processBatch();
    expect(store.jobs).toEqual([]);
  });

  it('keeps a job that a revocation recorded again while it was being done', async () => {
    const store = new MemoryStore();
    const job = store.add('r1');
    const cleanup = work([], () => store.recordAgain(job));
    const subject = relay(store, cleanup);
    await subject.processBatch();
    expect(store.jobs).toEqual([job]);
    expect(job).toMatchObject({ status: 'pending', generation: 1 });

    await subject.processBatch();
    expect(cleanup.done).toEqual(['r1', 'r1']);
  });

  it('a job recorded again after it was parked starts over', async () => {
    const store = new MemoryStore();
    const job = store.add('r1', 2);
    const subject = relay(store, work([serverError()]), 3);
    await subject.processBatch();
    expect(job.status).toBe('parked');
    store.recordAgain(job);
    await subject.processBatch();
    expect(store.jobs).toEqual([]);
  });

  it('does the other jobs of a batch when one fails', async () => {
    const store = new MemoryStore();
    store.add('r1');
    store.add('r2');
    const cleanup = work([serverError()]);
    expect(await relay(store, cleanup).processBatch()).toBe(2);
    expect(cleanup.done).toEqual(['r2']);
    expect(store.jobs.map((job) => job.resourceId)).toEqual(['r1']);
  });
});
