import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../../apps/permission-service/src/permission-service.definition.ts';
import { registeredResourceId } from '../support/albums.ts';
import { call, type RunningService, startService } from '../support/service-harness.ts';
import { login } from '../../scripts/dev-realm/tokens.ts';
import {
  accessibilityViolations,
  collectPolicyViolations,
  launchChromium,
  logInAs,
  type RunningBrowser,
  SCREENSHOTS,
  screenshot,
  serveWebApp,
  tinyPng,
  WEB_ORIGIN,
} from './browser.ts';

/**
 * The photo-album story in a real browser: alice creates an album and uploads a photo, jdoe opens
 * its link and asks for access, alice approves, jdoe sees the photo, alice revokes and jdoe's open
 * page loses the album on its next action. Every main screen passes axe-core.
 */
describe('the web app in Chromium', () => {
  let albums: RunningService;
  let permissions: RunningService;
  let web: ViteDevServer;
  let chromium: RunningBrowser;
  let aliceContext: BrowserContext;
  let jdoeContext: BrowserContext;
  let alice: Page;
  let jdoe: Page;
  const albumName = `Italy ${randomBytes(3).toString('hex')}`;
  let albumUrl = '';
  /** What the Content-Security-Policy blocked on each context's pages (it must block nothing). */
  const policyViolations: string[][] = [];

  async function expectAccessible(page: Page): Promise<void> {
    expect(await accessibilityViolations(page)).toEqual([]);
  }

  beforeAll(async () => {
    chromium = await launchChromium();
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService),
    ]);
    web = await serveWebApp({ albumApi: albums.url, permissionApi: permissions.url });
    await mkdir(SCREENSHOTS, { recursive: true });
    aliceContext = await chromium.browser.newContext({ viewport: { width: 1100, height: 800 } });
    jdoeContext = await chromium.browser.newContext({ viewport: { width: 1100, height: 800 } });
    for (const context of [aliceContext, jdoeContext]) {
      context.setDefaultTimeout(15_000);
      policyViolations.push(await collectPolicyViolations(context));
    }
    alice = await aliceContext.newPage();
    jdoe = await jdoeContext.newPage();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await Promise.all(
        [alice, jdoe].map((page, index) =>
          page?.screenshot({ path: `${tmpdir()}/photoz-failed-${index}.png`, fullPage: true }),
        ),
      );
    }
  });
  afterAll(async () => {
    await chromium?.close();
    await web?.close();
    await Promise.all([albums?.close(), permissions?.close()]);
  });

  it('lets alice log in on Keycloak and lands on her albums', async () => {
    await alice.goto(`${WEB_ORIGIN}/`);
    await expect.poll(() => alice.getByRole('button', { name: 'Log in' }).isVisible()).toBe(true);
    await expectAccessible(alice);
    await screenshot(alice, 'login');
    await logInAs(alice, 'alice');
    await alice.getByRole('heading', { name: 'My albums' }).waitFor();
    await alice.getByRole('form').or(alice.getByLabel('Album name')).first().waitFor();
  });

  it('creates an album', async () => {
    await alice.getByLabel('Album name').fill(albumName);
    await alice.getByRole('button', { name: 'Create album' }).click();
    await alice.getByRole('link', { name: albumName }).waitFor();
    await expectAccessible(alice);
    await screenshot(alice, 'my-albums');
  });

  it('refuses a file that is not an image with the API’s sentence, then uploads a PNG', async () => {
    await alice.getByRole('link', { name: albumName }).click();
    await alice.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    albumUrl = alice.url();
    expect(albumUrl).toMatch(/\/albums\/[0-9a-f-]{36}$/);
    await alice.getByText('No photos yet.').waitFor();

    await alice.getByLabel(/Add a photo/).setInputFiles({
      name: 'notes.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from('not a photo at all'),
    });
    const alert = alice.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/JPEG|PNG|image/i);

    await alice.getByLabel(/Add a photo/).setInputFiles({
      name: 'colosseum.png',
      mimeType: 'image/png',
      buffer: tinyPng(),
    });
    const image = alice.getByRole('img', { name: 'Photo colosseum.png' });
    await image.waitFor();
    await expect
      .poll(() =>
        image.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBe(16);
    await alice.getByText('Uploaded “colosseum.png”.').waitFor();
    await expectAccessible(alice);
    await screenshot(alice, 'album');
  });

  it('lets jdoe open the link, log in and ask for view access', async () => {
    const albumId = albumUrl.split('/').at(-1) ?? '';
    // A stranger is challenged only once the relay has registered the album in Keycloak.
    await registeredResourceId(albums.url, (await login('alice')).access_token, albumId, 30_000);

    await jdoe.goto(albumUrl);
    await jdoe.getByText('Someone sent you a link to an album. Log in to open it.').waitFor();
    await logInAs(jdoe, 'jdoe');
    expect(jdoe.url()).toBe(albumUrl);
    await jdoe.getByRole('heading', { name: 'This album is not shared with you' }).waitFor();
    // Opening the link asked Keycloak with submit_request=false: alice has nothing to answer yet.
    const incoming = await call<{ items: { albumId: string }[] }>(
      permissions.url,
      'GET',
      '/permission-requests/incoming?status=pending&limit=100',
      { token: (await login('alice')).access_token },
    );
    expect(incoming.status).toBe(200);
    expect(incoming.body.items.filter((request) => request.albumId === albumId)).toEqual([]);
    expect(await jdoe.getByRole('checkbox', { name: 'view' }).isChecked()).toBe(true);
    expect(await jdoe.getByRole('checkbox', { name: 'edit' }).isChecked()).toBe(false);
    await expectAccessible(jdoe);
    await screenshot(jdoe, 'request-access');
    await jdoe.getByRole('button', { name: 'Request access' }).click();
    await jdoe.getByText('Your request is pending').waitFor();
    await expectAccessible(jdoe);
    await screenshot(jdoe, 'request-pending');
  });

  it('shows the request in alice’s inbox, where she approves it', async () => {
    await alice.getByRole('link', { name: 'Inbox' }).click();
    await alice.getByRole('heading', { name: 'Inbox' }).waitFor();
    // The realm is shared with other deployments: look only at this album's requests.
    const albumPath = new URL(albumUrl).pathname;
    const section = alice.locator('section', { has: alice.locator(`a[href="${albumPath}"]`) });
    await section.getByRole('heading', { name: 'jdoe' }).waitFor();
    await expectAccessible(alice);
    // The shared realm may hold many requests of other deployments: the first screenful only.
    await section.scrollIntoViewIfNeeded();
    await screenshot(alice, 'inbox', false);
    await section.getByRole('button', { name: 'Approve all for jdoe' }).click();
    await section.waitFor({ state: 'detached' });
  });

  it('shows jdoe the album and its photo once approved', async () => {
    await jdoe.getByRole('button', { name: 'Check again' }).click();
    await jdoe.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    await jdoe.getByText('Shared by alice').waitFor();
    const image = jdoe.getByRole('img', { name: 'Photo colosseum.png' });
    await image.waitFor();
    await expect
      .poll(() =>
        image.evaluate((element) => (element as unknown as { naturalWidth: number }).naturalWidth),
      )
      .toBe(16);
    expect(await jdoe.getByLabel(/Add a photo/).count()).toBe(0);
    await expectAccessible(jdoe);
    await screenshot(jdoe, 'album-shared');

    await jdoe.getByRole('link', { name: 'Shared with me' }).click();
    await jdoe.getByRole('link', { name: albumName }).waitFor();
    // Earlier suites share other albums with jdoe too: look at this album's entry only.
    await jdoe
      .getByRole('listitem')
      .filter({ has: jdoe.getByRole('link', { name: albumName }) })
      .getByText('from alice; you may view')
      .waitFor();
    await expectAccessible(jdoe);
    await screenshot(jdoe, 'shared-with-me');
    await jdoe.getByRole('link', { name: albumName }).click();
    await jdoe.getByRole('img', { name: 'Photo colosseum.png' }).waitFor();
  });

  it('lists jdoe in the album’s shares and audit; alice revokes', async () => {
    // In-app navigation, as a person clicks through (a reload keeps the session too: everyday.browser-spec.ts).
    await alice.getByRole('link', { name: 'My albums' }).click();
    await alice.getByRole('link', { name: albumName }).click();
    await alice.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    await alice.getByRole('link', { name: 'Shares and audit' }).click();
    await alice.getByRole('heading', { name: `Shares of ${albumName}` }).waitFor();
    // The browser's back and forward buttons move between the app's pages, without a reload.
    await alice.goBack();
    await alice.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    await alice.goForward();
    await alice.getByRole('heading', { name: `Shares of ${albumName}` }).waitFor();
    await alice.getByRole('heading', { name: /^jdoe/ }).waitFor();
    const audit = alice.getByRole('list', { name: 'Audit trail' });
    await audit.waitFor();
    await expect.poll(() => audit.textContent()).toMatch(/approved jdoe: view/);
    await expectAccessible(alice);
    await screenshot(alice, 'shares-audit');

    await alice.getByRole('button', { name: 'Revoke jdoe' }).click();
    await alice.getByText('This album is not shared with anyone.').waitFor();
    await expect.poll(() => audit.textContent()).toMatch(/revoked jdoe: view/);
  });

  it('takes the album away from jdoe’s open page on its next action', async () => {
    await jdoe.getByRole('button', { name: 'Refresh' }).click();
    await jdoe.getByRole('heading', { name: 'This album is not shared with you' }).waitFor();
    expect(await jdoe.getByRole('img', { name: 'Photo colosseum.png' }).count()).toBe(0);
    await screenshot(jdoe, 'revoked');
  });

  it('shows an administrator every album and the outbox backlog', async () => {
    const context = await chromium.browser.newContext({ viewport: { width: 1100, height: 800 } });
    policyViolations.push(await collectPolicyViolations(context));
    try {
      const admin = await context.newPage();
      await admin.goto(`${WEB_ORIGIN}/admin`);
      await logInAs(admin, 'admin');
      await admin.getByRole('heading', { name: 'Administration' }).waitFor();
      await admin.getByRole('cell', { name: albumName }).waitFor();
      await admin.getByRole('term').filter({ hasText: 'parked' }).waitFor();
      await expectAccessible(admin);
      await screenshot(admin, 'admin');
    } finally {
      await context.close();
    }
  });

  it('runs every page of the story under the Content-Security-Policy without a violation', () => {
    expect(policyViolations.flat()).toEqual([]);
  });
});
