import { describe, expect, it } from 'vitest';
import { ProblemException } from '../problem/problem-details.ts';
import { decodeCursor, encodeCursor, pageOf, readPage } from './page.ts';

const LETTERS = ['a', 'b', 'c', 'd', 'e'];

describe(readPage.name, () => {
  const read = (after: number | undefined, count: number) =>
    Promise.resolve(LETTERS.slice(after ?? 0, (after ?? 0) + count));
  const page = (cursor?: string) =>
    readPage({
      limit: 2,
      cursor,
      parse: (value) => (typeof value === 'number' ? value : undefined),
      read,
      positionOf: (item: string) => LETTERS.indexOf(item) + 1,
    });

  it('hands out a cursor while more items follow', async () => {
    const first = await page();
    expect(first.items).toEqual(['a', 'b']);
    expect((await page(first.nextCursor ?? undefined)).items).toEqual(['c', 'd']);
  });

  it('ends with a null cursor on the last page', async () => {
    expect((await page(encodeCursor(4))).nextCursor).toBeNull();
  });

  it('refuses a cursor whose position the list does not know', async () => {
    await expect(page(encodeCursor('x'))).rejects.toBeInstanceOf(ProblemException);
  });
});

describe(pageOf.name, () => {
  it('pages through a list in memory', () => {
    const first = pageOf(LETTERS, 3, undefined);
    expect(first.items).toEqual(['a', 'b', 'c']);
    expect(pageOf(LETTERS, 3, first.nextCursor ?? undefined)).toEqual({
      items: ['d', 'e'],
      nextCursor: null,
    });
  });

  it('refuses a negative offset', () => {
    expect(() => pageOf(LETTERS, 3, encodeCursor(-1))).toThrow(ProblemException);
  });
});

describe(decodeCursor.name, () => {
  it('refuses what is not base64url JSON with the same problem as any other bad cursor', () => {
    expect(() => decodeCursor('%%%', () => 1)).toThrow(ProblemException);
  });
});
