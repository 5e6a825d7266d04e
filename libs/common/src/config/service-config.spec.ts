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
});
