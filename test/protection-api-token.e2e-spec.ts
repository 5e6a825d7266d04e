import { describe, expect, it } from 'vitest';
import {
  KeycloakDiscovery,
  ProtectionApiClient,
  ProtectionApiToken,
  type KeycloakOptions,
} from '@app/keycloak';
import { ALBUM_API_SECRET, ISSUER, KEYCLOAK_URL, REALM } from '../scripts/dev-realm/realm.ts';

const options: KeycloakOptions = {
  url: KEYCLOAK_URL,
  realm: REALM,
  issuer: ISSUER,
  clientId: 'album-api',
  clientSecret: ALBUM_API_SECRET,
  timeoutMs: 5_000,
};

/** Revokes a token at Keycloak as the album-api client (RFC 7009). */
async function revoke(token: string): Promise<void> {
  const response = await fetch(`${ISSUER}/protocol/openid-connect/revoke`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`album-api:${ALBUM_API_SECRET}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  expect(response.status).toBe(200);
}

describe('the protection API token against Keycloak', () => {
  it('replaces a PAT that Keycloak stopped honouring before its time, and the call goes through', async () => {
    const discovery = new KeycloakDiscovery(options);
    const pat = new ProtectionApiToken(options, discovery);
    const protection = new ProtectionApiClient(options, discovery, pat);
    await protection.findResources({ name: 'no such album', exactName: true });

    // Revoked, the cached PAT is still within its half-life: Keycloak's protection API refuses it
    // with 403 invalid_bearer_token (not 401).
    const revoked = await pat.get();
    await revoke(revoked);
    const refused = await fetch(`${(await discovery.get()).resource_registration_endpoint}?max=1`, {
      headers: { authorization: `Bearer ${revoked}` },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: 'invalid_bearer_token' });

    await expect(
      protection.findResources({ name: 'no such album', exactName: true }),
    ).resolves.toEqual([]);
    expect(await pat.get()).not.toBe(revoked);
  });
});
