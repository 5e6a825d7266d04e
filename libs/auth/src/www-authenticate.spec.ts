import { describe, expect, it } from 'vitest';
import { quotedString } from './www-authenticate.ts';

describe(quotedString.name, () => {
  it.each([
    ['photoz', '"photoz"'],
    ['', '""'],
    ['say "hi"', '"say \\"hi\\""'],
    ['a\\b', '"a\\\\b"'],
    // The backslash is escaped first, so an escaped quote cannot be undone by the input.
    ['\\"', '"\\\\\\""'],
  ])('quotes %j as %s', (value, quoted) => {
    expect(quotedString(value)).toBe(quoted);
  });
});
