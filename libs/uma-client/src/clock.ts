/** The client's clock: the time, and how close to its expiry a token already counts as expired. */
export interface Clock {
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Tokens this close to their expiry (in ms) are treated as expired. */
  readonly skewMs: number;
}

/** Whether a token that expires at `expiresAt` (ms since the epoch; `undefined`: never) counts as expired. */
export function isExpired(clock: Clock, expiresAt: number | undefined): boolean {
  return expiresAt !== undefined && expiresAt - clock.skewMs <= clock.now();
}
