import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { PendingRequestImport } from '../apps/permission-service/src/permission-requests/pending-request.import.ts';
import { RequestExpiry } from '../apps/permission-service/src/permission-requests/request-expiry.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ISSUER, KEYCLOAK_URL } from '../scripts/dev-realm/realm.ts';
import { accessTokens } from '../scripts/dev-realm/tokens.ts';
import { type Album, createAlbum, registeredResourceId } from './support/albums.ts';
import { HttpFaultProxy } from './support/http-fault-proxy.ts';
import {
  call,
  type HttpResult,
  type RunningService,
  startService,
} from './support/service-harness.ts';
import { parseUmaChallenge, ProtectionApi } from './support/uma.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

interface PermissionRequest {
  readonly id: string;
  readonly albumId: string;
  readonly requester: { id: string; username: string; partner: boolean };
  readonly status: 'pending' | 'granted';
  readonly pendingScopes: string[];
  readonly message: string | null;
  readonly expiresAt: string | null;
}
interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}
interface Problem {
  readonly type: string;
  readonly detail: string;
  readonly errors?: { field: string; message: string }[];
  readonly askAgainAt?: string;
}
interface Ticket {
  readonly id: string;
  readonly scopeName?: string;
  readonly granted: boolean;
}

/** How long a lapse, a sweep or an interval may take to show, polled every 200 ms. */
const POLL = { timeout: 30_000, interval: 200 };
/** The short request lifetime and re-ask interval of the services that test them, in seconds. */
const SHORT_TTL = 2;
const SHORT_REASK = 3;
/** A sweep that runs once at start and then, as far as a test can tell, never. */
const NO_SWEEP = { PERMISSION_REQUEST_SWEEP_INTERVAL_MS: '3600000' };

/**
 * Permission requests under conditions, on the real Keycloak and PostgreSQL: a message for the
 * owner, an expiry after which the request leaves the lists and its Keycloak tickets are deleted,
 * and an interval before a denied requester may ask for the same album again.
 */
