import type {
  AdminEvent,
  AdminEventQuery,
  AdminEventsClient,
  AuthorizationAdminClient,
  KeycloakOptions,
} from '@app/keycloak';
import { describe, expect, it } from 'vitest';
import type { GrantReconciler } from './grant-reconciler.ts';
import type { PendingRequestImport } from '../permission-requests/pending-request.import.ts';
import { advance, KeycloakWatch } from './keycloak-watch.ts';
import type { EventCursor, KeycloakWatchRepository } from './keycloak-watch.repository.ts';

const SERVER = 'rs-uuid';

const at = (id: string, time: number, representation?: unknown): AdminEvent => ({
  id,
  time,
  operationType: 'DELETE',
  resourceType: 'AUTHORIZATION_POLICY',
  resourcePath: `clients/${SERVER}/authz/resource-server/policy/${id}`,
  representation: representation === undefined ? undefined : JSON.stringify(representation),
});

const share = (id: string, time: number, resourceId: string) =>
  at(id, time, { name: `share ${resourceId} partner-printshop` });

/** A watch over fakes: the events Keycloak holds, the cursor row, and what was reconciled. */
function watchOver(events: AdminEvent[], options: { cursor?: EventCursor; locked?: boolean } = {}) {
  const state = {
    cursor: options.cursor ?? { time: 0, ids: [] },
    reconciled: [] as string[],
    fullRequested: 0,
    queries: [] as AdminEventQuery[],
  };
  const watch = new KeycloakWatch(
    { intervalMs: 2_000, reconcileIntervalMs: 900_000, requestImportIntervalMs: 30_000 },
    { clientUuid: SERVER } as KeycloakOptions,
    {
      since: (query: AdminEventQuery) => {
        state.queries.push(query);
        return Promise.resolve(
          events.filter((event) => event.time >= query.from).slice(0, query.max),
        );
      },
    } as unknown as AdminEventsClient,
    { forgetPartnerPolicies: () => undefined } as unknown as AuthorizationAdminClient,
    {
      withEventCursor: async (work: (cursor: EventCursor) => Promise<EventCursor>) => {
        if (options.locked === true) {
          return false;
        }
        state.cursor = await work(state.cursor);
        return true;
      },
      requestFullReconcile: () => {
        state.fullRequested += 1;
        return Promise.resolve();
      },
    } as unknown as KeycloakWatchRepository,
    {
      reconcileResource: (resourceId: string) => {
        state.reconciled.push(resourceId);
        return Promise.resolve([]);
      },
      reconcileSubject: (subject: string) => {
        state.reconciled.push(`user ${subject}`);
        return Promise.resolve();
      },
    } as unknown as GrantReconciler,
    {
      importAll: () => Promise.resolve({ requests: 0, written: 0, deleted: 0 }),
    } as unknown as PendingRequestImport,
  );
  return { watch, state };
}

describe(KeycloakWatch.name, () => {
  it('reconciles the albums the new events name and moves the cursor past them', async () => {
    const { watch, state } = watchOver(
      [share('a', 5, 'r0'), share('b', 10, 'r1'), share('c', 11, 'r2')],
      {
        cursor: { time: 10, ids: [] },
      },
    );
    expect(await watch.readEvents()).toBe(true);
    expect(state.reconciled).toEqual(['r1', 'r2']);
    expect(state.cursor).toEqual({ time: 11, ids: ['c'] });
  });

  it('does not reconcile again what the last read covered', async () => {
    const { watch, state } = watchOver([share('b', 10, 'r1')], {
      cursor: { time: 10, ids: ['b'] },
    });
    await watch.readEvents();
    expect(state.reconciled).toEqual([]);
  });

  it('reads every page of a burst of events', async () => {
    const burst = Array.from({ length: 250 }, (_, index) =>
      share(`e${index}`, index + 1, `r${index}`),
    );
    const { watch, state } = watchOver(burst);
    await watch.readEvents();
    expect(state.reconciled).toHaveLength(250);
    expect(state.cursor).toEqual({ time: 250, ids: ['e249'] });
  });

  it('asks for a full reconciliation when an event names no album', async () => {
    const { watch, state } = watchOver([at('p', 3, { name: 'partner partner-printshop' })]);
    await watch.readEvents();
    expect(state.fullRequested).toBe(1);
  });

  it('leaves the events to the instance that holds the cursor', async () => {
    const { watch, state } = watchOver([share('b', 10, 'r1')], { locked: true });
    expect(await watch.readEvents()).toBe(false);
    expect(state.queries).toEqual([]);
  });
});

describe(advance.name, () => {
  it('moves to the newest event and remembers the ids read at its time', () => {
    expect(advance({ time: 10, ids: ['a'] }, [at('b', 11), at('c', 12), at('d', 12)])).toEqual({
      time: 12,
      ids: ['c', 'd'],
    });
  });

  it('keeps the ids already read when the events are all at the same time', () => {
    expect(advance({ time: 10, ids: ['a'] }, [at('a', 10), at('b', 10)])).toEqual({
      time: 10,
      ids: ['a', 'b'],
    });
  });

  it('stays where it is without events', () => {
    expect(advance({ time: 10, ids: ['a'] }, [])).toEqual({ time: 10, ids: ['a'] });
  });
});
