import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { pathAliases } from '../../scripts/lib/workspace.ts';

const WEB_ROOT = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The web app has its own tsconfig.json (a browser build), whose `paths` name the libraries it may
 * import; vite.config.ts takes its aliases and the folders its dev server serves from them.
 */
describe('the libraries of the web app', () => {
  const web = pathAliases(WEB_ROOT);

  it('are the browser libraries only (the dev server serves their sources)', () => {
    expect(Object.keys(web).sort()).toEqual(['@app/api-contract', '@app/uma-client']);
  });

  it('map to the files the repository’s tsconfig.json maps them to', () => {
    const repository = pathAliases(ROOT);
    expect(web).toEqual(
      Object.fromEntries(Object.keys(web).map((specifier) => [specifier, repository[specifier]])),
    );
  });
});
