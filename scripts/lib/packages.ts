/**
 * The libraries published as npm packages, and their build: one `tsc` run over packages/tsconfig.json
 * emits JavaScript and declarations into dist/packages-tsc; each package's `dist/` is then
 * assembled from the folders it publishes, with every `@app/<lib>` specifier replaced by the
 * package that publishes `<lib>` and every relative specifier pointed at the file's place in the
 * package. The assembly refuses a package that imports a file it does not ship, an `@app/`
 * library no package publishes, or a package it does not declare (and declares one it does not
 * import), so that what `npm pack` takes is installable on its own.
 */
import { spawn, spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ROOT } from './paths.ts';

/** Where `tsc` emits the packages' files before they are assembled. */
export const STAGING_DIR = join(ROOT, 'dist', 'packages-tsc');

/** Where `npm run packages:pack` puts the tarballs unless told otherwise. */
export const DEFAULT_PACK_DIR = join(ROOT, 'dist', 'packages');

/** A folder of compiled sources that a package publishes, and where it goes under its `dist/`. */
export interface PublishedFolder {
  /** Relative to the repository root, e.g. `libs/auth/src`. */
  readonly from: string;
  /** Relative to the package's `dist/`, `''` for `dist/` itself. */
  readonly to: string;
}

export interface PackageDefinition {
  /** The package's folder (its package.json, README.md, CHANGELOG.md and, once built, dist/). */
  readonly dir: string;
  /**
   * The `@app/...` libraries this package publishes, each with the folder (a `to` of `folders`)
   * whose index is its entry: `''` is the package's main entry, another folder a subpath export.
   */
  readonly provides: Readonly<Record<string, string>>;
  readonly folders: readonly PublishedFolder[];
  /** Dependencies loaded by name at run time rather than imported (pino's transport targets). */
  readonly loadedByName?: readonly string[];
}

/** In build order: a package comes after those it imports. */
export const PACKAGES: readonly PackageDefinition[] = [
  {
    dir: 'packages/nest-common',
    provides: { '@app/common': '', '@app/observability': '' },
    folders: [
      { from: 'packages/nest-common/src', to: '' },
      { from: 'libs/common/src', to: 'common' },
      { from: 'libs/observability/src', to: 'observability' },
    ],
    // The logger's human-readable output in a terminal (`pino.transport({ target: 'pino-pretty' })`).
    loadedByName: ['pino-pretty'],
  },
  {
    dir: 'libs/keycloak',
    provides: { '@app/keycloak': '' },
    folders: [{ from: 'libs/keycloak/src', to: '' }],
  },
  {
    // The guard, with the grant record it decides by as the subpath `grant-record`.
    dir: 'libs/auth',
    provides: { '@app/auth': '', '@app/grant-record': 'grant-record' },
    folders: [
      { from: 'libs/auth/src', to: '' },
      { from: 'libs/grant-record/src', to: 'grant-record' },
    ],
  },
  {
    dir: 'libs/uma-resources',
    provides: { '@app/uma-resources': '' },
    folders: [{ from: 'libs/uma-resources/src', to: '' }],
  },
  {
    dir: 'libs/uma-client',
    provides: { '@app/uma-client': '' },
    folders: [{ from: 'libs/uma-client/src', to: '' }],
  },
];

export interface PackageJson {
  readonly name: string;
  readonly version: string;
  readonly main?: string;
  readonly types?: string;
  readonly exports?: Readonly<Record<string, unknown>>;
  readonly dependencies?: Readonly<Record<string, string>>;
  readonly peerDependencies?: Readonly<Record<string, string>>;
}

export function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as PackageJson;
}

/** `@app/<lib>` → the package (or the package's subpath) that publishes it. */
export function specifierMap(root = ROOT): Map<string, string> {
  const map = new Map<string, string>();
  for (const definition of PACKAGES) {
    const { name } = JSON.parse(
      readFileSync(join(root, definition.dir, 'package.json'), 'utf8'),
    ) as PackageJson;
    for (const [specifier, folder] of Object.entries(definition.provides)) {
      map.set(specifier, folder === '' ? name : `${name}/${folder}`);
    }
  }
  return map;
}

/**
 * Module specifiers in emitted JavaScript or declarations: `from '…'`, `import '…'`,
 * `import('…')` and `/// <reference types="…" />`.
 */
