import { describe, expect, it } from 'vitest';
import { chooseChromium, SYSTEM_CHROMIUM } from './chromium.ts';

const existing =
  (...paths: string[]) =>
  (path: string) =>
    paths.includes(path);

describe('the Chromium the browser tests drive', () => {
  it('is the one CHROMIUM_PATH names, even where Debian has one', () => {
    expect(
      chooseChromium(
        { CHROMIUM_PATH: '/opt/chrome/chrome' },
        existing('/opt/chrome/chrome', SYSTEM_CHROMIUM),
      ),
    ).toEqual({ source: 'CHROMIUM_PATH', path: '/opt/chrome/chrome' });
  });

  it('says so when CHROMIUM_PATH names nothing, rather than taking another', () => {
    expect(() =>
      chooseChromium({ CHROMIUM_PATH: '/opt/missing' }, existing(SYSTEM_CHROMIUM)),
    ).toThrow('CHROMIUM_PATH names /opt/missing, which does not exist.');
  });

  it("is Debian's when CHROMIUM_PATH is unset or empty", () => {
    for (const env of [{}, { CHROMIUM_PATH: '' }]) {
      expect(chooseChromium(env, existing(SYSTEM_CHROMIUM))).toEqual({
        source: 'system',
        path: SYSTEM_CHROMIUM,
      });
    }
  });

  it("is the npm package's when neither is there", () => {
    expect(chooseChromium({}, existing())).toEqual({ source: 'npm' });
  });
});
