import { describe, expect, it } from 'vitest';
import type { ProtectionApiClient } from '@app/keycloak';
import { UmaTicketCache } from './uma-ticket.cache.ts';

function ticketExpiringAt(expSeconds: number, serial: number): string {
  const payload = Buffer.from(JSON.stringify({ exp: expSeconds, serial })).toString('base64url');
  return `header.${payload}.signature`;
}

/** A protection API that mints tickets living `lifetimeSeconds`, counting its calls. */
function fakeProtection(now: () => number, lifetimeSeconds: number) {
  const calls: { resourceId: string; scopes: readonly string[] }[] = [];
  const protection = {
    createPermissionTicket: async (resourceId: string, scopes: readonly string[]) => {
      calls.push({ resourceId, scopes });
      await Promise.resolve();
      return ticketExpiringAt(Math.floor(now() / 1000) + lifetimeSeconds, calls.length);
    },
  } as unknown as ProtectionApiClient;
  return { protection, calls };
}

describe(UmaTicketCache.name, () => {
  it('reuses a ticket for the same resource and scope set, in any order', async () => {
    let now = 1_000_000;
    const { protection, calls } = fakeProtection(() => now, 300);
    const cache = new UmaTicketCache(protection, () => now);
    const first = await cache.ticketFor('r1', ['album:view', 'album:edit']);
    now += 10_000;
    expect(await cache.ticketFor('r1', ['album:edit', 'album:view'])).toBe(first);
    expect(calls).toHaveLength(1);
  });

  it('mints separate tickets for other resources or scopes', async () => {
    const now = 1_000_000;
    const { protection, calls } = fakeProtection(() => now, 300);
    const cache = new UmaTicketCache(protection, () => now);
    await cache.ticketFor('r1', ['album:view']);
    await cache.ticketFor('r1', ['album:delete']);
    await cache.ticketFor('r2', ['album:view']);
    expect(calls).toHaveLength(3);
  });

  it('replaces a ticket with less than a minute left', async () => {
    let now = 1_000_000;
    const { protection, calls } = fakeProtection(() => now, 80);
    const cache = new UmaTicketCache(protection, () => now);
    const first = await cache.ticketFor('r1', ['album:view']);
    now += 21_000;
    expect(await cache.ticketFor('r1', ['album:view'])).not.toBe(first);
    expect(calls).toHaveLength(2);
  });

  it('asks Keycloak again after 30 s even for a long-lived ticket, so a deleted resource is noticed', async () => {
    let now = 1_000_000;
    const { protection, calls } = fakeProtection(() => now, 3_600);
    const cache = new UmaTicketCache(protection, () => now);
    const first = await cache.ticketFor('r1', ['album:view']);
    now += 29_000;
    expect(await cache.ticketFor('r1', ['album:view'])).toBe(first);
    now += 1_000;
    expect(await cache.ticketFor('r1', ['album:view'])).not.toBe(first);
    expect(calls).toHaveLength(2);
  });

  it('shares one request among concurrent challenges', async () => {
    const now = 1_000_000;
    const { protection, calls } = fakeProtection(() => now, 300);
    const cache = new UmaTicketCache(protection, () => now);
    const tickets = await Promise.all(
      Array.from({ length: 5 }, () => cache.ticketFor('r1', ['album:view'])),
    );
    expect(new Set(tickets).size).toBe(1);
    expect(calls).toHaveLength(1);
  });
});
