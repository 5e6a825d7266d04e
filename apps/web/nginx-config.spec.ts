import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nginxConfig } from './nginx-config.ts';
import { webOrigins, webSecurityHeaders } from './security-headers.ts';

const headers = webSecurityHeaders(webOrigins({}));
const config = nginxConfig(headers);
const [serverLevel = '', locations = ''] = config.split(/^ {2}location /m);

describe(nginxConfig.name, () => {
  it('sets every header of the web app’s definition at server level, on error answers too', () => {
    for (const [name, value] of Object.entries(headers)) {
      expect(serverLevel).toContain(`\n  add_header ${name} "${value}" always;\n`);
    }
  });

  it('lets no location set a header of its own, which would drop the inherited ones', () => {
    expect(locations).not.toContain('add_header');
  });

  it('names the services and Keycloak it is built for in the policy', () => {
    const policy = webSecurityHeaders(
      webOrigins({
        VITE_ALBUM_API: 'https://albums.example.com/v1/',
        VITE_PERMISSION_API: 'https://permissions.example.com',
        VITE_KEYCLOAK_URL: 'https://login.example.com/auth',
      }),
    )['Content-Security-Policy'];
    expect(policy).toContain(
      "connect-src 'self' https://albums.example.com https://permissions.example.com https://login.example.com;",
    );
  });

  it('refuses a value nginx would not take literally', () => {
    expect(() => nginxConfig({ 'X-Test': 'a$host' })).toThrow(/literally/);
    expect(() => nginxConfig({ 'X-Test': 'a"b' })).toThrow(/literally/);
  });

  it('is the configuration the web image installs', () => {
    const dockerfile = readFileSync(
      new URL('../../docker/web.Dockerfile', import.meta.url),
      'utf8',
    );
    expect(dockerfile).toMatch(/^RUN node apps\/web\/nginx-config\.ts > \/app\/nginx\.conf$/m);
    expect(dockerfile).toMatch(
      /^COPY --from=build \/app\/nginx\.conf \/etc\/nginx\/conf\.d\/default\.conf$/m,
    );
  });
});
