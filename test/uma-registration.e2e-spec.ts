import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import type { ResourceDescription } from '@app/keycloak';
import {
  UmaOutboxRelay,
  UmaOutboxWriter,
  UmaReconciler,
  UmaResourceSync,
} from '@app/uma-resources';
import { ROOT } from '../scripts/lib/paths.ts';
import { ISSUER, KEYCLOAK_URL } from '../scripts/dev-realm/realm.ts';
import { serviceEnv, TEST_DATABASE_URL } from './setup/test-env.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { TcpProxy } from './support/tcp-proxy.ts';
import { decodeJwt, login } from '../scripts/dev-realm/tokens.ts';
import { ProtectionApi } from './support/uma.ts';
import { albumResourceDescription, OutboxTables } from './support/uma-outbox.ts';

describe('UMA resource registration when Keycloak is unreachable', () => {
  const protection = new ProtectionApi();
  const keycloak = new URL(KEYCLOAK_URL);
  const proxy = new TcpProxy('127.0.0.1', Number(keycloak.port || 80));
  let first: RunningService;
  let second: RunningService;
  let alice: string;
  let admin: string;

  beforeAll(async () => {
    const port = await proxy.listen();
    // Both instances reach Keycloak only through the proxy, and both run an outbox relay.
    const env = {
      KEYCLOAK_URL: `http://127.0.0.1:${port}`,
      KEYCLOAK_ISSUER: ISSUER,
      UMA_RELAY_POLL_INTERVAL_MS: '100',
    };
    first = await startService(albumService, env);
    second = await startService(albumService, env);
    alice = (await login('alice')).access_token;
    admin = (await login('admin')).access_token;
  });
  afterAll(async () => {
    await Promise.all([first.close(), second.close()]);
    await proxy.close();
  });

  it('keeps serving owners while Keycloak is down, then registers every album exactly once', async () => {
    proxy.cut();
    const albums: Album[] = [];
    for (let index = 0; index < 6; index += 1) {
      const service = index % 2 === 0 ? first : second;
      albums.push(await createAlbum(service.url, alice, `Offline ${index}`));
    }
    for (const album of albums) {
      const read = await call<Album>(second.url, 'GET', `/albums/${album.id}`, { token: alice });
      expect(read.status).toBe(200);
      expect(read.body.keycloakResourceId).toBeNull();
    }
    const backlog = await call<{ pending: number; parked: number }>(
      first.url,
      'GET',
      '/admin/uma/outbox',
      {
        token: admin,
      },
    );
    expect(backlog.status).toBe(200);
    expect(backlog.body.pending).toBeGreaterThanOrEqual(albums.length);

    // Let the relays fail a few times against the unreachable Keycloak.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    proxy.restore();

    const resourceIds = await Promise.all(
      albums.map((album) => registeredResourceId(first.url, alice, album.id, 60_000)),
    );
    const registered = await protection.resourcesNamed(albums.map((album) => `album-${album.id}`));
    expect(registered).toHaveLength(albums.length);
    expect(new Set(registered.map((resource) => resource._id))).toEqual(new Set(resourceIds));
    const aliceId = decodeJwt(alice).payload['sub'];
    expect(registered.every((resource) => resource.owner?.id === aliceId)).toBe(true);
    const after = await call<{ pending: number; parked: number }>(
      first.url,
      'GET',
      '/admin/uma/outbox',
      { token: admin },
    );
    expect(after.body.parked).toBe(0);
  });

  it('does not create duplicates when two relays drain the same backlog at once', async () => {
    proxy.cut();
    const albums: Album[] = [];
    for (let index = 0; index < 8; index += 1) {
      albums.push(await createAlbum(first.url, alice, `Race ${index}`));
    }
    proxy.restore();
    // Both instances' relays and two explicit drains compete for the same events.
    await Promise.all([
      first.app.get(UmaOutboxRelay).drain(),
      second.app.get(UmaOutboxRelay).drain(),
    ]);
    await Promise.all(
      albums.map((album) => registeredResourceId(first.url, alice, album.id, 60_000)),
    );
    const registered = await protection.resourcesNamed(albums.map((album) => `album-${album.id}`));
    expect(registered).toHaveLength(albums.length);
  });
});

