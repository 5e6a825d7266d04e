import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { UmaReconciler } from '@app/uma-resources';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { accessTokens } from '../scripts/dev-realm/tokens.ts';
import { ProtectionApi } from './support/uma.ts';
import { requestRpt } from '../scripts/dev-realm/rpt.ts';
import { albumResourceDescription, OutboxTables } from './support/uma-outbox.ts';

/** 200 emoji: 200 code points, 400 UTF-16 code units (Keycloak's H2 store refuses over 255). */
const EMOJI_200 = '😀'.repeat(200);

interface SharedAlbum {
  readonly albumId: string;
}

/**
 * An album's editor must not be able to stop its owner: no name an editor may set makes Keycloak
 * refuse the album's resource, and a refused (parked) update never holds back the owner's later
 * rename or her delete.
 */
describe("an editor cannot wedge the owner's album", () => {
  const protection = new ProtectionApi();
  const outbox = new OutboxTables();
  let albums: RunningService;
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;

  beforeAll(async () => {
    [albums, permissions] = await Promise.all([
      startService(albumService, { UMA_RELAY_POLL_INTERVAL_MS: '100' }),
      startService(permissionService),
    ]);
    [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
    await outbox.connect();
  });
  afterAll(async () => {
    await outbox.end();
    await Promise.all([albums.close(), permissions.close()]);
  });

  /** Alice's album, registered, that jdoe may view and edit; with jdoe's RPT for it. */
  async function sharedForEditing(
    name: string,
  ): Promise<{ album: Album; resourceId: string; rpt: string }> {
    const album = await createAlbum(albums.url, alice, name);
    const resourceId = await registeredResourceId(albums.url, alice, album.id);
    const shared = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
      body: { scopes: ['album:view', 'album:edit'] },
    });
    expect(shared.status).toBe(200);
    const rpt = await requestRpt(jdoe, [`${resourceId}#album:view,album:edit`]);
    expect(rpt.status).toBe(200);
    return { album, resourceId, rpt: rpt.body.access_token ?? '' };
  }

  async function sharedWithJdoe(): Promise<string[]> {
    const listed = await call<{ items: SharedAlbum[] }>(
      permissions.url,
      'GET',
      '/shared-with-me?limit=100',
      { token: jdoe },
    );
    expect(listed.status).toBe(200);
    return listed.body.items.map((entry) => entry.albumId);
  }

  it("refuses an editor's rename to 200 emoji, naming the limit, and queues nothing; 100 emoji reach Keycloak", async () => {
    const { album, resourceId, rpt } = await sharedForEditing('Edited by jdoe');

    const refused = await call<{ errors: { field: string; message: string }[] }>(
      albums.url,
      'PATCH',
      `/albums/${album.id}`,
      { token: rpt, body: { name: EMOJI_200 } },
    );
    expect(refused.status).toBe(400);
    expect(refused.body.errors.map((error) => error.field)).toEqual(['name']);
    expect(refused.body.errors[0]?.message).toContain(
      'at most 200 characters counted in UTF-16 code units',
    );
    expect(await outbox.eventsOf(album.id)).toEqual([]);
    expect(
      (await call<Album>(albums.url, 'GET', `/albums/${album.id}`, { token: alice })).body.name,
    ).toBe('Edited by jdoe');

    // The longest name in emoji that is accepted: 100 of them, 200 UTF-16 code units.
    const longest = '😀'.repeat(100);
    const renamed = await call<Album>(albums.url, 'PATCH', `/albums/${album.id}`, {
      token: rpt,
      body: { name: longest },
    });
    expect(renamed.status).toBe(200);
    await outbox.delivered(album.id);
    expect((await protection.resource(resourceId))?.displayName).toBe(longest);
  });

  it("delivers the owner's rename and delete at once past a parked update: resource, grants and the sharee's listing go", async () => {
    const { album, resourceId } = await sharedForEditing('Wedged');
    expect(await sharedWithJdoe()).toContain(album.id);
    const granted = await protection.request<unknown[]>(
      'GET',
      `/permission/ticket?resourceId=${resourceId}&granted=true`,
    );
    expect(granted.body.length).toBeGreaterThan(0);
    // The update Keycloak refused (500, a display name too long for its column) 20 times.
    const parked = await outbox.insert({
      albumId: album.id,
      operation: 'upsert',
      resource: {
        ...albumResourceDescription(
          album.id,
          album.ownerId,
          albums.app.get(UmaReconciler).deployment,
        ),
        displayName: EMOJI_200,
      },
      parkedWith: 'Keycloak update resource failed with 500 unknown_error',
    });

    const renamed = await call(albums.url, 'PATCH', `/albums/${album.id}`, {
      token: alice,
      body: { name: 'Renamed by alice' },
    });
    expect(renamed.status).toBe(200);
    await outbox.delivered(album.id, 10_000);
    expect((await protection.resource(resourceId))?.displayName).toBe('Renamed by alice');

    const deleted = await call(albums.url, 'DELETE', `/albums/${album.id}`, { token: alice });
    expect(deleted.status).toBe(204);
    await outbox.delivered(album.id, 10_000);
    expect(await protection.resourcesNamed([`album-${album.id}`])).toEqual([]);
    expect(await protection.resource(resourceId)).toBeUndefined();
    const tickets = await protection.request<unknown[]>(
      'GET',
      `/permission/ticket?resourceId=${resourceId}`,
    );
    expect(tickets.body).toEqual([]);
    expect(await sharedWithJdoe()).not.toContain(album.id);
    // The parked update was superseded, not replayed.
    expect((await outbox.eventsOf(album.id)).map((event) => event.id)).not.toContain(parked);
  });
});
