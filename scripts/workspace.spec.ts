import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SERVICE_NODE_FLAGS } from './lib/service-runtime.ts';
import { parseJsonc, pathAliases, readJsonc } from './lib/workspace.ts';

const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '..');

/** The libraries that exist: each folder under libs/ with a src/index.ts. */
function libraryFolders(): string[] {
  return readdirSync(join(ROOT, 'libs'), { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() && existsSync(join(ROOT, 'libs', entry.name, 'src', 'index.ts')),
    )
    .map((entry) => entry.name)
    .sort();
}

/**
 * A new library needs one entry in tsconfig.json's paths and one in nest-cli.json's projects
 * (vitest.config.ts follows tsconfig.json); these tests name whichever is missing or left over. A
 * file the migration scripts load (Node runs them unbuilt, without tsconfig.json) is named by a
 * `#` subpath import in package.json, and by the same entry in tsconfig.json's paths for the build.
 */
describe('the libraries under libs/', () => {
  const libraries = libraryFolders();

  it('are found at all', () => {
    expect(libraries).toContain('common');
  });

  it('are exactly the @app paths of tsconfig.json, each @app/<name> to libs/<name>/src/index.ts', () => {
    expect(
      Object.fromEntries(
        Object.entries(pathAliases(ROOT)).filter(([specifier]) => !specifier.startsWith('#')),
      ),
    ).toEqual(
      Object.fromEntries(
        libraries.map((name) => [`@app/${name}`, join(ROOT, 'libs', name, 'src', 'index.ts')]),
      ),
    );
  });

  it("map their # entries as package.json's imports do, for the scripts Node runs unbuilt", () => {
    const { imports } = readJsonc(join(ROOT, 'package.json')) as {
      imports?: Record<string, string>;
    };
    expect(
      Object.fromEntries(
        Object.entries(pathAliases(ROOT)).filter(([specifier]) => specifier.startsWith('#')),
      ),
    ).toEqual(
      Object.fromEntries(
        Object.entries(imports ?? {}).map(([specifier, target]) => [
          specifier,
          resolve(ROOT, target),
        ]),
      ),
    );
  });

  it("are exactly nest-cli.json's library projects, each rooted in its folder", () => {
    const { projects } = readJsonc(join(ROOT, 'nest-cli.json')) as {
      projects: Record<string, { type?: string }>;
    };
    expect(
      Object.fromEntries(
        Object.entries(projects).filter(([, project]) => project.type === 'library'),
      ),
    ).toEqual(
      Object.fromEntries(
        libraries.map((name) => [
          name,
          {
            type: 'library',
            root: `libs/${name}`,
            entryFile: 'index',
            sourceRoot: `libs/${name}/src`,
          },
        ]),
      ),
    );
  });
});

describe(parseJsonc.name, () => {
  it('reads plain JSON', () => {
    expect(parseJsonc('{"a": [1, 2], "b": {"c": null}}')).toEqual({ a: [1, 2], b: { c: null } });
  });

  it('drops line and block comments and trailing commas, as tsconfig.json allows', () => {
    const text = `\uFEFF{
      // a comment
      "paths": { "@app/x": ["./libs/x/src/index.ts",], }, /* another
      one */
      "list": [1, 2, ],
    }`;
    expect(parseJsonc(text)).toEqual({
      paths: { '@app/x': ['./libs/x/src/index.ts'] },
      list: [1, 2],
    });
  });

  it('keeps what only looks like a comment or a trailing comma inside strings', () => {
    const value = { url: 'http://host/*x*/', text: 'a, }', quote: 'say "// hi"', slash: 'a\\' };
    expect(parseJsonc(JSON.stringify(value))).toEqual(value);
  });
});

describe('the services’ V8 heap limits', () => {
  it('are the same in the container image as in scripts/lib/service-runtime.ts', () => {
    const dockerfile = readFileSync(join(ROOT, 'docker', 'Dockerfile'), 'utf8');
    expect(/^ENV NODE_OPTIONS="([^"]*)"$/m.exec(dockerfile)?.[1]).toBe(
      SERVICE_NODE_FLAGS.join(' '),
    );
  });
});
