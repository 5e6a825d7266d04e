import { isUuid, validationProblem } from '@app/common';

/** The position after the last album of a page: newest first, ties broken by id. */
export interface AlbumCursor {
  readonly createdAt: Date;
  readonly id: string;
}

export function encodeCursor(cursor: AlbumCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdAt.toISOString(), cursor.id])).toString(
    'base64url',
  );
}

export function decodeCursor(value: string): AlbumCursor {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
    if (Array.isArray(parsed) && parsed.length === 2) {
      const [createdAt, id] = parsed as unknown[];
      const date = typeof createdAt === 'string' ? new Date(createdAt) : new Date(Number.NaN);
      if (!Number.isNaN(date.getTime()) && typeof id === 'string' && isUuid(id)) {
        return { createdAt: date, id };
      }
    }
  } catch {
    // Reported below.
  }
  throw validationProblem([
    { field: 'cursor', message: 'cursor is not one this service handed out' },
  ]);
}
