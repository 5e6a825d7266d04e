import { isUuid } from '../validation/uuid.ts';

/**
 * How an album appears in Keycloak, shared by the service that registers albums and the one that
 * manages access to them.
 */
export const ALBUM_RESOURCE_TYPE = 'urn:photoz:album';

/** The scopes an album's Keycloak resource offers. */
export const ALBUM_SCOPES = ['album:view', 'album:edit', 'album:delete'] as const;

const RESOURCE_NAME_PREFIX = 'album-';

/** The album resource's unique, deterministic name. */
export function albumResourceName(albumId: string): string {
  return `${RESOURCE_NAME_PREFIX}${albumId}`;
}

/** The album id in a resource name, or `undefined` for a name that is not an album's. */
export function albumIdOf(resourceName: string): string | undefined {
  const id = resourceName.startsWith(RESOURCE_NAME_PREFIX)
    ? resourceName.slice(RESOURCE_NAME_PREFIX.length)
    : '';
  return isUuid(id) ? id : undefined;
}
