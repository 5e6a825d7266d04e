import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ClientSecretPost,
  discovery,
  None,
  UmaClient,
  type FetchLike,
  type UmaResult,
} from '@app/uma-client';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { ISSUER, PARTNER_PRINTSHOP_SECRET } from '../scripts/dev-realm/realm.ts';
import { type Album, createAlbum, registeredResourceId, uploadPhoto } from './support/albums.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { decodeJwt, login } from '../scripts/dev-realm/tokens.ts';

const PNG = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  randomBytes(1024),
]);

interface PermissionRequest {
  readonly id: string;
  readonly albumId: string;
  readonly status: string;
}

describe('@app/uma-client against the real stack', () => {
  let albums: RunningService;
  let permissions: RunningService;
  let alice: string;

  beforeAll(async () => {
    [albums, permissions] = await Promise.all([
      startService(albumService),
      // Requests the client makes at Keycloak directly reach the owner's inbox by the import.
      startService(permissionService, { KEYCLOAK_REQUEST_IMPORT_INTERVAL_MS: '500' }),
    ]);
    alice = (await login('alice')).access_token;
  });
  afterAll(async () => {
    await Promise.all([albums.close(), permissions.close()]);
  });

  async function registeredAlbum(name: string): Promise<Album & { resourceId: string }> {
    const album = await createAlbum(albums.url, alice, name);
    return { ...album, resourceId: await registeredResourceId(albums.url, alice, album.id) };
  }

  /** alice shares the album with the printshop partner (view), through the permission service. */
  async function shareWithPrintshop(albumId: string): Promise<void> {
    const shared = await call(
      permissions.url,
      'PUT',
      `/albums/${albumId}/shares/service-account-partner-printshop`,
      { token: alice, body: { scopes: ['album:view'] } },
    );
    expect(shared.status).toBe(200);
  }

  /** jdoe through the client; his OIDC library is `login`, asked again when the client says so. */
  function jdoeClient(): UmaClient {
    return new UmaClient({
      issuer: ISSUER,
      baseUrl: albums.url,
      person: { accessToken: async () => (await login('jdoe')).access_token },
    });
  }

  /**
   * alice approves jdoe's request on the album. The client asked at Keycloak directly, so the
   * request is listed once the permission service imports Keycloak's pending tickets.
   */
  async function approvePending(albumId: string): Promise<void> {
    let request: PermissionRequest | undefined;
    for (let attempt = 0; request === undefined && attempt < 100; attempt += 1) {
      const incoming = await call<{ items: PermissionRequest[] }>(
        permissions.url,
        'GET',
        '/permission-requests/incoming?status=pending&limit=100',
        { token: alice },
      );
      expect(incoming.status).toBe(200);
      request = incoming.body.items.find((entry) => entry.albumId === albumId);
      if (request === undefined) {
        await sleep(200);
      }
    }
    expect(request).toBeDefined();
    const approved = await call<PermissionRequest>(
      permissions.url,
      'POST',
      `/permission-requests/${request?.id ?? ''}/approve`,
      { token: alice },
    );
    expect(approved.status).toBe(200);
  }

  function expectOk<T>(result: UmaResult<T>): T {
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') {
      throw new Error(`expected ok, got ${JSON.stringify(result)}`);
    }
    return result.body;
  }

  describe('a person', () => {
    const client = (() => {
      let created: UmaClient | undefined;
      return () => (created ??= jdoeClient());
    })();
    let first: Album & { resourceId: string };
    let second: Album & { resourceId: string };

    it("asks for access to a stranger's album: access-requested", async () => {
      first = await registeredAlbum('Client 1');
      expect(await client().get(`/albums/${first.id}`)).toEqual({
        kind: 'access-requested',
        resourceId: first.resourceId,
      });
    });

    it('reads the album with the same call once alice approved', async () => {
      await approvePending(first.id);
      const album = expectOk(await client().get<Album>(`/albums/${first.id}`));
      expect(album).toMatchObject({ id: first.id, name: 'Client 1', ownerUsername: 'alice' });
      expect([...client().heldPermissions().keys()]).toEqual([first.resourceId]);
    });

    it('still gets the plain access token on a route outside @Scopes', async () => {
      expect(await client().get('/me')).toMatchObject({
        kind: 'ok',
        body: { username: 'jdoe', clientId: 'photoz-cli' },
      });
    });

    it('ends with one upgraded RPT holding both albums once a second one is shared', async () => {
      second = await registeredAlbum('Client 2');
      expect((await client().get(`/albums/${second.id}`)).kind).toBe('access-requested');
      await approvePending(second.id);
      expectOk(await client().get(`/albums/${second.id}`));

      const rpt = client().rptFor(second.resourceId);
      expect(rpt).toBeDefined();
      expect(client().rptFor(first.resourceId)).toBe(rpt);
      const { payload } = decodeJwt(rpt ?? '');
      const listed = (payload['authorization'] as { permissions: { rsid: string }[] }).permissions
        .map((permission) => permission.rsid)
        .sort();
      expect(listed).toEqual([first.resourceId, second.resourceId].sort());
      // both open with the one RPT, without another exchange
      expectOk(await client().get(`/albums/${first.id}`));
      expectOk(await client().get(`/albums/${second.id}`));
    });

    it('is no longer let in once alice revokes', async () => {
      const revoked = await call(permissions.url, 'DELETE', `/albums/${first.id}/shares/jdoe`, {
        token: alice,
      });
      expect(revoked.status).toBe(204);

      expect(await client().get(`/albums/${first.id}`, { requestAccess: false })).toEqual({
        kind: 'no-access',
        resourceId: first.resourceId,
      });
      // the default asks alice again
      expect(await client().get(`/albums/${first.id}`)).toEqual({
        kind: 'access-requested',
        resourceId: first.resourceId,
      });
      // the other share is untouched
      expectOk(await client().get(`/albums/${second.id}`));
    });
  });

  it('asks the app for its access token again when the API refuses the one it had', async () => {
    const handed: string[] = [];
    const client = new UmaClient({
      issuer: ISSUER,
      baseUrl: albums.url,
      person: {
        accessToken: async () => {
          const token = handed.length === 0 ? 'not.a.token' : (await login('jdoe')).access_token;
          handed.push(token);
          return token;
        },
      },
    });
    expect(await client.get('/me')).toMatchObject({ kind: 'ok', body: { username: 'jdoe' } });
    expect(handed).toHaveLength(2);
  });

  describe('a partner', () => {
    it('reads a photo with nothing but its client id and secret', async () => {
      const album = await registeredAlbum('Client print');
      const uploaded = await uploadPhoto(albums.url, alice, album.id, {
        bytes: PNG,
        type: 'image/png',
        name: 'print.png',
      });
      expect(uploaded.status).toBe(201);
      const photo = uploaded.body;
      await shareWithPrintshop(album.id);

      const client = new UmaClient({
        issuer: ISSUER,
        baseUrl: albums.url,
        partner: { clientId: 'partner-printshop', clientSecret: PARTNER_PRINTSHOP_SECRET },
      });
      const bytes = expectOk(
        await client.get<ArrayBuffer>(`/albums/${album.id}/photos/${photo.id}/content`),
      );
      expect(Buffer.from(bytes).equals(PNG)).toBe(true);
      expect(await client.get('/me')).toMatchObject({
        kind: 'ok',
        body: { username: 'service-account-partner-printshop', partner: true },
      });
    });
  });

  describe('a partner authenticating with client_secret_post', () => {
    it('reads an album through a configuration it discovered, its secret in the form only', async () => {
      const album = await registeredAlbum('Client post');
      await shareWithPrintshop(album.id);
      const tokenRequests: { authorization: string | null; form: Record<string, string> }[] = [];
      const recording: FetchLike = (input, init) => {
        if (input.endsWith('/token')) {
          tokenRequests.push({
            authorization: new Headers(init?.headers).get('authorization'),
            form: Object.fromEntries(
              new URLSearchParams(typeof init?.body === 'string' ? init.body : ''),
            ),
          });
        }
        return fetch(input, init);
      };
      const configuration = await discovery(ISSUER, { fetch: recording });
      expect(configuration.tokenEndpoint).toBe(`${ISSUER}/protocol/openid-connect/token`);

      const client = new UmaClient({
        issuer: ISSUER,
        configuration,
        baseUrl: albums.url,
        partner: {
          clientId: 'partner-printshop',
          clientAuthentication: ClientSecretPost(PARTNER_PRINTSHOP_SECRET),
        },
      });

      expect(expectOk(await client.get<Album>(`/albums/${album.id}`))).toMatchObject({
        id: album.id,
      });
      expect(tokenRequests.map((request) => request.form['grant_type'])).toEqual([
        'client_credentials',
        'urn:ietf:params:oauth:grant-type:uma-ticket',
      ]);
      for (const request of tokenRequests) {
        expect(request.authorization).toBeNull();
        expect(request.form).toMatchObject({
          client_id: 'partner-printshop',
          client_secret: PARTNER_PRINTSHOP_SECRET,
        });
      }
    });

    it('is refused by Keycloak when it proves nothing (None): an authorization-server problem', async () => {
      const client = new UmaClient({
        issuer: ISSUER,
        baseUrl: albums.url,
        partner: { clientId: 'partner-printshop', clientAuthentication: None() },
      });

      expect(await client.get('/me')).toMatchObject({
        kind: 'problem',
        status: 401,
        source: 'authorization-server',
      });
    });
  });

  describe('a hostile server that names itself as the authorization server', () => {
    let hostile: HostileServer;

    beforeAll(async () => {
      hostile = await HostileServer.start();
    });
    afterAll(async () => {
      await hostile.close();
    });

    /** Everything the hostile server received, as one string, to search for what must not be there. */
    function received(): string {
      return JSON.stringify(hostile.requests);
    }

    it('gets nothing from a partner: no Authorization, no secret, no ticket, no RPT', async () => {
      const album = await registeredAlbum('Client hostile partner');
      await shareWithPrintshop(album.id);
      const client = new UmaClient({
        issuer: ISSUER,
        baseUrl: albums.url,
        partner: { clientId: 'partner-printshop', clientSecret: PARTNER_PRINTSHOP_SECRET },
      });
      // The partner holds an RPT, which it would send along to upgrade it.
      expectOk(await client.get(`/albums/${album.id}`));
      const rpt = client.rptFor(album.resourceId) ?? '';
      expect(rpt).not.toBe('');
      hostile.requests.length = 0;

      const result = await client.get(`${hostile.url}/albums/${album.id}`);

      expect(hostile.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
        `GET /albums/${album.id}`,
      ]);
      expect(hostile.requests.map((request) => request.headers.authorization)).toEqual([undefined]);
      expect(received()).not.toContain(PARTNER_PRINTSHOP_SECRET);
      expect(received()).not.toContain(
        Buffer.from(`partner-printshop:${PARTNER_PRINTSHOP_SECRET}`).toString('base64'),
      );
      expect(received()).not.toContain(hostile.ticket);
      expect(received()).not.toContain(rpt);
      expect(result).toMatchObject({ kind: 'problem', status: 401 });
    });

    it('gets nothing from a person: no access token, no ticket, no RPT', async () => {
      const album = await registeredAlbum('Client hostile person');
      const shared = await call(permissions.url, 'PUT', `/albums/${album.id}/shares/jdoe`, {
        token: alice,
        body: { scopes: ['album:view'] },
      });
      expect(shared.status).toBe(200);
      const handed: string[] = [];
      const client = new UmaClient({
        issuer: ISSUER,
        baseUrl: albums.url,
        person: {
          accessToken: async () => {
            const token = (await login('jdoe')).access_token;
            handed.push(token);
            return token;
          },
        },
      });
      expectOk(await client.get(`/albums/${album.id}`));
      const rpt = client.rptFor(album.resourceId) ?? '';
      expect(rpt).not.toBe('');
      hostile.requests.length = 0;

      const result = await client.get(`${hostile.url}/albums/${album.id}`);

      expect(hostile.requests.every((request) => request.headers.authorization === undefined)).toBe(
        true,
      );
      expect(hostile.requests.map((request) => request.url)).toEqual([`/albums/${album.id}`]);
      for (const token of [...handed, rpt, hostile.ticket]) {
        expect(received()).not.toContain(token);
      }
      expect(result).toMatchObject({ kind: 'problem', status: 401 });
    });
  });
});

interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A real HTTP server on loopback that answers every request with a UMA challenge naming itself as
 * the authorization server, publishes metadata naming its own token endpoint, accepts any token
 * request, and records everything it receives.
 */
class HostileServer {
  readonly requests: RecordedRequest[] = [];
  /** The ticket of its challenges: shaped like Keycloak's, naming a resource. */
  readonly ticket = [
    Buffer.from(JSON.stringify({ alg: 'HS256' })).toString('base64url'),
    Buffer.from(
      JSON.stringify({ permissions: [{ rsid: 'stolen', scopes: ['album:view'] }] }),
    ).toString('base64url'),
    'hostile-signature',
  ].join('.');

  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(): Promise<HostileServer> {
    let hostile: HostileServer | undefined;
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        hostile?.answer(request.method ?? '', request.url ?? '', request.headers, chunks, response);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    hostile = new HostileServer(server, `http://127.0.0.1:${port}`);
    return hostile;
  }

  private answer(
    method: string,
    url: string,
    headers: IncomingHttpHeaders,
    chunks: Buffer[],
    response: import('node:http').ServerResponse,
  ): void {
    this.requests.push({ method, url, headers, body: Buffer.concat(chunks).toString() });
    if (url.includes('/.well-known/')) {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ issuer: this.url, token_endpoint: `${this.url}/token` }));
      return;
    }
    if (url === '/token') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ access_token: this.ticket, token_type: 'Bearer' }));
      return;
    }
    response.writeHead(401, {
      'content-type': 'application/problem+json',
      'www-authenticate': `UMA realm="photoz", as_uri="${this.url}", ticket="${this.ticket}"`,
    });
    response.end(
      JSON.stringify({ type: 'about:blank', title: 'Permission required', status: 401 }),
    );
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve, reject) =>
      this.server.close((error) => (error === undefined ? resolve() : reject(error))),
    );
  }
}
