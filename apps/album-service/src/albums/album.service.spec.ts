import type { Principal } from '@app/auth';
import { encodeCursor, ProblemException } from '@app/common';
import type { UmaOutboxRepository, UmaResourceLinkRepository } from '@app/uma-resources';
import { UmaOutboxWriter } from '@app/uma-resources';
import type { EntityManager } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { albumResourceType } from './album-resource.type.ts';
import { AlbumEntity } from './album.entity.ts';
import type { AlbumPosition, AlbumRecord, AlbumRepository } from './album.repository.ts';
import { AlbumService } from './album.service.ts';
import { journalDataSource } from '../../../../test/support/journal-data-source.ts';
import type { OwnerQuotas } from '../quotas/owner-quotas.ts';

const alice: Principal = {
  subject: 'alice-id',
  username: 'alice',
  clientId: 'photoz-frontend',
  partner: false,
  realmRoles: [],
  permissions: undefined,
  issuedAt: 0,
  expiresAt: 0,
};

function album(id: number, ownerId = 'alice-id'): AlbumEntity {
  const createdAt = new Date(Date.UTC(2025, 0, 1, 0, 0, id));
  return Object.assign(new AlbumEntity(), {
    id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    name: `Album ${id}`,
    description: null,
    ownerId,
    ownerUsername: ownerId.replace('-id', ''),
    createdAt,
    updatedAt: createdAt,
  });
}

const before = (a: AlbumPosition, b: AlbumPosition) =>
  a.createdAt.getTime() === b.createdAt.getTime()
    ? a.id < b.id
    : a.createdAt.getTime() < b.createdAt.getTime();

/** Albums in memory; each write goes to the journal, noting whether it ran in the transaction. */
class FakeAlbumRepository {
  readonly rows = new Map<string, AlbumEntity>();
  readonly pageRequests: { ownerId?: string; limit: number; after?: AlbumPosition }[] = [];

  constructor(
    private readonly journal: string[],
    private readonly transactionManager: EntityManager,
  ) {}

  insert(manager: EntityManager, entity: AlbumEntity): Promise<void> {
    this.note('insert', manager, entity.id);
    this.rows.set(entity.id, Object.assign(new AlbumEntity(), entity));
    return Promise.resolve();
  }

  update(manager: EntityManager, entity: AlbumEntity): Promise<void> {
    this.note('update', manager, entity.id);
    this.rows.set(entity.id, Object.assign(new AlbumEntity(), entity));
    return Promise.resolve();
  }

  delete(manager: EntityManager, id: string): Promise<void> {
    this.note('delete', manager, id);
    this.rows.delete(id);
    return Promise.resolve();
  }

  lockOwner(manager: EntityManager, ownerId: string): Promise<void> {
    this.note('lock owner', manager, ownerId);
    return Promise.resolve();
  }

  countOwnedBy(manager: EntityManager, ownerId: string): Promise<number> {
    this.note('count owned by', manager, ownerId);
    return Promise.resolve([...this.rows.values()].filter((row) => row.ownerId === ownerId).length);
  }

  lock(manager: EntityManager, id: string): Promise<AlbumEntity | null> {
    this.note('lock', manager, id);
    const row = this.rows.get(id);
    return Promise.resolve(row === undefined ? null : Object.assign(new AlbumEntity(), row));
  }

  find(id: string): Promise<AlbumRecord | undefined> {
    const row = this.rows.get(id);
    return Promise.resolve(row === undefined ? undefined : { album: row, resourceId: undefined });
  }

  page(options: {
    ownerId?: string;
    limit: number;
    after?: AlbumPosition;
  }): Promise<AlbumRecord[]> {
    this.pageRequests.push(options);
    const { after } = options;
    return Promise.resolve(
      [...this.rows.values()]
        .filter((row) => options.ownerId === undefined || row.ownerId === options.ownerId)
        .filter((row) => after === undefined || before(row, after))
        .sort((a, b) => (before(a, b) ? 1 : -1))
        .slice(0, options.limit)
        .map((row) => ({ album: row, resourceId: undefined })),
    );
  }

