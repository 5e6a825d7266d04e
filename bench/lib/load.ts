import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const AUTOCANNON = createRequire(import.meta.url).resolve('autocannon/autocannon.js');

/** What autocannon measured on one route for one round. */
export interface LoadResult {
  readonly requestsPerSecond: number;
  /** Answers received in the round. */
  readonly requests: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly statusCodes: Readonly<Record<string, number>>;
  readonly errors: number;
  readonly timeouts: number;
}

/**
 * Runs autocannon in a child process (so that the load generator never shares an event loop
 * with what it measures) against one URL for `seconds`; returns its summary.
 */
export function load(options: {
  url: string;
  token?: string | undefined;
  seconds: number;
  connections: number;
  /** Requests per second from all connections together; as fast as answers come when absent. */
  rate?: number;
  /** The CPUs autocannon may run on (a `taskset` list such as `0`); any when absent. */
  cpus?: string | undefined;
}): Promise<LoadResult> {
  const args = [AUTOCANNON, '-j', '-c', String(options.connections), '-d', String(options.seconds)];
  if (options.rate !== undefined) {
    args.push('-R', String(options.rate));
  }
  if (options.token !== undefined) {
    args.push('-H', `authorization=Bearer ${options.token}`);
  }
  args.push(options.url);
  return new Promise((resolve, reject) => {
    const [command, commandArgs] =
      options.cpus === undefined
        ? [process.execPath, args]
        : ['taskset', ['-c', options.cpus, process.execPath, ...args]];
    const child = spawn(command, commandArgs, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (exitCode) => {
      if (exitCode !== 0) {
        reject(new Error(`autocannon exited with ${exitCode}`));
        return;
      }
      const summary = JSON.parse(out) as {
        requests: { average: number; total: number };
        latency: { p50: number; p99: number };
        statusCodeStats?: Record<string, { count: number }>;
        errors: number;
        timeouts: number;
      };
      resolve({
        requestsPerSecond: summary.requests.average,
        requests: summary.requests.total,
        p50Ms: summary.latency.p50,
        p99Ms: summary.latency.p99,
        statusCodes: Object.fromEntries(
          Object.entries(summary.statusCodeStats ?? {}).map(([code, { count }]) => [code, count]),
        ),
        errors: summary.errors,
        timeouts: summary.timeouts,
      });
    });
  });
}

/** The round with the median throughput: one noisy moment skews no route. */
export function median(results: readonly LoadResult[]): LoadResult {
  const sorted = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
  const middle = sorted[Math.floor(sorted.length / 2)];
  if (middle === undefined) {
    throw new Error('no rounds measured');
  }
  return middle;
}
