import type { AlbumService } from '@app/api-contract';
import { type FetchLike, UmaClient } from '@app/uma-client';
import createClient from 'openapi-fetch';
import { describe, expect, it } from 'vitest';
import { sentence } from './result.ts';
import { send, umaFetch } from './transport.ts';

const API = 'https://albums.example';
const ISSUER = 'https://login.example/realms/photoz';
const TOKEN_ENDPOINT = `${ISSUER}/protocol/openid-connect/token`;
const ALBUM_ID = '3f1c6a52-5b0e-4a43-9d4e-0c6f1b2a7d10';

/** An unsigned JWT: uma-client reads a ticket's and an RPT's payload, it verifies nothing. */
function jwt(payload: object): string {
  const part = btoa(JSON.stringify(payload)).replaceAll('=', '');
  return `e30.${part.replaceAll('+', '-').replaceAll('/', '_')}.signature`;
}

const PERMISSION = { rsid: 'album-resource', scopes: ['album:edit'] };
const TICKET = jwt({ permissions: [PERMISSION] });
const RPT = jwt({ authorization: { permissions: [PERMISSION] }, exp: 4_102_444_800 });

interface Sent {
  readonly method: string;
  readonly url: string;
  readonly authorization: string | null;
  readonly contentType: string | null;
  readonly body: string;
}

/**
 * The album service and Keycloak's UMA grant, faked behind uma-client's `fetch`: `service` answers
 * what the service would, `grant` what the token endpoint answers for a ticket.
 */
function fakeStack(
  service: (sent: Sent, index: number) => Response,
  grant: (form: URLSearchParams) => Response = () => Response.json({ access_token: RPT }),
) {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (input, init) => {
    const request = new Request(input, init);
    if (request.url === `${ISSUER}/.well-known/uma2-configuration`) {
      return Response.json({ issuer: ISSUER, token_endpoint: TOKEN_ENDPOINT });
    }
    if (request.url === TOKEN_ENDPOINT) {
      return grant(new URLSearchParams(await request.text()));
    }
    const call: Sent = {
      method: request.method,
      url: request.url,
      authorization: request.headers.get('authorization'),
      contentType: request.headers.get('content-type'),
      body: await request.text(),
    };
    sent.push(call);
    return service(call, sent.length - 1);
  };
  const uma = new UmaClient({
    issuer: ISSUER,
    apiOrigins: [API],
    fetch,
    person: { accessToken: () => Promise.resolve('access-token') },
    requestAccess: false,
  });
  const albums = createClient<AlbumService.paths>({ baseUrl: API, fetch: umaFetch(uma) });
  return { albums, sent };
}

const CHALLENGE = new Response(null, {
  status: 401,
  headers: { 'www-authenticate': `UMA realm="photoz", as_uri="${ISSUER}", ticket="${TICKET}"` },
});

const ALBUM = {
  id: ALBUM_ID,
  name: 'Rome',
  ownerId: 'alice-sub',
  ownerUsername: 'alice',
  createdAt: '2026-01-01T00:00:00.000Z',
};