describe('reconciliation with Keycloak', () => {
  const protection = new ProtectionApi();
  const outbox = new OutboxTables();
  let service: RunningService;
  let alice: string;

  beforeAll(async () => {
    service = await startService(albumService);
    alice = (await login('alice')).access_token;
    await outbox.connect();
  });
  afterAll(async () => {
    await outbox.end();
    await service.close();
  });

  it('keeps the resource of an album the relay registers while it runs', async () => {
    let created: { album: Album; resourceId: string } | undefined;
    const report = await service.app.get(UmaReconciler).reconcile('album', {
      dryRun: false,
      // Between the reconciler's first listing and the next, an album is created and registered.
      afterListing: async () => {
        if (created === undefined) {
          const album = await createAlbum(service.url, alice, 'Created during reconciliation');
          created = { album, resourceId: await registeredResourceId(service.url, alice, album.id) };
        }
      },
    });
    expect(created).toBeDefined();
    expect(report.findings).not.toContainEqual(
      expect.objectContaining({ kind: 'orphaned', resourceId: created?.resourceId }),
    );
    expect(await protection.resource(created?.resourceId ?? '')).toBeDefined();
  });

  it('does not register again an album deleted while it runs', async () => {
    const album = await createAlbum(service.url, alice, 'Deleted during reconciliation');
    expect(
      await protection.deleteResource(await registeredResourceId(service.url, alice, album.id)),
    ).toBe(204);
    let listings = 0;
    let deleted: number | undefined;
    await service.app.get(UmaReconciler).reconcile('album', {
      dryRun: false,
      // After the last listing, when the album is known as missing, its owner deletes it.
      afterListing: async () => {
        listings += 1;
        if (listings === 3) {
          deleted = (await call(service.url, 'DELETE', `/albums/${album.id}`, { token: alice }))
            .status;
          await outbox.delivered(album.id);
        }
      },
    });
    expect(deleted).toBe(204);
    expect(await protection.resourcesNamed([`album-${album.id}`])).toEqual([]);
  });

  it('re-registers an album whose resource was deleted behind its back, and removes an orphan', async () => {
    const album = await createAlbum(service.url, alice, 'Reconciled');
    const resourceId = await registeredResourceId(service.url, alice, album.id);
    expect(await protection.deleteResource(resourceId)).toBe(204);
    const reconciler = service.app.get(UmaReconciler);

    const dryRun = await reconciler.reconcile('album', { dryRun: true });
    expect(dryRun.findings).toContainEqual(
      expect.objectContaining({ kind: 'missing', entityId: album.id, action: undefined }),
    );
    expect(await protection.resourcesNamed([`album-${album.id}`])).toHaveLength(0);

    const orphan = await protection.createResource({
      name: `album-00000000-0000-4000-8000-${Date.now().toString().padStart(12, '0').slice(-12)}`,
      type: 'urn:photoz:album',
      ownerManagedAccess: true,
      resource_scopes: ['album:view'],
      attributes: { deployment: [service.app.get(UmaReconciler).deployment] },
    });

    const report = await reconciler.reconcile('album', { dryRun: false });
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'missing', entityId: album.id }),
    );
    expect(report.findings).toContainEqual(
      expect.objectContaining({ kind: 'orphaned', resourceId: orphan._id, action: 'deleted' }),
    );
    const [recreated] = await protection.resourcesNamed([`album-${album.id}`]);
    expect(recreated?.owner?.id).toBe(album.ownerId);
    expect(await protection.resource(orphan._id)).toBeUndefined();
    const read = await call<Album>(service.url, 'GET', `/albums/${album.id}`, { token: alice });
    expect(read.body.keycloakResourceId).toBe(recreated?._id);

    const again = await reconciler.reconcile('album', { dryRun: false });
    expect(again.findings.filter((finding) => finding.entityId === album.id)).toEqual([]);
  });

  it('repairs many albums in one run: gone, drifted and unlinked resources', async () => {
    const albums = await Promise.all(
      Array.from({ length: 12 }, (_, index) => createAlbum(service.url, alice, `Batch ${index}`)),
    );
    const resourceIds = await Promise.all(
      albums.map((album) => registeredResourceId(service.url, alice, album.id)),
    );
    const gone = albums.slice(0, 4);
    const drifted = albums.slice(4, 8);
    const unlinked = albums.slice(8);
    const deleted = await Promise.all(
      resourceIds.slice(0, 4).map((resourceId) => protection.deleteResource(resourceId)),
    );
    const renamed = await Promise.all(
      resourceIds.slice(4, 8).map(async (resourceId) => {
        const current = await protection.resource(resourceId);
        const answer = await protection.request('PUT', `/resource_set/${resourceId}`, {
          ...current,
          displayName: 'Renamed behind its back',
        });
        return answer.status;
      }),
    );
    expect([...deleted, ...renamed]).toEqual(Array.from({ length: 8 }, () => 204));
    // One client of the tables' helper: one query at a time.
    for (const album of unlinked) {
      await outbox.removeLink(album.id);
    }

    const report = await service.app
      .get(UmaReconciler)
      .reconcile('album', { dryRun: false, concurrency: 4 });
    const mine = report.findings.filter((finding) =>
      albums.some((album) => album.id === finding.entityId),
    );
    expect(mine.map((finding) => `${finding.kind} ${finding.entityId ?? ''}`).sort()).toEqual(
      [
        ...gone.map((album) => `missing ${album.id}`),
        ...drifted.map((album) => `drifted ${album.id}`),
      ].sort(),
    );
    for (const album of albums) {
      const [registered, ...more] = await protection.resourcesNamed([`album-${album.id}`]);
      expect(more).toEqual([]);
      expect({ displayName: registered?.displayName, owner: registered?.owner?.id }).toEqual({
        displayName: album.name,
        owner: album.ownerId,
      });
      expect(await outbox.linkOf(album.id)).toBe(registered?._id);
    }
    const again = await service.app.get(UmaReconciler).reconcile('album', { dryRun: false });
    expect(
      again.findings.filter((finding) => albums.some((album) => album.id === finding.entityId)),
    ).toEqual([]);
  });

  /** The command as a user runs it, against the test database and Keycloak. */
  function reconcile(...args: string[]): { status: number | null; output: string } {
    const result = spawnSync('npm', ['run', '--silent', 'uma:reconcile', '--', ...args], {
      cwd: ROOT,
      env: { ...process.env, ...serviceEnv() },
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it('reports what is missing on a dry run, then repairs it', async () => {
    const album = await createAlbum(service.url, alice, 'Reconciled by the command');
    const resourceId = await registeredResourceId(service.url, alice, album.id);
    expect(await protection.deleteResource(resourceId)).toBe(204);

    const dryRun = reconcile('--dry-run');
    expect(dryRun.status).toBe(0);
    expect(dryRun.output).toContain('(dry run: nothing changed)');
    expect(dryRun.output).toMatch(new RegExp(`missing +album ${album.id} .*linked resource`));
    expect(await protection.resourcesNamed([`album-${album.id}`])).toHaveLength(0);

    const repair = reconcile();
    expect(repair.status).toBe(0);
    expect(repair.output).toMatch(new RegExp(`missing +album ${album.id} .*-> created`));
    const [recreated] = await protection.resourcesNamed([`album-${album.id}`]);
    expect(recreated?.owner?.id).toBe(album.ownerId);
  });

  it('refuses an unknown argument', () => {
    const result = reconcile('--everything');
    expect(result.status).toBe(2);
    expect(result.output).toContain('Usage: npm run uma:reconcile -- [--dry-run]');
  });
});

describe('poison outbox events', () => {
  let service: RunningService;
  let admin: string;
  let db: pg.Client;

  beforeAll(async () => {
    // The relay runs only when the test drains it, so every attempt is counted here.
    service = await startService(albumService, { UMA_RELAY_ENABLED: 'false' });
    admin = (await login('admin')).access_token;
    db = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await db.connect();
  });
  afterAll(async () => {
    await db.end();
    await service.close();
  });

  it('parks an event Keycloak keeps refusing, shows it, and puts it back in line on request', async () => {
    // An event Keycloak fails for good: a resource whose owner is no user of the realm (as when
    // the owner was deleted meanwhile). Keycloak answers 500, so the relay tries 20 times.
    const entityId = '00000000-0000-4000-8000-00000000dead';
    const {
      rows: [inserted],
    } = await db.query<{ id: string }>(
      `INSERT INTO album_service.uma_outbox (entity_type, entity_id, operation, resource)
       VALUES ('album', $1, 'upsert', $2) RETURNING id`,
      [
        entityId,
        JSON.stringify({
          name: `album-${entityId}`,
          displayName: 'Poison',
          type: 'urn:photoz:album',
          ownerId: 'no-such-user',
          uris: [`/albums/${entityId}`],
          scopes: ['album:view'],
          attributes: {},
        }),
      ],
    );
    const relay = service.app.get(UmaOutboxRelay);
    for (let attempt = 0; attempt < 20; attempt += 1) {
      // Skip the backoff: the next attempt is due now.
      await db.query('UPDATE album_service.uma_outbox SET next_attempt_at = now() WHERE id = $1', [
        inserted?.id,
      ]);
      await relay.drain();
    }
    const status = await call<{
      parked: number;
      parkedEvents: { id: string; attempts: number; lastError: string | null }[];
    }>(service.url, 'GET', '/admin/uma/outbox', { token: admin });
    const parked = status.body.parkedEvents.find((event) => event.id === inserted?.id);
    expect(parked).toMatchObject({ attempts: 20 });
    expect(parked?.lastError).toMatch(/create resource: HTTP 500/);
    // Parked events are not retried.
    expect(await relay.drain()).toBe(0);

    const retry = await call(service.url, 'POST', `/admin/uma/outbox/${inserted?.id}/retry`, {
      token: admin,
    });
    expect(retry.status).toBe(204);
    const {
      rows: [row],
    } = await db.query<{ status: string; attempts: number }>(
      'SELECT status, attempts FROM album_service.uma_outbox WHERE id = $1',
      [inserted?.id],
    );
    expect(row).toEqual({ status: 'pending', attempts: 0 });
    await db.query('DELETE FROM album_service.uma_outbox WHERE id = $1', [inserted?.id]);
    expect(
      (await call(service.url, 'POST', '/admin/uma/outbox/999999999/retry', { token: admin }))
        .status,
    ).toBe(404);
  });
});

interface OutboxStatus {
  readonly pending: number;
  readonly due: number;
  readonly blocked: number;
  readonly parked: number;
  readonly parkedEvents: { id: string; blocking: number; lastError: string | null }[];
}

/** Resources that make Keycloak refuse an album's registration; removed even when a test fails. */
const squatters = new Set<string>();
afterAll(async () => {
  const protection = new ProtectionApi();
  for (const id of squatters) {
    await protection.deleteResource(id);
  }
});

/**
 * An album whose registration Keycloak refuses until the test lets it through: a resource of
 * another type holds the album's name for its owner, so the create answers 409 and there is no
 * album resource to adopt. The relay (drained by the test) parks the event after 5 refusals.
 */
async function albumWithParkedCreate(
  context: { service: RunningService; outbox: OutboxTables; token: string },
  name: string,
): Promise<{ album: Album; eventId: string; removeCause: () => Promise<void> }> {
  const protection = new ProtectionApi();
  const album = await createAlbum(context.service.url, context.token, name);
  const squatter = await protection.createResource({
    name: `album-${album.id}`,
    type: 'urn:photoz:squatter',
    owner: album.ownerId,
    ownerManagedAccess: true,
    resource_scopes: ['album:view'],
  });
  squatters.add(squatter._id);
  const relay = context.service.app.get(UmaOutboxRelay);
  for (let attempt = 0; attempt < 5; attempt += 1) {
    await context.outbox.makeDue(album.id);
    await relay.drain();
  }
  const [event] = await context.outbox.eventsOf(album.id);
  expect(event).toMatchObject({ operation: 'upsert', status: 'parked', attempts: 5 });
  expect(event?.lastError).toMatch(/409/);
  return {
    album,
    eventId: event?.id ?? '',
    removeCause: async () => {
      expect(await protection.deleteResource(squatter._id)).toBe(204);
      squatters.delete(squatter._id);
    },
  };
}

describe('outbox order when an event is parked', () => {
  const protection = new ProtectionApi();
  const outbox = new OutboxTables();
  let service: RunningService;
  let relay: UmaOutboxRelay;
  let alice: string;
  let admin: string;

  beforeAll(async () => {
    // The relay runs only when the test drains it.
    service = await startService(albumService, { UMA_RELAY_ENABLED: 'false' });
    relay = service.app.get(UmaOutboxRelay);
    alice = (await login('alice')).access_token;
    admin = (await login('admin')).access_token;
    await outbox.connect();
  });
  afterAll(async () => {
    await outbox.end();
    await service.close();
  });

  const context = () => ({ service, outbox, token: alice });

  /** An entity (as if its id were reused) whose delete Keycloak refused, and an upsert after it. */
  async function parkedDeleteThenUpsert(): Promise<{ entityId: string; deleteId: string }> {
    const entityId = randomUUID();
    const resource = albumResourceDescription(
      entityId,
      String(decodeJwt(alice).payload['sub']),
      service.app.get(UmaReconciler).deployment,
    );
    const deleteId = await outbox.insert({
      albumId: entityId,
      operation: 'delete',
      resource,
      parkedWith: 'Keycloak delete resource failed with 403 (written by the test)',
    });
    await outbox.insert({ albumId: entityId, operation: 'upsert', resource });
    return { entityId, deleteId };
  }

  it("holds back an entity's later events behind its parked delete", async () => {
    const { entityId, deleteId } = await parkedDeleteThenUpsert();
    await relay.drain();
    expect(await outbox.eventsOf(entityId)).toMatchObject([
      { id: deleteId, operation: 'delete', status: 'parked' },
      { operation: 'upsert', status: 'pending', attempts: 0 },
    ]);
    expect(await protection.resourcesNamed([`album-${entityId}`])).toEqual([]);
    await outbox.clear(entityId);
  });

  it('reports how many events a parked delete holds back, and none for a parked create', async () => {
    const { entityId, deleteId } = await parkedDeleteThenUpsert();
    const { album, eventId, removeCause } = await albumWithParkedCreate(context(), 'Reported');
    expect(
      (await call(service.url, 'DELETE', `/albums/${album.id}`, { token: alice })).status,
    ).toBe(204);
    const status = await call<OutboxStatus>(service.url, 'GET', '/admin/uma/outbox', {
      token: admin,
    });
    const parkedDelete = status.body.parkedEvents.find((event) => event.id === deleteId);
    expect(parkedDelete?.blocking).toBe(1);
    expect(parkedDelete?.lastError).toMatch(/403/);
    const parkedCreate = status.body.parkedEvents.find((event) => event.id === eventId);
    expect(parkedCreate?.blocking).toBe(0);
    expect(parkedCreate?.lastError).toMatch(/409/);
    expect(status.body.blocked).toBeGreaterThanOrEqual(1);
    await outbox.clear(entityId);
    await relay.drain();
    await removeCause();
  });

  it('drops a parked create once its album was deleted, so a retry brings no resource back', async () => {
    const { album, eventId, removeCause } = await albumWithParkedCreate(context(), 'Deleted');
    expect(
      (await call(service.url, 'DELETE', `/albums/${album.id}`, { token: alice })).status,
    ).toBe(204);
    await relay.drain();
    expect(await outbox.eventsOf(album.id)).toEqual([]);
    // Keycloak would now accept the parked create.
    await removeCause();
    const retry = await call(service.url, 'POST', `/admin/uma/outbox/${eventId}/retry`, {
      token: admin,
    });
    expect(retry.status).toBe(404);
    await relay.drain();
    expect(await protection.resourcesNamed([`album-${album.id}`])).toEqual([]);
  });

  it('delivers a retried event that nothing superseded', async () => {
    const { album, eventId, removeCause } = await albumWithParkedCreate(context(), 'Retried');
    await removeCause();
    const retry = await call(service.url, 'POST', `/admin/uma/outbox/${eventId}/retry`, {
      token: admin,
    });
    expect(retry.status).toBe(204);
    await relay.drain();
    const [registered] = await protection.resourcesNamed([`album-${album.id}`]);
    expect(registered?.owner?.id).toBe(album.ownerId);
    expect(await outbox.linkOf(album.id)).toBe(registered?._id);
  });

  it('drops a retried delete that a later upsert of its entity supersedes', async () => {
    // An entity whose delete was parked and which exists again (ids reused): its upsert is newest.
    const { entityId, deleteId } = await parkedDeleteThenUpsert();
    await relay.drain();
    const retry = await call(service.url, 'POST', `/admin/uma/outbox/${deleteId}/retry`, {
      token: admin,
    });
    expect(retry.status).toBe(204);
    await relay.drain();
    const [registered] = await protection.resourcesNamed([`album-${entityId}`]);
    expect(registered).toBeDefined();
    expect(await outbox.linkOf(entityId)).toBe(registered?._id);
    await protection.deleteResource(registered?._id ?? '');
    await outbox.removeLink(entityId);
  });
});

describe('repair on request', () => {
  const protection = new ProtectionApi();
  const outbox = new OutboxTables();
  let service: RunningService;
  let relay: UmaOutboxRelay;
  let writer: UmaOutboxWriter;
  let alice: string;

  beforeAll(async () => {
    // The relay runs only when the test drains it, so the test sees what a repair enqueues.
    service = await startService(albumService, { UMA_RELAY_ENABLED: 'false' });
    relay = service.app.get(UmaOutboxRelay);
    writer = service.app.get(UmaOutboxWriter);
    alice = (await login('alice')).access_token;
    await outbox.connect();
  });
  afterAll(async () => {
    await outbox.end();
    await service.close();
  });

  async function registeredAlbum(name: string): Promise<{ album: Album; resourceId: string }> {
    const album = await createAlbum(service.url, alice, name);
    await relay.drain();
    return { album, resourceId: await registeredResourceId(service.url, alice, album.id) };
  }

  it('enqueues one upsert for a flood of requests', async () => {
    const { album, resourceId } = await registeredAlbum('Flooded');
    expect(await protection.deleteResource(resourceId)).toBe(204);
    await Promise.all(Array.from({ length: 20 }, () => writer.requestRepair('album', album.id)));
    await writer.requestRepair('album', album.id);
    expect(await outbox.eventsOf(album.id)).toMatchObject([
      { operation: 'upsert', status: 'pending' },
    ]);
  });

  it('forgets the stale resource until the relay registers a new one', async () => {
    const { album, resourceId } = await registeredAlbum('Forgotten');
    expect(await protection.deleteResource(resourceId)).toBe(204);
    await writer.requestRepair('album', album.id);
    expect(await outbox.linkOf(album.id)).toBeUndefined();
    await relay.drain();
    const [registered] = await protection.resourcesNamed([`album-${album.id}`]);
    expect(registered?._id).not.toBe(resourceId);
    expect(await outbox.linkOf(album.id)).toBe(registered?._id);
  });

  it('does nothing for an album that does not exist', async () => {
    const albumId = randomUUID();
    await writer.requestRepair('album', albumId);
    expect(await outbox.eventsOf(albumId)).toEqual([]);
  });

  it("replaces the album's parked event with its current state", async () => {
    const { album, removeCause } = await albumWithParkedCreate(
      { service, outbox, token: alice },
      'Parked, then repaired',
    );
    await writer.requestRepair('album', album.id);
    expect(await outbox.eventsOf(album.id)).toMatchObject([
      { operation: 'upsert', status: 'pending', attempts: 0 },
    ]);
    await removeCause();
    await relay.drain();
    const [registered] = await protection.resourcesNamed([`album-${album.id}`]);
    expect(registered?.owner?.id).toBe(album.ownerId);
    expect(await outbox.linkOf(album.id)).toBe(registered?._id);
  });
});

describe('repair on request, with a running relay', () => {
  const protection = new ProtectionApi();
  let service: RunningService;
  let alice: string;

  beforeAll(async () => {
    // The relay polls once a minute: only the repair's wake-up can make it act within the test.
    service = await startService(albumService, { UMA_RELAY_POLL_INTERVAL_MS: '60000' });
    alice = (await login('alice')).access_token;
  });
  afterAll(async () => {
    await service.close();
  });

  it('re-registers, for its owner, an album whose resource was deleted behind its back', async () => {
    const album = await createAlbum(service.url, alice, 'Repaired');
    const staleId = await registeredResourceId(service.url, alice, album.id);
    expect(await protection.deleteResource(staleId)).toBe(204);

    await service.app.get(UmaOutboxWriter).requestRepair('album', album.id);

    const deadline = Date.now() + 15_000;
    let current = staleId;
    while (current === staleId && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      const read = await call<Album>(service.url, 'GET', `/albums/${album.id}`, { token: alice });
      current = read.body.keycloakResourceId ?? staleId;
    }
    expect(current).not.toBe(staleId);
    const registered = await protection.resource(current);
    expect(registered?.name).toBe(`album-${album.id}`);
    expect(registered?.owner?.id).toBe(album.ownerId);
  });
});

/** One delivery to Keycloak as the relay's `UmaResourceSync` saw it. */
interface Delivered {
  readonly instance: string;
  readonly name: string;
  readonly displayName: string;
  readonly operation: 'upsert' | 'delete';
  readonly started: number;
  ended: number | undefined;
}

/**
 * Makes an instance's relay write each delivery down in `journal` (a logical clock, shared by the
 * instances of this process), after a random wait of up to `jitterMs` that widens every window in
 * which a delivery could overtake another.
 */
function recordDeliveries(
  instance: string,
  service: RunningService,
  journal: Delivered[],
  clock: { now: number },
  jitterMs: number,
): void {
  const sync = service.app.get(UmaResourceSync);
  const upsert = sync.upsert.bind(sync);
  const remove = sync.remove.bind(sync);
  const record = async <T>(
    operation: 'upsert' | 'delete',
    desired: ResourceDescription,
    deliver: () => Promise<T>,
  ): Promise<T> => {
    const entry: Delivered = {
      instance,
      name: desired.name,
      displayName: desired.displayName,
      operation,
      started: clock.now++,
      ended: undefined,
    };
    journal.push(entry);
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.random() * jitterMs));
      return await deliver();
    } finally {
      entry.ended = clock.now++;
    }
  };
  sync.upsert = (desired, knownId) => record('upsert', desired, () => upsert(desired, knownId));
  sync.remove = (desired, knownId) => record('delete', desired, () => remove(desired, knownId));
}

