import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ISSUER } from '../scripts/dev-realm/realm.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { decodeJwt, login, accessTokens } from '../scripts/dev-realm/tokens.ts';
import { exchangeTicket, requestRpt } from '../scripts/dev-realm/rpt.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';

interface Page {
  readonly items: Album[];
  readonly nextCursor: string | null;
}

describe('albums as UMA resources', () => {
  const protection = new ProtectionApi();
  let service: RunningService;
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;
  let bob: string;
  let admin: string;

  beforeAll(async () => {
    [service, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService),
    ]);
    const tokens = await accessTokens('alice', 'jdoe', 'bob', 'admin');
    [alice = '', jdoe = '', bob = '', admin = ''] = tokens;
  });
  afterAll(async () => {
    await Promise.all([service.close(), permissions.close()]);
  });

  it("registers a new album as a Keycloak resource owned by the album's owner", async () => {
    const album = await createAlbum(service.url, alice, 'Italy 2026', 'Summer trip');
    expect(album).toMatchObject({
      name: 'Italy 2026',
      ownerUsername: 'alice',
      keycloakResourceId: null,
    });
    expect(album.ownerId).toBe(decodeJwt(alice).payload['sub']);
    const resourceId = await registeredResourceId(service.url, alice, album.id);
    const resource = await protection.resource(resourceId);
    expect(resource).toBeDefined();
    expect(resource?.owner?.id).toBe(album.ownerId);
    expect(resource?.ownerManagedAccess).toBe(true);
    expect(resource?.type).toBe('urn:photoz:album');
    expect(resource?.displayName).toBe('Italy 2026');
    expect(resource?.uris).toEqual([`/albums/${album.id}`]);
    expect(resource?.resource_scopes?.map((scope) => scope.name).sort()).toEqual([
      'album:delete',
      'album:edit',
      'album:view',
    ]);
  });

  it('lets the owner read, rename and delete, and follows the rename and delete in Keycloak', async () => {
    const album = await createAlbum(service.url, alice, 'Draft');
    const resourceId = await registeredResourceId(service.url, alice, album.id);
    expect(
      (await call(service.url, 'GET', `/albums/${album.id}`, { token: alice })).body,
    ).toMatchObject({ name: 'Draft' });

    const renamed = await call<Album>(service.url, 'PATCH', `/albums/${album.id}`, {
      token: alice,
      body: { name: 'Final', description: 'done' },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body).toMatchObject({ name: 'Final', description: 'done' });
    await expect
      .poll(async () => (await protection.resource(resourceId))?.displayName, { timeout: 10_000 })
      .toBe('Final');

    expect(
      (await call(service.url, 'DELETE', `/albums/${album.id}`, { token: alice })).status,
    ).toBe(204);
    expect((await call(service.url, 'GET', `/albums/${album.id}`, { token: alice })).status).toBe(
      404,
    );
    await expect
      .poll(async () => protection.resource(resourceId), { timeout: 10_000 })
      .toBeUndefined();
  });

  it('challenges jdoe the UMA way with a ticket Keycloak accepts, and records his request', async () => {
    const album = await createAlbum(service.url, alice, 'Family');
    await registeredResourceId(service.url, alice, album.id);
    const response = await call<{ ticket: string; as_uri: string; status: number }>(
      service.url,
      'GET',
      `/albums/${album.id}`,
      {
        token: jdoe,
      },
    );
    expect(response.status).toBe(401);
    const challenge = parseUmaChallenge(response.headers.get('www-authenticate'));
    expect(challenge.realm).toBe('photoz');
    expect(challenge.asUri).toBe(ISSUER);
    expect(response.body).toMatchObject({ status: 401, ticket: challenge.ticket, as_uri: ISSUER });

    const exchange = await exchangeTicket(challenge.ticket, { bearer: jdoe });
    expect(exchange.status).toBe(403);
    expect(exchange.body).toMatchObject({
      error: 'access_denied',
      error_description: 'request_submitted',
    });
  });

  it('reuses a ticket for the same album and scopes', async () => {
    const album = await createAlbum(service.url, alice, 'Reused');
    await registeredResourceId(service.url, alice, album.id);
    const first = await call(service.url, 'GET', `/albums/${album.id}`, { token: jdoe });
    const second = await call(service.url, 'GET', `/albums/${album.id}`, { token: bob });
    expect(parseUmaChallenge(first.headers.get('www-authenticate')).ticket).toBe(
      parseUmaChallenge(second.headers.get('www-authenticate')).ticket,
    );
  });

  it('lets an RPT with album:view read the album but not delete it, and not open another album', async () => {
    const album = await createAlbum(service.url, alice, 'Shared');
    const other = await createAlbum(service.url, alice, 'Private');
    const resourceId = await registeredResourceId(service.url, alice, album.id);
    await registeredResourceId(service.url, alice, other.id);
    const shared = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    expect(shared.status).toBe(200);

    const rpt = await requestRpt(jdoe, [`${resourceId}#album:view`]);
    expect(rpt.status).toBe(200);
    const token = rpt.body.access_token ?? '';
    expect(decodeJwt(token).payload['authorization']).toMatchObject({
      permissions: [expect.objectContaining({ rsid: resourceId, scopes: ['album:view'] })],
    });

    expect((await call(service.url, 'GET', `/albums/${album.id}`, { token })).status).toBe(200);
    const deletion = await call(service.url, 'DELETE', `/albums/${album.id}`, { token });
    expect(deletion.status).toBe(401);
    expect(deletion.headers.get('www-authenticate')).toMatch(/^UMA /);
    expect(deletion.body).toMatchObject({ scopes: ['album:delete'] });
    expect((await call(service.url, 'GET', `/albums/${album.id}`, { token: alice })).status).toBe(
      200,
    );
  });

  it('does not open another album with an RPT for one', async () => {
    const album = await createAlbum(service.url, alice, 'Shared one');
    const other = await createAlbum(service.url, alice, 'Not shared');
    const resourceId = await registeredResourceId(service.url, alice, album.id);
    await registeredResourceId(service.url, alice, other.id);
    await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    const token = (await requestRpt(jdoe, [`${resourceId}#album:view`])).body.access_token ?? '';
    expect((await call(service.url, 'GET', `/albums/${other.id}`, { token })).status).toBe(401);
  });

  it('refuses an RPT for a grant made in Keycloak directly until the owner confirms it here', async () => {
    const album = await createAlbum(service.url, alice, 'Granted behind our back');
    const resourceId = await registeredResourceId(service.url, alice, album.id);
    await protection.share(resourceId, 'jdoe', 'album:view');
    const rpt = await requestRpt(jdoe, [`${resourceId}#album:view`]);
    // Keycloak issues the RPT, but the service's record of who holds what does not have the grant.
    expect(rpt.status).toBe(200);
    const token = rpt.body.access_token ?? '';
    expect((await call(service.url, 'GET', `/albums/${album.id}`, { token })).status).toBe(401);
    const shares = await call<{ items: unknown[] }>(
      permissions.url,
      'GET',
      `/albums/${album.id}/shares`,
      { token: alice },
    );
    expect(shares.body.items).toEqual([]);

    const confirmed = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
      token: alice,
      body: { scopes: ['album:view'] },
    });
    expect(confirmed.status).toBe(200);
    expect((await call(service.url, 'GET', `/albums/${album.id}`, { token })).status).toBe(200);
  });

  it("never shows bob alice's albums", async () => {
    const album = await createAlbum(service.url, alice, 'Only mine');
    const bobsAlbum = await createAlbum(service.url, bob, "Bob's");
    const page = await call<Page>(service.url, 'GET', '/albums?limit=100', { token: bob });
    expect(page.status).toBe(200);
    expect(page.body.items.map((item) => item.id)).toContain(bobsAlbum.id);
    expect(page.body.items.map((item) => item.id)).not.toContain(album.id);
    expect(page.body.items.every((item) => item.ownerUsername === 'bob')).toBe(true);
  });

  it("pages through the caller's albums in a stable order", async () => {
    const { access_token: token } = await login('bob');
    const created: string[] = [];
    for (let index = 0; index < 5; index += 1) {
      created.push((await createAlbum(service.url, token, `Page ${index}`)).id);
    }
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response: { body: Page; status: number } = await call<Page>(
        service.url,
        'GET',
        `/albums?limit=2${cursor === null ? '' : `&cursor=${cursor}`}`,
        { token },
      );
      expect(response.status).toBe(200);
      expect(response.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...response.body.items.map((item) => item.id));
      cursor = response.body.nextCursor;
    } while (cursor !== null);
    expect(new Set(seen).size).toBe(seen.length);
    // Newest first: the five just created lead, in reverse order of creation.
    expect(seen.slice(0, 5)).toEqual([...created].reverse());
  });

  it('lists every album for admin, and refuses the admin route to others', async () => {
    const album = await createAlbum(service.url, alice, 'Audited');
    const all: Album[] = [];
    let cursor: string | null = null;
    do {
      const response: { body: Page; status: number } = await call<Page>(
        service.url,
        'GET',
        `/admin/albums?limit=100${cursor === null ? '' : `&cursor=${cursor}`}`,
        { token: admin },
      );
      expect(response.status).toBe(200);
      all.push(...response.body.items);
      cursor = response.body.nextCursor;
    } while (cursor !== null);
    expect(all.find((item) => item.id === album.id)).toMatchObject({ ownerUsername: 'alice' });
    expect(new Set(all.map((item) => item.ownerUsername)).size).toBeGreaterThan(1);
    expect((await call(service.url, 'GET', '/admin/albums', { token: alice })).status).toBe(403);
  });

  it('answers 404 for an unknown album and 400 for a malformed id or page size', async () => {
    expect(
      (
        await call(service.url, 'GET', '/albums/6f1c1c1e-0000-4000-8000-000000000000', {
          token: alice,
        })
      ).status,
    ).toBe(404);
    const malformed = await call<{ errors: { field: string }[] }>(
      service.url,
      'GET',
      '/albums/not-a-uuid',
      { token: alice },
    );
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0]?.field).toBe('id');
    expect((await call(service.url, 'GET', '/albums?limit=101', { token: alice })).status).toBe(
      400,
    );
    expect(
      (await call(service.url, 'GET', '/albums?cursor=garbage', { token: alice })).status,
    ).toBe(400);
  });

  it('refuses invalid album bodies naming the field, and stores nothing', async () => {
    const before = (await call<Page>(service.url, 'GET', '/albums?limit=100', { token: jdoe })).body
      .items.length;
    for (const [body, field] of [
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 'x'.repeat(201) }, 'name'],
      [{}, 'name'],
      [{ name: 'ok', description: 'd'.repeat(2001) }, 'description'],
      [{ name: 'ok', ownerId: 'someone-else' }, 'ownerId'],
      [{ name: 42 }, 'name'],
    ] as const) {
      const response = await call<{ errors: { field: string }[]; detail: string }>(
        service.url,
        'POST',
        '/albums',
        {
          token: jdoe,
          body,
        },
      );
      expect(response.status).toBe(400);
      expect(response.body.errors.map((error) => error.field)).toContain(field);
      expect(response.body.detail).toContain(field);
    }
    expect(
      (await call<Page>(service.url, 'GET', '/albums?limit=100', { token: jdoe })).body.items
        .length,
    ).toBe(before);
  });

  it('refuses a cursor holding a date no list can reach with the invalid-cursor 400', async () => {
    const id = '6f1c1c1e-0000-4000-8000-000000000000';
    // JavaScript's first and last dates, and one just before PostgreSQL's first (4714 BC).
    for (const createdAt of [
      '-271821-04-20T00:00:00.000Z',
      '+275760-09-13T00:00:00.000Z',
      '-004714-11-23T00:00:00.000Z',
    ]) {
      const cursor = Buffer.from(JSON.stringify({ createdAt, id })).toString('base64url');
      for (const [path, token] of [
        [`/albums?cursor=${cursor}`, alice],
        [`/admin/albums?cursor=${cursor}`, admin],
      ] as const) {
        const response = await call<{ errors: { field: string }[] }>(service.url, 'GET', path, {
          token,
        });
        expect(response.status, `${path} (${createdAt})`).toBe(400);
        expect(response.body.errors[0]?.field).toBe('cursor');
      }
    }
  });

  describe('JSON bodies', () => {
    /** `{"name":[[[…]]]}`, `levels` deep inside the object. */
    const nestedName = (levels: number) => `{"name":${'['.repeat(levels)}${']'.repeat(levels)}}`;

    async function postRaw(token: string, body: string) {
      const response = await fetch(`${service.url}/albums`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      });
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: (await response.json()) as { type?: string; detail?: string },
      };
    }

    async function jdoeAlbumCount(): Promise<number> {
      return (await call<Page>(service.url, 'GET', '/albums?limit=100', { token: jdoe })).body.items
        .length;
    }

    it('refuses a deeply nested body with a 400 problem before reading it, and stores nothing', async () => {
      const before = await jdoeAlbumCount();
      const response = await postRaw(jdoe, nestedName(3000));
      expect(response.status).toBe(400);
      expect(response.type).toContain('application/problem+json');
      expect(response.body.type).toBe('urn:photoz:problem:json-too-deep');
      expect(await jdoeAlbumCount()).toBe(before);
    });

    it('reads a body nested as deep as the limit, and judges it by its fields', async () => {
      const response = await postRaw(jdoe, nestedName(15));
      expect(response.status).toBe(400);
      expect(response.body.type).toBe('urn:photoz:problem:validation');
    });

    it('refuses a body larger than any album needs with 413', async () => {
      const before = await jdoeAlbumCount();
      const response = await postRaw(jdoe, JSON.stringify({ name: 'x'.repeat(40 * 1024) }));
      expect(response.status).toBe(413);
      expect(response.type).toContain('application/problem+json');
      expect(await jdoeAlbumCount()).toBe(before);
    });

    it('takes the largest body an album can have: every character an escaped astral one', async () => {
      const escaped = (count: number) => '\\ud83d\\ude42'.repeat(count);
      const response = await postRaw(
        jdoe,
        // The name is bounded in UTF-16 code units (200: 100 astral characters), the description
        // in characters (2000 astral ones).
        `{"name":"${escaped(100)}","description":"${escaped(2000)}"}`,
      );
      expect(response.status).toBe(201);
    });
  });
});
