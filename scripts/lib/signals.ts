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
