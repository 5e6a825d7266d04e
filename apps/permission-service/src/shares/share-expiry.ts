import { Inject, Injectable } from '@nestjs/common';
import { validationProblem } from '@app/common';

/** The longest a share may be given for, in days, unless `SHARE_MAX_DURATION_DAYS` says otherwise. */
export const DEFAULT_SHARE_MAX_DURATION_DAYS = 365;

export const SHARE_MAX_DURATION_DAYS = Symbol('SHARE_MAX_DURATION_DAYS');

const DAY_MS = 86_400_000;

/**
 * A date and time with its offset from UTC: without one, the instant would depend on the server's
 * time zone. Seconds and their fraction are optional.
 */
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})T([01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d{1,9})?)?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)$/i;

/** Whether year, month and day name a day of the calendar (not 30 February). */
function realDay(year: number, month: number, day: number): boolean {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/**
 * The instant a share ends, from the `expiresAt` of a request body: `undefined` when absent. It
 * must name a date and time with its offset, after `now`, and at most `maxDurationDays` ahead;
 * anything else is a `400` that says which. Pure, so the bounds are tested without a clock.
 */
export function parseShareExpiry(
  value: unknown,
  now: Date,
  maxDurationDays: number,
  field = 'expiresAt',
): Date | undefined {
  if (value === undefined) {
    return undefined;
  }
  const match = typeof value === 'string' ? DATE_TIME.exec(value) : null;
  const instant = match === null ? Number.NaN : Date.parse(value as string);
  if (
    match === null ||
    Number.isNaN(instant) ||
    !realDay(Number(match[1]), Number(match[2]), Number(match[3]))
  ) {
    throw validationProblem([
      {
        field,
        message: `${field} must be a date and time with its offset (ISO 8601), such as 2030-01-31T12:00:00Z`,
      },
    ]);
  }
  if (instant <= now.getTime()) {
    throw validationProblem([{ field, message: `${field} must be in the future` }]);
  }
  if (instant > now.getTime() + maxDurationDays * DAY_MS) {
    throw validationProblem([
      {
        field,
        message: `${field} must be at most ${maxDurationDays} days ahead (SHARE_MAX_DURATION_DAYS)`,
      },
    ]);
  }
  return new Date(instant);
}

/** {@link parseShareExpiry} against the clock and the configured maximum. */
@Injectable()
export class ShareExpiryPolicy {
  constructor(@Inject(SHARE_MAX_DURATION_DAYS) private readonly maxDurationDays: number) {}

  parse(value: unknown): Date | undefined {
    return parseShareExpiry(value, new Date(), this.maxDurationDays);
  }
}
