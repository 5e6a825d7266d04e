import { UmaResourceResolvers } from '@app/auth';
import { describe, expect, it } from 'vitest';
import type { DataSource, EntityManager } from 'typeorm';
import type { QueuedEvent, RetryOutcome, UmaOutboxRepository } from './uma-outbox.repository.ts';
import { repairPlan, UmaOutboxWriter } from './uma-outbox.writer.ts';
import type { UmaResourceLinkRepository } from './uma-resource-link.repository.ts';
import { UmaResourceTypes } from './uma-resource-types.ts';
import type { UmaResourceType } from './uma-resources.options.ts';
import { journalDataSource } from '../../../test/support/journal-data-source.ts';

const pendingUpsert: QueuedEvent = { id: '1', operation: 'upsert', status: 'pending' };
const pendingDelete: QueuedEvent = { id: '1', operation: 'delete', status: 'pending' };
const parkedUpsert: QueuedEvent = { id: '1', operation: 'upsert', status: 'parked' };

describe(repairPlan.name, () => {
  it('enqueues an upsert when nothing is queued', () => {
    expect(repairPlan([])).toEqual({ act: true, append: true });
  });

  it('does nothing while a pending upsert is the newest event', () => {
    expect(repairPlan([pendingDelete, { ...pendingUpsert, id: '2' }])).toEqual({
      act: false,
      append: false,
    });
  });

  it('does nothing when the newest event is a delete', () => {
    expect(repairPlan([pendingUpsert, { ...pendingDelete, id: '2' }])).toEqual({
      act: false,
      append: false,
    });
  });

  it('does nothing when the newest event is a parked delete', () => {
    expect(repairPlan([{ ...pendingDelete, status: 'parked' }])).toEqual({
      act: false,
      append: false,
    });
  });

  it('supersedes a parked event that holds a pending upsert back, without another upsert', () => {
    expect(repairPlan([parkedUpsert, { ...pendingUpsert, id: '2' }])).toEqual({
      act: true,
      append: false,
    });
  });

  it('enqueues an upsert when the newest event is parked', () => {
    expect(repairPlan([pendingUpsert, { ...parkedUpsert, id: '2' }])).toEqual({
      act: true,
      append: true,
    });
  });
});

interface Note {
  readonly id: string;
  readonly title: string;
}

const note: Note = { id: 'n1', title: 'Groceries' };

/** A kind of entity the writer knows; `load` finds `note` (`n1`) only, and writes that down. */
function noteType(journal: string[]): UmaResourceType<Note> {
  return {
    entityType: 'note',
    resourceType: 'urn:test:note',
    scopes: ['note:view'],
    id: (entity) => entity.id,
    describe: (entity) => ({
      name: `note-${entity.id}`,
      displayName: entity.title,
      ownerId: 'alice',
      uris: [],
    }),
    loadAll: () => Promise.resolve([note]),
    load: (_, id) => {
      journal.push(`load note ${id}`);
      return Promise.resolve(id === note.id ? note : undefined);
    },
    isValidId: () => true,
    resolve: () => Promise.resolve(undefined),
    resourceMissing: () => Promise.resolve(),
  };
}

/** A writer over a database that only writes down, in order, what is done to it. */
function writerWithJournal(options: { retryOutcome?: RetryOutcome; queued?: QueuedEvent[] } = {}): {
  writer: UmaOutboxWriter;
  journal: string[];
  dataSource: DataSource;
} {
  const journal: string[] = [];
  const { dataSource, manager } = journalDataSource(journal);
  const where = (used: EntityManager) => (used === manager ? '' : ' outside the transaction');
  const outbox = {
    lockEntity: (used: EntityManager, entityType: string, entityId: string) => {
      journal.push(`lock ${entityType} ${entityId}${where(used)}`);
      return Promise.resolve();
    },
    append: (
      used: EntityManager,
      event: { entityType: string; entityId: string; operation: string; resource: unknown },
    ) => {
      journal.push(`${event.operation} ${event.entityType} ${event.entityId}${where(used)}`);
      return Promise.resolve();
    },
    eventsOf: () => Promise.resolve(options.queued ?? []),
    dropParked: () => Promise.resolve([]),
    retry: (used: EntityManager, id: string) => {
      journal.push(`retry ${id}${where(used)}`);
      return Promise.resolve(options.retryOutcome);
    },
  } as unknown as UmaOutboxRepository;
  const links = {
    remove: (used: EntityManager, entityType: string, entityId: string) => {
      journal.push(`unlink ${entityType} ${entityId}${where(used)}`);
      return Promise.resolve();
    },
  } as unknown as UmaResourceLinkRepository;
  const types = new UmaResourceTypes(new UmaResourceResolvers());
  types.register(noteType(journal));
  const writer = new UmaOutboxWriter(types, 'photoz_test', dataSource, outbox, links);
  writer.onCommitted(() => journal.push('wake relay'));
  return { writer, journal, dataSource };
}

