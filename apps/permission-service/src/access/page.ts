import { validationProblem } from '@app/common';

/** A page of an in-memory list, with an opaque cursor to the next one. */
export function pageOf<T>(
  items: readonly T[],
  limit: number,
  cursor: string | undefined,
): { items: T[]; nextCursor: string | null } {
  let offset = 0;
  if (cursor !== undefined) {
    offset = Number(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Number.isSafeInteger(offset) || offset < 0) {
      throw validationProblem([
        { field: 'cursor', message: 'cursor is not one this service handed out' },
      ]);
    }
  }
  const page = items.slice(offset, offset + limit);
  const next = offset + limit;
  return {
    items: page,
    nextCursor: next < items.length ? Buffer.from(String(next)).toString('base64url') : null,
  };
}
