import { describe, expect, it } from 'vitest';
import type { EntityManager } from 'typeorm';
import type { QueuedEvent, RetryOutcome, UmaOutboxRepository } from './uma-outbox.repository.ts';
import { repairPlan, UmaOutboxWriter } from './uma-outbox.writer.ts';
import type { UmaResourceLinkRepository } from './uma-resource-link.repository.ts';
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

const noteType: UmaResourceType<Note> = {
  entityType: 'note',
  resourceType: 'urn:test:note',
  scopes: ['note:view'],
  id: (note) => note.id,
  describe: (note) => ({
    name: `note-${note.id}`,
    displayName: note.title,
    ownerId: 'alice',
    uris: [],
  }),
  loadAll: () => Promise.resolve([]),
};

/** A writer over a database that only writes down, in order, what is done to it. */
function writerWithJournal(retryOutcome?: RetryOutcome): {
  writer: UmaOutboxWriter;
  journal: string[];
  manager: EntityManager;
} {
  const journal: string[] = [];
  const { dataSource, manager } = journalDataSource(journal);
  const outbox = {
    lockEntity: (_: EntityManager, entityType: string, entityId: string) => {
      journal.push(`lock ${entityType} ${entityId}`);
      return Promise.resolve();
    },
    append: (
      _: EntityManager,
      event: { entityType: string; entityId: string; operation: string; resource: unknown },
    ) => {
      journal.push(`${event.operation} ${event.entityType} ${event.entityId}`);
      return Promise.resolve();
    },
    retry: (id: string) => {
      journal.push(`retry ${id}`);
      return Promise.resolve(retryOutcome);
    },
  } as unknown as UmaOutboxRepository;
  const writer = new UmaOutboxWriter(
    [noteType],
    'photoz_test',
    dataSource,
    outbox,
    {} as UmaResourceLinkRepository,
  );
  writer.onCommitted(() => journal.push('wake relay'));
  return { writer, journal, manager };
}

const note: Note = { id: 'n1', title: 'Groceries' };

describe(UmaOutboxWriter.name, () => {
  it('hands the work the manager of the transaction its events are written in', async () => {
    const { writer, manager } = writerWithJournal();
    let handed: EntityManager | undefined;
    await writer.transaction((tx) => {
      handed = tx.manager;
      return Promise.resolve();
    });
    expect(handed).toBe(manager);
  });

  it("records an upsert under the entity's lock", async () => {
    const { writer, journal } = writerWithJournal();
    await writer.transaction((tx) => tx.upsert('note', note));
    expect(journal.slice(0, 2)).toEqual(['lock note n1', 'upsert note n1']);
  });

  it("records a delete under the entity's lock", async () => {
    const { writer, journal } = writerWithJournal();
    await writer.transaction((tx) => tx.delete('note', note));
    expect(journal.slice(0, 2)).toEqual(['lock note n1', 'delete note n1']);
  });

  it('wakes the relay once the transaction has committed', async () => {
    const { writer, journal } = writerWithJournal();
    await writer.transaction((tx) => tx.upsert('note', note));
    expect(journal.slice(-2)).toEqual(['commit', 'wake relay']);
  });

  it('wakes the relay once for several events of one transaction', async () => {
    const { writer, journal } = writerWithJournal();
    await writer.transaction(async (tx) => {
      await tx.upsert('note', note);
      await tx.upsert('note', { id: 'n2', title: 'Chores' });
    });
    expect(journal.filter((entry) => entry === 'wake relay')).toHaveLength(1);
  });

  it('does not wake the relay when the transaction rolls back', async () => {
    const { writer, journal } = writerWithJournal();
    await expect(
      writer.transaction(async (tx) => {
        await tx.upsert('note', note);
        throw new Error('the entity write failed');
      }),
    ).rejects.toThrow('the entity write failed');
    expect(journal).toEqual(['lock note n1', 'upsert note n1', 'rollback']);
  });

  it('does not wake the relay when the transaction recorded nothing', async () => {
    const { writer, journal } = writerWithJournal();
    await writer.transaction(() => Promise.resolve());
    expect(journal).toEqual(['commit']);
  });

  it('returns what the work returns', async () => {
    const { writer } = writerWithJournal();
    await expect(writer.transaction(() => Promise.resolve(42))).resolves.toBe(42);
  });

  it('refuses to record an event once the work has returned', async () => {
    const { writer } = writerWithJournal();
    let late: (() => Promise<void>) | undefined;
    await writer.transaction((tx) => {
      late = () => tx.upsert('note', note);
      return Promise.resolve();
    });
    await expect(late?.()).rejects.toThrow('inside its transaction');
  });

  it('refuses an entity type it was not given', async () => {
    const { writer } = writerWithJournal();
    await expect(writer.transaction((tx) => tx.upsert('photo', note))).rejects.toThrow(
      'No UMA resource type registered for entity type photo',
    );
  });

  it('wakes the relay after putting a parked event back in line', async () => {
    const { writer, journal } = writerWithJournal('requeued');
    await writer.retryParked('7');
    expect(journal).toEqual(['retry 7', 'wake relay']);
  });

  it('wakes the relay after dropping a superseded parked event', async () => {
    const { writer, journal } = writerWithJournal('superseded');
    await writer.retryParked('7');
    expect(journal).toEqual(['retry 7', 'wake relay']);
  });

  it('does not wake the relay when there is no such parked event', async () => {
    const { writer, journal } = writerWithJournal(undefined);
    await expect(writer.retryParked('7')).resolves.toBeUndefined();
    expect(journal).toEqual(['retry 7']);
  });
});
