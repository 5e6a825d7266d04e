import { describe, expect, it } from 'vitest';
import {
  ALBUM_API_SECRET,
  ALBUM_API_UUID,
  ISSUER,
  KEYCLOAK_URL,
  REALM,
} from '../scripts/dev-realm/realm.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import { basic, clientToken, login, tokenEndpoint } from '../scripts/dev-realm/tokens.ts';

interface Client {
  readonly id: string;
  readonly clientId: string;
  readonly enabled?: boolean;
  readonly authorizationServicesEnabled?: boolean;
  readonly attributes?: Record<string, string>;
}

/**
 * The pinned Keycloak lacks some 2026 fixes; docs/security.md, "Keycloak version", explains how far each
 * reaches this realm. These tests keep the realm as that explanation says.
 */
describe('the dev realm keeps the pinned Keycloak safe', () => {
  const admin = new KeycloakAdmin();

  it('has exactly one resource server, album-api, with the internal id the services are given', async () => {
    const { body: clients } = await admin.call<Client[]>('GET', '/clients?max=1000');
    const resourceServers = clients.filter(
      (client) => client.authorizationServicesEnabled === true,
    );
    expect(resourceServers.map((client) => [client.clientId, client.id])).toEqual([
      ['album-api', ALBUM_API_UUID],
    ]);
    const { body: settings } = await admin.call<{ policyEnforcementMode: string }>(
      'GET',
      `/clients/${ALBUM_API_UUID}/authz/resource-server`,
    );
    expect(settings.policyEnforcementMode).toBe('ENFORCING');
  });

  it('never issues a user a token for album-api (the UMA policy endpoint stays out of reach)', async () => {
    const grants: Record<string, string>[] = [
      { grant_type: 'password', username: 'alice', password: 'alice' },
      {
        grant_type: 'urn:ietf:params:oauth:grant-type:token-exchange',
        subject_token: 'x',
        subject_token_type: 'urn:ietf:params:oauth:token-type:access_token',
      },
    ];
    for (const grant of grants) {
      const response = await fetch(tokenEndpoint(), {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: basic('album-api', ALBUM_API_SECRET),
        },
        body: new URLSearchParams(grant),
      });
      const body = (await response.json()) as { access_token?: string; error?: string };
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(body.access_token).toBeUndefined();
    }
    const { body: clients } = await admin.call<Client[]>('GET', '/clients?clientId=album-api');
    expect(clients[0]?.attributes?.['standard.token.exchange.enabled'] ?? 'false').toBe('false');
  });

  it("keeps Keycloak's Account REST API off, where an owner could share behind the permission service", async () => {
    const { body: clients } = await admin.call<Client[]>('GET', '/clients?clientId=account');
    expect(clients.map((client) => client.enabled)).toEqual([false]);
    const { access_token: alice } = await login('alice');
    const resources = await fetch(`${ISSUER}/account/resources`, {
      headers: { authorization: `Bearer ${alice}`, accept: 'application/json' },
    });
    expect(resources.status).toBe(404);
  });

  it("records admin events with their details, which album-api's service account can read", async () => {
    const { body: realm } = await admin.call<{
      adminEventsEnabled?: boolean;
      adminEventsDetailsEnabled?: boolean;
    }>('GET', '');
    expect([realm.adminEventsEnabled, realm.adminEventsDetailsEnabled]).toEqual([true, true]);
    const { access_token: pat } = await clientToken('album-api', ALBUM_API_SECRET);
    const events = await fetch(`${KEYCLOAK_URL}/admin/realms/${REALM}/admin-events?max=1`, {
      headers: { authorization: `Bearer ${pat}` },
    });
    expect(events.status).toBe(200);
  });

  it('issues no initial access tokens for dynamic client registration', async () => {
    const { status, body } = await admin.call<unknown[]>('GET', '/clients-initial-access');
    expect(status).toBe(200);
    expect(body).toEqual([]);
  });
});
