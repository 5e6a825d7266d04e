import { encodeCursor, ProblemException } from '@app/common';
import { describe, expect, it } from 'vitest';
import { AlbumService } from './album.service.ts';
import { album, albumService } from '../../../../test/support/album-service-fake.ts';

async function statusOf(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    return error instanceof ProblemException ? error.getStatus() : undefined;
  }
}

describe(`${AlbumService.name} pages`, () => {
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
