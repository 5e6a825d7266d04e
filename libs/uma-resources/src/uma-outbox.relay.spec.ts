import { KeycloakError, type ResourceDescription } from '@app/keycloak';
import type { DataSource, EntityManager } from 'typeorm';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  Claim,
  OutboxEvent,
  OutboxOperation,
  UmaOutboxRepository,
} from './uma-outbox.repository.ts';
import { backoffMs, UmaOutboxRelay } from './uma-outbox.relay.ts';
import type { UmaOutboxWriter } from './uma-outbox.writer.ts';
import {
  type EntityKey,
  entityKey,
  type UmaResourceLinkRepository,
} from './uma-resource-link.repository.ts';
import type { UmaResourceSync } from './uma-resource-sync.ts';
import { DEFAULT_RELAY_OPTIONS, type UmaRelayOptions } from './uma-resources.options.ts';

const MIDDLE = () => 0.5;

describe(backoffMs.name, () => {
  it('waits 500 ms before the first retry', () => {
    expect(backoffMs(0, 30_000, MIDDLE)).toBe(500);
  });

  it('doubles the wait with each attempt', () => {
    expect(backoffMs(3, 30_000, MIDDLE)).toBe(4_000);
  });

  it('jitters the wait down by up to 20 %', () => {
    expect(backoffMs(1, 30_000, () => 0)).toBe(800);
  });

  it('jitters the wait up by up to 20 %', () => {
    expect(backoffMs(1, 30_000, () => 1)).toBeCloseTo(1_200);
  });

  it('stops growing at the cap', () => {
    expect(backoffMs(40, 30_000, MIDDLE)).toBe(30_000);
  });
});

interface StoredEvent extends OutboxEvent {
  status: 'pending' | 'parked';
  attempts: number;
  lastError: string | undefined;
  dueAt: number;
  /** The transaction holding the row lock. */
  lockedBy: EntityManager | undefined;
  /** Deleted by this transaction, not committed yet: still there for the others. */
  deletedBy: EntityManager | undefined;
}

/**
 * The outbox in memory, with the visibility PostgreSQL gives `claimDue` under READ COMMITTED: a
 * claimed row stays locked, and a row its claimer deleted stays there for the others, until the
 * claimer's transaction ends.
 */
class MemoryOutbox {
  readonly events: StoredEvent[] = [];
  private nextId = 1;

  add(
    entityId: string,
    operation: OutboxOperation,
    displayName = entityId,
    state: { attempts?: number; status?: 'pending' | 'parked'; dueInMs?: number } = {},
  ): string {
    const id = String(this.nextId++);
    this.events.push({
      id,
      entityType: 'album',
      entityId,
      operation,
      resource: { ...resource(entityId), displayName },
      attempts: state.attempts ?? 0,
      status: state.status ?? 'pending',
      lastError: state.attempts === undefined ? undefined : 'refused before',
      dueAt: state.dueInMs === undefined ? 0 : Date.now() + state.dueInMs,
      lockedBy: undefined,
      deletedBy: undefined,
    });
    return id;
  }

  claimDue(manager: EntityManager, limit: number): Promise<Claim> {
    const supersedable = (event: StoredEvent) =>
      event.operation === 'upsert' && (event.status === 'parked' || event.attempts > 0);
    const claimed: StoredEvent[] = [];
    const superseded: StoredEvent[] = [];
    for (const event of this.events) {
      if (claimed.length === limit) {
        break;
      }
      const sameEntity = (other: StoredEvent) =>
        other.entityId === event.entityId && other.deletedBy !== manager;
      const earlier = this.events.filter(
        (other) => sameEntity(other) && Number(other.id) < Number(event.id),
      );
      const later = this.events.some(
        (other) => sameEntity(other) && Number(other.id) > Number(event.id),
      );
      const due = event.status === 'pending' && event.dueAt <= Date.now();
      if (
        !due ||
        event.lockedBy !== undefined ||
        !earlier.every(supersedable) ||
        (supersedable(event) && later)
      ) {
        continue;
      }
      event.lockedBy = manager;
      const free = earlier.filter((other) => other.lockedBy === undefined);
      for (const other of free) {
        other.lockedBy = manager;
        other.deletedBy = manager;
        superseded.push(other);
      }
      if (free.length === earlier.length) {
        claimed.push(event);
      }
    }
    return Promise.resolve({
      due: claimed.map((event) => ({ ...event })),
      superseded: superseded.map((event) => ({ ...event, lastError: event.lastError ?? null })),
    });
  }

