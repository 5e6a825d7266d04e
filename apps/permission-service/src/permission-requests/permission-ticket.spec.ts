import { describe, expect, it } from 'vitest';
import { unverifiedTicketPermission } from './permission-ticket.ts';

const ticketWith = (payload: unknown) =>
  `header.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.signature`;

describe(unverifiedTicketPermission.name, () => {
  it("reads the first permission's resource and its string scopes", () => {
    expect(
      unverifiedTicketPermission(
        ticketWith({ permissions: [{ rsid: 'r1', scopes: ['album:view', 7] }, { rsid: 'r2' }] }),
      ),
    ).toEqual({ resourceId: 'r1', scopes: ['album:view'] });
  });

  it.each([
    ['not a JWT', 'not-a-ticket'],
    ['no permissions', ticketWith({})],
    ['permissions that are not a list', ticketWith({ permissions: 5 })],
    ['a permission without a resource', ticketWith({ permissions: [{ scopes: [] }] })],
    ['a permission without scopes', ticketWith({ permissions: [{ rsid: 'r1' }] })],
    ['a null permission', ticketWith({ permissions: [null] })],
  ])('names nothing for %s', (_, ticket) => {
    expect(unverifiedTicketPermission(ticket)).toBeUndefined();
  });
});