describe('relays with several workers on two instances', () => {
  const protection = new ProtectionApi();
  const outbox = new OutboxTables();
  const journal: Delivered[] = [];
  const clock = { now: 0 };
  let first: RunningService;
  let second: RunningService;
  let alice: string;

  beforeAll(async () => {
    const env = {
      UMA_RELAY_WORKERS: '4',
      UMA_RELAY_BATCH_SIZE: '3',
      UMA_RELAY_POLL_INTERVAL_MS: '50',
    };
    [first, second] = await Promise.all([
      startService(albumService, env),
      startService(albumService, env),
    ]);
    recordDeliveries('first', first, journal, clock, 15);
    recordDeliveries('second', second, journal, clock, 15);
    alice = (await login('alice')).access_token;
    await outbox.connect();
  });
  afterAll(async () => {
    await outbox.end();
    await Promise.all([first.close(), second.close()]);
  });

  it("delivers each album's create, renames and delete in order, never two of them at once", async () => {
    // Every album's changes go alternately through both instances, each change right after the
    // one before, while the other albums change at the same time.
    const albums = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        const via = (step: number) => ((index + step) % 2 === 0 ? first : second).url;
        const album = await createAlbum(via(0), alice, `Ordered ${index} v0`);
        for (const step of [1, 2]) {
          const renamed = await call(via(step), 'PATCH', `/albums/${album.id}`, {
            token: alice,
            body: { name: `Ordered ${index} v${step}` },
          });
          expect(renamed.status).toBe(200);
        }
        const deleted = index % 2 === 0;
        const deletion = deleted
          ? (await call(via(3), 'DELETE', `/albums/${album.id}`, { token: alice })).status
          : undefined;
        return { album, index, deleted, deletion };
      }),
    );
    expect(albums.filter(({ deleted }) => deleted).map(({ deletion }) => deletion)).toEqual(
      Array.from({ length: 6 }, () => 204),
    );
    await Promise.all(albums.map(({ album }) => outbox.delivered(album.id, 60_000)));

    for (const { album, index, deleted } of albums) {
      const own = journal.filter((entry) => entry.name === `album-${album.id}`);
      const upserts = [0, 1, 2].map((step) => `upsert Ordered ${index} v${step}`);
      expect(own.map((entry) => `${entry.operation} ${entry.displayName}`)).toEqual(
        deleted ? [...upserts, `delete Ordered ${index} v2`] : upserts,
      );
      // Each delivery of the album started after the one before had ended.
      const overtaking = own.filter(
        (entry, position) => position > 0 && entry.started < (own[position - 1]?.ended ?? Infinity),
      );
      expect(overtaking).toEqual([]);
      const registered = await protection.resourcesNamed([`album-${album.id}`]);
      const link = await outbox.linkOf(album.id);
      expect({
        resources: registered.map((resource) => ({
          displayName: resource.displayName,
          owner: resource.owner?.id,
          linked: resource._id === link,
        })),
        link: link === undefined ? 'none' : 'some',
      }).toEqual(
        deleted
          ? { resources: [], link: 'none' }
          : {
              resources: [
                { displayName: `Ordered ${index} v2`, owner: album.ownerId, linked: true },
              ],
              link: 'some',
            },
      );
    }
    // The relays did run concurrently: both instances delivered, and deliveries overlapped.
    expect(new Set(journal.map((entry) => entry.instance))).toEqual(new Set(['first', 'second']));
    const overlapping = journal.some((entry) =>
      journal.some(
        (other) =>
          other !== entry && other.started > entry.started && other.started < (entry.ended ?? 0),
      ),
    );
    expect(overlapping).toBe(true);
  });
});