  private note(action: string, manager: EntityManager, id: string): void {
    const where = manager === this.transactionManager ? 'in the transaction' : 'outside it';
    const what = action === 'lock owner' || action === 'count owned by' ? '' : 'album ';
    this.journal.push(`${action} ${what}${id} ${where}`);
  }
}

/**
 * The service with the real outbox writer, over a database that writes down what is done to it:
 * the album's writes, the outbox events, the commit or rollback, and the relay's wake-up.
 */
const QUOTAS: OwnerQuotas = { albumsPerOwner: 3, photosPerAlbum: 10, bytesPerOwner: 1000 };

function albumService(...albums: AlbumEntity[]): {
  service: AlbumService;
  repository: FakeAlbumRepository;
  journal: string[];
} {
  const journal: string[] = [];
  const { dataSource, manager } = journalDataSource(journal);
  const outbox = {
    lockEntity: () => Promise.resolve(),
    append: (
      transaction: EntityManager,
      event: { entityType: string; entityId: string; operation: string },
    ) => {
      const where = transaction === manager ? 'in the transaction' : 'outside it';
      journal.push(`outbox ${event.operation} ${event.entityType} ${event.entityId} ${where}`);
      return Promise.resolve();
    },
  } as unknown as UmaOutboxRepository;
  const writer = new UmaOutboxWriter(
    [albumResourceType],
    'photoz_test',
    dataSource,
    outbox,
    {} as UmaResourceLinkRepository,
  );
  writer.onCommitted(() => journal.push('wake relay'));
  const repository = new FakeAlbumRepository(journal, manager);
  for (const entity of albums) {
    repository.rows.set(entity.id, entity);
  }
  return {
    service: new AlbumService(repository as unknown as AlbumRepository, writer, QUOTAS),
    repository,
    journal,
  };
}

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof ProblemException ? error.getStatus() : undefined;
  }
}

