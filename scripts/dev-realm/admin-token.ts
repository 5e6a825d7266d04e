import { DEV_ADMIN, KEYCLOAK_URL } from './realm.ts';

/**
 * Access tokens of the dev-only bootstrap administrator (the master realm's `admin-cli`), for the
 * admin REST API the tests and the benchmark drive; one is reused until 10 s before it expires.
 * Plain TypeScript that Node runs with type stripping.
 */
export class DevAdminToken {
  private readonly keycloakUrl: string;
  private token: { value: string; expiresAt: number } | undefined;

  constructor(keycloakUrl: string = KEYCLOAK_URL) {
    this.keycloakUrl = keycloakUrl.replace(/\/+$/, '');
  }

  async get(): Promise<string> {
    if (this.token !== undefined && Date.now() < this.token.expiresAt - 10_000) {
      return this.token.value;
    }
    const response = await fetch(
      `${this.keycloakUrl}/realms/master/protocol/openid-connect/token`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'password',
          client_id: 'admin-cli',
          username: DEV_ADMIN.username,
          password: DEV_ADMIN.password,
        }),
      },
    );
    if (!response.ok) {
      throw new Error(`admin login failed: ${response.status}`);
    }
    const body = (await response.json()) as { access_token: string; expires_in: number };
    this.token = { value: body.access_token, expiresAt: Date.now() + body.expires_in * 1000 };
    return body.access_token;
  }
}
