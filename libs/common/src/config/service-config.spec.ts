import { describe, expect, it } from 'vitest';
import { ConfigError } from './env.ts';
import { loadServiceConfig } from './service-config.ts';

describe(loadServiceConfig.name, () => {
  it('applies defaults and derives the issuer from the realm', () => {
    const config = loadServiceConfig(3000, { KEYCLOAK_CLIENT_SECRET: 's' });
    expect(config.http).toEqual({
      host: '127.0.0.1',
      port: 3000,
      corsOrigins: ['http://localhost:5173'],
    });
    expect(config.keycloak.issuer).toBe('http://localhost:8080/realms/photoz');
    expect(config.auth.audience).toBe('album-api');
  });

  it('names every bad variable without echoing values', () => {
    const attempt = () =>
      loadServiceConfig(3000, {
        PORT: 'eighty',
        DATABASE_URL: 'mysql://secret-password@db/x',
        KEYCLOAK_URL: 'nope',
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/PORT: must be a port number/);
    expect(attempt).toThrow(/DATABASE_URL: must be a postgres:\/\/ URL/);
    expect(attempt).toThrow(/KEYCLOAK_URL: must be an http\(s\) URL/);
    expect(attempt).toThrow(/KEYCLOAK_CLIENT_SECRET: is required/);
    expect(attempt).not.toThrow(/secret-password/);
  });

  it('splits CORS origins and trims trailing slashes from URLs', () => {
    const config = loadServiceConfig(3001, {
      KEYCLOAK_CLIENT_SECRET: 's',
      KEYCLOAK_URL: 'http://kc:8080/',
      CORS_ORIGINS: 'http://a.test, http://b.test,',
    });
    expect(config.keycloak.url).toBe('http://kc:8080');
    expect(config.http.corsOrigins).toEqual(['http://a.test', 'http://b.test']);
  });

  it('bounds bodies and slow clients by default, each bound configurable', () => {
    expect(loadServiceConfig(3000, { KEYCLOAK_CLIENT_SECRET: 's' }).httpLimits).toEqual({
      bodyLimitBytes: 32_768,
      jsonMaxDepth: 16,
      headersTimeoutMs: 10_000,
      bodyTimeoutMs: 10_000,
      uploadTimeoutMs: 300_000,
      keepAliveTimeoutMs: 72_000,
      maxConnections: 1_000,
    });
    const config = loadServiceConfig(3000, {
      KEYCLOAK_CLIENT_SECRET: 's',
      HTTP_JSON_MAX_DEPTH: '4',
      HTTP_BODY_TIMEOUT_MS: '500',
      HTTP_MAX_CONNECTIONS: '2',
    });
    expect(config.httpLimits).toMatchObject({
      jsonMaxDepth: 4,
      bodyTimeoutMs: 500,
      maxConnections: 2,
    });
  });

  it('refuses a JSON depth the parsers cannot take, and an upload bound below the others', () => {
    expect(() =>
      loadServiceConfig(3000, { KEYCLOAK_CLIENT_SECRET: 's', HTTP_JSON_MAX_DEPTH: '5000' }),
    ).toThrow(/HTTP_JSON_MAX_DEPTH: must be 2 to 256/);
    expect(() =>
      loadServiceConfig(3000, {
        KEYCLOAK_CLIENT_SECRET: 's',
        HTTP_UPLOAD_TIMEOUT_MS: '5000',
        HTTP_HEADERS_TIMEOUT_MS: '6000',
      }),
    ).toThrow(/HTTP_UPLOAD_TIMEOUT_MS: must be at least/);
  });
});
