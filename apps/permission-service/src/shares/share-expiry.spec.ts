import { describe, expect, it } from 'vitest';
import { ProblemException } from '@app/common';
import { parseShareExpiry } from './share-expiry.ts';

const NOW = new Date('2030-06-15T12:00:00Z');

/**
 * The field errors of the problem that `value` gets (a `400`'s only), or `undefined` when it is
 * accepted.
 */
function refusal(value: unknown, maxDays = 365): string[] | undefined {
  try {
    parseShareExpiry(value, NOW, maxDays);
    return undefined;
  } catch (error) {
    if (!(error instanceof ProblemException) || error.getStatus() !== 400) {
      throw error;
    }
    const { errors } = error.problem.extensions as { errors: { message: string }[] };
    return errors.map((entry) => entry.message);
  }
}

describe(parseShareExpiry.name, () => {
  it('is absent when the body says nothing', () => {
    expect(parseShareExpiry(undefined, NOW, 365)).toBeUndefined();
  });

  it('reads an instant in the future with its offset, to the millisecond', () => {
    expect(parseShareExpiry('2030-06-15T12:00:01Z', NOW, 365)).toEqual(
      new Date('2030-06-15T12:00:01Z'),
    );
    expect(parseShareExpiry('2030-06-16T02:00+02:00', NOW, 365)).toEqual(
      new Date('2030-06-16T00:00:00Z'),
    );
    expect(parseShareExpiry('2030-07-01T00:00:00.250z', NOW, 365)?.toISOString()).toBe(
      '2030-07-01T00:00:00.250Z',
    );
  });

  it('accepts the maximum duration to the millisecond, and nothing beyond', () => {
    expect(parseShareExpiry('2031-06-15T12:00:00Z', NOW, 365)).toEqual(
      new Date('2031-06-15T12:00:00Z'),
    );
    expect(refusal('2031-06-15T12:00:00.001Z')).toEqual([
      'expiresAt must be at most 365 days ahead (SHARE_MAX_DURATION_DAYS)',
    ]);
    expect(refusal('2030-06-16T12:00:00Z', 1)).toBeUndefined();
    expect(refusal('2030-06-16T12:00:01Z', 1)).toEqual([
      'expiresAt must be at most 1 days ahead (SHARE_MAX_DURATION_DAYS)',
    ]);
  });

  it('refuses now and the past', () => {
    expect(refusal('2030-06-15T12:00:00Z')).toEqual(['expiresAt must be in the future']);
    expect(refusal('2030-06-15T13:59:59+02:00')).toEqual(['expiresAt must be in the future']);
    expect(refusal('1970-01-01T00:00:00Z')).toEqual(['expiresAt must be in the future']);
  });

  it.each([
    ['not a date', 'tomorrow'],
    ['a date without a time', '2030-07-01'],
    ['a time without an offset (the server zone would decide)', '2030-07-01T12:00:00'],
    ['a day the calendar lacks', '2030-02-30T12:00:00Z'],
    ['an hour past 23', '2030-07-01T24:00:00Z'],
    ['a number', 1_900_000_000_000],
    ['null', null],
    ['an empty string', ''],
    ['an offset out of range', '2030-07-01T12:00:00+25:00'],
  ])('refuses %s', (_name, value) => {
    expect(refusal(value)).toEqual([
      'expiresAt must be a date and time with its offset (ISO 8601), such as 2030-01-31T12:00:00Z',
    ]);
  });
});
