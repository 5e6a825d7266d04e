import { isUuid } from '@app/common';

/** The id of a permission request: the resource and the party it is about. */
export function requestId(entry: { resourceId: string; requester: { id: string } }): string {
  return `${entry.resourceId}.${entry.requester.id}`;
}

/** The resource and requester a request id names; `undefined` for anything not made by {@link requestId}. */
export function parseRequestId(
  id: string,
): { resourceId: string; requesterId: string } | undefined {
  const [resourceId, requesterId, ...rest] = id.split('.');
  return resourceId !== undefined &&
    requesterId !== undefined &&
    rest.length === 0 &&
    isUuid(resourceId) &&
    isUuid(requesterId)
    ? { resourceId, requesterId }
    : undefined;
}
