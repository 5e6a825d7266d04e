import { type Principal, UmaResourceResolvers } from '@app/auth';
import {
  type UmaOutboxRepository,
  type UmaResourceLinkRepository,
  UmaOutboxWriter,
  UmaResourceTypes,
} from '@app/uma-resources';
import type { EntityManager } from 'typeorm';
import { AlbumResource } from '../../apps/album-service/src/albums/album-resource.ts';
import type { Album } from '../../apps/album-service/src/albums/album.ts';
import type {
  AlbumPosition,
  AlbumRecord,
  AlbumRepository,
} from '../../apps/album-service/src/albums/album.repository.ts';
import { AlbumService } from '../../apps/album-service/src/albums/album.service.ts';
import type { OwnerQuotas } from '../../apps/album-service/src/quotas/owner-quotas.ts';
import { journalDataSource } from './journal-data-source.ts';

export const alice: Principal = {
  subject: 'alice-id',
  username: 'alice',
  clientId: 'photoz-frontend',
  partner: false,
  realmRoles: [],
  permissions: undefined,
  issuedAt: 0,
  expiresAt: 0,
};

/** Album `id` of `ownerId`, created `id` seconds into 2025. */
export function album(id: number, ownerId = 'alice-id'): Album {
  const createdAt = new Date(Date.UTC(2025, 0, 1, 0, 0, id));
  return {
    id: `00000000-0000-4000-8000-${String(id).padStart(12, '0')}`,
    name: `Album ${id}`,
    description: null,
    ownerId,
    ownerUsername: ownerId.replace('-id', ''),
    createdAt,
    updatedAt: createdAt,
  };
}

const before = (a: AlbumPosition, b: AlbumPosition) =>
  a.createdAt.getTime() === b.createdAt.getTime()
    ? a.id < b.id
    : a.createdAt.getTime() < b.createdAt.getTime();

/** Albums in memory; each write goes to the journal, noting whether it ran in the transaction. */
export class FakeAlbumRepository {
  readonly rows = new Map<string, Album>();
  readonly pageRequests: { ownerId?: string; limit: number; after?: AlbumPosition }[] = [];

  constructor(
    private readonly journal: string[],
    private readonly transactionManager: EntityManager,
  ) {}

  insert(manager: EntityManager, entity: Album): Promise<void> {
    this.note('insert', manager, entity.id);
    this.rows.set(entity.id, { ...entity });
    return Promise.resolve();
  }

  update(manager: EntityManager, entity: Album): Promise<void> {
    this.note('update', manager, entity.id);
    this.rows.set(entity.id, { ...entity });
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

  lock(manager: EntityManager, id: string): Promise<Album | undefined> {
    this.note('lock', manager, id);
    const row = this.rows.get(id);
    return Promise.resolve(row === undefined ? undefined : { ...row });
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

export const QUOTAS: OwnerQuotas = { albumsPerOwner: 3, photosPerAlbum: 10, bytesPerOwner: 1000 };

/**
 * The service with the real outbox writer and the album registered as a resource type, over a
 * database that writes down what is done to it: the album's writes, the outbox events, the commit
 * or rollback, and the relay's wake-up.
 */
export function albumService(...albums: Album[]): {
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
  const repository = new FakeAlbumRepository(journal, manager);
  const albumRepository = repository as unknown as AlbumRepository;
  const types = new UmaResourceTypes(new UmaResourceResolvers());
  const links = {} as UmaResourceLinkRepository;
  const writer = new UmaOutboxWriter(types, 'photoz_test', dataSource, outbox, links);
  new AlbumResource(albumRepository, types, writer).onModuleInit();
  writer.onCommitted(() => journal.push('wake relay'));
  for (const entity of albums) {
    repository.rows.set(entity.id, entity);
  }
  return {
    service: new AlbumService(dataSource, albumRepository, writer, QUOTAS),
    repository,
    journal,
  };
}
