import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../apps/permission-service/src/permission-service.definition.ts';
import { webOrigins, webSecurityHeaders } from '../apps/web/security-headers.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import {
  collectPolicyViolations,
  launchChromium,
  type RunningBrowser,
  tinyPng,
} from './browser/browser.ts';
import { createAlbum, registeredResourceId, uploadPhoto } from './support/albums.ts';
import {
  rawRequest,
  type RunningWebServer,
  startWebDevServer,
  startWebPreview,
} from './support/web-dev-server.ts';
import { type RunningService, startService } from './support/service-harness.ts';
import { accessTokens } from '../scripts/dev-realm/tokens.ts';

/** What an API answer's policy is: it loads, runs and frames nothing. */
const API_POLICY = "default-src 'none';frame-ancestors 'none'";

/** The headers every answer of either service carries, whatever produced it. */
function expectApiHeaders(answer: { status: number; headers: IncomingHttpHeaders }): void {
  const { headers } = answer;
  expect(headers['x-content-type-options'], `${answer.status}`).toBe('nosniff');
  expect(headers['content-security-policy'], `${answer.status}`).toBe(API_POLICY);
  expect(headers['cache-control'], `${answer.status}`).toBe('no-store');
  expect(headers['x-frame-options'], `${answer.status}`).toBe('DENY');
  expect(headers['referrer-policy'], `${answer.status}`).toBe('no-referrer');
  expect(headers['x-powered-by'], `${answer.status}`).toBeUndefined();
  // Plain HTTP: HSTS belongs to the TLS terminator (libs/common/src/http/security-headers.ts).
  expect(headers['strict-transport-security'], `${answer.status}`).toBeUndefined();
}

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

describe('security headers of the services', () => {
  let albums: RunningService;
  let permissions: RunningService;
  let alice = '';
  let jdoe = '';
  let albumId = '';

  beforeAll(async () => {
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService),
    ]);
    [alice = '', jdoe = ''] = await accessTokens('alice', 'jdoe');
    albumId = (await createAlbum(albums.url, alice, 'Headers')).id;
  });
  afterAll(async () => {
    await Promise.all([albums?.close(), permissions?.close()]);
  });

  it('are on a success of each service', async () => {
    for (const [base, path] of [
      [albums.url, '/albums'],
      [permissions.url, '/shared-with-me'],
    ] as const) {
      const answer = await rawRequest(base, path, { headers: bearer(alice) });
      expect(answer.status).toBe(200);
      expectApiHeaders(answer);
    }
  });

  it('are on a photo’s bytes, which no cache keeps', async () => {
    const photo = await uploadPhoto(albums.url, alice, albumId, {
      bytes: tinyPng(),
      name: 'p.png',
      type: 'image/png',
    });
    expect(photo.status).toBe(201);
    const answer = await rawRequest(
      albums.url,
      `/albums/${albumId}/photos/${photo.body.id}/content`,
      {
        headers: bearer(alice),
      },
    );
    expect(answer.status).toBe(200);
    expectApiHeaders(answer);
  });

  it('are on the UMA challenge and on a refused token', async () => {
    await registeredResourceId(albums.url, alice, albumId, 30_000);
    const challenge = await rawRequest(albums.url, `/albums/${albumId}`, { headers: bearer(jdoe) });
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toMatch(/^UMA /);
    expectApiHeaders(challenge);

    for (const [base, path] of [
      [albums.url, '/albums'],
      [permissions.url, '/shared-with-me'],
    ] as const) {
      const refused = await rawRequest(base, path, { headers: bearer('not-a-token') });
      expect(refused.status).toBe(401);
      expectApiHeaders(refused);
    }
  });

  it('are on a 404 problem of each service', async () => {
    for (const base of [albums.url, permissions.url]) {
      const answer = await rawRequest(base, '/no-such-route', { headers: bearer(alice) });
      expect(answer.status).toBe(404);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expectApiHeaders(answer);
    }
    const unknownAlbum = await rawRequest(
      albums.url,
      '/albums/00000000-0000-4000-8000-000000000000',
      { headers: bearer(alice) },
    );
    expect(unknownAlbum.status).toBe(404);
    expectApiHeaders(unknownAlbum);
  });

  it('are on a 400 validation problem of each service', async () => {
    for (const [base, path] of [
      [albums.url, '/albums'],
      [permissions.url, '/permission-requests'],
    ] as const) {
      const answer = await rawRequest(base, path, {
        method: 'POST',
        headers: { ...bearer(alice), 'content-type': 'application/json' },
        body: '{}',
      });
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expectApiHeaders(answer);
    }
  });

  it('are on the answers Fastify’s router makes itself (a malformed URL)', async () => {
    for (const base of [albums.url, permissions.url]) {
      const answer = await rawRequest(base, '/albums/%E0%A4%A');
      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toMatch(/^application\/problem\+json/);
      expectApiHeaders(answer);
    }
  });

  it('are on /health and /docs-json', async () => {
    for (const path of ['/health/live', '/health/ready', '/docs-json']) {
      expectApiHeaders(await rawRequest(albums.url, path));
    }
  });

  it('give Swagger UI at /docs the policy it needs, and it still works in Chromium', async () => {
    const page = await rawRequest(permissions.url, '/docs');
    expect(page.status).toBe(200);
    const policy = String(page.headers['content-security-policy'] ?? '');
    expect(policy).toMatch(/default-src 'none'/);
    expect(policy).toMatch(/script-src 'self'(;|$)/);
    expect(policy).toMatch(/frame-ancestors 'none'/);
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['cache-control']).toBe('no-store');
    const script = await rawRequest(permissions.url, '/docs/swagger-ui-bundle.js');
    expect(script.status).toBe(200);
    expect(script.headers['x-content-type-options']).toBe('nosniff');
    expect(script.headers['content-security-policy']).toBe(policy);

    const chromium: RunningBrowser = await launchChromium();
    try {
      const context = await chromium.browser.newContext();
      const violations = await collectPolicyViolations(context);
      const tab = await context.newPage();
      await tab.goto(`${permissions.url}/docs`);
      await tab.locator('.opblock').first().waitFor({ timeout: 15_000 });
      await tab.getByText('/shared-with-me', { exact: true }).first().waitFor();
      expect(violations).toEqual([]);
    } finally {
      await chromium.close();
    }
  });
});

