import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { cacheDir } from '../../scripts/lib/paths.ts';

/** Debian's Chromium (`apt-get install chromium`). */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

/** The package whose npm tarball carries a headless Chromium for Linux x86_64. */
export const NPM_CHROMIUM_PACKAGE = '@sparticuz/chromium';

export type ChromiumChoice =
  | { readonly source: 'CHROMIUM_PATH' | 'system'; readonly path: string }
  | { readonly source: 'npm' };

/**
 * Which Chromium the browser tests drive: the one CHROMIUM_PATH names, else Debian's, else the one
 * the npm package ships.
 */
export function chooseChromium(
  env: Readonly<Record<string, string | undefined>>,
  exists: (path: string) => boolean,
): ChromiumChoice {
  const configured = env['CHROMIUM_PATH'];
  if (configured !== undefined && configured !== '') {
    if (!exists(configured)) {
      throw new Error(`CHROMIUM_PATH names ${configured}, which does not exist.`);
    }
    return { source: 'CHROMIUM_PATH', path: configured };
  }
  if (exists(SYSTEM_CHROMIUM)) {
    return { source: 'system', path: SYSTEM_CHROMIUM };
  }
  return { source: 'npm' };
}

/**
 * The headless Chromium inside the npm package (`bin/chromium.br`, Brotli-compressed), unpacked
 * once into `<cache>/chromium/<package version>/chromium`. Nothing is downloaded: the binary comes
 * with `npm ci`, and it needs only libraries every Debian has (NSS, NSPR, expat).
 */
export async function npmChromium(): Promise<string> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `${NPM_CHROMIUM_PACKAGE} ships Chromium for Linux x86_64 only: on ${process.platform}/${process.arch}, install Chromium and set CHROMIUM_PATH.`,
    );
  }
  let entry: string;
  try {
    entry = createRequire(import.meta.url).resolve(NPM_CHROMIUM_PACKAGE);
  } catch (error) {
    throw new Error(
      `No Chromium: ${SYSTEM_CHROMIUM} is missing, CHROMIUM_PATH is not set and ${NPM_CHROMIUM_PACKAGE} is not installed (npm ci installs it).`,
      { cause: error },
    );
  }
  // <package>/build/index.js
  const packageDir = dirname(dirname(entry));
  const { version } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const executable = join(cacheDir(), 'chromium', version, 'chromium');
  if (existsSync(executable)) {
    return executable;
  }
  mkdirSync(dirname(executable), { recursive: true });
  // Unpacked beside its place and renamed into it: a run that stops half-way, or two that unpack
  // at once, never leave a partial binary where the next run looks.
  const partial = `${executable}.${process.pid}.partial`;
  try {
    await pipeline(
      createReadStream(join(packageDir, 'bin', 'chromium.br')),
      createBrotliDecompress(),
      createWriteStream(partial, { mode: 0o755 }),
    );
    await rename(partial, executable);
  } finally {
    await rm(partial, { force: true });
  }
  return executable;
}

/** The path of the Chromium `chooseChromium` picks, unpacking the npm one when it is that. */
export async function chromiumExecutable(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string> {
  const choice = chooseChromium(env, existsSync);
  return choice.source === 'npm' ? npmChromium() : choice.path;
}
