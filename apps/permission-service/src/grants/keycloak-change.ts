import type { AdminEvent } from '@app/keycloak';

/** The admin events that can take a grant away: changes and deletions of these. */
export const NARROWING_RESOURCE_TYPES = [
  'AUTHORIZATION_RESOURCE_SERVER',
  'AUTHORIZATION_RESOURCE',
  'AUTHORIZATION_SCOPE',
  'AUTHORIZATION_POLICY',
  'USER',
  'CLIENT',
] as const;
export const NARROWING_OPERATIONS = ['UPDATE', 'DELETE'] as const;

/** What some admin events may have narrowed, so what to reconcile. */
export interface KeycloakChange {
  readonly resources: ReadonlySet<string>;
  readonly subjects: ReadonlySet<string>;
  /** Something no single resource or user names (a scope, a partner's client policy): all. */
  readonly everything: boolean;
}

const SHARE_NAME = /^share (\S+) \S+$/;

function representationOf(event: AdminEvent): { name?: unknown; resources?: unknown } {
  try {
    const parsed: unknown = JSON.parse(event.representation ?? '');
    return typeof parsed === 'object' && parsed !== null ? parsed : {};
  } catch {
    return {};
  }
}

/** The resources a changed or deleted policy or permission was about; `undefined`: unknown. */
function policyResources(event: AdminEvent): string[] | undefined {
  const { name, resources } = representationOf(event);
  const share = typeof name === 'string' ? SHARE_NAME.exec(name) : null;
  if (share?.[1] !== undefined) {
    return [share[1]];
  }
  if (Array.isArray(resources) && resources.length > 0) {
    return resources.filter((resource): resource is string => typeof resource === 'string');
  }
  return undefined;
}

/**
 * What `events` (admin events of the realm) may have narrowed on `resourceServerUuid`'s resources.
 * A resource's change or deletion names it in its path (admin console or protection API), a share
 * permission in its name, another permission in its resources; a deleted user is a subject. What
 * cannot be pinned down (a scope, a client policy, the resource server's settings, a deleted
 * client) is `everything`.
 */
export function changeOf(
  events: readonly AdminEvent[],
  resourceServerUuid: string,
): KeycloakChange {
  const resources = new Set<string>();
  const subjects = new Set<string>();
  let everything = false;
  const ownAuthz = [`clients/${resourceServerUuid}/authz/resource-server`, 'authz/protection/'];
  for (const event of events) {
    const path = event.resourcePath.split('/');
    switch (event.resourceType) {
      case 'USER':
        if (event.operationType === 'DELETE' && path.length === 2 && path[0] === 'users') {
          subjects.add(path[1] ?? '');
        }
        break;
      case 'CLIENT':
        everything ||= event.operationType === 'DELETE' && path.length === 2;
        break;
      case 'AUTHORIZATION_RESOURCE': {
        if (!ownAuthz.some((prefix) => event.resourcePath.startsWith(prefix))) {
          break;
        }
        const at = path.findIndex(
          (segment) => segment === 'resource' || segment === 'resource_set',
        );
        const resourceId = at >= 0 ? path[at + 1] : undefined;
        if (resourceId === undefined || resourceId === '') {
          everything = true;
        } else {
          resources.add(resourceId);
        }
        break;
      }
      case 'AUTHORIZATION_POLICY': {
        if (!ownAuthz.some((prefix) => event.resourcePath.startsWith(prefix))) {
          break;
        }
        const named = policyResources(event);
        if (named === undefined) {
          everything = true;
        } else {
          named.forEach((resourceId) => resources.add(resourceId));
        }
        break;
      }
      case 'AUTHORIZATION_SCOPE':
      case 'AUTHORIZATION_RESOURCE_SERVER':
        everything ||= ownAuthz.some((prefix) => event.resourcePath.startsWith(prefix));
        break;
      default:
        break;
    }
  }
  return { resources, subjects, everything };
}
