import type { AlbumService, PermissionService } from '@app/api-contract';
import { UmaClient, type UmaResult } from '@app/uma-client';
import { accessToken } from './auth.ts';
import { config, issuer } from './config.ts';

type AlbumSchemas = AlbumService.components['schemas'];
type PermissionSchemas = PermissionService.components['schemas'];

export type Me = AlbumSchemas['PrincipalResponseDto'];
export type Album = AlbumSchemas['AlbumResponseDto'];
export type AlbumPage = AlbumSchemas['AlbumPageDto'];
export type Photo = AlbumSchemas['PhotoResponseDto'];
export type ParkedEvent = AlbumSchemas['ParkedEventDto'];
export type OutboxBacklog = AlbumSchemas['OutboxStatusDto'];
export type PermissionRequest = PermissionSchemas['PermissionRequestDto'];
export type PermissionRequestPage = PermissionSchemas['PermissionRequestPageDto'];
export type Share = PermissionSchemas['ShareDto'];
export type SharedAlbum = PermissionSchemas['SharedAlbumDto'];
export type AuditEvent = PermissionSchemas['AuditEventDto'];
export type AuditPage = PermissionSchemas['AuditPageDto'];

/**
 * An error as the screens show it: the services' RFC 9457 problem details (every field optional,
 * since the authorization server, the network or the app itself may be the one failing).
 */
export type Problem = Partial<AlbumSchemas['ProblemDetailsDto']>;

/** The outcome of a call as the screens see it: uma-client's `UmaResult`, without the `Response`. */
export type ApiResult<T> =
  | { readonly kind: 'ok'; readonly status: number; readonly body: T }
  /** Keycloak filed an access request with the owner (not with `requestAccess: false`). */
  | { readonly kind: 'access-requested' }
  /** The person holds no access to the album. */
  | { readonly kind: 'no-access' }
  | {
      readonly kind: 'problem';
      readonly status: number;
      readonly problem: Problem;
      /** Seconds to wait before repeating the call (`Retry-After`), when the service said. */
      readonly retryAfter?: number;
    };

/**
 * Every call of the app goes through this client. It sends the person's tokens only to the two
 * services and answers only challenges naming the realm's issuer. `requestAccess: false`: a
 * stranger who opens a link gets `no-access` rather than Keycloak filing a request on their
 * behalf; the person asks deliberately with "Request access", through the permission service
 * (which audits it).
 */
export const client = new UmaClient({
  issuer,
  apiOrigins: [config.albumApi, config.permissionApi],
  person: { accessToken },
  requestAccess: false,
});

const albums = config.albumApi;
const permissions = config.permissionApi;
const id = encodeURIComponent;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A failure of the call itself (network, no login): a problem with status 0. */
function failed(error: unknown): ApiResult<never> {
  const detail =
    error instanceof TypeError
      ? 'The service could not be reached; check the connection and try again.'
      : error instanceof Error
        ? error.message
        : 'Something went wrong.';
  return { kind: 'problem', status: 0, problem: { detail } };
}

function retryAfter(seconds: number | undefined): { retryAfter?: number } {
  return seconds === undefined || Number.isNaN(seconds) ? {} : { retryAfter: seconds };
}

/** uma-client's result as the screens see it. */
function view<T>(result: UmaResult<T>): ApiResult<T> {
  if (result.kind === 'ok') {
    return { kind: 'ok', status: result.status, body: result.body };
  }
  if (result.kind === 'access-requested' || result.kind === 'no-access') {
    return { kind: result.kind };
  }
  if (result.source === 'authorization-server') {
    // An OAuth error (`error`, `error_description`) of Keycloak, not problem details.
    const reason = text(result.problem['error_description']) ?? text(result.problem['error']);
    return {
      kind: 'problem',
      status: result.status,
      problem: {
        status: result.status,
        detail: `The login server refused the call${reason === undefined ? '' : ` (${reason})`}; log in again or try later.`,
      },
    };
  }
  return {
    kind: 'problem',
    status: result.status,
    problem: result.problem,
    ...retryAfter(result.retryAfter),
  };
}

async function send<T>(call: () => Promise<UmaResult<T>>): Promise<ApiResult<T>> {
  try {
    return view(await call());
  } catch (error) {
    return failed(error);
  }
}

/** A page's items. */
async function items<T>(call: () => Promise<UmaResult<{ items: T[] }>>): Promise<ApiResult<T[]>> {
  const result = await send(call);
  return result.kind === 'ok' ? { ...result, body: result.body.items } : result;
}

/** A photo's bytes (uma-client answers an image as an `ArrayBuffer`) as a `Blob` of its type. */
async function photoBlob(url: string): Promise<ApiResult<Blob>> {
  try {
    const result = await client.get<ArrayBuffer | undefined>(url);
    if (result.kind !== 'ok') {
      return view(result);
    }
    const type = result.response.headers.get('content-type') ?? 'application/octet-stream';
    const parts = result.body instanceof ArrayBuffer ? [result.body] : [];
    return { kind: 'ok', status: result.status, body: new Blob(parts, { type }) };
  } catch (error) {
    return failed(error);
  }
}

