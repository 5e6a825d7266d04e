import { describe, expect, it } from 'vitest';
import { ProblemException } from '../problem/problem-details.ts';
import { cursorDate, decodeCursor, encodeCursor, pageOf, readPage } from './page.ts';

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

describe(cursorDate.name, () => {
  it('reads back the date a cursor was written with', () => {
    const date = new Date('2026-05-17T10:20:30.456Z');
    expect(cursorDate(JSON.parse(JSON.stringify(date)))).toEqual(date);
  });

  it.each([
    '-271821-04-20T00:00:00.000Z',
    '+275760-09-13T00:00:00.000Z',
    '-004714-11-23T00:00:00.000Z',
  ])('refuses %s, past the years a row can be written in', (value) => {
    expect(cursorDate(value)).toBeUndefined();
  });

  it.each([
    '2026-02-30T00:00:00.000Z',
    '2026-05-17',
    '2026-05-17T10:20:30Z',
    1_779_000_000_000,
    null,
  ])('refuses %s, which no cursor holds', (value) => {
    expect(cursorDate(value)).toBeUndefined();
  });
});
