import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  dependencyProblems,
  entryFiles,
  PACKAGES,
  packageOf,
  readPackageJson,
  rewriteSpecifiers,
  specifierMap,
} from './lib/packages.ts';
import { ROOT } from './lib/paths.ts';
import { pathAliases } from './lib/workspace.ts';

const MAP = new Map([
  ['@app/keycloak', '@photoz/keycloak'],
  ['@app/common', '@photoz/nest-common'],
  ['@app/auth', '@photoz/nest-uma'],
  ['@app/grant-record', '@photoz/nest-uma/grant-record'],
]);

function rewrite(text: string, relative: (specifier: string) => string = (s) => s) {
  return rewriteSpecifiers(text, MAP, relative);
}

describe(rewriteSpecifiers.name, () => {
  it('maps each @app library to its package, in imports, re-exports and import types', () => {
    const { text, packages } = rewrite(
      [
        "import { KeycloakError } from '@app/keycloak';",
        'export { Public } from "@app/common";',
        "type P = import('@app/keycloak').ProtectionApiClient;",
      ].join('\n'),
    );
    expect(text).toBe(
      [
        "import { KeycloakError } from '@photoz/keycloak';",
        'export { Public } from "@photoz/nest-common";',
        "type P = import('@photoz/keycloak').ProtectionApiClient;",
      ].join('\n'),
    );
    expect([...packages].sort()).toEqual(['@photoz/keycloak', '@photoz/nest-common']);
  });

  it('maps a library published as a subpath to it, and to a relative path in its own package', () => {
    const source = "import { CurrentGrant } from '@app/grant-record';";
    const elsewhere = rewrite(source);
    expect(elsewhere.text).toBe("import { CurrentGrant } from '@photoz/nest-uma/grant-record';");
    expect([...elsewhere.packages]).toEqual(['@photoz/nest-uma']);
    const asked: string[] = [];
    const inside = rewriteSpecifiers(source, MAP, (specifier) => specifier, {
      name: '@photoz/nest-uma',
      entry: (subpath) => {
        asked.push(subpath);
        return `./${subpath}/index.js`;
      },
    });
    expect(asked).toEqual(['grant-record']);
    expect(inside.text).toBe("import { CurrentGrant } from './grant-record/index.js';");
    expect([...inside.packages]).toEqual([]);
  });

  it('refuses an @app library that no package publishes', () => {
    expect(() => rewrite("import { PlatformModule } from '@app/platform';")).toThrow(
      '@app/platform: no package publishes this library',
    );
  });

  it('points relative specifiers where the package ships them, .ts as .js', () => {
    const asked: string[] = [];
    const { text } = rewrite(
      "export * from '../../../libs/common/src/concurrency.ts';\nimport './side-effect.js';",
      (specifier) => {
        asked.push(specifier);
        return specifier.replace('../../../libs/common/src/', './common/');
      },
    );
    expect(asked).toEqual(['../../../libs/common/src/concurrency.js', './side-effect.js']);
    expect(text).toBe("export * from './common/concurrency.js';\nimport './side-effect.js';");
  });

  it('collects the packages a file imports, without builtins and subpaths', () => {
    const { packages } = rewrite(
      [
        "import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';",
        "import { Injectable } from '@nestjs/common';",
        "import { STATUS_CODES } from 'node:http';",
        "import { createHash } from 'crypto';",
        '/// <reference types="node" />',
      ].join('\n'),
    );
    expect([...packages].sort()).toEqual(['@nestjs/common', 'typeorm']);
  });
});

describe(packageOf.name, () => {
  it('keeps the scope of a scoped package and drops any subpath', () => {
    expect(packageOf('@nestjs/common')).toBe('@nestjs/common');
    expect(packageOf('@nestjs/platform-fastify/adapters')).toBe('@nestjs/platform-fastify');
    expect(packageOf('typeorm/driver/postgres/PostgresDriver.js')).toBe('typeorm');
  });
});

describe(dependencyProblems.name, () => {
  const pkg = {
    name: '@photoz/example',
    version: '0.1.0',
    dependencies: { zod: '^1.0.0' },
    peerDependencies: { '@nestjs/common': '^12.0.0', typeorm: '^1.1.1' },
  };

  it('names an imported package that is not declared, and a declared one nothing imports', () => {
    expect(
      dependencyProblems(pkg, new Set(['zod', '@nestjs/common', 'pino'])).filter(
        (problem) => !problem.includes('differs'),
      ),
    ).toEqual([
      'imports pino, which package.json does not declare',
      'declares typeorm, which nothing in dist/ imports',
    ]);
  });

  it("names a dependency whose range is not the root package.json's", () => {
    const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    expect(dependencyProblems(pkg, new Set(['zod', '@nestjs/common', 'typeorm']))).toEqual([
      `dependency zod@^1.0.0 differs from the root package.json's ${root.dependencies['zod']}`,
    ]);
  });
});

describe('the published packages', () => {
  it.each(PACKAGES.map((definition) => [definition.dir, definition] as const))(
    '%s has a scoped package.json exporting each library with its types, a README and a changelog',
    (dir, definition) => {
      const pkg = readPackageJson(dir);
      expect(pkg.name).toMatch(/^@photoz\//);
      expect(entryFiles(pkg).every((file) => file.startsWith('./dist/'))).toBe(true);
      const subpaths = Object.values(definition.provides);
      expect(Object.keys(pkg.exports ?? {}).sort()).toEqual(
        [...subpaths.map((subpath) => (subpath === '' ? '.' : `./${subpath}`)), './package.json']
          .filter((key, index, all) => all.indexOf(key) === index)
          .sort(),
      );
      for (const subpath of subpaths) {
        const dist = subpath === '' ? './dist' : `./dist/${subpath}`;
        expect(pkg.exports?.[subpath === '' ? '.' : `./${subpath}`]).toEqual({
          types: `${dist}/index.d.ts`,
          default: `${dist}/index.js`,
        });
      }
      expect(existsSync(join(ROOT, dir, 'README.md'))).toBe(true);
      expect(readFileSync(join(ROOT, dir, 'CHANGELOG.md'), 'utf8')).toContain(`## ${pkg.version}`);
    },
  );

  it('name their sibling packages at the versions the siblings have', () => {
    const versions = new Map(
      PACKAGES.map((definition) => {
        const pkg = readPackageJson(definition.dir);
        return [pkg.name, `^${pkg.version}`];
      }),
    );
    const siblings = PACKAGES.flatMap((definition) => {
      const pkg = readPackageJson(definition.dir);
      return Object.entries({ ...pkg.dependencies, ...pkg.peerDependencies })
        .filter(([name]) => versions.has(name))
        .map(([name, range]) => ({ from: pkg.name, name, range }));
    });
    expect(siblings.length).toBeGreaterThan(0);
    expect(siblings).toEqual(
      siblings.map((sibling) => ({ ...sibling, range: versions.get(sibling.name) })),
    );
  });

  it('stand each for @app libraries that tsconfig.json maps', () => {
    const aliases = Object.keys(pathAliases(ROOT));
    expect(aliases).toEqual(expect.arrayContaining([...specifierMap().keys()]));
  });
});