describe('a relay whose workers all wait on Keycloak', () => {
  const outbox = new OutboxTables();
  let service: RunningService;
  let alice: string;
  const gate = { waiting: 0, release: (): void => undefined };

  beforeAll(async () => {
    // Two connections for requests; each of the three workers holds one more while it delivers.
    service = await startService(albumService, {
      DATABASE_POOL_SIZE: '2',
      UMA_RELAY_WORKERS: '3',
      UMA_RELAY_BATCH_SIZE: '1',
      UMA_RELAY_POLL_INTERVAL_MS: '50',
    });
    const sync = service.app.get(UmaResourceSync);
    const upsert = sync.upsert.bind(sync);
    const opened = new Promise<void>((resolve) => (gate.release = resolve));
    sync.upsert = async (desired, knownId) => {
      gate.waiting += 1;
      await opened;
      return upsert(desired, knownId);
    };
    alice = (await login('alice')).access_token;
    await outbox.connect();
  });
  afterAll(async () => {
    gate.release();
    await outbox.end();
    await service.close();
  });

  it('keeps serving requests with the connections the relay does not hold', async () => {
    const albums: Album[] = [];
    for (let index = 0; index < 3; index += 1) {
      albums.push(await createAlbum(service.url, alice, `Waiting ${index}`));
    }
    const deadline = Date.now() + 10_000;
    while (gate.waiting < 3 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // Each worker now holds a connection in the transaction of its claim.
    expect(gate.waiting).toBe(3);

    const started = Date.now();
    const reads = await Promise.all(
      albums.flatMap((album) =>
        [1, 2, 3].map(() => call(service.url, 'GET', `/albums/${album.id}`, { token: alice })),
      ),
    );
    const created = await createAlbum(service.url, alice, 'Created while the relay waits');
    expect(reads.map((read) => read.status)).toEqual(reads.map(() => 200));
    // Far below the pool's 5 s wait for a free connection.
    expect(Date.now() - started).toBeLessThan(3_000);

    gate.release();
    await Promise.all([...albums, created].map((album) => outbox.delivered(album.id, 30_000)));
  });
});
