import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LOG_DIR, ROOT } from '../../scripts/lib/paths.ts';
import { freePort, stopProcess, waitUntilAnswering } from '../../scripts/lib/processes.ts';

/** The newest modification time of the TypeScript the build compiles for the services. */
function newestSource(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules' && path !== join(ROOT, 'apps/web')) {
      newest = Math.max(newest, newestSource(path));
    } else if (entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts')) {
      newest = Math.max(newest, statSync(path).mtimeMs);
    }
  }
  return newest;
}

/**
 * Builds the services (`npm run build`) unless `dist/<script>` is newer than every source file of
 * apps/ and libs/: a suite that runs a service as it is deployed tests the code as it is now.
 */
export function ensureBuilt(script: string): void {
  let built = 0;
  try {
    built = statSync(join(ROOT, 'dist', script)).mtimeMs;
  } catch {
    // Not built yet.
  }
  if (built > Math.max(newestSource(join(ROOT, 'apps')), newestSource(join(ROOT, 'libs')))) {
    return;
  }
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, encoding: 'utf8' });
  if (build.status !== 0) {
    throw new Error(`npm run build failed:\n${build.stdout}${build.stderr}`);
  }
}

/** A service running from the build in a child process of its own. */
export interface BuiltService {
  readonly url: string;
  readonly child: ChildProcess;
  /** SIGTERM, as an orchestrator stops it; resolves once the process has ended. */
  stop(): Promise<void>;
}

/**
 * Starts `node dist/<script>` with `env` on a free loopback port (`PORT`), its log lines in
 * `.photoz/logs/e2e-<name>.log`, and waits until `/health/ready` answers.
 */
export async function startBuiltService(
  name: string,
  script: string,
  env: Record<string, string | undefined>,
): Promise<BuiltService> {
  const port = await freePort();
  mkdirSync(LOG_DIR, { recursive: true });
  const logFile = join(LOG_DIR, `e2e-${name}.log`);
  const output = openSync(logFile, 'a');
  const child = spawn(process.execPath, [join(ROOT, 'dist', script)], {
    cwd: ROOT,
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_FILE: logFile },
    stdio: ['ignore', output, output],
    // Its own process group, which stopProcess signals.
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  const service: BuiltService = { url, child, stop: () => stopProcess(child) };
  try {
    await waitUntilAnswering(`${url}/health/ready`, child, {
      name,
      see: logFile,
      timeoutMs: 60_000,
    });
  } catch (error) {
    await service.stop();
    throw error;
  }
  return service;
}
