import type { Photo } from './contract.ts';
import { type ApiResult, failed, retryAfter } from './result.ts';
import { albumService, umaClient } from './services.ts';
import { send } from './transport.ts';
import { config } from '../config.ts';

interface XhrAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly retryAfter: string | null;
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
      resolve({ status: xhr.status, body, retryAfter: xhr.getResponseHeader('retry-after') });
    });
    xhr.addEventListener('error', () => resolve({ status: 0, body: undefined, retryAfter: null }));
    xhr.send(form);
  });
}

/** The upload's form: the contract's one field, `file`, with the file's own name. */
function photoForm(body: { file: Blob }): FormData {
  const form = new FormData();
  form.append('file', body.file, body.file instanceof File ? body.file.name : 'photo');
  return form;
}

/**
 * Uploads a photo with progress: fetch cannot report upload progress, so this one request uses
 * XMLHttpRequest with the `Authorization` uma-client would send to the album. When that is refused
 * (`401`: a UMA challenge, or an expired token), the upload is sent once more through the typed
 * client, whose uma-client answers the challenge or renews the token (without progress).
 */
export async function uploadPhoto(
  albumId: string,
  file: File,
  onProgress: (fraction: number) => void,
): Promise<ApiResult<Photo>> {
  const url = `${config.albumApi}/albums/${encodeURIComponent(albumId)}/photos`;
  let authorization: string;
  try {
    authorization = await umaClient.authorizationFor(url);
  } catch (error) {
    return failed(error);
  }
  const answer = await postWithProgress(url, photoForm({ file }), authorization, onProgress);
  if (answer.status === 401) {
    return send(() =>
      albumService.POST('/albums/{id}/photos', {
        params: { path: { id: albumId } },
        body: { file },
        bodySerializer: photoForm,
      }),
    );
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
    ...retryAfter(Number.parseInt(answer.retryAfter ?? '', 10)),
  };
}
