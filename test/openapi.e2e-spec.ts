import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { createAlbum, registeredResourceId } from './support/albums.ts';
import {
  call,
  type HttpResult,
  type RunningService,
  startService,
} from './support/service-harness.ts';
import { accessTokens } from '../scripts/dev-realm/tokens.ts';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

interface DocumentedResponse {
  readonly headers?: Readonly<Record<string, unknown>>;
  readonly content?: Readonly<Record<string, unknown>>;
  readonly 'x-problem-types'?: readonly string[];
}

interface OpenApiDocument {
  readonly paths: Readonly<
    Record<string, Readonly<Record<string, { responses: Record<string, DocumentedResponse> }>>>
  >;
}

function committed(service: string): OpenApiDocument {
  return JSON.parse(
    readFileSync(new URL(`../libs/api-contract/openapi/${service}.json`, import.meta.url), 'utf8'),
  ) as OpenApiDocument;
}

/**
 * The documented response of `method template` for a real answer: its status is listed, a problem
 * is `application/problem+json` with a documented `type`, and documented headers are present.
 */
function expectDocumented(
  document: OpenApiDocument,
  method: string,
  template: string,
  result: HttpResult,
): void {
  const route = `${method} ${template} ${result.status}`;
  const response =
    document.paths[template]?.[method.toLowerCase()]?.responses[String(result.status)];
  expect(response, `${route} is not documented`).toBeDefined();
  if (result.status < 400) {
    return;
  }
  expect(result.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Object.keys(response?.content ?? {})).toEqual(['application/problem+json']);
  const type = (result.body as { type?: string }).type;
  expect(response?.['x-problem-types'], `${route}: type ${type} is not documented`).toContain(type);
  for (const header of Object.keys(response?.headers ?? {})) {
    expect(result.headers.get(header), `${route}: header ${header}`).not.toBeNull();
  }
}

