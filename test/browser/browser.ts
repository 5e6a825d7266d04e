import { join } from 'node:path';
import { deflateSync, crc32 } from 'node:zlib';
import { AxeBuilder } from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import { ROOT } from '../../scripts/lib/paths.ts';
import { KEYCLOAK_URL } from '../../scripts/dev-realm/realm.ts';
import { chromiumExecutable } from '../support/chromium.ts';

/** The only origin the `photoz-web` client accepts as a redirect. */
export const WEB_ORIGIN = 'http://localhost:5173';
/**
 * Where the story's screenshots go: `.photoz/screenshots` (not tracked) on every run, and the
 * `docs/screenshots` of docs/architecture.md only when asked (`UPDATE_SCREENSHOTS=1 npm run test:browser`), so a
 * test run leaves the work tree as it found it.
 */
export const SCREENSHOTS =
  process.env['UPDATE_SCREENSHOTS'] === '1'
    ? join(ROOT, 'docs', 'screenshots')
    : join(ROOT, '.photoz', 'screenshots');

export interface RunningBrowser {
  readonly browser: Browser;
  close(): Promise<void>;
}

/**
 * Chromium, headless, with a fresh profile: the one CHROMIUM_PATH names, else Debian's, else the
 * one the `@sparticuz/chromium` devDependency ships (test/support/chromium.ts); `executablePath`
 * overrides the choice.
 */
export async function launchChromium(executablePath?: string): Promise<RunningBrowser> {
  // A non-persistent launch runs on a fresh profile in a temporary folder Playwright deletes.
  const browser = await chromium.launch({
    executablePath: executablePath ?? (await chromiumExecutable()),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    browser,
    close: () => browser.close(),
  };
}

/** The web app served by Vite on :5173, talking to the given services. */
export async function serveWebApp(env: {
  albumApi: string;
  permissionApi: string;
}): Promise<ViteDevServer> {
  process.env['VITE_ALBUM_API'] = env.albumApi;
  process.env['VITE_PERMISSION_API'] = env.permissionApi;
  process.env['VITE_KEYCLOAK_URL'] = KEYCLOAK_URL;
  const server = await createServer({
    configFile: join(ROOT, 'apps', 'web', 'vite.config.ts'),
    logLevel: 'warn',
    clearScreen: false,
    server: { port: 5173, strictPort: true, host: 'localhost' },
  });
  try {
    await server.listen();
  } catch (error) {
    await server.close();
    throw new Error(
      `The web app cannot listen on ${WEB_ORIGIN} (${error instanceof Error ? error.message : String(error)}): stop whatever uses port 5173.`,
      { cause: error },
    );
  }
  return server;
}

/** Logs in on Keycloak's own login page, starting from the app's "Log in" button. */
export async function logInAs(page: Page, username: string): Promise<void> {
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(username);
  await page.locator('#kc-login').click();
  await page.waitForURL((url) => url.origin === WEB_ORIGIN && url.pathname !== '/callback');
}

/**
 * The Content-Security-Policy violations the context's pages report, as `securitypolicyviolation`
 * events and console lines; the returned list fills as they come.
 */
export async function collectPolicyViolations(context: BrowserContext): Promise<string[]> {
  const violations: string[] = [];
  context.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) {
      violations.push(`${message.page()?.url() ?? ''}: ${message.text()}`);
    }
  });
  await context.exposeFunction('reportPolicyViolation', (line: string) => violations.push(line));
  // Runs in the page (a string: this project's TypeScript has no DOM types outside apps/web).
  await context.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', (event) =>
      window.reportPolicyViolation(
        event.documentURI + ': ' + event.effectiveDirective + ' blocked ' + event.blockedURI));`,
  });
  return violations;
}

/** axe-core's violations on the page, as lines (empty when there are none). */
export async function accessibilityViolations(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations.map(
    (violation) =>
      `${violation.id} (${violation.impact ?? 'n/a'}): ${violation.help} — ${violation.nodes
        .map((node) => node.target.join(' '))
        .join(', ')}`,
  );
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage });
}

/** A valid PNG, `size`×`size` pixels of a colour gradient. */
export function tinyPng(size = 16): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // RGB
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 3);
    for (let x = 0; x < size; x++) {
      row[1 + x * 3] = Math.round((x / size) * 255);
      row[2 + x * 3] = Math.round((y / size) * 255);
      row[3 + x * 3] = 180;
    }
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
