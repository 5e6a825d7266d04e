import { ProblemException } from '@app/common';
import { describe, expect, it } from 'vitest';
import { AlbumService } from './album.service.ts';
import { album, albumService, alice } from '../../../../test/support/album-service-fake.ts';

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
});
