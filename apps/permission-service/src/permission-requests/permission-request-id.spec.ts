import { describe, expect, it } from 'vitest';
import { parseRequestId, requestId } from './permission-request-id.ts';

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
