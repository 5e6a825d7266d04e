/**
 * `lists-1k-vs-1`: what the first page of each list costs when it holds N items, against the same
 * list holding one. For each list, a short one and a long one are called in turn, one call at a
 * time (after a warm-up), and each one's median latency is taken; the figure is their ratio. The
 * lists: `GET /shared-with-me`, `GET /albums/:albumId/shares`, and the inbox and the outbox of
 * permission requests. Always asked with `limit=50`; a paged answer (`{ items, nextCursor }`) and
 * a plain array are both read.
 *
 * Plain TypeScript that Node runs with type stripping (no decorators, enums or parameter
 * properties): the benchmark orchestrator imports it from a plain node script.
 */
import type { ScalePopulation } from './population.ts';

/** The page size asked for. */
export const PAGE_LIMIT = 50;

export interface Timing {
  /** Calls measured, after the warm-up. */
  readonly calls: number;
  readonly medianMs: number;
}

/** One call: its latency in milliseconds, once the body is read; fails on an unexpected status. */
async function timedGet(url: string, token: string): Promise<{ ms: number; body: unknown }> {
  const started = performance.now();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  const ms = performance.now() - started;
  if (response.status !== 200) {
    throw new Error(`GET ${url}: ${response.status} ${text.slice(0, 300)}`);
  }
  return { ms, body: JSON.parse(text) as unknown };
}

/** The items of a first page, paged (`{ items }`) or not (a plain array). */
export function itemsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) {
    return body;
  }
  const items = (body as { items?: unknown } | null)?.items;
  if (!Array.isArray(items)) {
    throw new Error(`not a list: ${JSON.stringify(body).slice(0, 200)}`);
  }
  return items;
}

function medianOf(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const low = sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
  const high = sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  return (low + high) / 2;
}

export interface PairOptions {
  /** Calls of each, discarded. */
  readonly warmUp: number;
  /** At least this many measured calls of each… */
  readonly minCalls: number;
  /** …and at most this many, or as many as `budgetMs` allows beyond `minCalls`. */
  readonly maxCalls: number;
  readonly budgetMs: number;
}

/**
 * Times two calls in turn, one at a time (`small`, `large`, `small`, …: whatever else the machine
 * does slows both alike); the median latency of each.
 */
export async function timePair(
  small: () => Promise<number>,
  large: () => Promise<number>,
  options: PairOptions,
): Promise<{ small: Timing; large: Timing }> {
  for (let call = 0; call < options.warmUp; call += 1) {
    await small();
    await large();
  }
  const smallMs: number[] = [];
  const largeMs: number[] = [];
  const started = performance.now();
  while (
    smallMs.length < options.maxCalls &&
    (smallMs.length < options.minCalls || performance.now() - started < options.budgetMs)
  ) {
    smallMs.push(await small());
    largeMs.push(await large());
  }
  return {
    small: { calls: smallMs.length, medianMs: medianOf(smallMs) },
    large: { calls: largeMs.length, medianMs: medianOf(largeMs) },
  };
}

/** One list at one size, against the same list holding one item. */
export interface ListPoint {
  readonly list: string;
  readonly size: number;
  readonly small: Timing;
  readonly large: Timing;
  /** Infinite when the list failed at this size (`error` says how). */
  readonly ratio: number;
  readonly error?: string;
}

interface ListCase {
  readonly list: string;
  readonly path: (population: ScalePopulation) => { small: string; large: string };
  readonly callers: (population: ScalePopulation) => { small: string; large: string };
}

const query = `limit=${PAGE_LIMIT}`;

const LISTS: readonly ListCase[] = [
  {
    list: 'shared-with-me',
    path: () => ({ small: `/shared-with-me?${query}`, large: `/shared-with-me?${query}` }),
    callers: ({ parties }) => ({ small: parties.smallReader, large: parties.reader }),
  },
  {
    list: 'shares',
    path: ({ single, crowded }) => ({
      small: `/albums/${single}/shares?${query}`,
      large: `/albums/${crowded}/shares?${query}`,
    }),
    callers: ({ parties }) => ({ small: parties.owner, large: parties.owner }),
  },
  {
    list: 'incoming',
    path: () => ({
      small: `/permission-requests/incoming?${query}`,
      large: `/permission-requests/incoming?${query}`,
    }),
    callers: ({ parties }) => ({ small: parties.smallOwner, large: parties.owner }),
  },
  {
    list: 'outgoing',
    path: () => ({
      small: `/permission-requests/outgoing?${query}`,
      large: `/permission-requests/outgoing?${query}`,
    }),
    callers: ({ parties }) => ({ small: parties.smallAsker, large: parties.asker }),
  },
];

/**
 * Every list at `size` against one item: the population holds `size` of each already (its
 * crowded album `size` shares, its long lists `size` albums).
 */
export async function measureLists(
  population: ScalePopulation,
  permissionUrl: string,
  size: number,
  options: PairOptions,
): Promise<ListPoint[]> {
  const points: ListPoint[] = [];
  for (const list of LISTS) {
    const paths = list.path(population);
    const callers = list.callers(population);
    const call = (path: string, caller: string, expected: number) => async () => {
      const { ms, body } = await timedGet(
        `${permissionUrl}${path}`,
        await population.token(caller),
      );
      const count = itemsOf(body).length;
      // A first page holds the page's worth (a plain array: all of them).
      if (count !== Math.min(expected, PAGE_LIMIT) && count !== expected) {
        throw new Error(`${list.list}: ${count} items listed, expected ${expected}`);
      }
      return ms;
    };
    try {
      const timed = await timePair(
        call(paths.small, callers.small, 1),
        call(paths.large, callers.large, size),
        options,
      );
      points.push({
        list: list.list,
        size,
        small: timed.small,
        large: timed.large,
        ratio: timed.large.medianMs / timed.small.medianMs,
      });
    } catch (error) {
      // A list that fails at this size (a timeout, say) is reported as such; the others go on.
      const failed = { calls: 0, medianMs: Number.NaN };
      points.push({
        list: list.list,
        size,
        small: failed,
        large: failed,
        ratio: Number.POSITIVE_INFINITY,
        error: error instanceof Error ? error.message.slice(0, 300) : String(error),
      });
    }
  }
  return points;
}