const SPECIFIER =
  /(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|<reference\s+types\s*=\s*)(['"])([^'"\n]+)\2/g;

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || builtinModules.includes(packageOf(specifier));
}

export interface Rewrite {
  readonly text: string;
  /** The packages the file imports (bare specifiers, builtins excepted). */
  readonly packages: ReadonlySet<string>;
}

/**
 * Rewrites the specifiers of one emitted file: `@app/<lib>` to its package, a relative one to
 * `relativeTarget(specifier)` (which throws for a file outside the package), `.ts` to `.js`. An
 * `@app/` library that the file's own package publishes (`self`) becomes a relative specifier too,
 * `self.entry(subpath)`. Throws for an `@app/` specifier no package publishes.
 */
export function rewriteSpecifiers(
  text: string,
  map: ReadonlyMap<string, string>,
  relativeTarget: (specifier: string) => string,
  self?: { readonly name: string; readonly entry: (subpath: string) => string },
): Rewrite {
  const packages = new Set<string>();
  const rewritten = text.replace(
    SPECIFIER,
    (_match, lead: string, quote: string, specifier: string) => {
      let target = specifier;
      if (specifier.startsWith('.')) {
        target = relativeTarget(specifier.replace(/\.ts$/, '.js'));
      } else if (specifier.startsWith('@app/')) {
        const mapped = map.get(specifier);
        if (mapped === undefined) {
          throw new Error(`${specifier}: no package publishes this library`);
        }
        if (self !== undefined && packageOf(mapped) === self.name) {
          target = self.entry(mapped.slice(self.name.length + 1));
        } else {
          target = mapped;
          packages.add(packageOf(mapped));
        }
      } else if (lead.startsWith('<reference')) {
        // `/// <reference types="node" />` needs @types/node, which is the application's.
      } else if (!isBuiltin(specifier)) {
        packages.add(packageOf(specifier));
      }
      return `${lead}${quote}${target}${quote}`;
    },
  );
  return { text: rewritten, packages };
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** Where a staged file goes in the package's dist/, or `undefined` when the package does not ship it. */
function placeOf(definition: PackageDefinition, staged: string): string | undefined {
  for (const folder of definition.folders) {
    const base = join(STAGING_DIR, folder.from);
    if (staged.startsWith(`${base}${sep}`)) {
      return join(ROOT, definition.dir, 'dist', folder.to, relative(base, staged));
    }
  }
  return undefined;
}

export interface AssembledPackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
  readonly files: number;
}

/** Emits every package's files with `tsc` into {@link STAGING_DIR}. */
export function compilePackages(): void {
  rmSync(STAGING_DIR, { recursive: true, force: true });
  const tsc = spawnSync(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    ['-p', join(ROOT, 'packages', 'tsconfig.json')],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (tsc.status !== 0) {
    throw new Error(`tsc -p packages/tsconfig.json failed (exit ${String(tsc.status)})`);
  }
}

/** Fills `<dir>/dist` of one package from the staged files, checked as the module says. */
export function assemblePackage(
  definition: PackageDefinition,
  map: ReadonlyMap<string, string>,
): AssembledPackage {
  const pkg = readPackageJson(definition.dir);
  const dist = join(ROOT, definition.dir, 'dist');
  rmSync(dist, { recursive: true, force: true });
  const problems: string[] = [];
  const imported = new Set<string>();
  let files = 0;
  for (const folder of definition.folders) {
    const base = join(STAGING_DIR, folder.from);
    if (!existsSync(base)) {
      problems.push(`${folder.from}: nothing was compiled there`);
      continue;
    }
    for (const staged of walk(base)) {
      if (!staged.endsWith('.js') && !staged.endsWith('.d.ts')) {
        continue;
      }
      const place = placeOf(definition, staged);
      if (place === undefined) {
        continue;
      }
      const shown = posix(relative(STAGING_DIR, staged));
      try {
        const { text, packages } = rewriteSpecifiers(
          readFileSync(staged, 'utf8'),
          map,
          (specifier) => {
            const target = resolve(dirname(staged), specifier);
            const targetFile = staged.endsWith('.d.ts') ? target.replace(/\.js$/, '.d.ts') : target;
            const targetPlace = placeOf(definition, targetFile);
            if (targetPlace === undefined || !existsSync(targetFile)) {
              throw new Error(
                `imports ${specifier}, which ${pkg.name} does not ship (${posix(relative(STAGING_DIR, targetFile))})`,
              );
            }
            const shipped = posix(relative(dirname(place), targetPlace)).replace(/\.d\.ts$/, '.js');
            return shipped.startsWith('.') ? shipped : `./${shipped}`;
          },
          {
            name: pkg.name,
            entry: (subpath) => {
              const entryFolder = definition.folders.find((candidate) => candidate.to === subpath);
              const entry = entryFolder && join(STAGING_DIR, entryFolder.from, 'index.js');
              if (entry === undefined || !existsSync(entry)) {
                throw new Error(`imports its own subpath '${subpath}', which has no index`);
              }
              const shipped = posix(relative(dirname(place), join(dist, subpath, 'index.js')));
              return shipped.startsWith('.') ? shipped : `./${shipped}`;
            },
          },
        );
        for (const name of packages) {
          imported.add(name);
        }
        mkdirSync(dirname(place), { recursive: true });
        writeFileSync(place, text);
        files += 1;
      } catch (error) {
        problems.push(`${shown}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
  // The repository's licence goes into every tarball (npm packs a LICENSE next to package.json).
  copyFileSync(join(ROOT, 'LICENSE'), join(ROOT, definition.dir, 'LICENSE'));
  for (const name of definition.loadedByName ?? []) {
    imported.add(name);
  }
  problems.push(...dependencyProblems(pkg, imported));
  for (const entry of entryFiles(pkg)) {
    if (!existsSync(join(ROOT, definition.dir, entry))) {
      problems.push(`package.json names ${entry}, which the build did not produce`);
    }
  }
  if (problems.length > 0) {
    throw new Error(`${pkg.name} cannot be packed:\n  ${problems.join('\n  ')}`);
  }
  return { name: pkg.name, version: pkg.version, dir: definition.dir, files };
}

/** The files `main`, `types` and `exports` name. */
export function entryFiles(pkg: PackageJson): string[] {
  const found = new Set<string>();
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value !== './package.json') {
        found.add(value);
      }
    } else if (typeof value === 'object' && value !== null) {
      for (const nested of Object.values(value)) {
        visit(nested);
      }
    }
  };
  visit(pkg.main);
  visit(pkg.types);
  visit(pkg.exports);
  return [...found].sort();
}

/**
 * What is wrong with a package's declared dependencies, given the packages its files import:
 * each imported package must be declared (as a dependency or a peer), each declared one imported,
 * and a dependency's range must be the root package.json's, which is what the monorepo tests.
 */
export function dependencyProblems(pkg: PackageJson, imported: ReadonlySet<string>): string[] {
  const root = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    devDependencies?: Record<string, string>;
  };
  const rootRanges = { ...root.devDependencies, ...root.dependencies };
  const declared = { ...pkg.peerDependencies, ...pkg.dependencies };
  const problems: string[] = [];
  for (const name of [...imported].sort()) {
    if (declared[name] === undefined) {
      problems.push(`imports ${name}, which package.json does not declare`);
    }
  }
  for (const name of Object.keys(declared).sort()) {
    if (!imported.has(name)) {
      problems.push(`declares ${name}, which nothing in dist/ imports`);
    }
  }
  for (const [name, range] of Object.entries(pkg.dependencies ?? {})) {
    if (rootRanges[name] !== undefined && rootRanges[name] !== range) {
      problems.push(
        `dependency ${name}@${range} differs from the root package.json's ${rootRanges[name]}`,
      );
    }
  }
  return problems;
}

/** Compiles and assembles every package. */
export function buildPackages(): AssembledPackage[] {
  compilePackages();
  const map = specifierMap();
  return PACKAGES.map((definition) => assemblePackage(definition, map));
}

export interface PackedFile {
  readonly path: string;
  readonly size: number;
}

export interface PackResult {
  readonly name: string;
  readonly version: string;
  /** The tarball's absolute path. */
  readonly tarball: string;
  /** Compressed size, in bytes. */
  readonly size: number;
  readonly unpackedSize: number;
  readonly files: readonly PackedFile[];
}

/** `npm pack` of one built package into `destination` (or, with `dryRun`, only its listing). */
export async function packPackage(
  dir: string,
  destination: string,
  dryRun = false,
): Promise<PackResult> {
  mkdirSync(destination, { recursive: true });
  const args = ['pack', '--json', '--ignore-scripts', '--pack-destination', destination];
  const stdout = await run('npm', dryRun ? [...args, '--dry-run'] : args, join(ROOT, dir));
  const [packed] = JSON.parse(stdout) as {
    name: string;
    version: string;
    filename: string;
    size: number;
    unpackedSize: number;
    files: PackedFile[];
  }[];
  if (packed === undefined) {
    throw new Error(`npm pack in ${dir} reported nothing`);
  }
  return {
    name: packed.name,
    version: packed.version,
    tarball: join(destination, packed.filename),
    size: packed.size,
    unpackedSize: packed.unpackedSize,
    files: packed.files.map((file) => ({ path: file.path, size: file.size })),
  };
}

/** Builds every package and packs them (at once) into `destination`. */
export function packPackages(
  destination = DEFAULT_PACK_DIR,
  dryRun = false,
): Promise<PackResult[]> {
  buildPackages();
  return Promise.all(
    PACKAGES.map((definition) => packPackage(definition.dir, destination, dryRun)),
  );
}

/** Runs a command to its end; its output, or an error with what it wrote. */
function run(command: string, args: readonly string[], cwd: string): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) {
        resolvePromise(stdout);
      } else {
        reject(
          new Error(`${command} ${args.join(' ')} in ${cwd} failed (${String(code)}): ${stderr}`),
        );
      }
    });
  });
}
