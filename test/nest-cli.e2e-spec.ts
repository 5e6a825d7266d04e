import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../scripts/lib/paths.ts';
import { stopProcess } from '../scripts/lib/processes.ts';
import { serviceEnv } from './setup/test-env.ts';

/** What a Nest user's checkout holds that the CLI reads or builds; node_modules is linked. */
const PROJECT_FILES = [
  'apps',
  'libs',
  'scripts',
  'bench/servers',
  'package.json',
  'nest-cli.json',
  '.swcrc',
  'tsconfig.json',
  'tsconfig.build.json',
];
const NEST = join(ROOT, 'node_modules', '@nestjs', 'cli', 'bin', 'nest.js');
const TSC = join(ROOT, 'node_modules', '.bin', 'tsc');
const ALBUM_SRC = join('apps', 'album-service', 'src');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Every `.js` file under `directory`. */
function jsFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.js'))
    .map((name) => join(directory, name));
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) {
      return value;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${what} within ${timeoutMs / 1000} s`);
}

/**
 * The Nest CLI run as a Nest user runs it, in a scratch copy of the project so the work tree stays
 * as it was: `nest generate` adds a module and a service that the album service's module imports,
 * `nest build` compiles the project with them, and `nest start --watch` starts the album service
 * and restarts it when a source file changes.
 */
describe('the Nest CLI', () => {
  let project: string;
  let watcher: ChildProcess | undefined;
  // Node 24 (the project's) for the CLI and the processes it starts.
  const env = {
    ...process.env,
    PATH: [join(ROOT, 'node_modules', '.bin'), process.env['PATH'] ?? ''].join(delimiter),
  };

  function nest(...args: string[]): string {
    const run = spawnSync(process.execPath, [NEST, ...args], {
      cwd: project,
      env,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const output = `${run.stdout}${run.stderr}`;
    expect(run.status, `nest ${args.join(' ')}:\n${output}`).toBe(0);
    return output;
  }

  beforeAll(() => {
    project = mkdtempSync(join(tmpdir(), 'photoz-nest-cli-'));
    for (const path of PROJECT_FILES.filter((file) => existsSync(join(ROOT, file)))) {
      cpSync(join(ROOT, path), join(project, path), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  });

  afterAll(async () => {
    if (watcher !== undefined) {
      await stopProcess(watcher, 10_000);
    }
    rmSync(project, { recursive: true, force: true });
  });

  it('generates a module and a service, wired into the application module, that compile', () => {
    expect(nest('generate', 'module', 'widgets', '--project', 'album-service')).toContain(
      'UPDATE apps/album-service/src/album-service.module.ts',
    );
    nest('generate', 'service', 'widgets', '--project', 'album-service', '--no-spec');

    const read = (file: string) => readFileSync(join(project, ALBUM_SRC, file), 'utf8');
    expect(read('album-service.module.ts')).toContain(
      "import { WidgetsModule } from './widgets/widgets.module.js';",
    );
    expect(read('album-service.module.ts')).toMatch(/imports: \[WidgetsModule\]/);
    expect(read('widgets/widgets.module.ts')).toMatch(/providers: \[WidgetsService\]/);
    expect(read('widgets/widgets.service.ts')).toContain('export class WidgetsService');

    // The type check of `npm run typecheck` (TypeScript 7), on the copy.
    const check = spawnSync(TSC, ['-p', 'tsconfig.build.json', '--noEmit'], {
      cwd: project,
      env,
      encoding: 'utf8',
    });
    expect(check.status, `${check.stdout}${check.stderr}`).toBe(0);
  });

  it('builds the album service into dist/ as Node runs it', () => {
    nest('build', 'album-service');

    const dist = join(project, 'dist');
    expect(existsSync(join(dist, ALBUM_SRC, 'main.js'))).toBe(true);
    expect(existsSync(join(dist, ALBUM_SRC, 'widgets', 'widgets.service.js'))).toBe(true);
    expect(existsSync(join(dist, 'scripts', 'migrate.js'))).toBe(true);
    // Library aliases and `.ts` specifiers, static or dynamic, are rewritten to the emitted files.
    const unresolved =
      /^(?:import|export)\b[^;]*?from\s*["'](?:@app\/|\.\.?\/[^"']*\.ts["'])|\bimport\(\s*["'](?:@app\/|\.\.?\/[^"']*\.ts["'])/m;
    expect(jsFiles(dist).filter((file) => unresolved.test(readFileSync(file, 'utf8')))).toEqual([]);
    // Nest's dependency injection reads the constructor types the build records.
    expect(readFileSync(join(dist, ALBUM_SRC, 'albums', 'albums.controller.js'), 'utf8')).toMatch(
      /design:paramtypes", \[[^\]]*\bAlbumService\b/,
    );
  });

  it('starts the album service in watch mode and restarts it when a source file changes', async () => {
    const port = await freePort();
    const logFile = join(project, 'album-service.log');
    watcher = spawn(process.execPath, [NEST, 'start', '--watch', 'album-service'], {
      cwd: project,
      env: {
        ...env,
        ...serviceEnv({ METRICS_PORT: '0', UMA_RELAY_ENABLED: 'false' }),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_FILE: logFile,
      },
      stdio: 'ignore',
      // Its own process group, with the service it starts: stopProcess signals both.
      detached: true,
    });
    const url = `http://127.0.0.1:${port}`;
    const description = async () => {
      const response = await fetch(`${url}/docs-json`, { signal: AbortSignal.timeout(2_000) });
      return response.ok
        ? ((await response.json()) as { info: { description: string } }).info.description
        : undefined;
    };

    await until('the album service did not answer', 45_000, async () =>
      (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) })).ok
        ? true
        : undefined,
    );
    expect(readFileSync(logFile, 'utf8')).toContain('WidgetsModule dependencies initialized');
    expect(await description()).toMatch(/^Albums and photos owned by users/);

    const definition = join(project, ALBUM_SRC, 'album-service.definition.ts');
    writeFileSync(
      definition,
      readFileSync(definition, 'utf8').replace(
        "'Albums and photos owned by users",
        "'Rebuilt in watch mode. Albums and photos owned by users",
      ),
    );
    await until('the edit was not served', 30_000, async () => {
      const served = await description();
      return served?.startsWith('Rebuilt in watch mode.') === true ? served : undefined;
    });
  });
});