describe('requests with a message, an expiry and an interval before asking again', () => {
  const protection = new ProtectionApi();
  const db = new pg.Client({ connectionString: TEST_DATABASE_URL });
  let albums: RunningService;
  /** The defaults: requests last 14 days, a denial holds for a day. */
  let permissions: RunningService;
  let alice: string;
  let jdoe: string;
  let bob: string;

  beforeAll(async () => {
    await db.connect();
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService),
    ]);
    [alice = '', jdoe = '', bob = ''] = await accessTokens('alice', 'jdoe', 'bob');
  });
  afterAll(async () => {
    await Promise.all([albums.close(), permissions.close()]);
    await db.end();
  });

  async function registeredAlbum(name: string): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    return { ...album, resourceId: await registeredResourceId(albums.url, alice, album.id) };
  }

  function ask(
    token: string,
    body: unknown,
    service: RunningService = permissions,
  ): Promise<HttpResult<PermissionRequest & Problem>> {
    return call<PermissionRequest & Problem>(service.url, 'POST', '/permission-requests', {
      token,
      body,
    });
  }

  async function list(
    token: string,
    which: 'incoming' | 'outgoing',
    service: RunningService = permissions,
  ): Promise<PermissionRequest[]> {
    const response = await call<Page<PermissionRequest>>(
      service.url,
      'GET',
      `/permission-requests/${which}?limit=100`,
      { token },
    );
    expect(response.status).toBe(200);
    return response.body.items;
  }

  /** The album's pending request in the list, if listed. */
  async function listed(
    token: string,
    which: 'incoming' | 'outgoing',
    albumId: string,
    service: RunningService = permissions,
  ): Promise<PermissionRequest | undefined> {
    return (await list(token, which, service)).find(
      (request) => request.albumId === albumId && request.status === 'pending',
    );
  }

  /** The tickets Keycloak holds on the resource (of every requester). */
  async function tickets(resourceId: string): Promise<Ticket[]> {
    const { body } = await protection.request<Ticket[]>(
      'GET',
      `/permission/ticket?resourceId=${resourceId}&returnNames=true`,
    );
    return body;
  }

  async function pendingTickets(resourceId: string): Promise<Ticket[]> {
    return (await tickets(resourceId)).filter((ticket) => !ticket.granted);
  }

  /** The row the service keeps of the request on the resource, if any. */
  async function pendingRow(
    resourceId: string,
  ): Promise<{ requested_at: Date; expiry_failed_at: Date | null } | undefined> {
    const { rows } = await db.query<{ requested_at: Date; expiry_failed_at: Date | null }>(
      `SELECT requested_at, expiry_failed_at FROM permission_service.pending_requests
        WHERE resource_id = $1`,
      [resourceId],
    );
    return rows[0];
  }

  async function auditActions(albumId: string): Promise<{ action: string; actor: string }[]> {
    const response = await call<Page<{ action: string; actor: string }>>(
      permissions.url,
      'GET',
      `/albums/${albumId}/audit?limit=100`,
      { token: alice },
    );
    expect(response.status).toBe(200);
    return response.body.items;
  }

  describe('a message', () => {
    let album: Album & { resourceId: string };

    beforeAll(async () => {
      album = await registeredAlbum('Asked for with a message');
    });

    it('is shown to the owner in the inbox and to the requester in the outbox', async () => {
      const asked = await ask(jdoe, {
        albumId: album.id,
        scopes: ['album:view'],
        message: '  Hi Alice,\r\nmay I see the wedding photos? 🙂  ',
      });
      expect(asked.status).toBe(202);
      expect(asked.body.message).toBe('Hi Alice,\nmay I see the wedding photos? 🙂');

      const inbox = await listed(alice, 'incoming', album.id);
      expect(inbox?.requester.username).toBe('jdoe');
      expect(inbox?.message).toBe('Hi Alice,\nmay I see the wedding photos? 🙂');
      expect((await listed(jdoe, 'outgoing', album.id))?.message).toBe(
        'Hi Alice,\nmay I see the wedding photos? 🙂',
      );
    });

    it('is replaced by a repeat that carries one, and kept by one that does not', async () => {
      const replaced = await ask(jdoe, {
        albumId: album.id,
        scopes: ['album:view'],
        message: 'Hi Alice, it is for the slideshow.',
      });
      expect(replaced.status).toBe(202);
      expect(replaced.body.message).toBe('Hi Alice, it is for the slideshow.');
      const kept = await ask(jdoe, { albumId: album.id, scopes: ['album:view', 'album:edit'] });
      expect(kept.status).toBe(202);
      expect(kept.body.message).toBe('Hi Alice, it is for the slideshow.');
      expect((await listed(alice, 'incoming', album.id))?.message).toBe(
        'Hi Alice, it is for the slideshow.',
      );
      // One request: Keycloak holds one pending ticket per scope.
      expect(
        (await pendingTickets(album.resourceId))
          .map((ticket) => ticket.scopeName ?? '')
          .sort((a, b) => a.localeCompare(b)),
      ).toEqual(['album:edit', 'album:view']);
    });

    it('is null for a request without one, and the request shows when it lapses', async () => {
      const other = await registeredAlbum('Asked for without a message');
      const before = Date.now();
      const asked = await ask(bob, { albumId: other.id, scopes: ['album:view'] });
      expect(asked.status).toBe(202);
      expect(asked.body.message).toBeNull();
      // 14 days after it was made, by the database's clock (close to this one's).
      const lapses = Date.parse(asked.body.expiresAt ?? '') - 14 * 24 * 3600 * 1000;
      expect(Math.abs(lapses - before)).toBeLessThan(60_000);
      expect((await listed(alice, 'incoming', other.id))?.expiresAt).toBe(asked.body.expiresAt);
    });

    it('comes with a request made with the ticket of a challenge', async () => {
      const other = await registeredAlbum('Asked for by ticket, with a message');
      const challenge = await call(albums.url, 'GET', `/albums/${other.id}`, { token: jdoe });
      expect(challenge.status).toBe(401);
      const asked = await ask(jdoe, {
        ticket: parseUmaChallenge(challenge.headers.get('www-authenticate')).ticket,
        message: 'Found it through your link.',
      });
      expect(asked.status).toBe(202);
      expect((await listed(alice, 'incoming', other.id))?.message).toBe(
        'Found it through your link.',
      );
    });

    it.each([
      ['501 characters', 'a'.repeat(501), /at most 500 characters/],
      ['only white space', ' \n ', /must not be empty/],
      ['a control character', 'ring\u0007ring', /found U\+0007/],
      ['a right-to-left override', 'photos\u202Egpj.exe', /found U\+202E/],
      ['a zero-width space', 'pay\u200Bpal', /found U\+200B/],
      ['a number', 42, /must be a string/],
      ['null', null, /must be a string/],
      ['an array', ['hi'], /must be a string/],
    ])(
      'refuses %s with a 400 naming the field, and asks Keycloak nothing',
      async (_name, message, says) => {
        const other = await registeredAlbum(`Refused message: ${_name}`);
        const refused = await ask(jdoe, { albumId: other.id, scopes: ['album:view'], message });
        expect(refused.status).toBe(400);
        expect(refused.headers.get('content-type')).toContain('application/problem+json');
        expect(refused.body.type).toBe('urn:photoz:problem:validation');
        expect(refused.body.errors?.map((error) => error.field)).toEqual(['message']);
        expect(refused.body.errors?.[0]?.message).toMatch(says);
        expect(await tickets(other.resourceId)).toEqual([]);
        expect(await listed(alice, 'incoming', other.id)).toBeUndefined();
      },
    );
  });

  describe('a request nobody answers', () => {
    /** Requests lapse after SHORT_TTL seconds here; its sweep runs only when the test calls it. */
    let lapsing: RunningService;
    let album: Album & { resourceId: string };

    beforeAll(async () => {
      lapsing = await startService(permissionService, {
        PERMISSION_REQUEST_TTL_SECONDS: String(SHORT_TTL),
        ...NO_SWEEP,
      });
      album = await registeredAlbum('Asked for, never answered');
    });
    afterAll(async () => {
      await lapsing.close();
    });

    it('leaves both lists once it lapses, before any sweep', async () => {
      const asked = await ask(jdoe, {
        albumId: album.id,
        scopes: ['album:view'],
        message: 'Please?',
      });
      expect(asked.status).toBe(202);
      // The service with the default lifetime lists it; the one with the short one stops to.
      await expect.poll(() => listed(alice, 'incoming', album.id, lapsing), POLL).toBeUndefined();
      expect(await listed(jdoe, 'outgoing', album.id, lapsing)).toBeUndefined();
      expect((await listed(alice, 'incoming', album.id))?.message).toBe('Please?');
      // Nothing swept yet: Keycloak still holds the ticket, and the service its row.
      expect(await pendingTickets(album.resourceId)).toHaveLength(1);
      expect(await pendingRow(album.resourceId)).toBeDefined();
    });

    it('is swept: its Keycloak ticket is deleted, its row removed and the expiry audited', async () => {
      expect(await lapsing.app.get(RequestExpiry).sweep()).toMatchObject({ failed: 0 });
      expect(await pendingTickets(album.resourceId)).toEqual([]);
      expect(await pendingRow(album.resourceId)).toBeUndefined();
      expect(await listed(alice, 'incoming', album.id)).toBeUndefined();
      expect((await auditActions(album.id)).at(-1)).toMatchObject({
        action: 'request-expired',
        actor: 'system',
      });
    });

    it('lets the requester ask again afterwards, as a new request', async () => {
      const again = await ask(jdoe, { albumId: album.id, scopes: ['album:view'] });
      expect(again.status).toBe(202);
      expect(again.body.message).toBeNull();
      expect(await pendingTickets(album.resourceId)).toHaveLength(1);
      expect(await listed(alice, 'incoming', album.id)).toBeDefined();
    });

    it('is expired by asking again once it lapsed, before the sweep: a new request, not the old one', async () => {
      const other = await registeredAlbum('Asked for again after lapsing');
      const asked = await ask(
        jdoe,
        { albumId: other.id, scopes: ['album:view'], message: 'Old' },
        lapsing,
      );
      expect(asked.status).toBe(202);
      const [old] = await pendingTickets(other.resourceId);
      await expect.poll(() => listed(jdoe, 'outgoing', other.id, lapsing), POLL).toBeUndefined();

      const renewed = await ask(jdoe, { albumId: other.id, scopes: ['album:view'] }, lapsing);
      expect(renewed.status).toBe(202);
      expect(renewed.body.message).toBeNull();
      const now = await pendingTickets(other.resourceId);
      expect(now).toHaveLength(1);
      expect(now[0]?.id).not.toBe(old?.id);
    });

    it('cannot be approved once it lapsed', async () => {
      const other = await registeredAlbum('Approved too late');
      const asked = await ask(bob, { albumId: other.id, scopes: ['album:view'] });
      expect(asked.status).toBe(202);
      await expect.poll(() => listed(bob, 'outgoing', other.id, lapsing), POLL).toBeUndefined();
      const approve = await call<Problem>(
        lapsing.url,
        'POST',
        `/permission-requests/${asked.body.id}/approve`,
        { token: alice, body: {} },
      );
      expect(approve.status).toBe(409);
      expect(approve.body.type).toBe('urn:photoz:problem:nothing-pending');
      expect(await tickets(other.resourceId)).toEqual([]);
    });

    it('is swept in the background by a running service', async () => {
      const other = await registeredAlbum('Swept in the background');
      expect((await ask(bob, { albumId: other.id, scopes: ['album:view'] })).status).toBe(202);
      expect(await pendingTickets(other.resourceId)).toHaveLength(1);
      const sweeping = await startService(permissionService, {
        PERMISSION_REQUEST_TTL_SECONDS: String(SHORT_TTL),
        PERMISSION_REQUEST_SWEEP_INTERVAL_MS: '200',
      });
      try {
        await expect.poll(() => pendingTickets(other.resourceId), POLL).toEqual([]);
        await expect.poll(() => pendingRow(other.resourceId), POLL).toBeUndefined();
      } finally {
        await sweeping.close();
      }
    });

    describe('when Keycloak fails to delete its ticket', () => {
      const proxy = new HttpFaultProxy(new URL(KEYCLOAK_URL));
      let faulty: RunningService;
      let other: Album & { resourceId: string };

      beforeAll(async () => {
        faulty = await startService(permissionService, {
          KEYCLOAK_URL: await proxy.listen(),
          KEYCLOAK_ISSUER: ISSUER,
          PERMISSION_REQUEST_TTL_SECONDS: String(SHORT_TTL),
          ...NO_SWEEP,
        });
        other = await registeredAlbum('Lapsed while Keycloak fails');
      });
      afterAll(async () => {
        proxy.heal();
        await faulty.close();
        await proxy.close();
      });

      it('keeps it lapsed and hidden, and the import does not bring it back', async () => {
        // Nothing else lapsed is left for the sweep to try first.
        await lapsing.app.get(RequestExpiry).sweep();
        expect((await ask(jdoe, { albumId: other.id, scopes: ['album:view'] })).status).toBe(202);
        await expect.poll(() => listed(alice, 'incoming', other.id, lapsing), POLL).toBeUndefined();
        const made = (await pendingRow(other.resourceId))?.requested_at;
        proxy.failWhen(
          (method, path) => method === 'DELETE' && path.includes('/permission/ticket/'),
        );

        // Each sweep stops at its first failure: this request is tried once any lapsed before it.
        await expect
          .poll(async () => {
            expect(await faulty.app.get(RequestExpiry).sweep()).toMatchObject({ failed: 1 });
            return (await pendingRow(other.resourceId))?.expiry_failed_at;
          }, POLL)
          .toBeInstanceOf(Date);
        expect(await pendingTickets(other.resourceId)).toHaveLength(1);

        // An import of Keycloak's pending tickets finds the ticket, and leaves the request lapsed.
        await faulty.app.get(PendingRequestImport).importAll();
        expect((await pendingRow(other.resourceId))?.requested_at).toEqual(made);
        expect(await listed(alice, 'incoming', other.id, lapsing)).toBeUndefined();
        expect(await listed(jdoe, 'outgoing', other.id, lapsing)).toBeUndefined();
      });

      it('deletes it on a later sweep once Keycloak answers', async () => {
        proxy.heal();
        expect(await faulty.app.get(RequestExpiry).sweep()).toMatchObject({ failed: 0 });
        expect(await pendingTickets(other.resourceId)).toEqual([]);
        expect(await pendingRow(other.resourceId)).toBeUndefined();
      });
    });
  });

  describe('asking again after a denial', () => {
    async function deny(id: string): Promise<void> {
      const denied = await call(permissions.url, 'POST', `/permission-requests/${id}/deny`, {
        token: alice,
      });
      expect(denied.status).toBe(204);
    }

    it('is refused within the interval with 429, Retry-After and when to ask again', async () => {
      const album = await registeredAlbum('Denied once');
      const asked = await ask(bob, { albumId: album.id, scopes: ['album:view'] });
      expect(asked.status).toBe(202);
      await deny(asked.body.id);

      const again = await ask(bob, {
        albumId: album.id,
        scopes: ['album:view', 'album:edit'],
        message: 'Please reconsider',
      });
      expect(again.status).toBe(429);
      expect(again.headers.get('content-type')).toContain('application/problem+json');
      expect(again.body.type).toBe('urn:photoz:problem:ask-again-later');
      const retryAfter = Number(again.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThan(86_400 - 60);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
      expect(again.body.detail).toBe(
        `The owner denied your last request for this album. You may ask again from ${again.body.askAgainAt ?? ''} (in ${retryAfter} s).`,
      );
      // Nothing reached Keycloak or the owner.
      expect(await pendingTickets(album.resourceId)).toEqual([]);
      expect(await listed(alice, 'incoming', album.id)).toBeUndefined();

      // Nor with the ticket of a challenge.
      const challenge = await call(albums.url, 'GET', `/albums/${album.id}`, { token: bob });
      const byTicket = await ask(bob, {
        ticket: parseUmaChallenge(challenge.headers.get('www-authenticate')).ticket,
      });
      expect(byTicket.status).toBe(429);
      expect(await pendingTickets(album.resourceId)).toEqual([]);
    });

    it('holds only for the requester denied: another may ask', async () => {
      const album = await registeredAlbum('Denied to one requester');
      const asked = await ask(bob, { albumId: album.id, scopes: ['album:view'] });
      await deny(asked.body.id);
      expect((await ask(jdoe, { albumId: album.id, scopes: ['album:view'] })).status).toBe(202);
    });

    it('is accepted once the interval is over', async () => {
      const reasking = await startService(permissionService, {
        PERMISSION_REQUEST_REASK_SECONDS: String(SHORT_REASK),
      });
      try {
        const album = await registeredAlbum('Denied, asked again later');
        const asked = await ask(bob, { albumId: album.id, scopes: ['album:view'] }, reasking);
        expect(asked.status).toBe(202);
        await deny(asked.body.id);
        const soon = await ask(bob, { albumId: album.id, scopes: ['album:view'] }, reasking);
        expect(soon.status).toBe(429);
        expect(Number(soon.headers.get('retry-after'))).toBeLessThanOrEqual(SHORT_REASK);

        await expect
          .poll(
            async () =>
              (await ask(bob, { albumId: album.id, scopes: ['album:view'] }, reasking)).status,
            // Each attempt counts against bob's rate limit: a few suffice.
            { timeout: 30_000, interval: 1000 },
          )
          .toBe(202);
        expect(await pendingTickets(album.resourceId)).toHaveLength(1);
      } finally {
        await reasking.close();
      }
    });

    it('does not start after a withdrawal: the requester may ask again at once', async () => {
      const album = await registeredAlbum('Withdrawn, asked again');
      const asked = await ask(bob, { albumId: album.id, scopes: ['album:view'] });
      expect(asked.status).toBe(202);
      const withdrawn = await call(
        permissions.url,
        'DELETE',
        `/permission-requests/${asked.body.id}`,
        {
          token: bob,
        },
      );
      expect(withdrawn.status).toBe(204);
      const again = await ask(bob, { albumId: album.id, scopes: ['album:view'], message: 'Again' });
      expect(again.status).toBe(202);
      expect(again.body.message).toBe('Again');
    });
  });
});
