import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import {
  ISSUER,
  PARTNER_NOAUDIENCE_SECRET,
  PARTNER_PRINTSHOP_SECRET,
} from '../scripts/dev-realm/realm.ts';
import { KeycloakAdmin } from './support/keycloak-admin.ts';
import {
  accessClaims,
  foreignKeyPair,
  forgeToken,
  hs256,
  realmSigningKey,
  rs256,
} from './support/forge.ts';
import { call, type RunningService, startService } from './support/service-harness.ts';
import { clientToken, decodeJwt, login } from '../scripts/dev-realm/tokens.ts';

interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

// Each service started the same way: what differs between their configurations plays no part here.
const services: readonly (readonly [string, () => Promise<RunningService>])[] = [
  ['album-service', () => startService(albumService)],
  ['permission-service', () => startService(permissionService)],
];

describe.each(services)('token validation on %s', (_name, start) => {
  let service: RunningService;

  beforeAll(async () => {
    service = await start();
  });
  afterAll(async () => {
    await service.close();
  });

  async function expectRefused(
    token: string | undefined,
    description: string | undefined,
  ): Promise<void> {
    const response = await call<Problem>(service.url, 'GET', '/me', { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(
      description === undefined
        ? 'Bearer realm="photoz"'
        : `Bearer realm="photoz", error="invalid_token", error_description="${description}"`,
    );
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect(response.body.status).toBe(401);
    expect(response.body.detail).toContain(description ?? 'needs a bearer access token');
    // The token is never echoed back, whole or in part.
    for (const part of (token ?? '').split('.').filter((segment) => segment.length > 8)) {
      expect(response.text).not.toContain(part);
    }
  }

  it('accepts alice through the photoz-cli client', async () => {
    const { access_token: token } = await login('alice');
    const response = await call(service.url, 'GET', '/me', { token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      subject: decodeJwt(token).payload['sub'],
      username: 'alice',
      clientId: 'photoz-cli',
      partner: false,
    });
    expect(response.body['realmRoles']).toContain('user');
    expect(response.body['realmRoles']).not.toContain('admin');
  });

  it('accepts the partner-printshop application with client credentials', async () => {
    const { access_token: token } = await clientToken(
      'partner-printshop',
      PARTNER_PRINTSHOP_SECRET,
    );
    const response = await call(service.url, 'GET', '/me', { token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      username: 'service-account-partner-printshop',
      clientId: 'partner-printshop',
      partner: true,
    });
  });

  it('refuses a token without the album API in its audience', async () => {
    const { access_token: token } = await clientToken(
      'partner-noaudience',
      PARTNER_NOAUDIENCE_SECRET,
    );
    expect(decodeJwt(token).payload['aud'] ?? []).not.toContain('album-api');
    await expectRefused(token, 'audience not accepted');
  });

  it('refuses a token of another realm', async () => {
    const { access_token: token } = await login('alice', { realm: 'other' });
    expect(decodeJwt(token).payload['aud']).toContain('album-api');
    await expectRefused(token, 'issuer not accepted');
  });

  // The typ rule on a real token of the realm: an ID token is signed like an access token (RS256,
  // a realm key, the realm as issuer), so it passes the checks that come before the type. (Its
  // `aud` is the client, photoz-cli, but the type is checked before the audience.)
  it('refuses an ID token by its typ', async () => {
    const { id_token: token } = await login('alice', { scope: 'openid' });
    expect(token).toBeDefined();
    const { header, payload } = decodeJwt(token ?? '');
    expect(header['alg']).toBe('RS256');
    expect(payload['iss']).toBe(ISSUER);
    expect(payload['typ']).toBe('ID');
    await expectRefused(token, 'not an access token');
  });

  // Keycloak signs refresh tokens (`typ: Refresh`) with a realm HMAC key (HS512), and the
  // algorithm is checked before the type: a refresh token never gets as far as the typ rule, which
  // the ID token above and the forged `typ: ID` token below exercise.
  it('refuses a refresh token by its HMAC algorithm, before the typ rule', async () => {
    const { refresh_token: token } = await login('alice');
    expect(token).toBeDefined();
    const { header, payload } = decodeJwt(token ?? '');
    expect(header['alg']).toMatch(/^HS/);
    expect(payload['typ']).toBe('Refresh');
    await expectRefused(token, 'algorithm not allowed');
  });

  it('refuses alg none', async () => {
    const { kid } = await realmSigningKey();
    await expectRefused(
      forgeToken({ alg: 'none', typ: 'JWT', kid }, accessClaims(), () => ''),
      'algorithm not allowed',
    );
  });

  it("refuses HS256 signed with the realm's public key", async () => {
    const { kid, pem } = await realmSigningKey();
    await expectRefused(
      forgeToken({ alg: 'HS256', typ: 'JWT', kid }, accessClaims(), hs256(pem)),
      'algorithm not allowed',
    );
  });

  it("refuses RS256 signed by a foreign key carrying the realm's kid", async () => {
    const { kid } = await realmSigningKey();
    const { privateKey } = foreignKeyPair();
    await expectRefused(
      forgeToken({ alg: 'RS256', typ: 'JWT', kid }, accessClaims(), rs256(privateKey)),
      'signature invalid',
    );
  });

  it('refuses RS256 signed by a foreign key with an unknown kid, without following jku', async () => {
    const { privateKey } = foreignKeyPair();
    const header = {
      alg: 'RS256',
      typ: 'JWT',
      kid: 'attacker-key',
      jku: 'http://127.0.0.1:9/jwks.json',
    };
    await expectRefused(
      forgeToken(header, accessClaims(), rs256(privateKey)),
      'unknown signing key',
    );
  });

  it('refuses a token whose payload was altered', async () => {
    const { access_token: token } = await login('jdoe');
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >;
    claims['realm_access'] = { roles: ['user', 'admin'] };
    const altered = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    await expectRefused(altered, 'signature invalid');
  });

  it('refuses garbage', async () => {
    await expectRefused('not-a-jwt', 'malformed token');
    await expectRefused('a.b.c', 'malformed token');
  });

  it('challenges a request without credentials', async () => {
    await expectRefused(undefined, undefined);
  });

  it('serves liveness and readiness without a token', async () => {
    expect((await call(service.url, 'GET', '/health/live')).status).toBe(200);
    const ready = await call(service.url, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'up', checks: { database: 'up', keycloak: 'up' } });
  });

  it('serves its OpenAPI document without a token', async () => {
    const document = await call<{ openapi: string; paths: Record<string, unknown> }>(
      service.url,
      'GET',
      '/docs-json',
    );
    expect(document.status).toBe(200);
    expect(document.body.paths).toHaveProperty('/me');
  });
});

describe('tokens signed by realm keys the test controls', () => {
  const admin = new KeycloakAdmin();
  let service: RunningService;
  let providerId: string;
  let signWithRealmKey: (claims: Record<string, unknown>) => string;

  beforeAll(async () => {
    service = await startService(albumService, { JWKS_REFRESH_MIN_INTERVAL_MS: '1000' });
    // A realm key whose private half the test holds: published in the JWKS, never used by Keycloak
    // to sign (lowest priority), so the test can mint tokens exactly as the realm would.
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    providerId = await admin.addKeyProvider('test-controlled-key', 'rsa', {
      privateKey: [privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()],
      priority: ['-100'],
      active: ['true'],
      enabled: ['true'],
      algorithm: ['RS256'],
    });
    const kid = await admin.kidOf(providerId);
    signWithRealmKey = (claims) =>
      forgeToken({ alg: 'RS256', typ: 'JWT', kid }, claims, rs256(privateKey));
    // Let the service's JWKS refresh interval pass, so that the new kid is looked up.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
  });
  afterAll(async () => {
    await admin.removeComponent(providerId);
    await service.close();
  });

  it('accepts a well-formed token signed by a realm key (the harness itself is sound)', async () => {
    const response = await call(service.url, 'GET', '/me', {
      token: signWithRealmKey(accessClaims()),
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ username: 'alice' });
  });

  it('refuses an expired token, beyond the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signWithRealmKey(accessClaims({ iat: now - 600, exp: now - 60 }));
    const response = await call(service.url, 'GET', '/me', { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error_description="token expired"');
  });

  it('accepts a token just past its expiry, within the clock tolerance', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signWithRealmKey(accessClaims({ iat: now - 300, exp: now - 2 }));
    expect((await call(service.url, 'GET', '/me', { token })).status).toBe(200);
  });

  it('refuses a token that is not valid yet', async () => {
    const now = Math.floor(Date.now() / 1000);
    const token = signWithRealmKey(accessClaims({ nbf: now + 120 }));
    const response = await call(service.url, 'GET', '/me', { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(
      'error_description="token not yet valid"',
    );
  });

  it('refuses a token without typ Bearer', async () => {
    const response = await call(service.url, 'GET', '/me', {
      token: signWithRealmKey(accessClaims({ typ: 'ID' })),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(
      'error_description="not an access token"',
    );
  });

  it('refuses a token without aud', async () => {
    const response = await call(service.url, 'GET', '/me', {
      token: signWithRealmKey(accessClaims({ aud: undefined })),
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain(
      'error_description="audience not accepted"',
    );
  });
});

describe('realm key rotation', () => {
  const admin = new KeycloakAdmin();
  let service: RunningService;
  let providerId: string | undefined;

  beforeAll(async () => {
    service = await startService(albumService, { JWKS_REFRESH_MIN_INTERVAL_MS: '1000' });
  });
  afterAll(async () => {
    if (providerId !== undefined) {
      await admin.removeComponent(providerId);
    }
    await service.close();
  });

  it('accepts tokens signed with a newly added realm key without a restart', async () => {
    const before = await login('alice');
    expect((await call(service.url, 'GET', '/me', { token: before.access_token })).status).toBe(
      200,
    );

    providerId = await admin.addKeyProvider('rotated-key', 'rsa-generated', {
      priority: ['1000'],
      active: ['true'],
      enabled: ['true'],
      keySize: ['2048'],
      algorithm: ['RS256'],
    });
    const newKid = await admin.kidOf(providerId);
    const after = await login('alice');
    expect(decodeJwt(after.access_token).header['kid']).toBe(newKid);
    expect(decodeJwt(after.access_token).header['kid']).not.toBe(
      decodeJwt(before.access_token).header['kid'],
    );

    // The service saw the JWKS at start; the refresh interval (1 s here) must pass before the next.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const response = await call(service.url, 'GET', '/me', { token: after.access_token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ username: 'alice' });
  });
});
