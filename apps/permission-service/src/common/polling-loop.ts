/**
 * One unit of a loop's work: resolves `true` when it did work and more may be due (the loop runs
 * it again at once), `false` when it found nothing to do (the loop waits its interval).
 */
export type PollingTick = () => Promise<boolean>;

/**
 * The background loop of the relays and sweeps that run on every instance: it runs a tick, again
 * at once while ticks find work, and otherwise waits `intervalMs` or until {@link wake}. A tick
 * that throws is handed to `onError` (to be logged) and the loop waits as after an idle tick, so
 * that a failing database or Keycloak is not hammered; the loop itself never ends but by
 * {@link stop}. Ticks never overlap. Written once here so that start, wake-up and shutdown, which
 * must let the tick in hand finish before the database pool closes, behave alike everywhere.
 */
export class PollingLoop {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Ends the wait in progress; set only while the loop waits. */
  private endWait: (() => void) | undefined;
  /** A wake-up that came while a tick ran: the wait after that tick is skipped. */
  private woken = false;

  /** @param onError told of every error a tick throws; it must not throw itself. */
  constructor(private readonly onError: (error: unknown) => void) {}

  /** Starts running `tick` in the background; a loop is started once. */
  start(tick: PollingTick, intervalMs: number): void {
    if (this.loop !== undefined) {
      throw new Error('PollingLoop started twice');
    }
    this.running = true;
    this.loop = this.run(tick, intervalMs);
  }

  /**
   * Runs the next tick now: ends the wait in progress, or, while a tick runs, the wait after it
   * (so that work announced during a tick that may have missed it is not left to the next poll).
   */
  wake(): void {
    if (this.endWait === undefined) {
      this.woken = true;
    } else {
      this.endWait();
    }
  }

  /**
   * Stops the loop once the tick in hand is done (resolves when it is): call it before what the
   * ticks use, such as the database pool, is closed. Stopping a loop never started does nothing.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
  }

  private async run(tick: PollingTick, intervalMs: number): Promise<void> {
    while (this.running) {
      this.woken = false;
      let again = false;
      try {
        again = await tick();
      } catch (error) {
        this.onError(error);
      }
      if (!again && this.running && !this.woken) {
        await this.wait(intervalMs);
      }
    }
  }

  private wait(intervalMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const end = () => {
        clearTimeout(timer);
        this.endWait = undefined;
        resolve();
      };
      const timer = setTimeout(end, intervalMs);
      this.endWait = end;
    });
  }
}
