import { describe, expect, it } from 'vitest';
import { FixedWindowCounter } from './fixed-window.counter.ts';

const NOW = 1_800_000_000_000;

describe(FixedWindowCounter.name, () => {
  it("counts a caller's requests in a window that starts with its first one", () => {
    const counter = new FixedWindowCounter(2, 60_000);
    expect(counter.hit('alice', NOW)).toEqual({ count: 1, resetAt: NOW + 60_000 });
    expect(counter.hit('alice', NOW + 10_000)).toEqual({ count: 2, resetAt: NOW + 60_000 });
  });

  it('stops counting one past the limit, so a refused caller does not run up a debt', () => {
    const counter = new FixedWindowCounter(2, 60_000);
    for (let index = 0; index < 10; index += 1) {
      counter.hit('alice', NOW);
    }
    expect(counter.hit('alice', NOW).count).toBe(3);
  });

  it('starts a new window once the last one has ended', () => {
    const counter = new FixedWindowCounter(2, 60_000);
    counter.hit('alice', NOW);
    counter.hit('alice', NOW);
    counter.hit('alice', NOW);
    expect(counter.hit('alice', NOW + 60_000)).toEqual({ count: 1, resetAt: NOW + 120_000 });
  });

  it('counts each caller apart', () => {
    const counter = new FixedWindowCounter(2, 60_000);
    counter.hit('alice', NOW);
    counter.hit('alice', NOW);
    expect(counter.hit('bob', NOW).count).toBe(1);
  });

  it('forgets the windows that have ended when swept', () => {
    const counter = new FixedWindowCounter(2, 60_000);
    counter.hit('alice', NOW);
    counter.hit('bob', NOW + 30_000);
    counter.sweep(NOW + 60_000);
    expect(counter.size).toBe(1);
    expect(counter.hit('bob', NOW + 60_000).count).toBe(2);
  });
});