describe('security headers of the web app', () => {
  const origins = webOrigins(process.env);

  describe('on the dev server', () => {
    let web: RunningWebServer;

    beforeAll(async () => {
      web = await startWebDevServer();
    });
    afterAll(async () => {
      await web?.close();
    });

    it('sends a policy with a fresh nonce per page, the one on every script of the page', async () => {
      const pages = await Promise.all(
        [1, 2].map(() => rawRequest(web.url, '/', { headers: { accept: 'text/html' } })),
      );
      const nonces = pages.map((page) => {
        expect(page.status).toBe(200);
        const policy = String(page.headers['content-security-policy'] ?? '');
        const nonce = /'nonce-([^']+)'/.exec(policy)?.[1] ?? '';
        expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
        expect(policy).toContain(`script-src 'self' 'nonce-${nonce}';`);
        expect(policy).not.toContain('unsafe-inline');
        expect(policy).not.toContain('unsafe-eval');
        const scripts = [...page.body.matchAll(/<script\b[^>]*>/g)].map(([tag]) => tag);
        expect(scripts.length).toBeGreaterThan(1);
        for (const script of scripts) {
          expect(script).toContain(`nonce="${nonce}"`);
        }
        return nonce;
      });
      expect(nonces[0]).not.toBe(nonces[1]);
    });

    it('never answers the page 304, whose cached copy would hold an older nonce', async () => {
      const first = await rawRequest(web.url, '/', { headers: { accept: 'text/html' } });
      expect(first.headers['etag']).toBeUndefined();
      const again = await rawRequest(web.url, '/', {
        headers: { accept: 'text/html', 'if-none-match': 'W/"anything"' },
      });
      expect(again.status).toBe(200);
    });

    it('lets the page talk to the two services and Keycloak only, and forbids framing', async () => {
      const page = await rawRequest(web.url, '/albums/x', { headers: { accept: 'text/html' } });
      const policy = String(page.headers['content-security-policy'] ?? '');
      expect(policy).toContain(
        `connect-src 'self' ${origins.albumApi} ${origins.permissionApi} ${origins.keycloak};`,
      );
      expect(policy).toContain("frame-ancestors 'none'");
      expect(page.headers['x-frame-options']).toBe('DENY');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      expect(page.headers['referrer-policy']).toBe('no-referrer');
      const module = await rawRequest(web.url, '/src/main.tsx');
      expect(module.headers['x-content-type-options']).toBe('nosniff');
      expect(module.headers['cross-origin-resource-policy']).toBe('same-origin');
    });
  });

  describe('on the built app (`vite preview`, as the nginx image sends them)', () => {
    let web: RunningWebServer;
    let outDir = '';

    beforeAll(async () => {
      outDir = mkdtempSync(join(tmpdir(), 'photoz-web-'));
      await build({
        configFile: join(ROOT, 'apps', 'web', 'vite.config.ts'),
        logLevel: 'silent',
        build: { outDir },
      });
      web = await startWebPreview(outDir);
    });
    afterAll(async () => {
      await web?.close();
      rmSync(outDir, { recursive: true, force: true });
    });

    it('sends exactly the headers of the one definition, without a nonce', async () => {
      const page = await rawRequest(web.url, '/', { headers: { accept: 'text/html' } });
      expect(page.status).toBe(200);
      for (const [name, value] of Object.entries(webSecurityHeaders(origins))) {
        expect(page.headers[name.toLowerCase()], `header ${name}`).toBe(value);
      }
      expect(page.headers['content-security-policy']).not.toMatch(/nonce|unsafe/);
    });

    it('loads in Chromium without a policy violation', async () => {
      const chromium = await launchChromium();
      try {
        const context = await chromium.browser.newContext();
        const violations = await collectPolicyViolations(context);
        const tab = await context.newPage();
        await tab.goto(`${web.url}/`);
        await tab.getByRole('button', { name: 'Log in' }).waitFor({ timeout: 15_000 });
        expect(violations).toEqual([]);
      } finally {
        await chromium.close();
      }
    });
  });
});
