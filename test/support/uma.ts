import {
  ALBUM_API_SECRET,
  ALBUM_API_UUID,
  KEYCLOAK_URL,
  REALM,
} from '../../scripts/dev-realm/realm.ts';
import { clientToken } from '../../scripts/dev-realm/tokens.ts';

/** The test's own view of Keycloak's protection API, as the album-api resource server. */
export class ProtectionApi {
  private async pat(): Promise<string> {
    return (await clientToken('album-api', ALBUM_API_SECRET)).access_token;
  }

  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${KEYCLOAK_URL}/realms/${REALM}/authz/protection${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.pat()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return { status: response.status, body: (text === '' ? undefined : JSON.parse(text)) as T };
  }

  async resource(id: string): Promise<KeycloakResource | undefined> {
    const { status, body } = await this.request<KeycloakResource>('GET', `/resource_set/${id}`);
    return status === 200 ? body : undefined;
  }

  /** Resources of a type whose name is one of `names` (full representations). */
  async resourcesNamed(names: readonly string[]): Promise<KeycloakResource[]> {
    const found: KeycloakResource[] = [];
    for (const name of names) {
      const { body } = await this.request<KeycloakResource[]>(
        'GET',
        `/resource_set?deep=true&exactName=true&name=${encodeURIComponent(name)}`,
      );
      found.push(...body);
    }
    return found;
  }

  async deleteResource(id: string): Promise<number> {
    return (await this.request('DELETE', `/resource_set/${id}`)).status;
  }

  /**
   * Creates a resource as the service does: through the admin API with album-api's own token, so
   * that `owner` is kept (the protection API ignores it on Keycloak 26.6 and later).
   */
  async createResource(body: Record<string, unknown>): Promise<KeycloakResource> {
    const response = await fetch(
      `${KEYCLOAK_URL}/admin/realms/${REALM}/clients/${ALBUM_API_UUID}/authz/resource-server/resource`,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await this.pat()}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      },
    );
    if (response.status !== 201) {
      throw new Error(`creating a resource failed: ${response.status}`);
    }
    return (await response.json()) as KeycloakResource;
  }

  /** Grants `requester` (a username) a scope on a resource, as a granted permission ticket. */
  async share(resourceId: string, requesterName: string, scopeName: string): Promise<void> {
    const { status } = await this.request('POST', '/permission/ticket', {
      resource: resourceId,
      requesterName,
      scopeName,
      granted: true,
    });
    if (status !== 200 && status !== 201) {
      throw new Error(`sharing failed: ${status}`);
    }
  }
}

export interface KeycloakResource {
  readonly _id: string;
  readonly name: string;
  readonly displayName?: string;
  readonly type?: string;
  readonly owner?: { id: string; name?: string };
  readonly ownerManagedAccess?: boolean;
  readonly uris?: string[];
  readonly resource_scopes?: { name: string }[];
}

export interface UmaChallenge {
  readonly realm: string;
  readonly asUri: string;
  readonly ticket: string;
}

/** Parses `WWW-Authenticate: UMA realm="…", as_uri="…", ticket="…"`. */
export function parseUmaChallenge(header: string | null): UmaChallenge {
  const match = /^UMA realm="([^"]*)", as_uri="([^"]*)", ticket="([^"]*)"$/.exec(header ?? '');
  if (match === null) {
    throw new Error(`not a UMA challenge: ${header ?? '(none)'}`);
  }
  return { realm: match[1] ?? '', asUri: match[2] ?? '', ticket: match[3] ?? '' };
}