describe('calls typed by the contract, sent by uma-client', () => {
  it('sends the request openapi-fetch built and hands back the parsed answer', async () => {
    const { albums, sent } = fakeStack(() => Response.json(ALBUM, { status: 201 }));
    const result = await send(() => albums.POST('/albums', { body: { name: 'Rome' } }));
    expect(result).toEqual({ kind: 'ok', status: 201, body: ALBUM });
    expect(sent).toEqual([
      {
        method: 'POST',
        url: `${API}/albums`,
        authorization: 'Bearer access-token',
        contentType: 'application/json',
        body: '{"name":"Rome"}',
      },
    ]);
  });

  it('answers a UMA challenge with an RPT and sends the same multipart body again', async () => {
    const { albums, sent } = fakeStack((_call, index) =>
      index === 0 ? CHALLENGE.clone() : Response.json({ id: 'photo-1' }, { status: 201 }),
    );
    const result = await send(() =>
      albums.POST('/albums/{id}/photos', {
        params: { path: { id: ALBUM_ID } },
        body: { file: new File(['png bytes'], 'rome.png', { type: 'image/png' }) },
        bodySerializer: (body) => {
          const form = new FormData();
          form.append('file', body.file, 'rome.png');
          return form;
        },
      }),
    );
    expect(result).toMatchObject({ kind: 'ok', status: 201, body: { id: 'photo-1' } });
    expect(sent.map((call) => call.authorization)).toEqual([
      'Bearer access-token',
      `Bearer ${RPT}`,
    ]);
    const [first, again] = sent;
    expect(first?.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(first?.body).toContain('filename="rome.png"');
    expect(first?.body).toContain('png bytes');
    expect(again).toEqual({ ...first, authorization: `Bearer ${RPT}` });
  });

  it('encodes path parameters, reads bytes as a Blob of their type and a 204 as no body', async () => {
    const { albums, sent } = fakeStack((call) =>
      call.method === 'DELETE'
        ? new Response(null, { status: 204 })
        : new Response(new Uint8Array([137, 80, 78, 71]), {
            headers: { 'content-type': 'image/png' },
          }),
    );
    const photo = await send(() =>
      albums.GET('/albums/{id}/photos/{photoId}/content', {
        params: { path: { id: ALBUM_ID, photoId: 'a/b c' } },
        parseAs: 'blob',
      }),
    );
    expect(sent[0]?.url).toBe(`${API}/albums/${ALBUM_ID}/photos/a%2Fb%20c/content`);
    expect(photo.kind === 'ok' && photo.body.type).toBe('image/png');
    expect(photo.kind === 'ok' && [...new Uint8Array(await photo.body.arrayBuffer())]).toEqual([
      137, 80, 78, 71,
    ]);
    const deleted = await send(() =>
      albums.DELETE('/albums/{id}', { params: { path: { id: ALBUM_ID } } }),
    );
    expect(deleted).toEqual({ kind: 'ok', status: 204, body: undefined });
  });

  it('keeps a problem of the service with its details and Retry-After', async () => {
    const problem = { type: 'urn:photoz:problem:rate-limited', title: 'Too many', status: 429 };
    const { albums } = fakeStack(() =>
      Response.json(problem, {
        status: 429,
        headers: { 'content-type': 'application/problem+json', 'retry-after': '7' },
      }),
    );
    const result = await send(() => albums.GET('/me'));
    expect(result).toEqual({ kind: 'problem', status: 429, problem, retryAfter: 7 });
    expect(result.kind !== 'ok' && sentence(result)).toBe('Too many You can try again in 7 s.');
  });

  it('answers no-access when Keycloak refuses the ticket, without asking the owner', async () => {
    const grants: URLSearchParams[] = [];
    const { albums } = fakeStack(
      () => CHALLENGE.clone(),
      (form) => {
        grants.push(form);
        return Response.json(
          { error: 'access_denied', error_description: 'not_authorized' },
          { status: 403 },
        );
      },
    );
    const result = await send(() =>
      albums.GET('/albums/{id}', { params: { path: { id: ALBUM_ID } } }),
    );
    expect(result).toEqual({ kind: 'no-access' });
    expect(grants.map((form) => [form.get('ticket'), form.get('submit_request')])).toEqual([
      [TICKET, 'false'],
    ]);
  });

  it('tells a refusal of the login server and a network failure apart from the service', async () => {
    const refused = fakeStack(
      () => CHALLENGE.clone(),
      () =>
        Response.json(
          { error: 'invalid_grant', error_description: 'Token is not active' },
          { status: 400 },
        ),
    );
    const login = await send(() => refused.albums.GET('/me'));
    expect(login.kind !== 'ok' && sentence(login)).toBe(
      'The login server refused the call (Token is not active); log in again or try later.',
    );
    const offline = fakeStack(() => {
      throw new TypeError('fetch failed');
    });
    const network = await send(() => offline.albums.GET('/me'));
    expect(network).toMatchObject({ kind: 'problem', status: 0 });
    expect(network.kind !== 'ok' && sentence(network)).toMatch(/could not be reached/);
  });
});
