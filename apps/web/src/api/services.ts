import type { AlbumService, PermissionService } from '@app/api-contract';
import { UmaClient } from '@app/uma-client';
import createClient from 'openapi-fetch';
import { accessToken } from '../auth.ts';
import { config, issuer } from '../config.ts';
import { umaFetch } from './transport.ts';

/**
 * Every call of the app goes through this client. It sends the person's tokens only to the two
 * services and answers only challenges naming the realm's issuer. `requestAccess: false`: a
 * stranger who opens a link gets `no-access` rather than Keycloak filing a request on their
 * behalf; the person asks deliberately with "Request access", through the permission service
 * (which audits it).
 */
export const umaClient = new UmaClient({
  issuer,
  apiOrigins: [config.albumApi, config.permissionApi],
  person: { accessToken },
  requestAccess: false,
});

/** The album service, typed by its contract. */
export const albumService = createClient<AlbumService.paths>({
  baseUrl: config.albumApi,
  fetch: umaFetch(umaClient),
});

/** The permission service, typed by its contract. */
export const permissionService = createClient<PermissionService.paths>({
  baseUrl: config.permissionApi,
  fetch: umaFetch(umaClient),
});