describe(AlbumService.name, () => {
  it('creates an album and records its upsert in the same transaction, then wakes the relay', async () => {
    const { service, journal } = albumService();
    const created = await service.create(alice, { name: 'Italy' });
    expect(journal).toEqual([
      'lock owner alice-id in the transaction',
      'count owned by alice-id in the transaction',
      `insert album ${created.id} in the transaction`,
      `outbox upsert album ${created.id} in the transaction`,
      'commit',
      'wake relay',
    ]);
  });

  it("refuses an album over the owner's quota with a 409 naming it, under the owner's lock", async () => {
    const { service, journal } = albumService(album(1), album(2), album(3), album(4, 'bob-id'));
    const refused = await service
      .create(alice, { name: 'One too many' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ProblemException);
    expect((refused as ProblemException).getStatus()).toBe(409);
    expect((refused as ProblemException).toBody()).toMatchObject({
      type: 'urn:photoz:problem:quota-exceeded',
      quota: 'albums-per-owner',
      usage: 3,
      limit: 3,
    });
    expect(journal).toEqual([
      'lock owner alice-id in the transaction',
      'count owned by alice-id in the transaction',
      'rollback',
    ]);
  });

  it('answers a new album as owned by the caller and not registered yet', async () => {
    const { service } = albumService();
    expect(await service.create(alice, { name: 'Italy' })).toMatchObject({
      name: 'Italy',
      description: null,
      ownerId: 'alice-id',
      ownerUsername: 'alice',
      keycloakResourceId: null,
    });
  });

  it('records an upsert of a renamed album in the transaction that renames it', async () => {
    const existing = album(1);
    const { service, journal } = albumService(existing);
    await service.update(existing.id, { name: 'Renamed' });
    expect(journal).toEqual([
      `lock album ${existing.id} in the transaction`,
      `update album ${existing.id} in the transaction`,
      `outbox upsert album ${existing.id} in the transaction`,
      'commit',
      'wake relay',
    ]);
  });

  it('records nothing for Keycloak when only the description changes', async () => {
    const existing = album(1);
    const { service, journal } = albumService(existing);
    await service.update(existing.id, { description: 'Summer' });
    expect(journal).toEqual([
      `lock album ${existing.id} in the transaction`,
      `update album ${existing.id} in the transaction`,
      'commit',
    ]);
  });

  it('records nothing for Keycloak when the name stays the same', async () => {
    const existing = album(1);
    const { service, journal } = albumService(existing);
    await service.update(existing.id, { name: existing.name });
    expect(journal).not.toContain('wake relay');
  });

  it('answers the album as changed', async () => {
    const existing = album(1);
    const { service } = albumService(existing);
    expect(await service.update(existing.id, { name: 'Renamed', description: null })).toMatchObject(
      { id: existing.id, name: 'Renamed', description: null },
    );
  });

  it('answers 404 for a change of an unknown album, and records nothing', async () => {
    const { service, journal } = albumService();
    expect(await statusOf(service.update(album(9).id, { name: 'Renamed' }))).toBe(404);
    expect(journal).toEqual([`lock album ${album(9).id} in the transaction`, 'rollback']);
  });

  it('records the delete of an album in the transaction that deletes it, then wakes the relay', async () => {
    const existing = album(1);
    const { service, journal } = albumService(existing);
    await service.delete(existing.id);
    expect(journal).toEqual([
      `lock album ${existing.id} in the transaction`,
      `delete album ${existing.id} in the transaction`,
      `outbox delete album ${existing.id} in the transaction`,
      'commit',
      'wake relay',
    ]);
  });

  it('answers 404 for the delete of an unknown album, and records nothing', async () => {
    const { service, journal } = albumService();
    expect(await statusOf(service.delete(album(9).id))).toBe(404);
    expect(journal).toEqual([`lock album ${album(9).id} in the transaction`, 'rollback']);
  });

  it('answers 404 for an unknown album', async () => {
    const { service } = albumService();
    expect(await statusOf(service.get(album(9).id))).toBe(404);
  });

  it('pages newest first', async () => {
    const { service } = albumService(album(1), album(2), album(3));
    const page = await service.page({ limit: 2 });
    expect(page.items.map((item) => item.name)).toEqual(['Album 3', 'Album 2']);
  });

  it('asks for one album more than the page holds, to know whether another page follows', async () => {
    const { service, repository } = albumService(album(1));
    await service.page({ limit: 2 });
    expect(repository.pageRequests[0]?.limit).toBe(3);
  });

  it('pages by 20 when no limit is given', async () => {
    const { service, repository } = albumService();
    await service.page({});
    expect(repository.pageRequests[0]?.limit).toBe(21);
  });

  it('continues after the last album of the previous page', async () => {
    const { service } = albumService(album(1), album(2), album(3));
    const first = await service.page({ limit: 2 });
    const second = await service.page({ limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.items.map((item) => item.name)).toEqual(['Album 1']);
  });

  it('ends with a null cursor on the last page', async () => {
    const { service } = albumService(album(1), album(2));
    expect((await service.page({ limit: 2 })).nextCursor).toBeNull();
  });

  it("limits the page to one owner's albums when asked", async () => {
    const { service } = albumService(album(1), album(2, 'bob-id'));
    const page = await service.page({ ownerId: 'alice-id' });
    expect(page.items.map((item) => item.name)).toEqual(['Album 1']);
  });

  it('refuses a cursor it did not hand out with a 400', async () => {
    const { service } = albumService(album(1));
    const cursor = encodeCursor({ createdAt: 'yesterday', id: album(1).id });
    expect(await statusOf(service.page({ cursor }))).toBe(400);
  });

  it('refuses a cursor whose id is not an album id with a 400', async () => {
    const { service } = albumService(album(1));
    const cursor = encodeCursor({ createdAt: new Date().toISOString(), id: 'x' });
    expect(await statusOf(service.page({ cursor }))).toBe(400);
  });
});
