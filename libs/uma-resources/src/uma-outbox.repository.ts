import type { ResourceDescription } from '@app/keycloak';
import type { EntityManager, QueryRunner } from 'typeorm';

export type OutboxOperation = 'upsert' | 'delete';

/** One change of an entity that Keycloak has not seen yet. */
export interface OutboxEvent {
  readonly id: string;
  readonly entityType: string;
  readonly entityId: string;
  readonly operation: OutboxOperation;
  readonly resource: ResourceDescription;
  readonly attempts: number;
}

export interface ParkedEvent extends OutboxEvent {
  readonly lastError: string | null;
  readonly createdAt: Date;
  /** Later events of the same entity that wait until this one is retried or superseded. */
  readonly blocking: number;
}

export interface OutboxBacklog {
  readonly pending: number;
  /** Pending events the relay may deliver now: due, and not held back by a parked event. */
  readonly due: number;
  /** Pending events that wait behind a parked event of their entity. */
  readonly blocked: number;
  readonly parked: number;
  readonly oldestPendingAgeSeconds: number | null;
}

/** Where an entity's queue stands: its events, oldest first. */
export interface QueuedEvent {
  readonly id: string;
  readonly operation: OutboxOperation;
  readonly status: 'pending' | 'parked';
}

/** What `POST /admin/uma/outbox/:eventId/retry` did with a parked event. */
export type RetryOutcome = 'requeued' | 'superseded';

interface OutboxRow {
  id: string;
  entity_type: string;
  entity_id: string;
  operation: OutboxOperation;
  resource: ResourceDescription;
  attempts: number;
  last_error: string | null;
  created_at: Date;
  blocking?: number;
}

type Queryable = Pick<EntityManager | QueryRunner, 'query'>;

function toEvent(row: OutboxRow): ParkedEvent {
  return {
    id: row.id,
    entityType: row.entity_type,
    entityId: row.entity_id,
    operation: row.operation,
    resource: row.resource,
    attempts: row.attempts,
    lastError: row.last_error,
    createdAt: row.created_at,
    blocking: row.blocking ?? 0,
  };
}

