import { DevAdminToken } from '../../scripts/dev-realm/admin-token.ts';
import { KEYCLOAK_URL, REALM } from '../../scripts/dev-realm/realm.ts';

/** The Keycloak admin REST API of the test realm, as the dev-only bootstrap administrator. */
export class KeycloakAdmin {
  private readonly adminToken = new DevAdminToken();

  private accessToken(): Promise<string> {
    return this.adminToken.get();
  }

  /** Calls `/admin/realms/<realm><path>`; returns the parsed body (or undefined) and the response. */
  async call<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T; location: string | null }> {
    const response = await fetch(`${KEYCLOAK_URL}/admin/realms/${REALM}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await this.accessToken()}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    return {
      status: response.status,
      body: (text === '' ? undefined : JSON.parse(text)) as T,
      location: response.headers.get('location'),
    };
  }

  async realmId(): Promise<string> {
    const { body } = await this.call<{ id: string }>('GET', '');
    return body.id;
  }

  /** Adds a key provider component to the realm and returns its id. */
  async addKeyProvider(
    name: string,
    providerId: string,
    config: Record<string, string[]>,
  ): Promise<string> {
    const { status, location } = await this.call('POST', '/components', {
      name,
      providerId,
      providerType: 'org.keycloak.keys.KeyProvider',
      parentId: await this.realmId(),
      config,
    });
    if (status !== 201 || location === null) {
      throw new Error(`adding key provider ${name} failed: ${status}`);
    }
    return location.split('/').at(-1) ?? '';
  }

  async removeComponent(id: string): Promise<void> {
    await this.call('DELETE', `/components/${id}`);
  }

  /** The kid Keycloak assigned to the key of a provider component. */
  async kidOf(providerComponentId: string): Promise<string> {
    const { body } = await this.call<{ keys: { kid: string; providerId: string }[] }>(
      'GET',
      '/keys',
    );
    const key = body.keys.find((entry) => entry.providerId === providerComponentId);
    if (key === undefined) {
      throw new Error(`no key for provider ${providerComponentId}`);
    }
    return key.kid;
  }

  /** Creates a user of the test realm whose password is its name; returns its id. */
  async createUser(username: string): Promise<string> {
    const { status, location } = await this.call('POST', '/users', {
      username,
      enabled: true,
      email: `${username}@example.test`,
      emailVerified: true,
      firstName: 'Test',
      lastName: 'User',
      credentials: [{ type: 'password', value: username, temporary: false }],
    });
    if (status !== 201 || location === null) {
      throw new Error(`creating user ${username} failed: ${status}`);
    }
    return location.slice(location.lastIndexOf('/') + 1);
  }

  async setUserEnabled(userId: string, enabled: boolean): Promise<void> {
    const { status } = await this.call('PUT', `/users/${userId}`, { enabled });
    if (status !== 204) {
      throw new Error(`updating user ${userId} failed: ${status}`);
    }
  }

  async deleteUser(userId: string): Promise<void> {
    await this.call('DELETE', `/users/${userId}`);
  }
}
