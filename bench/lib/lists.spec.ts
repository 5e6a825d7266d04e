import { describe, expect, it } from 'vitest';
import { itemsOf, timePair } from './lists.ts';

describe('itemsOf', () => {
  it('reads a plain array and a page alike', () => {
    expect(itemsOf([1, 2])).toEqual([1, 2]);
    expect(itemsOf({ items: [3], nextCursor: 'next' })).toEqual([3]);
  });

  it('refuses an answer that is no list', () => {
    expect(() => itemsOf({ detail: 'nope' })).toThrow(/not a list/);
    expect(() => itemsOf(null)).toThrow(/not a list/);
  });
});

describe('timePair', () => {
  it('calls the two in turn, leaves out the warm-up and takes each one’s median', async () => {
    const calls: string[] = [];
    let small = 0;
    let large = 0;
    const result = await timePair(
      () => {
        calls.push('small');
        small += 1;
        return Promise.resolve(small);
      },
      () => {
        calls.push('large');
        large += 1;
        return Promise.resolve(10 * large);
      },
      { warmUp: 2, minCalls: 3, maxCalls: 3, budgetMs: 60_000 },
    );
    expect(calls).toEqual([
      'small',
      'large',
      'small',
      'large',
      'small',
      'large',
      'small',
      'large',
      'small',
      'large',
    ]);
    // Measured: small 3, 4, 5 and large 30, 40, 50 (the first two of each were the warm-up).
    expect(result.small).toEqual({ calls: 3, medianMs: 4 });
    expect(result.large).toEqual({ calls: 3, medianMs: 40 });
  });

  it('stops at the budget once the fewest calls are made', async () => {
    const result = await timePair(
      () => Promise.resolve(1),
      () => Promise.resolve(2),
      { warmUp: 0, minCalls: 2, maxCalls: 1_000, budgetMs: 0 },
    );
    expect(result.small.calls).toBe(2);
    expect(result.large.medianMs).toBe(2);
  });
});
