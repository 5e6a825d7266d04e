import { validationProblem } from '../problem/problem-details.ts';
import { DEFAULT_PAGE_SIZE } from './page-query.dto.ts';

/** A page of a list and the opaque cursor to the next one (`null` on the last page). */
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}

/** The one answer to a cursor this service did not hand out (or one tampered with). */
export function invalidCursor(): never {
  throw validationProblem([
    { field: 'cursor', message: 'cursor is not one this service handed out' },
  ]);
}

/** An opaque cursor for a position: base64url of its JSON. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

/**
 * The position a cursor stands for; `parse` says whether the decoded JSON is a position of this
 * list (anything else, like any undecodable cursor, is {@link invalidCursor}).
 */
export function decodeCursor<P>(cursor: string, parse: (value: unknown) => P | undefined): P {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return invalidCursor();
  }
  return parse(decoded) ?? invalidCursor();
}

/** The form `Date#toJSON` gives a date of the years 0000 to 9999. */
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * The date a cursor's position holds, written as `Date#toJSON` writes it, or `undefined`. Only the
 * years 0000 to 9999 are read back: a cursor handed out holds a date a row was written, and the
 * dates JavaScript can hold reach past what PostgreSQL stores (4714 BC), which a tampered cursor
 * would otherwise take to the database.
 */
export function cursorDate(value: unknown): Date | undefined {
  if (typeof value !== 'string' || !ISO_TIMESTAMP.test(value)) {
    return undefined;
  }
  const date = new Date(value);
  // A date that does not exist (`2026-02-30`) is read as another one, which it does not write.
  return Number.isNaN(date.getTime()) || date.toJSON() !== value ? undefined : date;
}

/**
 * One page of a list read in order after a position: `read` is asked for one more item than the
 * page holds, which tells whether another page follows; the cursor is the last item's position.
 */
export async function readPage<T, P>(options: {
  readonly limit: number | undefined;
  readonly cursor: string | undefined;
  readonly parse: (value: unknown) => P | undefined;
  readonly read: (after: P | undefined, count: number) => Promise<readonly T[]>;
  readonly positionOf: (item: T) => P;
}): Promise<Page<T>> {
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  const after =
    options.cursor === undefined ? undefined : decodeCursor(options.cursor, options.parse);
  const found = await options.read(after, limit + 1);
  const items = found.slice(0, limit);
  const last = items.at(-1);
  return {
    items,
    nextCursor:
      found.length > limit && last !== undefined ? encodeCursor(options.positionOf(last)) : null,
  };
}

/** A page of a list held in memory; the cursor is the offset of the next page. */
export function pageOf<T>(
  items: readonly T[],
  limit: number | undefined,
  cursor: string | undefined,
): Page<T> {
  const offset =
    cursor === undefined
      ? 0
      : decodeCursor(cursor, (value) =>
          typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
            ? value
            : undefined,
        );
  const next = offset + (limit ?? DEFAULT_PAGE_SIZE);
  return {
    items: items.slice(offset, next),
    nextCursor: next < items.length ? encodeCursor(next) : null,
  };
}
