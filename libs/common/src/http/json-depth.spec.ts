import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan } from './json-depth.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

describe(jsonNestsDeeperThan.name, () => {
  it('accepts nesting up to the limit', () => {
    expect(jsonNestsDeeperThan(bytes(`{"a":${nested(3)}}`), 4)).toBe(false);
  });

  it('refuses nesting one level past the limit', () => {
    expect(jsonNestsDeeperThan(bytes(`{"a":${nested(4)}}`), 4)).toBe(true);
  });

  it('counts objects and arrays alike', () => {
    expect(jsonNestsDeeperThan(bytes('{"a":{"b":[{"c":[]}]}}'), 4)).toBe(true);
  });

  it('measures depth, not how many containers follow one another', () => {
    expect(
      jsonNestsDeeperThan(bytes(JSON.stringify(Array.from({ length: 100 }, () => [[]]))), 3),
    ).toBe(false);
  });

  it('does not count brackets inside strings', () => {
    expect(jsonNestsDeeperThan(bytes(JSON.stringify({ name: '[[[[{{{{' })), 1)).toBe(false);
  });

  it('does not end a string at an escaped quote', () => {
    expect(jsonNestsDeeperThan(bytes(JSON.stringify({ name: 'a\\"[[[[' })), 1)).toBe(false);
    expect(jsonNestsDeeperThan(bytes(JSON.stringify({ name: 'a\\' })), 1)).toBe(false);
    expect(jsonNestsDeeperThan(bytes(`{"a\\\\":${nested(2)}}`), 2)).toBe(true);
  });

  it('finds a deep body of a megabyte in one pass', () => {
    expect(jsonNestsDeeperThan(bytes(`{"name":${nested(500_000)}}`), 16)).toBe(true);
  });
});