  complete(manager: EntityManager, ids: readonly string[]): Promise<void> {
    for (const event of this.events) {
      if (ids.includes(event.id)) {
        assertHeld(event, manager);
        event.deletedBy = manager;
      }
    }
    return Promise.resolve();
  }

  reschedule(
    manager: EntityManager,
    id: string,
    change: { attempts: number; delayMs: number; error: string; park: boolean },
  ): Promise<void> {
    const event = this.events.find((candidate) => candidate.id === id);
    assertHeld(event, manager);
    Object.assign(event, {
      attempts: change.attempts,
      dueAt: Date.now() + change.delayMs,
      lastError: change.error,
      status: change.park ? 'parked' : 'pending',
    });
    return Promise.resolve();
  }

  end(manager: EntityManager, committed: boolean): void {
    const kept = this.events.filter((event) => !committed || event.deletedBy !== manager);
    this.events.splice(0, this.events.length, ...kept);
    for (const event of this.events) {
      if (event.lockedBy === manager) {
        event.lockedBy = undefined;
      }
      if (event.deletedBy === manager) {
        event.deletedBy = undefined;
      }
    }
  }
}

/** The relay settles only events its transaction holds. */
function assertHeld(
  event: StoredEvent | undefined,
  manager: EntityManager,
): asserts event is StoredEvent {
  if (event?.lockedBy !== manager) {
    throw new Error(`event ${event?.id ?? '?'} settled by a transaction that does not hold it`);
  }
}

function resource(entityId: string): ResourceDescription {
  return {
    name: `album-${entityId}`,
    displayName: entityId,
    type: 'urn:photoz:album',
    ownerId: 'alice-id',
    uris: [`/albums/${entityId}`],
    scopes: ['album:view'],
    attributes: {},
  };
}

/** What Keycloak saw: each delivery's start and end, in order. */
interface Call {
  readonly entityId: string;
  readonly operation: OutboxOperation;
  readonly displayName: string;
  readonly started: number;
  ended: number | undefined;
}

/** A relay over the in-memory outbox and links, delivering to a Keycloak that takes its time. */
function relayOver(
  outbox: MemoryOutbox,
  options: Partial<UmaRelayOptions> & { keycloak?: (call: Call) => Promise<void> },
) {
  const links = new Map<string, string>();
  const calls: Call[] = [];
  let clock = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  let connections = 0;
  let maxConnections = 0;
  const keycloak = options.keycloak ?? (() => new Promise((resolve) => setTimeout(resolve, 1)));
  const call = async (entityId: string, operation: OutboxOperation, displayName: string) => {
    const record: Call = { entityId, operation, displayName, started: clock++, ended: undefined };
    calls.push(record);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      await keycloak(record);
    } finally {
      inFlight -= 1;
      record.ended = clock++;
    }
  };
  const sync = {
    upsert: async (desired: ResourceDescription) => {
      const entityId = desired.name.replace('album-', '');
      await call(entityId, 'upsert', desired.displayName);
      return `resource-${entityId}`;
    },
    remove: async (desired: ResourceDescription) => {
      await call(desired.name.replace('album-', ''), 'delete', desired.displayName);
    },
  } as unknown as UmaResourceSync;
  const linkRepository = {
    resourceIdsFor: (_: EntityManager, entities: readonly EntityKey[]) =>
      Promise.resolve(
        new Map(
          entities.flatMap((entity) => {
            const key = entityKey(entity.entityType, entity.entityId);
            const id = links.get(key);
            return id === undefined ? [] : [[key, id] as const];
          }),
        ),
      ),
    saveAll: (_: EntityManager, saved: readonly (EntityKey & { resourceId: string })[]) => {
      for (const link of saved) {
        links.set(entityKey(link.entityType, link.entityId), link.resourceId);
      }
      return Promise.resolve();
    },
    removeAll: (_: EntityManager, removed: readonly EntityKey[]) => {
      for (const entity of removed) {
        links.delete(entityKey(entity.entityType, entity.entityId));
      }
      return Promise.resolve();
    },
  } as unknown as UmaResourceLinkRepository;
  const dataSource = {
    // One connection per transaction, held until it ends, as TypeORM's `transaction` does.
    transaction: async <T>(work: (manager: EntityManager) => Promise<T>): Promise<T> => {
      const manager = {} as EntityManager;
      connections += 1;
      maxConnections = Math.max(maxConnections, connections);
      try {
        const result = await work(manager);
        outbox.end(manager, true);
        return result;
      } catch (error) {
        outbox.end(manager, false);
        throw error;
      } finally {
        connections -= 1;
      }
    },
  } as unknown as DataSource;
  const listeners = new Set<() => void>();
  const writer = {
    onCommitted: (listener: () => void) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  } as unknown as UmaOutboxWriter;
  const relay = new UmaOutboxRelay(
    dataSource,
    outbox as unknown as UmaOutboxRepository,
    linkRepository,
    sync,
    writer,
    { ...DEFAULT_RELAY_OPTIONS, ...options },
  );
  return {
    relay,
    links,
    calls,
    announceCommit: () => {
      for (const listener of listeners) {
        listener();
      }
    },
    peaks: () => ({ inFlight: maxInFlight, connections: maxConnections }),
  };
}

