import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../../apps/permission-service/src/permission-service.definition.ts';
import { createAlbum, registeredResourceId, uploadPhoto } from '../support/albums.ts';
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

/** The app's page size (apps/web/src/api/calls.ts `PAGE_SIZE`): one more album than fits. */
const PAGE_SIZE = 50;
const PHONE = { width: 390, height: 844 };

/**
 * What a person does every day, in a real browser: the session survives a reload and a new tab
 * (and a logout survives a reload too), long lists load more, a person who may edit an album
 * shared with them uploads to it, photos open in a viewer driven by the keyboard, and every
 * screen fits a phone's width. Every screen passes axe-core.
 */
describe('the web app, every day, in Chromium', () => {
  let albums: RunningService;
  let permissions: RunningService;
  let web: ViteDevServer;
  let chromium: RunningBrowser;
  const contexts: BrowserContext[] = [];
  const pages: Page[] = [];
  const policyViolations: string[][] = [];
  const run = randomBytes(3).toString('hex');
  const albumName = `Lisbon ${run}`;
  let albumId = '';

  async function expectAccessible(page: Page): Promise<void> {
    expect(await accessibilityViolations(page)).toEqual([]);
  }

  async function newPage(viewport = { width: 1100, height: 800 }): Promise<Page> {
    const context = await chromium.browser.newContext({ viewport });
    context.setDefaultTimeout(15_000);
    policyViolations.push(await collectPolicyViolations(context));
    contexts.push(context);
    const page = await context.newPage();
    pages.push(page);
    return page;
  }

  /** Everything the page's origin keeps in Web Storage, as one string. */
  function webStorage(page: Page): Promise<string> {
    // A string: this project's TypeScript has no DOM types outside apps/web.
    return page.evaluate<string>(
      'JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } })',
    );
  }

  /** No token of any kind is kept where a script (or an XSS) could read it after the page. */
  async function expectNoTokenStored(page: Page): Promise<void> {
    const stored = await webStorage(page);
    expect(stored).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
    expect(stored).not.toMatch(/access_token|refresh_token|id_token/);
  }

  beforeAll(async () => {
    chromium = await launchChromium();
    // More albums than one page, made quickly: the costly-write limit is raised for this run only.
    [albums, permissions] = await Promise.all([
      startService(albumService, { RATE_LIMIT_COSTLY: '1000' }),
      startService(permissionService),
    ]);
    web = await serveWebApp({ albumApi: albums.url, permissionApi: permissions.url });
    await mkdir(SCREENSHOTS, { recursive: true });

    const alice = (await login('alice')).access_token;
    const album = await createAlbum(albums.url, alice, albumName);
    albumId = album.id;
    for (const name of ['a.png', 'b.png', 'c.png']) {
      const uploaded = await uploadPhoto(albums.url, alice, albumId, {
        name,
        bytes: tinyPng(8 + name.charCodeAt(0) - 97),
        type: 'image/png',
      });
      if (uploaded.status !== 201) {
        throw new Error(`the setup's upload answered ${uploaded.status}`);
      }
    }
    for (let index = 0; index < PAGE_SIZE; index++) {
      await createAlbum(albums.url, alice, `Filler ${run} ${String(index).padStart(2, '0')}`);
    }
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await Promise.all(
        pages.map((page, index) =>
          page.screenshot({ path: `${tmpdir()}/photoz-everyday-${index}.png`, fullPage: true }),
        ),
      );
    }
  });
  afterAll(async () => {
    await chromium?.close();
    await web?.close();
    await Promise.all([albums?.close(), permissions?.close()]);
  });

  it('keeps alice signed in across a reload and in a new tab, with no token in Web Storage', async () => {
    const alice = await newPage();
    await alice.goto(`${WEB_ORIGIN}/`);
    await logInAs(alice, 'alice');
    await alice.getByRole('heading', { name: 'My albums' }).waitFor();
    await expectNoTokenStored(alice);

    await alice.goto(`${WEB_ORIGIN}/albums/${albumId}`);
    await alice.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    await alice.reload();
    // Back on the same page, signed in, without a click.
    await alice.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    expect(new URL(alice.url()).pathname).toBe(`/albums/${albumId}`);
    expect(await alice.getByRole('button', { name: 'Log in' }).count()).toBe(0);
    await expectNoTokenStored(alice);

    const tab = await alice.context().newPage();
    await tab.goto(`${WEB_ORIGIN}/shared`);
    await tab.getByRole('heading', { name: 'Shared with me' }).waitFor();
    await tab.close();
  });

  it('loads more of a list than its first page', async () => {
    const alice = pages[0]!;
    await alice.getByRole('link', { name: 'My albums' }).click();
    const list = alice.getByRole('list', { name: 'Your albums' });
    await list.waitFor();
    await expect.poll(() => list.getByRole('listitem').count()).toBe(PAGE_SIZE);
    const more = alice.getByRole('button', { name: 'Load more albums' });
    await expectAccessible(alice);
    // Other suites leave alice more albums than two pages: load until the list ends.
    for (let shown = PAGE_SIZE; (await more.count()) > 0;) {
      await more.click();
      await expect.poll(() => list.getByRole('listitem').count()).toBeGreaterThan(shown);
      shown = await list.getByRole('listitem').count();
    }
    const names = await list.getByRole('heading').allTextContents();
    expect(names.length).toBeGreaterThan(PAGE_SIZE);
    expect(names).toContain(albumName);
    // No album twice across the pages (names repeat between suites: compared by their links).
    const anchors = await list.getByRole('heading').getByRole('link').all();
    const links = await Promise.all(anchors.map((anchor) => anchor.getAttribute('href')));
    expect(links).toHaveLength(names.length);
    expect(new Set(links).size).toBe(links.length);
  });

  it('opens a photo in a viewer that ←, → and Esc drive, and gives the focus back', async () => {
    const alice = pages[0]!;
    await alice.getByRole('link', { name: albumName }).click();
    await alice.getByRole('img', { name: 'Photo c.png' }).waitFor();
    await alice.getByRole('button', { name: 'View a.png' }).click();
    const viewer = alice.getByRole('dialog');
    await viewer.waitFor();
    expect(await viewer.getAttribute('aria-labelledby')).toBe('viewer-title');
    await alice.getByRole('dialog', { name: 'a.png (1 of 3)' }).waitFor();
    await viewer.getByRole('img', { name: 'Photo a.png, large' }).waitFor();
    await expectAccessible(alice);
    await screenshot(alice, 'photo-viewer', false);

    await alice.keyboard.press('ArrowRight');
    await alice.getByRole('dialog', { name: 'b.png (2 of 3)' }).waitFor();
    await viewer.getByRole('img', { name: 'Photo b.png, large' }).waitFor();
    await alice.keyboard.press('ArrowLeft');
    await alice.keyboard.press('ArrowLeft');
    await alice.getByRole('dialog', { name: 'c.png (3 of 3)' }).waitFor();
    await viewer.getByRole('button', { name: 'Next photo' }).click();
    await alice.getByRole('dialog', { name: 'a.png (1 of 3)' }).waitFor();

    await alice.keyboard.press('Escape');
    await viewer.waitFor({ state: 'detached' });
    await expect
      .poll(() =>
        alice.evaluate<string | null>("document.activeElement?.getAttribute('aria-label') ?? null"),
      )
      .toBe('View a.png');
  });

  it('offers the upload to jdoe, who may edit alice’s album, and jdoe uploads', async () => {
    const aliceToken = (await login('alice')).access_token;
    await registeredResourceId(albums.url, aliceToken, albumId, 30_000);
    const shared = await call(permissions.url, 'PUT', `/albums/${albumId}/shares/jdoe`, {
      token: aliceToken,
      body: { scopes: ['album:view', 'album:edit'] },
    });
    expect(shared.status).toBe(200);

    const jdoe = await newPage();
    await jdoe.goto(`${WEB_ORIGIN}/albums/${albumId}`);
    await logInAs(jdoe, 'jdoe');
    await jdoe.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    await jdoe.getByText('Shared by alice').waitFor();
    await jdoe.getByLabel(/Add a photo/).setInputFiles({
      name: 'tram.png',
      mimeType: 'image/png',
      buffer: tinyPng(12),
    });
    await jdoe.getByText('Uploaded “tram.png”.').waitFor();
    await jdoe.getByRole('img', { name: 'Photo tram.png' }).waitFor();
    await expectAccessible(jdoe);

    const photos = await call<{ fileName: string }[]>(
      albums.url,
      'GET',
      `/albums/${albumId}/photos`,
      { token: aliceToken },
    );
    expect(photos.body.map((photo) => photo.fileName)).toContain('tram.png');
  });

  it('fits every screen in a phone’s width, with “Log out” in reach', async () => {
    const phone = await newPage(PHONE);
    await phone.goto(`${WEB_ORIGIN}/`);
    await phone.getByRole('button', { name: 'Log in' }).waitFor();
    expect(
      await phone.evaluate<number>('document.documentElement.scrollWidth'),
    ).toBeLessThanOrEqual(PHONE.width);
    await logInAs(phone, 'alice');
    const screens: [string, string][] = [
      ['/', 'My albums'],
      ['/shared', 'Shared with me'],
      ['/inbox', 'Inbox'],
      [`/albums/${albumId}`, albumName],
      [`/albums/${albumId}/shares`, `Shares of ${albumName}`],
    ];
    for (const [path, heading] of screens) {
      if (new URL(phone.url()).pathname !== path) {
        await phone.goto(`${WEB_ORIGIN}${path}`);
      }
      await phone.getByRole('heading', { name: heading, level: 1 }).waitFor();
      // Every part of the screen loaded (a screen may load several at once).
      await expect
        .poll(() =>
          phone
            .getByRole('status')
            .filter({ hasText: /^Loading/ })
            .count(),
        )
        .toBe(0);
      expect(
        await phone.evaluate<number>('document.documentElement.scrollWidth'),
        `the width of ${path}`,
      ).toBeLessThanOrEqual(PHONE.width);
      const logOut = await phone.getByRole('button', { name: 'Log out' }).boundingBox();
      expect(logOut).not.toBeNull();
      expect((logOut?.x ?? 0) + (logOut?.width ?? 0), `“Log out” on ${path}`).toBeLessThanOrEqual(
        PHONE.width,
      );
      await expectAccessible(phone);
    }
    await phone.goto(`${WEB_ORIGIN}/albums/${albumId}`);
    await phone.getByRole('img', { name: 'Photo a.png' }).waitFor();
    await screenshot(phone, 'phone-album', false);
  });

  it('shows an administrator more albums than a page', async () => {
    const admin = await newPage();
    await admin.goto(`${WEB_ORIGIN}/admin`);
    await logInAs(admin, 'admin');
    await admin.getByRole('heading', { name: 'Administration' }).waitFor();
    const rows = admin.getByRole('table', { name: /Every owner/ }).getByRole('row');
    await expect.poll(() => rows.count()).toBe(PAGE_SIZE + 1);
    await admin.getByRole('button', { name: 'Load more albums' }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(PAGE_SIZE + 1);
    await expectAccessible(admin);
  });

  it('logs alice out for good: a reload after the logout stays signed out', async () => {
    const alice = pages[0]!;
    await alice.getByRole('button', { name: 'Log out' }).click();
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    await alice.reload();
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    await alice.goto(`${WEB_ORIGIN}/inbox`);
    await alice.getByRole('button', { name: 'Log in' }).waitFor();
    expect(await alice.getByRole('heading', { name: 'Inbox' }).count()).toBe(0);
    await expectNoTokenStored(alice);
  });

  it('runs every page under the Content-Security-Policy without a violation', () => {
    expect(policyViolations.flat()).toEqual([]);
  });
});
