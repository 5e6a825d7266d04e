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
}

export interface OutboxBacklog {
  readonly pending: number;
  readonly due: number;
  readonly parked: number;
  readonly oldestPendingAgeSeconds: number | null;
}

interface OutboxRow {
  id: string;
  entity_type: string;
  entity_id: string;
  operation: OutboxOperation;
  resource: ResourceDescription;
  attempts: number;
  last_error: string | null;
  created_at: Date;
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
   * Locks the oldest due event whose entity has no earlier pending event, skipping events other
   * relays hold: events of one entity are delivered in order, different entities in parallel.
   */
  async claimNext(db: QueryRunner): Promise<OutboxEvent | undefined> {
    const rows = (await db.query(
      `SELECT o.* FROM uma_outbox o
        WHERE o.status = 'pending' AND o.next_attempt_at <= now()
          AND NOT EXISTS (
            SELECT 1 FROM uma_outbox earlier
             WHERE earlier.entity_type = o.entity_type AND earlier.entity_id = o.entity_id
               AND earlier.status = 'pending' AND earlier.id < o.id)
        ORDER BY o.id
        LIMIT 1
        FOR UPDATE SKIP LOCKED`,
    )) as OutboxRow[];
    const row = rows[0];
    return row === undefined ? undefined : toEvent(row);
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
              count(*) FILTER (WHERE status = 'pending' AND next_attempt_at <= now())::int AS due,
              count(*) FILTER (WHERE status = 'parked')::int AS parked,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float AS oldest
         FROM uma_outbox`,
    )) as { pending: number; due: number; parked: number; oldest: number | null }[];
    const row = rows[0] ?? { pending: 0, due: 0, parked: 0, oldest: null };
    return {
      pending: row.pending,
      due: row.due,
      parked: row.parked,
      oldestPendingAgeSeconds: row.oldest === null ? null : Math.round(row.oldest),
    };
  },

  async parked(db: Queryable, limit: number): Promise<ParkedEvent[]> {
    const rows = (await db.query(
      `SELECT * FROM uma_outbox WHERE status = 'parked' ORDER BY id LIMIT $1`,
      [limit],
    )) as OutboxRow[];
    return rows.map(toEvent);
  },

  /** Puts a parked event back in line; `false` when there is no such parked event. */
  async unpark(db: Queryable, id: string): Promise<boolean> {
    // Through a CTE the driver answers with the rows, as for a SELECT (an UPDATE answers with
    // `[rows, count]`).
    const rows = (await db.query(
      `WITH unparked AS (
         UPDATE uma_outbox SET status = 'pending', attempts = 0, next_attempt_at = now()
          WHERE id = $1 AND status = 'parked' RETURNING id)
       SELECT id FROM unparked`,
      [id],
    )) as unknown[];
    return rows.length > 0;
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