/** A Keycloak whose answers wait until the test lets them through. */
function gatedKeycloak(): {
  keycloak: () => Promise<void>;
  waiting: () => number;
  open: () => void;
} {
  const waiting: (() => void)[] = [];
  let opened = false;
  return {
    keycloak: () =>
      opened ? Promise.resolve() : new Promise<void>((resolve) => waiting.push(resolve)),
    waiting: () => waiting.length,
    open: () => {
      opened = true;
      for (const release of waiting.splice(0)) {
        release();
      }
    },
  };
}

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      throw new Error('timed out');
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

describe(UmaOutboxRelay.name, () => {
  const started: UmaOutboxRelay[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((relay) => relay.beforeApplicationShutdown()));
  });

  function start(relay: UmaOutboxRelay): void {
    relay.onApplicationBootstrap();
    started.push(relay);
  }

  it("delivers a batch's events to Keycloak together, on one connection", async () => {
    const outbox = new MemoryOutbox();
    for (let index = 0; index < 6; index += 1) {
      outbox.add(`a${index}`, 'upsert');
    }
    const gate = gatedKeycloak();
    const { relay, peaks } = relayOver(outbox, { batchSize: 4, keycloak: gate.keycloak });
    const drained = relay.drain();
    await until(() => gate.waiting() === 4);
    gate.open();
    expect(await drained).toBe(6);
    expect(peaks()).toEqual({ inFlight: 4, connections: 1 });
  });

  it('runs at most `workers` batches at once, each holding one connection', async () => {
    const outbox = new MemoryOutbox();
    for (let index = 0; index < 40; index += 1) {
      outbox.add(`a${index}`, 'upsert');
    }
    const { relay, peaks } = relayOver(outbox, {
      workers: 3,
      batchSize: 2,
      keycloak: () => new Promise((resolve) => setTimeout(resolve, 2)),
    });
    start(relay);
    await until(() => outbox.events.length === 0);
    expect(peaks()).toEqual({ inFlight: 6, connections: 3 });
  });

  it("delivers an entity's events one after the other and in order, across workers", async () => {
    const outbox = new MemoryOutbox();
    for (let step = 0; step < 4; step += 1) {
      for (let album = 0; album < 6; album += 1) {
        outbox.add(`a${album}`, step === 3 ? 'delete' : 'upsert', `a${album} v${step}`);
      }
    }
    const { relay, calls, links } = relayOver(outbox, {
      workers: 4,
      batchSize: 3,
      keycloak: () => new Promise((resolve) => setTimeout(resolve, Math.random() * 5)),
    });
    start(relay);
    await until(() => outbox.events.length === 0);
    for (let album = 0; album < 6; album += 1) {
      const own = calls.filter((call) => call.entityId === `a${album}`);
      expect(own.map((call) => call.displayName)).toEqual(
        [0, 1, 2, 3].map((step) => `a${album} v${step}`),
      );
      for (let index = 1; index < own.length; index += 1) {
        expect(own[index]?.started).toBeGreaterThan(own[index - 1]?.ended ?? Infinity);
      }
    }
    expect(links.size).toBe(0);
  });

  it('settles each event of a batch on its own: one refusal waits, the others are done', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('kept', 'upsert');
    outbox.add('refused', 'upsert');
    outbox.add('gone', 'delete');
    const { relay, links } = relayOver(outbox, {
      batchSize: 8,
      keycloak: (call) =>
        call.entityId === 'refused'
          ? Promise.reject(new KeycloakError('create resource', 400, 'invalid_request', undefined))
          : Promise.resolve(),
    });
    links.set(entityKey('album', 'gone'), 'resource-gone');
    expect(await relay.drain()).toBe(3);
    expect(outbox.events).toMatchObject([
      { entityId: 'refused', operation: 'upsert', attempts: 1, status: 'pending' },
    ]);
    expect(outbox.events[0]?.lastError).toMatch(/400/);
    expect([...links]).toEqual([['album/kept', 'resource-kept']]);
  });

  it('holds back the event after an upsert that was not attempted yet', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a1', 'upsert', 'v1');
    outbox.add('a1', 'upsert', 'v2');
    const { relay, calls } = relayOver(outbox, { batchSize: 8 });

    expect(await relay.drain()).toBe(2);
    expect(calls.map((call) => call.displayName)).toEqual(['v1', 'v2']);
  });

  it('delivers a rename at once over a parked upsert of its entity, and drops that upsert', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a1', 'upsert', 'refused name', { attempts: 20, status: 'parked' });
    outbox.add('a1', 'upsert', 'renamed');
    const { relay, calls } = relayOver(outbox, {});

    expect(await relay.drain()).toBe(1);
    expect(calls.map((call) => `${call.operation} ${call.displayName}`)).toEqual([
      'upsert renamed',
    ]);
    expect(outbox.events).toEqual([]);
  });

  it('delivers a delete at once over an upsert waiting for its next attempt', async () => {
    const outbox = new MemoryOutbox();
    const failing = outbox.add('a1', 'upsert', 'refused name', { attempts: 3, dueInMs: 60_000 });
    outbox.add('a1', 'delete', 'refused name');
    const { relay, calls } = relayOver(outbox, {});

    expect(await relay.drain()).toBe(1);
    expect(calls.map((call) => call.operation)).toEqual(['delete']);
    expect(outbox.events.map((event) => event.id)).not.toContain(failing);
  });

  it('holds back the events after a parked delete', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a1', 'delete', 'old', { attempts: 5, status: 'parked' });
    outbox.add('a1', 'upsert', 'new');
    const { relay, calls } = relayOver(outbox, {});

    expect(await relay.drain()).toBe(0);
    expect(calls).toEqual([]);
    expect(outbox.events.map((event) => event.status)).toEqual(['parked', 'pending']);
  });

  it('waits for a failed upsert in flight before delivering the rename after it', async () => {
    const outbox = new MemoryOutbox();
    outbox.add('a1', 'upsert', 'retried', { attempts: 1 });
    const gate = gatedKeycloak();
    const { relay, calls, announceCommit } = relayOver(outbox, {
      workers: 2,
      pollIntervalMs: 60_000,
      keycloak: gate.keycloak,
    });
    start(relay);
    await until(() => gate.waiting() === 1);
    outbox.add('a1', 'upsert', 'renamed');
    announceCommit();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(calls.map((call) => call.displayName)).toEqual(['retried']);

    gate.open();
    await until(() => outbox.events.length === 0);
    expect(calls.map((call) => call.displayName)).toEqual(['retried', 'renamed']);
    expect(calls[1]?.started).toBeGreaterThan(calls[0]?.ended ?? Infinity);
  });

  it('wakes an idle worker when a commit is announced, long before its next poll', async () => {
    const outbox = new MemoryOutbox();
    const { relay, announceCommit, calls } = relayOver(outbox, {
      workers: 2,
      pollIntervalMs: 60_000,
    });
    start(relay);
    await new Promise((resolve) => setTimeout(resolve, 10));
    outbox.add('a1', 'upsert');
    announceCommit();
    await until(() => outbox.events.length === 0);
    expect(calls.map((call) => call.entityId)).toEqual(['a1']);
  });

  it('a worker that claims a full batch wakes another for the rest', async () => {
    const outbox = new MemoryOutbox();
    const gate = gatedKeycloak();
    const { relay, announceCommit, peaks } = relayOver(outbox, {
      workers: 2,
      batchSize: 2,
      pollIntervalMs: 60_000,
      keycloak: gate.keycloak,
    });
    start(relay);
    await new Promise((resolve) => setTimeout(resolve, 10));
    for (let index = 0; index < 4; index += 1) {
      outbox.add(`a${index}`, 'upsert');
    }
    // One announcement for the four events.
    announceCommit();
    await until(() => gate.waiting() === 4);
    gate.open();
    await until(() => outbox.events.length === 0);
    expect(peaks()).toEqual({ inFlight: 4, connections: 2 });
  });
});
