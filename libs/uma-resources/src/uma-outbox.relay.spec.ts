import { describe, expect, it } from 'vitest';
import { backoffMs } from './uma-outbox.relay.ts';

const MIDDLE = () => 0.5;

describe(backoffMs.name, () => {
  it('waits 500 ms before the first retry', () => {
    expect(backoffMs(0, 30_000, MIDDLE)).toBe(500);
  });

  it('doubles the wait with each attempt', () => {
    expect(backoffMs(3, 30_000, MIDDLE)).toBe(4_000);
  });

  it('jitters the wait down by up to 20 %', () => {
    expect(backoffMs(1, 30_000, () => 0)).toBe(800);
  });

  it('jitters the wait up by up to 20 %', () => {
    expect(backoffMs(1, 30_000, () => 1)).toBeCloseTo(1_200);
  });

  it('stops growing at the cap', () => {
    expect(backoffMs(40, 30_000, MIDDLE)).toBe(30_000);
  });
});