describe(UmaOutboxWriter.name, () => {
  it("records an upsert under the entity's lock, in the caller's transaction", async () => {
    const { writer, journal, dataSource } = writerWithJournal();
    await dataSource.transaction((manager) => writer.upsert(manager, 'note', note));
    expect(journal.slice(0, 2)).toEqual(['lock note n1', 'upsert note n1']);
  });

  it("records a delete under the entity's lock, in the caller's transaction", async () => {
    const { writer, journal, dataSource } = writerWithJournal();
    await dataSource.transaction((manager) => writer.delete(manager, 'note', note));
    expect(journal.slice(0, 2)).toEqual(['lock note n1', 'delete note n1']);
  });

  it('wakes the relay once the transaction has committed', async () => {
    const { writer, journal, dataSource } = writerWithJournal();
    await dataSource.transaction((manager) => writer.upsert(manager, 'note', note));
    expect(journal.slice(-2)).toEqual(['commit', 'wake relay']);
  });

  it('wakes the relay once for several events of one transaction', async () => {
    const { writer, journal, dataSource } = writerWithJournal();
    await dataSource.transaction(async (manager) => {
      await writer.upsert(manager, 'note', note);
      await writer.upsert(manager, 'note', { id: 'n2', title: 'Chores' });
    });
    expect(journal.filter((entry) => entry === 'wake relay')).toHaveLength(1);
  });

  it('does not wake the relay when the transaction rolls back', async () => {
    const { writer, journal, dataSource } = writerWithJournal();
    await expect(
      dataSource.transaction(async (manager) => {
        await writer.upsert(manager, 'note', note);
        throw new Error('the entity write failed');
      }),
    ).rejects.toThrow('the entity write failed');
    expect(journal).toEqual(['lock note n1', 'upsert note n1', 'rollback']);
  });

  it('does not wake the relay after a transaction that recorded nothing', async () => {
    const { writer, journal, dataSource } = writerWithJournal();
    await expect(
      dataSource.transaction(async (manager) => {
        await writer.upsert(manager, 'note', note);
        throw new Error('the entity write failed');
      }),
    ).rejects.toThrow('the entity write failed');
    await dataSource.transaction(() => Promise.resolve());
    expect(journal.slice(-2)).toEqual(['rollback', 'commit']);
  });

  it('refuses to record an event outside a transaction', async () => {
    const { writer, journal, dataSource } = writerWithJournal();
    await expect(writer.upsert(dataSource.manager, 'note', note)).rejects.toThrow(
      'inside its transaction',
    );
    expect(journal).toEqual([]);
  });

  it('refuses to record an event once its transaction has ended', async () => {
    const { writer, dataSource } = writerWithJournal();
    let late: (() => Promise<void>) | undefined;
    await dataSource.transaction((manager) => {
      late = () => writer.upsert(manager, 'note', note);
      return Promise.resolve();
    });
    await expect(late?.()).rejects.toThrow('inside its transaction');
  });

  it('refuses an entity type nobody registered', async () => {
    const { writer, dataSource } = writerWithJournal();
    await expect(
      dataSource.transaction((manager) => writer.upsert(manager, 'photo', note)),
    ).rejects.toThrow('No UMA resource type registered for entity type photo');
  });

  it("repairs with the entity as its type reads it under the entity's lock, then wakes the relay", async () => {
    const { writer, journal } = writerWithJournal();
    await writer.requestRepair('note', 'n1');
    expect(journal).toEqual([
      'lock note n1',
      'load note n1',
      'upsert note n1',
      'unlink note n1',
      'commit',
      'wake relay',
    ]);
  });

  it('repairs nothing, and wakes nobody, when the entity does not exist', async () => {
    const { writer, journal } = writerWithJournal();
    await writer.requestRepair('note', 'n9');
    expect(journal).toEqual(['lock note n9', 'load note n9', 'commit']);
  });

  it('repairs nothing while a pending upsert is queued', async () => {
    const { writer, journal } = writerWithJournal({ queued: [pendingUpsert] });
    await writer.requestRepair('note', 'n1');
    expect(journal).toEqual([]);
  });

  it('wakes the relay after putting a parked event back in line', async () => {
    const { writer, journal } = writerWithJournal({ retryOutcome: 'requeued' });
    await writer.retryParked('7');
    expect(journal).toEqual(['retry 7', 'commit', 'wake relay']);
  });

  it('wakes the relay after dropping a superseded parked event', async () => {
    const { writer, journal } = writerWithJournal({ retryOutcome: 'superseded' });
    await writer.retryParked('7');
    expect(journal).toEqual(['retry 7', 'commit', 'wake relay']);
  });

  it('does not wake the relay when there is no such parked event', async () => {
    const { writer, journal } = writerWithJournal();
    await expect(writer.retryParked('7')).resolves.toBeUndefined();
    expect(journal).toEqual(['retry 7', 'commit']);
  });
});
