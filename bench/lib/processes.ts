import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
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
