import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root folder. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

/** Where the local stack, the tests and the benchmark write their logs (not tracked). */
export const LOG_DIR = join(ROOT, '.photoz', 'logs');

/** Downloads are cached outside the work tree, so fresh clones and CI reruns reuse them. */
export function cacheDir(): string {
  return (
    process.env['PHOTOZ_CACHE_DIR'] ??
    join(process.env['XDG_CACHE_HOME'] ?? join(homedir(), '.cache'), 'photoz')
  );
}

/**
 * Keycloak's state (its H2 database holds the realm's private signing keys and client secrets)
 * lives outside the work tree, where no dev server or static server of the repository can serve it.
 */
export function stateDir(): string {
  return (
    process.env['PHOTOZ_STATE_DIR'] ??
    join(process.env['XDG_STATE_HOME'] ?? join(homedir(), '.local', 'state'), 'photoz')
  );
}
