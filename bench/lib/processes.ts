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
    stop: () => stopProcess(child),
  };
}
