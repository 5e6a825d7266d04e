import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { BrowserContext, Page } from 'playwright-core';
import type { ViteDevServer } from 'vite';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { albumService } from '../../apps/album-service/src/album-service.definition.ts';
import { permissionService } from '../../apps/permission-service/src/permission-service.definition.ts';
import { createAlbum, registeredResourceId, uploadPhoto } from '../support/albums.ts';
import { type RunningService, startService } from '../support/service-harness.ts';
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

const PHONE = { width: 390, height: 844 };
/** How long bob's share lasts: long enough to open the album, short enough to wait out. */
const SHORT_SHARE_MS = 25_000;

/**
 * Sharing under conditions, in a real browser: alice makes an invitation link and jdoe, who opens
 * it, lands in the album; alice shares with bob for a short time and bob loses the album when it
 * ends; jdoe's request with a message shows up in alice's open inbox and on her badge without a
 * reload; a reload keeps alice signed in. Every new screen passes axe-core and fits a phone.
 */
describe('sharing under conditions, in Chromium', () => {
  let albums: RunningService;
  let permissions: RunningService;
  let web: ViteDevServer;
  let chromium: RunningBrowser;
  const pages: Page[] = [];
  const policyViolations: string[][] = [];
  const run = randomBytes(3).toString('hex');
  const albumName = `Porto ${run}`;
  const otherName = `Braga ${run}`;
  const message = `Hi alice, may I see the Braga photos? (${run})`;
  let albumId = '';
  let otherId = '';
  let alice: Page;
  let inviteUrl = '';
  /** Every request jdoe's browser sent, with its body: the invitation's secret goes in one only. */
  const jdoeRequests: { url: string; body: string }[] = [];

  async function expectAccessible(page: Page): Promise<void> {
    expect(await accessibilityViolations(page)).toEqual([]);
  }

  async function newPage(
    viewport = { width: 1100, height: 800 },
  ): Promise<{ page: Page; context: BrowserContext }> {
    const context = await chromium.browser.newContext({ viewport });
    context.setDefaultTimeout(15_000);
    policyViolations.push(await collectPolicyViolations(context));
    const page = await context.newPage();
    pages.push(page);
    return { page, context };
  }

  async function expectPhoneWidth(page: Page, what: string): Promise<void> {
    await page.setViewportSize(PHONE);
    expect(
      await page.evaluate<number>('document.documentElement.scrollWidth'),
      `the width of ${what}`,
    ).toBeLessThanOrEqual(PHONE.width);
    await expectAccessible(page);
    await page.setViewportSize({ width: 1100, height: 800 });
  }

  beforeAll(async () => {
    chromium = await launchChromium();
    [albums, permissions] = await Promise.all([
      startService(albumService),
      startService(permissionService),
    ]);
    web = await serveWebApp({ albumApi: albums.url, permissionApi: permissions.url });
    await mkdir(SCREENSHOTS, { recursive: true });
    const token = (await login('alice')).access_token;
    albumId = (await createAlbum(albums.url, token, albumName)).id;
    otherId = (await createAlbum(albums.url, token, otherName)).id;
    for (const id of [albumId, otherId]) {
      const uploaded = await uploadPhoto(albums.url, token, id, {
        name: 'river.png',
        bytes: tinyPng(),
        type: 'image/png',
      });
      if (uploaded.status !== 201) {
        throw new Error(`the setup's upload answered ${uploaded.status}`);
      }
      // Links, shares and requests need the album registered in Keycloak.
      await registeredResourceId(albums.url, token, id, 30_000);
    }
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      await Promise.all(
        pages.map((page, index) =>
          page.screenshot({ path: `${tmpdir()}/photoz-conditions-${index}.png`, fullPage: true }),
        ),
      );
    }
  });
  afterAll(async () => {
    await chromium?.close();
    await web?.close();
    await Promise.all([albums?.close(), permissions?.close()]);
  });

  it('lets alice make an invitation link, shown once, and copy it', async () => {
    const opened = await newPage();
    alice = opened.page;
    await opened.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: WEB_ORIGIN,
    });
    await alice.goto(`${WEB_ORIGIN}/albums/${albumId}`);
    await logInAs(alice, 'alice');
    await alice.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    await alice.getByRole('link', { name: 'Invitation links' }).click();
    await alice.getByRole('heading', { name: `Invitation links of ${albumName}` }).waitFor();
    await alice.getByText('This album has no invitation links.').waitFor();
    await expectAccessible(alice);

    await alice.getByLabel('How many people may use it').fill('2');
    await alice.getByRole('button', { name: 'Create link' }).click();
    const shown = alice.getByLabel('Invitation link', { exact: true });
    await shown.waitFor();
    inviteUrl = (await shown.textContent()) ?? '';
    expect(inviteUrl).toMatch(new RegExp(`^${WEB_ORIGIN}/invite#[A-Za-z0-9_-]{43}$`));
    await alice.getByRole('button', { name: 'Copy the link' }).click();
    await alice.getByRole('status').filter({ hasText: 'Copied.' }).waitFor();
    expect(await alice.evaluate<string>('navigator.clipboard.readText()')).toBe(inviteUrl);
    const links = alice.getByRole('list', { name: 'Invitation links' });
    await links.getByText('used 0 of 2 times').waitFor();
    await expectAccessible(alice);
    await screenshot(alice, 'invitation-links');
    await expectPhoneWidth(alice, 'the links screen');

    await alice.getByRole('button', { name: 'Done' }).click();
    expect(await alice.getByLabel('Invitation link', { exact: true }).count()).toBe(0);
    // The secret is shown once: a reload (which keeps alice signed in) does not show it again.
    await alice.reload();
    await alice.getByRole('heading', { name: `Invitation links of ${albumName}` }).waitFor();
    await links.getByText('used 0 of 2 times').waitFor();
    expect(await alice.content()).not.toContain(inviteUrl.split('#')[1]);
  });

  it('lets jdoe open the link, log in and land in the album, the secret sent to no server but in the redemption', async () => {
    const { page: jdoe, context } = await newPage();
    context.on('request', (request) =>
      jdoeRequests.push({ url: request.url(), body: request.postData() ?? '' }),
    );
    await jdoe.goto(inviteUrl);
    await jdoe
      .getByText('You were invited to an album. Log in to accept the invitation.')
      .waitFor();
    await expectAccessible(jdoe);
    await screenshot(jdoe, 'invitation-login');
    await logInAs(jdoe, 'jdoe');
    await jdoe.getByRole('heading', { name: albumName, level: 1 }).waitFor();
    await jdoe.getByText('Shared by alice').waitFor();
    await jdoe.getByRole('img', { name: 'Photo river.png' }).waitFor();
    expect(new URL(jdoe.url()).pathname).toBe(`/albums/${albumId}`);
    expect(new URL(jdoe.url()).hash).toBe('');

    const secret = inviteUrl.split('#')[1] ?? '';
    const carrying = jdoeRequests.filter(
      (request) => request.url.includes(secret) || request.body.includes(secret),
    );
    expect(carrying.map((request) => new URL(request.url).pathname)).toEqual(['/links/redeem']);
    expect(carrying[0]?.url).not.toContain(secret);
    await expectAccessible(jdoe);
    await screenshot(jdoe, 'invitation-landed');

    await alice.reload();
    const links = alice.getByRole('list', { name: 'Invitation links' });
    await links.getByText('used 1 of 2 times').waitFor();
    await alice.getByRole('link', { name: 'Shares and audit' }).click();
    await alice.getByRole('heading', { name: /^jdoe/ }).waitFor();
    await expect
      .poll(() => alice.getByRole('list', { name: 'Audit trail' }).textContent())
      .toMatch(/jdoe redeemed: view \(through an invitation link\)/);
  });

  it('shares with bob for a short time; bob loses the album when it ends', async () => {
    await alice.getByLabel('Username').fill('bob');
    await alice.getByLabel('Ends').selectOption('at');
    // The end as the browser's `datetime-local` wants it: local time, to the second.
    const end = await alice.evaluate<string>(`(() => {
      const at = new Date(Date.now() + ${SHORT_SHARE_MS});
      const pad = (n) => String(n).padStart(2, '0');
      return at.getFullYear() + '-' + pad(at.getMonth() + 1) + '-' + pad(at.getDate()) + 'T' +
        pad(at.getHours()) + ':' + pad(at.getMinutes()) + ':' + pad(at.getSeconds());
    })()`);
    await alice.getByLabel('Date and time').fill(end);
    await alice.getByRole('button', { name: 'Share', exact: true }).click();
    const bobCard = alice
      .getByRole('listitem')
      .filter({ has: alice.getByRole('heading', { name: /^bob/ }) });
    await bobCard.getByText(/^Until /).waitFor();
    await expectAccessible(alice);
    await screenshot(alice, 'share-expiry');

    const { page: bob } = await newPage();
    await bob.goto(`${WEB_ORIGIN}/shared`);
    await logInAs(bob, 'bob');
    const entry = bob
      .getByRole('listitem')
      .filter({ has: bob.getByRole('link', { name: albumName }) });
    await entry.getByText(/^Until /).waitFor();
    await expectAccessible(bob);
    await screenshot(bob, 'shared-with-me-expiry');
    await bob.getByRole('link', { name: albumName }).click();
    await bob.getByRole('img', { name: 'Photo river.png' }).waitFor();

    // When the share ends, bob's next action finds the album closed to him.
    await expect
      .poll(
        async () => {
          const closed = bob.getByRole('heading', { name: 'This album is not shared with you' });
          if (!(await closed.isVisible())) {
            await bob.getByRole('button', { name: 'Refresh' }).click();
          }
          return closed.isVisible();
        },
        { timeout: SHORT_SHARE_MS + 30_000, interval: 2_000 },
      )
      .toBe(true);
    await bob.getByRole('link', { name: 'Shared with me' }).click();
    await bob.getByRole('heading', { name: 'Shared with me' }).waitFor();
    await expect.poll(() => bob.getByRole('link', { name: albumName }).count()).toBe(0);
  }, 120_000);

  it('puts jdoe’s request with a message in alice’s open inbox and badge, without a reload', async () => {
    await alice.getByRole('link', { name: 'Inbox' }).click();
    await alice.getByRole('heading', { name: 'Inbox' }).waitFor();
    const otherPath = `/albums/${otherId}`;
    const section = alice.locator('section', { has: alice.locator(`a[href="${otherPath}"]`) });
    expect(await section.count()).toBe(0);

    const jdoe = pages[1]!;
    await jdoe.goto(`${WEB_ORIGIN}${otherPath}`);
    // The reload of a new page keeps jdoe signed in.
    await jdoe.getByRole('heading', { name: 'This album is not shared with you' }).waitFor();
    await jdoe.getByLabel('Message to the owner (optional)').fill(message);
    await expectAccessible(jdoe);
    await screenshot(jdoe, 'request-message');
    await jdoe.getByRole('button', { name: 'Request access' }).click();
    await jdoe.getByText('Your request is pending').waitFor();

    // No click, no reload on alice's side: the stream brings it.
    await section.getByRole('heading', { name: 'jdoe' }).waitFor({ timeout: 20_000 });
    await section.getByText(message).waitFor();
    await alice.getByRole('link', { name: /Notifications \d+ unread/ }).waitFor();
    await expectAccessible(alice);
    await screenshot(alice, 'inbox-live', false);
  });

  it('lists alice’s notifications, marks them read and keeps her email choice across a reload', async () => {
    await alice.getByRole('link', { name: /Notifications/ }).click();
    await alice.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    const list = alice.getByRole('list', { name: 'Notifications' });
    await list
      .getByText(/jdoe asks to view/)
      .first()
      .waitFor();
    await list.getByText(message).waitFor();
    await expectAccessible(alice);
    await screenshot(alice, 'notifications');
    await expectPhoneWidth(alice, 'the notifications screen');

    await alice.getByRole('button', { name: 'Mark all read' }).click();
    await expect
      .poll(() => alice.getByRole('link', { name: /Notifications \d+ unread/ }).count())
      .toBe(0);
    const email = alice.getByLabel('Also tell me by email');
    const before = await email.isChecked();
    await email.setChecked(!before);
    await expect.poll(() => email.isChecked()).toBe(!before);
    await alice.reload();
    await alice.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    await expect.poll(() => alice.getByLabel('Also tell me by email').isChecked()).toBe(!before);
    expect(await alice.getByRole('button', { name: 'Log in' }).count()).toBe(0);
  });

  it('runs every page of the story under the Content-Security-Policy without a violation', () => {
    expect(policyViolations.flat()).toEqual([]);
  });
});