describe('the API contract against the running services', () => {
  let albums: RunningService;
  let permissions: RunningService;
  const albumDocument = committed('album-service');
  const permissionDocument = committed('permission-service');

  beforeAll(async () => {
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService),
    ]);
  });
  afterAll(async () => {
    await Promise.all([albums?.close(), permissions?.close()]);
  });

  it('serves the committed documents at /docs-json (else run npm run openapi)', async () => {
    expect((await call(albums.url, 'GET', '/docs-json')).body).toEqual(albumDocument);
    expect((await call(permissions.url, 'GET', '/docs-json')).body).toEqual(permissionDocument);
  });

  it('documents the UMA challenge, a 404, a validation 400 and invalid tokens as answered', async () => {
    const [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
    const album = await createAlbum(albums.url, alice, 'Contract');
    await registeredResourceId(albums.url, alice, album.id);

    const challenge = await call(albums.url, 'GET', `/albums/${album.id}`, { token: jdoe });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toMatch(/^UMA realm="photoz", as_uri="/);
    expect(typeof challenge.body['ticket']).toBe('string');
    expect(challenge.body['scopes']).toEqual(['album:view']);
    expectDocumented(albumDocument, 'GET', '/albums/{id}', challenge);

    const invalidToken = await call(albums.url, 'GET', '/albums', { token: 'not-a-token' });
    expect(invalidToken.status).toBe(401);
    expect(invalidToken.headers.get('www-authenticate')).toMatch(/^Bearer realm="photoz"/);
    expectDocumented(albumDocument, 'GET', '/albums', invalidToken);

    const noToken = await call(permissions.url, 'GET', '/shared-with-me');
    expect(noToken.status).toBe(401);
    expectDocumented(permissionDocument, 'GET', '/shared-with-me', noToken);

    const malformedId = await call(albums.url, 'GET', '/albums/not-an-id', { token: alice });
    expect(malformedId.status).toBe(400);
    expectDocumented(albumDocument, 'GET', '/albums/{id}', malformedId);

    const invalidBody = await call(albums.url, 'POST', '/albums', { token: alice, body: {} });
    expect(invalidBody.status).toBe(400);
    expectDocumented(albumDocument, 'POST', '/albums', invalidBody);

    const unknownAlbum = await call(
      albums.url,
      'GET',
      '/albums/00000000-0000-4000-8000-000000000000',
      { token: alice },
    );
    expect(unknownAlbum.status).toBe(404);
    expectDocumented(albumDocument, 'GET', '/albums/{id}', unknownAlbum);

    const unknownPhoto = await call(
      albums.url,
      'DELETE',
      `/albums/${album.id}/photos/00000000-0000-4000-8000-000000000000`,
      { token: alice },
    );
    expect(unknownPhoto.status).toBe(404);
    expectDocumented(albumDocument, 'DELETE', '/albums/{id}/photos/{photoId}', unknownPhoto);

    const notMultipart = await call(albums.url, 'POST', `/albums/${album.id}/photos`, {
      token: alice,
      body: { file: 'x' },
    });
    expect(notMultipart.status).toBe(415);
    expectDocumented(albumDocument, 'POST', '/albums/{id}/photos', notMultipart);

    const nobody = await call(permissions.url, 'GET', `/albums/${album.id}/shares`, {
      token: jdoe,
    });
    expect(nobody.status).toBe(404);
    expectDocumented(permissionDocument, 'GET', '/albums/{albumId}/shares', nobody);

    const nothingPending = await call(
      permissions.url,
      'POST',
      `/permission-requests/${album.id}.00000000-0000-4000-8000-000000000000/deny`,
      { token: alice },
    );
    expect([404, 409]).toContain(nothingPending.status);
    expectDocumented(permissionDocument, 'POST', '/permission-requests/{id}/deny', nothingPending);

    const created = await call(albums.url, 'POST', '/albums', {
      token: alice,
      body: { name: 'Contract 2' },
    });
    expectDocumented(albumDocument, 'POST', '/albums', created);
  });

  it('documents the invitation links’ answers, the refusal of guessing included', async () => {
    const [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
    const album = await createAlbum(albums.url, alice, 'Contract: links');
    await registeredResourceId(albums.url, alice, album.id);
    // An instance that refuses a second failed redemption.
    const guarded = await startService(permissionService, { INVITATION_REDEEM_FAILURE_LIMIT: '1' });
    const database = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await database.connect();
    try {
      const created = await call<{ id: string; token: string }>(
        guarded.url,
        'POST',
        `/albums/${album.id}/links`,
        { token: alice, body: { scopes: ['album:view'], maxUses: 1 } },
      );
      expect(created.status).toBe(201);
      expectDocumented(permissionDocument, 'POST', '/albums/{albumId}/links', created);
      const listed = await call(guarded.url, 'GET', `/albums/${album.id}/links`, { token: alice });
      expectDocumented(permissionDocument, 'GET', '/albums/{albumId}/links', listed);
      const invalid = await call(guarded.url, 'POST', `/albums/${album.id}/links`, {
        token: alice,
        body: { scopes: ['album:view'], maxUses: 0 },
      });
      expect(invalid.status).toBe(400);
      expectDocumented(permissionDocument, 'POST', '/albums/{albumId}/links', invalid);

      const redeem = (secret: string, token: string) =>
        call(guarded.url, 'POST', '/links/redeem', { token, body: { token: secret } });
      const own = await redeem(created.body.token, alice);
      expect(own.status).toBe(409);
      expectDocumented(permissionDocument, 'POST', '/links/redeem', own);
      const redeemed = await redeem(created.body.token, jdoe);
      expect(redeemed.status).toBe(200);
      expectDocumented(permissionDocument, 'POST', '/links/redeem', redeemed);
      const usedUp = await redeem(created.body.token, jdoe);
      expect(usedUp.status).toBe(404);
      expectDocumented(permissionDocument, 'POST', '/links/redeem', usedUp);
      const guessed = await redeem(randomBytes(32).toString('base64url'), jdoe);
      expect(guessed.status).toBe(429);
      expectDocumented(permissionDocument, 'POST', '/links/redeem', guessed);

      const deleted = await call(
        guarded.url,
        'DELETE',
        `/albums/${album.id}/links/${created.body.id}?revokeShares=true`,
        { token: alice },
      );
      expect(deleted.status).toBe(204);
      expectDocumented(permissionDocument, 'DELETE', '/albums/{albumId}/links/{linkId}', deleted);
      const again = await call(
        guarded.url,
        'DELETE',
        `/albums/${album.id}/links/${created.body.id}`,
        { token: alice },
      );
      expect(again.status).toBe(404);
      expectDocumented(permissionDocument, 'DELETE', '/albums/{albumId}/links/{linkId}', again);
    } finally {
      // The failures counted from this address would refuse the next suites' redemptions.
      await database.query('DELETE FROM permission_service.invitation_redeem_failures');
      await Promise.all([database.end(), guarded.close()]);
    }
  });
});
