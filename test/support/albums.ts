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
