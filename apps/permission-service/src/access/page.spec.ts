import { describe, expect, it } from 'vitest';
import { parseRequestId, requestId } from './access-directory.ts';
import { pageOf } from './page.ts';

describe(pageOf.name, () => {
  const items = Array.from({ length: 5 }, (_, index) => index);

  it('walks a list in pages with opaque cursors', () => {
    const first = pageOf(items, 2, undefined);
    expect(first.items).toEqual([0, 1]);
    const second = pageOf(items, 2, first.nextCursor ?? undefined);
    expect(second.items).toEqual([2, 3]);
    const last = pageOf(items, 2, second.nextCursor ?? undefined);
    expect(last).toEqual({ items: [4], nextCursor: null });
  });

  it('refuses a cursor it did not hand out', () => {
    expect(() => pageOf(items, 2, 'not-a-cursor')).toThrow(/Invalid field: cursor/);
    expect(() => pageOf(items, 2, Buffer.from('-3').toString('base64url'))).toThrow(
      /Invalid field: cursor/,
    );
  });
});

describe(requestId.name, () => {
  it('round-trips through parseRequestId and refuses anything else', () => {
    const resourceId = '5d2111c6-781f-4a25-baab-baaca518d7cb';
    const requesterId = '7d3e9b14-2c6a-4f80-b1d2-0d0e00000002';
    const id = requestId({ resourceId, requester: { id: requesterId } });
    expect(parseRequestId(id)).toEqual({ resourceId, requesterId });
    expect(parseRequestId(`${resourceId}.x`)).toBeUndefined();
    expect(parseRequestId(`${resourceId}.${requesterId}.extra`)).toBeUndefined();
  });
});
