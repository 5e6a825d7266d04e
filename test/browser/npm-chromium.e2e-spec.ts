import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { npmChromium } from '../support/chromium.ts';
import { collectPolicyViolations, launchChromium, type RunningBrowser } from './browser.ts';

/**
 * The Chromium the `@sparticuz/chromium` devDependency ships, which the browser tests drive on a
 * machine without Debian's chromium and without CHROMIUM_PATH: tested here on every machine, so
 * the fallback works where it is needed.
 */
describe("the npm package's Chromium", () => {
  let server: Server;
  let origin: string;
  let chromium: RunningBrowser | undefined;

  beforeAll(async () => {
    server = createServer((_request, response) => {
      response.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-security-policy': "default-src 'none'; script-src 'self'",
      });
      // The inline script is blocked by the policy, so the title stays as written.
      response.end(
        '<!doctype html><title>unchanged</title><h1>Photo albums</h1><script>document.title = "ran"</script>',
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await chromium?.close();
    await new Promise((resolve) => server.close(resolve));
  });

  it('unpacks from the package and runs headless with the flags the browser tests use', async () => {
    const executable = await npmChromium();
    expect(executable).toMatch(/chromium$/);
    chromium = await launchChromium(executable);
    expect(chromium.browser.version()).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    const context = await chromium.browser.newContext({ viewport: { width: 640, height: 360 } });
    const violations = await collectPolicyViolations(context);
    const page = await context.newPage();
    await page.goto(origin);
    await expect.poll(() => violations.length).toBeGreaterThan(0);
    expect(violations.join('\n')).toMatch(/script-src/);
    expect(await page.title()).toBe('unchanged');
    expect(await page.getByRole('heading', { name: 'Photo albums' }).isVisible()).toBe(true);
    const png = await page.screenshot();
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    // Text was drawn: a blank 640×360 page is about 1.5 kB, this one about 4.5 kB.
    expect(png.length).toBeGreaterThan(3_000);
  });
});
