import { expect } from 'vitest';
import { call } from './service-harness.ts';

export interface Album {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly ownerId: string;
  readonly ownerUsername: string;
  readonly keycloakResourceId: string | null;
}

export async function createAlbum(
  base: string,
  token: string,
  name: string,
  description?: string,
): Promise<Album> {
  const response = await call<Album>(base, 'POST', '/albums', {
    token,
    body: { name, description },
  });
  expect(response.status).toBe(201);
  return response.body;
}

/** Waits until the relay has registered the album in Keycloak; returns its resource id. */
export async function registeredResourceId(
  base: string,
  ownerToken: string,
  albumId: string,
  timeoutMs = 15_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const response = await call<Album>(base, 'GET', `/albums/${albumId}`, { token: ownerToken });
    if (
      response.body.keycloakResourceId !== null &&
      response.body.keycloakResourceId !== undefined
    ) {
      return response.body.keycloakResourceId;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`album ${albumId} was not registered within ${timeoutMs} ms`);
}

export interface Photo {
  readonly id: string;
  readonly albumId: string;
  readonly fileName: string;
  readonly contentType: string;
  readonly size: number;
  readonly checksum: string;
}

/** Uploads `parts.bytes` as the multipart field `file` (or `parts.field`); without bytes, a form with no file. */
export async function uploadPhoto(
  base: string,
  token: string,
  albumId: string,
  parts: { field?: string; name?: string; bytes?: Buffer; type?: string },
): Promise<{ status: number; body: Photo & { detail?: string; errors?: { field: string }[] } }> {
  const form = new FormData();
  if (parts.bytes !== undefined) {
    form.append(
      parts.field ?? 'file',
      new Blob([parts.bytes], { type: parts.type ?? 'application/octet-stream' }),
      parts.name ?? 'photo.bin',
    );
  } else {
    form.append('title', 'no file here');
  }
  const response = await fetch(`${base}/albums/${albumId}/photos`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as Photo & { detail?: string } };
}