export const api = {
  me: () => send(() => client.get<Me>(`${albums}/me`)),
  myAlbums: () => send(() => client.get<AlbumPage>(`${albums}/albums?limit=100`)),
  createAlbum: (name: string) =>
    send(() =>
      client.post<Album>(`${albums}/albums`, { name } satisfies AlbumSchemas['CreateAlbumDto']),
    ),
  renameAlbum: (albumId: string, name: string) =>
    send(() =>
      client.patch<Album>(`${albums}/albums/${id(albumId)}`, {
        name,
      } satisfies AlbumSchemas['UpdateAlbumDto']),
    ),
  deleteAlbum: (albumId: string) =>
    send(() => client.delete<undefined>(`${albums}/albums/${id(albumId)}`)),
  album: (albumId: string) => send(() => client.get<Album>(`${albums}/albums/${id(albumId)}`)),
  photos: (albumId: string) =>
    send(() => client.get<Photo[]>(`${albums}/albums/${id(albumId)}/photos`)),
  photoContent: (albumId: string, photoId: string) =>
    photoBlob(`${albums}/albums/${id(albumId)}/photos/${id(photoId)}/content`),
  deletePhoto: (albumId: string, photoId: string) =>
    send(() => client.delete<undefined>(`${albums}/albums/${id(albumId)}/photos/${id(photoId)}`)),
  requestAccess: (albumId: string, scopes: readonly string[]) =>
    send(() =>
      client.post<PermissionRequest>(`${permissions}/permission-requests`, { albumId, scopes }),
    ),
  outgoing: () =>
    items(() => client.get<PermissionRequestPage>(`${permissions}/permission-requests/outgoing`)),
  incoming: () =>
    items(() =>
      client.get<PermissionRequestPage>(
        `${permissions}/permission-requests/incoming?status=pending&limit=100`,
      ),
    ),
  approve: (requestId: string, scopes?: readonly string[]) =>
    send(() =>
      client.post<PermissionRequest>(
        `${permissions}/permission-requests/${id(requestId)}/approve`,
        scopes === undefined ? {} : { scopes },
      ),
    ),
  deny: (requestId: string) =>
    send(() => client.post<undefined>(`${permissions}/permission-requests/${id(requestId)}/deny`)),
  sharedWithMe: () => send(() => client.get<SharedAlbum[]>(`${permissions}/shared-with-me`)),
  shares: (albumId: string) =>
    send(() => client.get<Share[]>(`${permissions}/albums/${id(albumId)}/shares`)),
  share: (albumId: string, username: string, scopes: readonly string[]) =>
    send(() =>
      client.put<Share>(`${permissions}/albums/${id(albumId)}/shares/${id(username)}`, {
        scopes,
      }),
    ),
  revoke: (albumId: string, username: string) =>
    send(() =>
      client.delete<undefined>(`${permissions}/albums/${id(albumId)}/shares/${id(username)}`),
    ),
  audit: (albumId: string) =>
    send(() => client.get<AuditPage>(`${permissions}/albums/${id(albumId)}/audit?limit=100`)),
  adminAlbums: () => send(() => client.get<AlbumPage>(`${albums}/admin/albums?limit=100`)),
  outbox: () => send(() => client.get<OutboxBacklog>(`${albums}/admin/uma/outbox`)),
};

interface XhrAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: number | undefined;
}

/** One POST with XMLHttpRequest, reporting upload progress; status 0 when it never arrived. */
function postWithProgress(
  url: string,
  form: FormData,
  authorization: string,
  onProgress: (fraction: number) => void,
): Promise<XhrAnswer> {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('authorization', authorization);
    xhr.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) {
        onProgress(event.loaded / event.total);
      }
    });
    xhr.addEventListener('load', () => {
      let body: unknown;
      try {
        body = JSON.parse(xhr.responseText) as unknown;
      } catch {
        body = undefined;
      }
      const retry = xhr.getResponseHeader('retry-after');
      resolve({
        status: xhr.status,
        body,
        retryAfter: retry === null ? undefined : Number.parseInt(retry, 10),
      });
    });
    xhr.addEventListener('error', () =>
      resolve({ status: 0, body: undefined, retryAfter: undefined }),
    );
    xhr.send(form);
  });
}

/**
 * Uploads a photo with progress: fetch cannot report upload progress, so this one request uses
 * XMLHttpRequest with the `Authorization` uma-client would send to the album. When that is refused
 * (`401`: a UMA challenge, or an expired token), the upload is sent once more through the client,
 * which answers the challenge or renews the token (without progress).
 */
export async function uploadPhoto(
  albumId: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<ApiResult<Photo>> {
  const url = `${albums}/albums/${id(albumId)}/photos`;
  const form = new FormData();
  form.append('file', file, file.name);
  let authorization: string;
  try {
    authorization = await client.authorizationFor(url);
  } catch (error) {
    return failed(error);
  }
  const answer = await postWithProgress(url, form, authorization, onProgress);
  if (answer.status === 401) {
    return send(() => client.post<Photo>(url, undefined, { body: form }));
  }
  if (answer.status >= 200 && answer.status < 300) {
    return { kind: 'ok', status: answer.status, body: answer.body as Photo };
  }
  if (answer.status === 0) {
    return {
      kind: 'problem',
      status: 0,
      problem: { detail: 'The upload could not reach the album service.' },
    };
  }
  return {
    kind: 'problem',
    status: answer.status,
    problem:
      typeof answer.body === 'object' && answer.body !== null
        ? answer.body
        : { detail: `The upload failed (${answer.status}).` },
    ...retryAfter(answer.retryAfter),
  };
}

/** A result that is not `ok`, as one sentence for the person using the app. */
export function sentence(result: Exclude<ApiResult<unknown>, { kind: 'ok' }>): string {
  if (result.kind === 'no-access') {
    return 'You do not have access to this.';
  }
  if (result.kind === 'access-requested') {
    return 'Access has been requested; the owner has not answered yet.';
  }
  const { problem } = result;
  const fields = (problem.errors ?? [])
    .map((error) => error.message || error.field)
    .filter((message) => message !== '');
  const said =
    problem.detail === undefined && fields.length > 0
      ? fields.join('; ')
      : (problem.detail ?? problem.title ?? `The server answered ${result.status}.`);
  return result.retryAfter === undefined
    ? said
    : `${said} You can try again in ${result.retryAfter} s.`;
}