/** SQL of the outbox and the entity → resource links; the only code touching those tables. */
export const umaOutboxRepository = {
  async append(
    db: Queryable,
    event: {
      entityType: string;
      entityId: string;
      operation: OutboxOperation;
      resource: ResourceDescription;
    },
  ): Promise<void> {
    await db.query(
      'INSERT INTO uma_outbox (entity_type, entity_id, operation, resource) VALUES ($1, $2, $3, $4)',
      [event.entityType, event.entityId, event.operation, JSON.stringify(event.resource)],
    );
  },

  /**
   * Serialises, until the end of the caller's transaction, the writers of one entity's events:
   * every change records its event under it, and a repair reads the entity under it, so an event
   * id is never smaller than that of a change the event's snapshot does not include.
   */
  async lockEntity(db: Queryable, entityType: string, entityId: string): Promise<void> {
    await db.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `uma_outbox:${entityType}:${entityId}`,
    ]);
  },

  /**
   * Locks the oldest due event whose entity has no earlier event at all, skipping events other
   * relays hold: events of one entity are delivered in order, different entities in parallel.
   * A parked event counts as earlier too: its later events wait until it is retried or
   * superseded, or they would overtake it (and a retry would then replay an older snapshot over
   * a newer one, e.g. bring back the resource of a deleted entity).
   */
  async claimNext(db: QueryRunner): Promise<OutboxEvent | undefined> {
    const rows = (await db.query(
      `SELECT o.* FROM uma_outbox o
        WHERE o.status = 'pending' AND o.next_attempt_at <= now()
          AND NOT EXISTS (
            SELECT 1 FROM uma_outbox earlier
             WHERE earlier.entity_type = o.entity_type AND earlier.entity_id = o.entity_id
               AND earlier.id < o.id)
        ORDER BY o.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`,
    )) as OutboxRow[];
    const row = rows[0];
    return row === undefined ? undefined : toEvent(row);
  },

  /** An entity's events, oldest first. */
  async eventsOf(db: Queryable, entityType: string, entityId: string): Promise<QueuedEvent[]> {
    return (await db.query(
      `SELECT id, operation, status FROM uma_outbox
        WHERE entity_type = $1 AND entity_id = $2 ORDER BY id`,
      [entityType, entityId],
    )) as QueuedEvent[];
  },

  /** Deletes an entity's parked events; returns them for the log. */
  async dropParked(db: Queryable, entityType: string, entityId: string): Promise<ParkedEvent[]> {
    const rows = (await db.query(
      `WITH dropped AS (
         DELETE FROM uma_outbox WHERE entity_type = $1 AND entity_id = $2 AND status = 'parked'
         RETURNING *)
       SELECT * FROM dropped ORDER BY id`,
      [entityType, entityId],
    )) as OutboxRow[];
    return rows.map(toEvent);
  },

  async complete(db: Queryable, id: string): Promise<void> {
    await db.query('DELETE FROM uma_outbox WHERE id = $1', [id]);
  },

  async reschedule(
    db: Queryable,
    id: string,
    change: { attempts: number; delayMs: number; error: string; park: boolean },
  ): Promise<void> {
    await db.query(
      `UPDATE uma_outbox
          SET attempts = $2, next_attempt_at = now() + ($3 || ' milliseconds')::interval,
              last_error = $4, status = $5
        WHERE id = $1`,
      [
        id,
        change.attempts,
        String(Math.round(change.delayMs)),
        change.error.slice(0, 2000),
        change.park ? 'parked' : 'pending',
      ],
    );
  },

  async backlog(db: Queryable): Promise<OutboxBacklog> {
    const rows = (await db.query(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'pending' AND NOT blocked
                                 AND next_attempt_at <= now())::int AS due,
              count(*) FILTER (WHERE status = 'pending' AND blocked)::int AS blocked,
              count(*) FILTER (WHERE status = 'parked')::int AS parked,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float AS oldest
         FROM (SELECT o.status, o.next_attempt_at, o.created_at,
                      EXISTS (SELECT 1 FROM uma_outbox p
                               WHERE p.entity_type = o.entity_type AND p.entity_id = o.entity_id
                                 AND p.status = 'parked' AND p.id < o.id) AS blocked
                 FROM uma_outbox o) events`,
    )) as {
      pending: number;
      due: number;
      blocked: number;
      parked: number;
      oldest: number | null;
    }[];
    const row = rows[0] ?? { pending: 0, due: 0, blocked: 0, parked: 0, oldest: null };
    return {
      pending: row.pending,
      due: row.due,
      blocked: row.blocked,
      parked: row.parked,
      oldestPendingAgeSeconds: row.oldest === null ? null : Math.round(row.oldest),
    };
  },

  async parked(db: Queryable, limit: number): Promise<ParkedEvent[]> {
    const rows = (await db.query(
      `SELECT o.*,
              (SELECT count(*)::int FROM uma_outbox later
                WHERE later.entity_type = o.entity_type AND later.entity_id = o.entity_id
                  AND later.id > o.id) AS blocking
         FROM uma_outbox o WHERE o.status = 'parked' ORDER BY o.id LIMIT $1`,
      [limit],
    )) as OutboxRow[];
    return rows.map(toEvent);
  },

  /**
   * Retries a parked event, in the caller's transaction. Every event carries the entity's whole
   * state, so when a later event of the entity exists the parked one is superseded: it is dropped,
   * never replayed after (or instead of) the newer state. Otherwise it is due again with a fresh
   * count of attempts. `undefined` when there is no such parked event.
   */
  async retry(db: Queryable, id: string): Promise<RetryOutcome | undefined> {
    const rows = (await db.query(
      `SELECT o.id,
              EXISTS (SELECT 1 FROM uma_outbox later
                       WHERE later.entity_type = o.entity_type AND later.entity_id = o.entity_id
                         AND later.id > o.id) AS superseded
         FROM uma_outbox o WHERE o.id = $1 AND o.status = 'parked'
         FOR UPDATE`,
      [id],
    )) as { id: string; superseded: boolean }[];
    const parked = rows[0];
    if (parked === undefined) {
      return undefined;
    }
    if (parked.superseded) {
      await db.query('DELETE FROM uma_outbox WHERE id = $1', [id]);
      return 'superseded';
    }
    await db.query(
      `UPDATE uma_outbox SET status = 'pending', attempts = 0, next_attempt_at = now()
        WHERE id = $1`,
      [id],
    );
    return 'requeued';
  },

  async linkOf(db: Queryable, entityType: string, entityId: string): Promise<string | undefined> {
    const rows = (await db.query(
      'SELECT resource_id FROM uma_resource_links WHERE entity_type = $1 AND entity_id = $2',
      [entityType, entityId],
    )) as { resource_id: string }[];
    return rows[0]?.resource_id;
  },

  async links(db: Queryable, entityType: string): Promise<Map<string, string>> {
    const rows = (await db.query(
      'SELECT entity_id, resource_id FROM uma_resource_links WHERE entity_type = $1',
      [entityType],
    )) as { entity_id: string; resource_id: string }[];
    return new Map(rows.map((row) => [row.entity_id, row.resource_id]));
  },

  async saveLink(
    db: Queryable,
    entityType: string,
    entityId: string,
    resourceId: string,
  ): Promise<void> {
    await db.query(
      `INSERT INTO uma_resource_links (entity_type, entity_id, resource_id) VALUES ($1, $2, $3)
       ON CONFLICT (entity_type, entity_id) DO UPDATE SET resource_id = EXCLUDED.resource_id, registered_at = now()`,
      [entityType, entityId, resourceId],
    );
  },

  async removeLink(db: Queryable, entityType: string, entityId: string): Promise<void> {
    await db.query('DELETE FROM uma_resource_links WHERE entity_type = $1 AND entity_id = $2', [
      entityType,
      entityId,
    ]);
  },
};
