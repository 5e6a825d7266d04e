import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { freePort, stopProcess, waitUntilAnswering } from '../../scripts/lib/processes.ts';

/** A server the benchmark started as a child process of its own. */
export interface BenchProcess {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  readonly child: ChildProcess;
  /** Resident set size now, in MB (Linux `/proc`). */
  rssMb(): number;
  /**
   * The V8 heap now (used and committed) and the memory outside it, in MB, from the service's
   * metrics (`undefined` for a server without them).
   */
  heapMb(): Promise<{ used: number; total: number; external: number } | undefined>;
  stop(): Promise<void>;
}

/**
 * CPU time a process has used so far, user and system, all its threads, in microseconds (Linux
 * `/proc/<pid>/stat`, in clock ticks of 10 ms).
 */
export function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks * 10_000;
}

/**
 * Where the reads' load generator and the measured server run: apart, each on CPUs of its own, so
 * that the scheduler does not move them onto one another between rounds (on 2 cores, CPU 0 for
 * autocannon and CPU 1 for the server; Keycloak, PostgreSQL and the idle servers go where they
 * may). `undefined` on one CPU, without `taskset`, or with `BENCH_PIN=0`.
 */
export function pinning():
  { readonly load: string; readonly server: string; readonly all: string } | undefined {
  const cpus = availableParallelism();
  if (process.env['BENCH_PIN'] === '0' || cpus < 2) {
    return undefined;
  }
  if (spawnSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' }).status !== 0) {
    return undefined;
  }
  const half = Math.max(1, Math.floor(cpus / 2));
  return {
    load: half === 1 ? '0' : `0-${half - 1}`,
    server: half === cpus - 1 ? String(half) : `${half}-${cpus - 1}`,
    all: `0-${cpus - 1}`,
  };
}

/** Restricts every thread of a running process to `cpus` (a `taskset` list). */
export function pin(pid: number, cpus: string): void {
  const result = spawnSync('taskset', ['-a', '-cp', cpus, String(pid)], { stdio: 'ignore' });
  if (result.status !== 0) {
    throw new Error(`taskset could not pin process ${pid} to CPUs ${cpus}`);
  }
}

/** Resident set size of a process in MB, from `/proc/<pid>/status`. */
export function rssMb(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] === undefined ? Number.NaN : Number(match[1]) / 1024;
}

/** The V8 heap of a service, from the metrics endpoint its log names (`Metrics on <url>`). */
async function heapMb(
  logFile: string,
): Promise<{ used: number; total: number; external: number } | undefined> {
  const urls = [...readFileSync(logFile, 'utf8').matchAll(/Metrics on (http:\/\/[^"\s]+)/g)];
  const url = urls.at(-1)?.[1];
  if (url === undefined) {
    return undefined;
  }
  const text = await (await fetch(url)).text();
  const value = (name: string) =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN) / 1024 / 1024;
  return {
    used: value('nodejs_heap_size_used_bytes'),
    total: value('nodejs_heap_size_total_bytes'),
    external: value('nodejs_external_memory_bytes'),
  };
}

/**
 * Starts `node [nodeArgs] script` with `env` on a free port (`PORT`), logging to `logFile`, and
 * waits until `readyPath` answers.
 */
export async function startNodeServer(options: {
  name: string;
  script: string;
  env: Record<string, string | undefined>;
  logFile: string;
  readyPath: string;
  nodeArgs?: readonly string[];
  cwd?: string;
}): Promise<BenchProcess> {
  const port = await freePort();
  mkdirSync(dirname(options.logFile), { recursive: true });
  const log = openSync(options.logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(port) },
    stdio: ['ignore', log, log],
    detached: true,
  });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilAnswering(`${url}${options.readyPath}`, child, {
      name: options.name,
      see: options.logFile,
    });
  } catch (error) {
    await stopProcess(child);
    throw error;
  }
  const pid = child.pid ?? 0;
  return {
    name: options.name,
    url,
    pid,
    child,
    rssMb: () => rssMb(pid),
    heapMb: () => heapMb(options.logFile),
    stop: () => stopProcess(child),
  };
}
