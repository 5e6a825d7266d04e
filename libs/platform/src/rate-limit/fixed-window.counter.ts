/** One caller's use of a policy in its current window. */
export interface RateWindow {
  /** Requests counted in the window (at most the limit plus one: refused ones stop counting). */
  count: number;
  /** When the window ends, in milliseconds since the epoch. */
  resetAt: number;
}

/**
 * Counts each caller's requests in a fixed window that starts with the caller's first request and
 * lasts `windowMs`. Synchronous and allocation-free once a caller is known: the hot read calls it
 * on every request. Windows that have ended are dropped by {@link sweep}.
 */
export class FixedWindowCounter {
  private readonly windows = new Map<string, RateWindow>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
  ) {}

  /** Counts one request of `caller` at `now` and returns its window (allowed: `count <= limit`). */
  hit(caller: string, now: number): Readonly<RateWindow> {
    let window = this.windows.get(caller);
    if (window === undefined) {
      window = { count: 0, resetAt: now + this.windowMs };
      this.windows.set(caller, window);
    } else if (window.resetAt <= now) {
      window.count = 0;
      window.resetAt = now + this.windowMs;
    }
    if (window.count <= this.limit) {
      window.count += 1;
    }
    return window;
  }

  /** Forgets the windows that have ended by `now`. */
  sweep(now: number): void {
    for (const [caller, window] of this.windows) {
      if (window.resetAt <= now) {
        this.windows.delete(caller);
      }
    }
  }

  get size(): number {
    return this.windows.size;
  }
}
