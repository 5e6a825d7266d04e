import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PollingLoop, type PollingTick } from './polling-loop.ts';

const INTERVAL = 1_000;

/** A tick that answers from a script (`true`: found work, `false`: idle, an Error: throws). */
function scriptedTick(script: (boolean | Error)[]) {
  return vi.fn<PollingTick>(() => {
    const next = script.shift() ?? false;
    return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
  });
}

/** A tick that runs until the test calls `finish` with what it found. */
function heldTick() {
  const held = { finish: (_found: boolean): void => undefined };
  const tick = vi.fn<PollingTick>(
    () =>
      new Promise<boolean>((resolve) => {
        held.finish = resolve;
      }),
  );
  return Object.assign(held, { tick });
}

/** Lets the loop go as far as it can without time passing. */
const settle = () => vi.advanceTimersByTimeAsync(0);

describe(PollingLoop.name, () => {
  const loops: PollingLoop[] = [];
  const errors: unknown[] = [];
  const newLoop = () => {
    const loop = new PollingLoop((error) => errors.push(error));
    loops.push(loop);
    return loop;
  };

  beforeEach(() => {
    vi.useFakeTimers();
  });

  afterEach(async () => {
    await Promise.all(loops.splice(0).map((loop) => loop.stop()));
    errors.length = 0;
    vi.useRealTimers();
  });

  it('runs a tick that found work again at once, and waits the interval after an idle one', async () => {
    const tick = scriptedTick([true, true, false, false]);
    newLoop().start(tick, INTERVAL);

    await settle();
    expect(tick).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(tick).toHaveBeenCalledTimes(3);
    await vi.advanceTimersByTimeAsync(1);
    expect(tick).toHaveBeenCalledTimes(4);
  });

  it('hands a failed tick to onError, waits the interval, and goes on', async () => {
    const failure = new Error('database unreachable');
    const tick = scriptedTick([failure, true, false]);
    newLoop().start(tick, INTERVAL);

    await settle();
    expect(tick).toHaveBeenCalledTimes(1);
    expect(errors).toEqual([failure]);
    await vi.advanceTimersByTimeAsync(INTERVAL);
    expect(tick).toHaveBeenCalledTimes(3);
  });

  it('runs the next tick at once when woken while it waits', async () => {
    const tick = scriptedTick([]);
    const loop = newLoop();
    loop.start(tick, INTERVAL);
    await settle();
    expect(tick).toHaveBeenCalledTimes(1);

    loop.wake();
    await settle();
    expect(tick).toHaveBeenCalledTimes(2);
  });

  it('skips the wait after a tick during which it was woken', async () => {
    const held = heldTick();
    const tick = held.tick;
    const loop = newLoop();
    loop.start(tick, INTERVAL);
    await settle();

    loop.wake();
    held.finish(false);
    await settle();
    expect(tick).toHaveBeenCalledTimes(2);
    held.finish(false);
    await settle();
    expect(tick).toHaveBeenCalledTimes(2);
  });

  it('stops once the tick in hand is done, and runs no other', async () => {
    const held = heldTick();
    const tick = held.tick;
    const loop = newLoop();
    loop.start(tick, INTERVAL);
    await settle();

    let stopped = false;
    const stopping = loop.stop().then(() => {
      stopped = true;
    });
    await settle();
    expect(stopped).toBe(false);
    held.finish(true);
    await stopping;
    await vi.advanceTimersByTimeAsync(INTERVAL * 3);
    expect(tick).toHaveBeenCalledTimes(1);
  });

  it('stops at once while it waits', async () => {
    const tick = scriptedTick([]);
    const loop = newLoop();
    loop.start(tick, INTERVAL);
    await settle();

    await loop.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(tick).toHaveBeenCalledTimes(1);
  });

  it('is stopped harmlessly when never started, and refuses a second start', async () => {
    const loop = newLoop();
    await expect(loop.stop()).resolves.toBeUndefined();

    loop.start(scriptedTick([]), INTERVAL);
    expect(() => loop.start(scriptedTick([]), INTERVAL)).toThrow(/twice/);
  });
});
