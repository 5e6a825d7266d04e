import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** Stops a process group started with `detached: true` and waits for it to exit. */
export async function stopProcess(child: ChildProcess, timeoutMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) {
    return;
  }
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      process.kill(-(child.pid ?? 0), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }, timeoutMs);
  await exited;
  clearTimeout(timer);
}

/**
 * Calls `stop` on Ctrl-C (SIGINT), on SIGTERM, and when the parent process goes away: `npm run`
 * starts scripts under `sh -c`, which does not pass SIGTERM on, so a script handed to another
 * parent stops rather than leave what it started running.
 */
export function stopOnSignals(stop: () => void): void {
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) {
      stop();
    }
  }, 500).unref();
}

/** A loopback port nothing listens on right now (the caller's server binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, rejectPort) => {
    const server = createServer();
    server.once('error', rejectPort);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        resolvePort(typeof address === 'object' && address !== null ? address.port : 0),
      );
    });
  });
}

/**
 * Waits until `url` answers 2xx; fails when `child` ends first or `timeoutMs` passes, naming the
 * process (`name`) and where to look (`see`, a log file) in the message.
 */
export async function waitUntilAnswering(
  url: string,
  child: ChildProcess,
  options: { readonly name: string; readonly see?: string; readonly timeoutMs?: number },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 120_000;
  const see = options.see === undefined ? '' : `; see ${options.see}`;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `${options.name} ended while starting (${child.signalCode ?? `exit code ${child.exitCode}`})${see}`,
      );
    }
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) {
        return;
      }
    } catch {
      // Not listening yet.
    }
    await new Promise((resolveDelay) => setTimeout(resolveDelay, 200));
  }
  throw new Error(`${options.name} did not answer ${url} within ${timeoutMs / 1000} s${see}`);
}
