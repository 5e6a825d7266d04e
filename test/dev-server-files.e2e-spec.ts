import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_KEYCLOAK_STATE_DIR } from '../scripts/lib/keycloak.ts';
import { ROOT } from '../scripts/lib/paths.ts';
import { rawRequest, type RunningWebServer, startWebDevServer } from './support/web-dev-server.ts';

/** The dev realm's client secret, as docker/keycloak/photoz-realm.json holds it. */
const REALM_SECRET = 'album-api-dev-secret';

/**
 * A file planted where a secret lives, holding a marker that must never come back. Removed
 * afterwards, with the folder when the test created it.
 */
class Decoy {
  readonly marker = `photoz-decoy-${randomBytes(8).toString('hex')}`;
  readonly path: string;
  private readonly createdFolder: boolean;

  constructor(
    readonly folder: string,
    name: string,
  ) {
    this.createdFolder = !existsSync(folder);
    mkdirSync(folder, { recursive: true });
    this.path = join(folder, name);
    writeFileSync(this.path, `${this.marker}\n`);
  }

  remove(): void {
    rmSync(this.createdFolder ? this.folder : this.path, { recursive: true, force: true });
  }
}

/**
 * `npm start` runs the web app on Vite's dev server. It must serve the app and nothing else of the
 * machine: not the realm export (client secrets), not Keycloak's database (the realm's private
 * signing keys), not `.photoz` — whatever the path's spelling — and no other origin may read it.
 */
describe('the web dev server', () => {
  let web: RunningWebServer;
  const decoys: Decoy[] = [];
  const suffix = randomBytes(4).toString('hex');

  beforeAll(async () => {
    web = await startWebDevServer();
  });
  afterAll(async () => {
    for (const decoy of decoys) {
      decoy.remove();
    }
    await web?.close();
  });

  function plant(folder: string, name: string): Decoy {
    const decoy = new Decoy(folder, name);
    decoys.push(decoy);
    return decoy;
  }

  async function expectWithheld(path: string, secret: string): Promise<void> {
    const answer = await rawRequest(web.url, path);
    expect(answer.body, `${path} answered ${answer.status}`).not.toContain(secret);
  }

  it('does not serve the realm export, in any of Vite’s forms', async () => {
    expect(readFileSync(join(ROOT, 'docker/keycloak/photoz-realm.json'), 'utf8')).toContain(
      REALM_SECRET,
    );
    const file = `/@fs${ROOT}/docker/keycloak/photoz-realm.json`;
    for (const query of ['', '?raw', '?import', '?url', '?import&raw', '?raw&url', '?inline']) {
      await expectWithheld(`${file}${query}`, REALM_SECRET);
    }
  });

  it('does not serve the realm export through traversal or encoded paths', async () => {
    const paths = [
      `/@fs${ROOT}/apps/web/../../docker/keycloak/photoz-realm.json?raw`,
      `/@fs${ROOT}/apps/web/..%2f..%2fdocker/keycloak/photoz-realm.json?raw`,
      `/@fs${ROOT}/apps/web/%2e%2e/%2e%2e/docker/keycloak/photoz-realm.json?raw`,
      `/@fs${ROOT}/libs/uma-client/src/%2e%2e/%2e%2e/%2e%2e/docker/keycloak/photoz-realm.json?raw`,
      `/@fs/..%2f..%2f${ROOT.slice(1)}/docker/keycloak/photoz-realm.json?raw`,
      '/%2e%2e/%2e%2e/docker/keycloak/photoz-realm.json?raw',
      '/..%2f..%2fdocker/keycloak/photoz-realm.json?import&raw',
      '/../../docker/keycloak/photoz-realm.json?raw',
      `/@fs${ROOT}//docker/keycloak/photoz-realm.json?raw`,
      `/@fs${ROOT}/DOCKER/keycloak/photoz-realm.json?raw`,
      `/@fs${ROOT}/docker/keycloak/photoz-realm.json%3Fraw`,
      `/@fs${ROOT}/docker/keycloak/photoz-realm.json?url&raw`,
    ];
    for (const path of paths) {
      await expectWithheld(path, REALM_SECRET);
    }
  });

  it('keeps the dev Keycloak’s state outside the work tree, where it does not serve it', async () => {
    const fromRoot = relative(ROOT, DEV_KEYCLOAK_STATE_DIR);
    expect(fromRoot.startsWith('..') || isAbsolute(fromRoot)).toBe(true);
    const decoy = plant(DEV_KEYCLOAK_STATE_DIR, `decoy-${suffix}.txt`);
    for (const query of ['', '?raw', '?import', '?url']) {
      await expectWithheld(`/@fs${decoy.path}${query}`, decoy.marker);
    }
  });

  it('does not serve .photoz (logs, screenshots, a former Keycloak state)', async () => {
    const decoy = plant(join(ROOT, '.photoz', `keycloak-decoy-${suffix}`), 'keycloakdb.trace.db');
    for (const query of ['', '?raw', '?import', '?url', '?import&raw']) {
      await expectWithheld(`/@fs${decoy.path}${query}`, decoy.marker);
    }
    await expectWithheld(
      `/@fs${ROOT}/apps/web/%2e%2e/%2e%2e/.photoz/keycloak-decoy-${suffix}/keycloakdb.trace.db?raw`,
      decoy.marker,
    );
  });

  it('does not serve the rest of the repository or of the machine', async () => {
    await expectWithheld('/@fs/etc/passwd', 'root:');
    await expectWithheld('/@fs/etc/passwd?raw', 'root:');
    await expectWithheld('/@fs/etc/passwd?import&raw', 'root:');
    await expectWithheld(`/@fs${ROOT}/package.json?raw`, '"name": "photoz"');
    await expectWithheld(`/@fs${ROOT}/scripts/stack.ts?raw`, REALM_SECRET);
    await expectWithheld(`/@fs${ROOT}/node_modules/react/package.json?raw`, '"name": "react"');
    await expectWithheld(`/@fs${ROOT}/node_modules/.vite/deps/_metadata.json?raw`, '"hash"');
  });

  it('does not serve keys, certificates or env files even inside the app’s folders', async () => {
    const folder = join(ROOT, 'apps', 'web', 'src');
    for (const name of [`decoy-${suffix}.pem`, `decoy-${suffix}.key`, `.env.decoy-${suffix}`]) {
      const decoy = plant(folder, name);
      for (const query of ['', '?raw', '?import']) {
        await expectWithheld(`/@fs${decoy.path}${query}`, decoy.marker);
      }
    }
  });

  it('does not let another origin read what it serves', async () => {
    const origin = 'http://localhost:9999';
    const read = await rawRequest(web.url, '/src/main.tsx', { headers: { origin } });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await rawRequest(web.url, '/src/main.tsx', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('still serves the app: its page, its entry module and the libraries it imports', async () => {
    const page = await rawRequest(web.url, '/', { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<div id="root">');
    expect(page.body).toContain('/src/main.tsx');

    const entry = await rawRequest(web.url, '/src/main.tsx');
    expect(entry.status).toBe(200);
    expect(entry.headers['content-type']).toMatch(/javascript/);

    const library = await rawRequest(web.url, `/@fs${ROOT}/libs/uma-client/src/index.ts`);
    expect(library.status).toBe(200);
    expect(library.body).toMatch(/export/);

    // Every module the entry imports, pre-bundled dependencies included, is served.
    for (const [, imported] of entry.body.matchAll(/from "([^"]+)"/g)) {
      expect((await rawRequest(web.url, imported ?? '')).status, `module ${imported}`).toBe(200);
    }
  });
});
