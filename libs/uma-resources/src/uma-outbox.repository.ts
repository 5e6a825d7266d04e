import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { ResourceDescription } from '@app/keycloak';
import type { DataSource, EntityManager } from 'typeorm';

/** What an event asks of Keycloak: the resource must exist and match, or must go. */
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

/** An event set aside after repeated failures, as `GET /admin/uma/outbox` lists it. */
export interface ParkedEvent extends OutboxEvent {
  readonly lastError: string | null;
  readonly createdAt: Date;
  /**
   * Later events of the same entity that wait until this one is retried or superseded: those of a
   * parked delete (a parked upsert holds nothing back; its entity's next event supersedes it).
   */
  readonly blocking: number;
}

/** How far the relay is behind, for `GET /admin/uma/outbox`. */
export interface OutboxBacklog {
  readonly pending: number;
  /** Pending events the relay may deliver now: due, and not held back by a parked delete. */
  readonly due: number;
  /** Pending events that wait behind a parked delete of their entity. */
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

/** An event dropped because a later event of its entity carries a newer state. */
export interface SupersededEvent extends OutboxEvent {
  readonly status: 'pending' | 'parked';
  readonly lastError: string | null;
}

/** What one claim got: the events to deliver, and the earlier events they superseded. */
export interface Claim {
  /** Locked until the claiming transaction ends; at most one per entity. */
  readonly due: OutboxEvent[];
  /** Deleted in the claiming transaction (see `claimDue`). */
  readonly superseded: SupersededEvent[];
}

/** What `POST /admin/uma/outbox/:eventId/retry` did with a parked event. */
export type RetryOutcome = 'requeued' | 'superseded';

interface OutboxRow {
  id: string;
  entity_type: string;
  entity_id: string;
  operation: OutboxOperation;
  resource: ResourceDescription;
  status: 'pending' | 'parked';
  attempts: number;
  last_error: string | null;
  created_at: Date;
  blocking?: number;
  has_earlier?: boolean;
}

/**
 * Whether event `e` is one a later event of its entity supersedes: an upsert that has failed
 * already (parked, or waiting for its next attempt). Every event carries the entity's whole state,
 * so the later one makes Keycloak match a newer state and the failed one has nothing left to do.
 * A delete is never superseded here: nothing of an entity overtakes its delete.
 */
function supersedable(e: string): string {
  return `(${e}.operation = 'upsert' AND (${e}.status = 'parked' OR ${e}.attempts > 0))`;
}

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

/**
 * The outbox table (`uma_outbox`): no other code of the service reads or writes it. Plain SQL:
 * the claim needs `FOR UPDATE SKIP LOCKED` and the per-entity order an advisory lock, which
 * TypeORM does not express. Methods that take a `manager` (first) run through it, in the caller's
 * transaction when it has one; the operators' reads (`backlog`, `parked`) on their own.
 */
@Injectable()
export class UmaOutboxRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds an event, in the caller's transaction (the entity's own, or a repair's). */
  async append(
    manager: EntityManager,
    event: {
      entityType: string;
      entityId: string;
      operation: OutboxOperation;
      resource: ResourceDescription;
    },
  ): Promise<void> {
    await manager.query(
      'INSERT INTO uma_outbox (entity_type, entity_id, operation, resource) VALUES ($1, $2, $3, $4)',
      [event.entityType, event.entityId, event.operation, JSON.stringify(event.resource)],
    );
  }

  /**
   * Serialises, until the end of the caller's transaction, the writers of one entity's events:
   * every change records its event under it, and a repair reads the entity under it, so an event
   * id is never smaller than that of a change the event's snapshot does not include.
   */
  async lockEntity(manager: EntityManager, entityType: string, entityId: string): Promise<void> {
    await manager.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `uma_outbox:${entityType}:${entityId}`,
    ]);
  }

  /**
   * Locks up to `limit` due events, oldest first, at most one per entity, skipping events other
   * workers or instances hold (`FOR UPDATE SKIP LOCKED`): an entity's events are delivered one
   * after the other, in order, different entities in parallel. Events of one entity are written
   * one transaction after the other under the entity's lock (`lockEntity`), in the order of their
   * ids, so a snapshot that sees an event also sees every earlier one of its entity.
   *
   * An event is claimable while every earlier event of its entity is an upsert that has already
   * failed (see `supersedable`): those it supersedes, and they are deleted in the claiming
   * transaction and returned. Any other earlier event holds it back: one not attempted yet, a
   * delete (pending or parked: a parked delete waits for an operator, and nothing overtakes it),
   * and an event in flight, whose row its claimer holds locked until its transaction deletes or
   * reschedules it and commits. Such an event is left out of this claim, untouched. So a failing
   * or parked upsert (Keycloak refusing a value, say) never holds back the entity's later renames
   * or its delete, and a retry can never replay it after them: it is gone.
   */
  async claimDue(manager: EntityManager, limit: number): Promise<Claim> {
    const rows = (await manager.query(
      `SELECT o.*,
              EXISTS (SELECT 1 FROM uma_outbox earlier
                       WHERE earlier.entity_type = o.entity_type AND earlier.entity_id = o.entity_id
                         AND earlier.id < o.id) AS has_earlier
         FROM uma_outbox o
        WHERE o.status = 'pending' AND o.next_attempt_at <= now()
          AND NOT EXISTS (
            SELECT 1 FROM uma_outbox earlier
             WHERE earlier.entity_type = o.entity_type AND earlier.entity_id = o.entity_id
               AND earlier.id < o.id AND NOT ${supersedable('earlier')})
          AND NOT (${supersedable('o')} AND EXISTS (
            SELECT 1 FROM uma_outbox later
             WHERE later.entity_type = o.entity_type AND later.entity_id = o.entity_id
               AND later.id > o.id))
        ORDER BY o.id
        LIMIT $1
        FOR UPDATE OF o SKIP LOCKED`,
      [limit],
    )) as OutboxRow[];
    const superseding = rows.filter((row) => row.has_earlier === true);
    if (superseding.length === 0) {
      return { due: rows.map(toEvent), superseded: [] };
    }
    const claimed = [
      superseding.map((row) => row.entity_type),
      superseding.map((row) => row.entity_id),
      superseding.map((row) => row.id),
    ];
    // Each statement sees what committed before it: an earlier event that is in flight (locked)
    // or no longer supersedable (retried meanwhile) is neither deleted here nor overtaken below.
    const dropped = (await manager.query(
      `DELETE FROM uma_outbox WHERE id IN (
         SELECT e.id FROM uma_outbox e
           JOIN unnest($1::text[], $2::text[], $3::bigint[]) AS c(entity_type, entity_id, id)
             ON e.entity_type = c.entity_type AND e.entity_id = c.entity_id AND e.id < c.id
          WHERE ${supersedable('e')}
            FOR UPDATE OF e SKIP LOCKED)
       RETURNING *`,
      claimed,
    )) as OutboxRow[];
    const stillEarlier = (await manager.query(
      `SELECT c.id FROM unnest($1::text[], $2::text[], $3::bigint[]) AS c(entity_type, entity_id, id)
        WHERE EXISTS (SELECT 1 FROM uma_outbox e
                       WHERE e.entity_type = c.entity_type AND e.entity_id = c.entity_id
                         AND e.id < c.id)`,
      claimed,
    )) as { id: string }[];
    const held = new Set(stillEarlier.map((row) => row.id));
    return {
      due: rows.filter((row) => !held.has(row.id)).map(toEvent),
      superseded: dropped
        .sort((a, b) => Number(a.id) - Number(b.id))
        .map((row) => ({ ...toEvent(row), status: row.status })),
    };
  }

  /** An entity's events, oldest first. */
  async eventsOf(
    manager: EntityManager,
    entityType: string,
    entityId: string,
  ): Promise<QueuedEvent[]> {
    return (await manager.query(
      `SELECT id, operation, status FROM uma_outbox
        WHERE entity_type = $1 AND entity_id = $2 ORDER BY id`,
      [entityType, entityId],
    )) as QueuedEvent[];
  }

  /** Deletes an entity's parked events, in the caller's transaction; returns them for the log. */
  async dropParked(
    manager: EntityManager,
    entityType: string,
    entityId: string,
  ): Promise<ParkedEvent[]> {
    const rows = (await manager.query(
      `WITH dropped AS (
         DELETE FROM uma_outbox WHERE entity_type = $1 AND entity_id = $2 AND status = 'parked'
         RETURNING *)
       SELECT * FROM dropped ORDER BY id`,
      [entityType, entityId],
    )) as OutboxRow[];
    return rows.map(toEvent);
  }

  /** The events were delivered: they go, in the transaction that claimed them. */
  async complete(manager: EntityManager, ids: readonly string[]): Promise<void> {
    if (ids.length > 0) {
      await manager.query('DELETE FROM uma_outbox WHERE id = ANY($1::bigint[])', [ids]);
    }
  }

  /** The delivery failed: the event waits `delayMs`, or is parked; in the claiming transaction. */
  async reschedule(
    manager: EntityManager,
    id: string,
    change: { attempts: number; delayMs: number; error: string; park: boolean },
  ): Promise<void> {
    await manager.query(
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
  }

  /** The outbox's counts, for operators. */
  async backlog(): Promise<OutboxBacklog> {
    const rows = (await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'pending' AND NOT blocked
                                 AND next_attempt_at <= now())::int AS due,
              count(*) FILTER (WHERE status = 'pending' AND blocked)::int AS blocked,
              count(*) FILTER (WHERE status = 'parked')::int AS parked,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float AS oldest
         FROM (SELECT o.status, o.next_attempt_at, o.created_at,
                      EXISTS (SELECT 1 FROM uma_outbox p
                               WHERE p.entity_type = o.entity_type AND p.entity_id = o.entity_id
                                 AND p.status = 'parked' AND p.operation = 'delete'
                                 AND p.id < o.id) AS blocked
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
  }

  /**
   * The oldest `limit` parked events, with how many later events each holds back: a parked delete
   * holds back every later event of its entity; a parked upsert none (they supersede it).
   */
  async parked(limit: number): Promise<ParkedEvent[]> {
    const rows = (await this.dataSource.query(
      `SELECT o.*,
              (SELECT count(*)::int FROM uma_outbox later
                WHERE later.entity_type = o.entity_type AND later.entity_id = o.entity_id
                  AND later.id > o.id AND o.operation = 'delete') AS blocking
         FROM uma_outbox o WHERE o.status = 'parked' ORDER BY o.id LIMIT $1`,
      [limit],
    )) as OutboxRow[];
    return rows.map(toEvent);
  }

  /**
   * Retries a parked event, in the caller's transaction. Every event carries the entity's whole
   * state, so when a later event of the entity exists the parked one is superseded: it is dropped,
   * never replayed after (or instead of) the newer state. Otherwise it is due again with a fresh
   * count of attempts. `undefined` when there is no such parked event.
   */
  async retry(manager: EntityManager, id: string): Promise<RetryOutcome | undefined> {
    const rows = (await manager.query(
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
      await manager.query('DELETE FROM uma_outbox WHERE id = $1', [id]);
      return 'superseded';
    }
    await manager.query(
      `UPDATE uma_outbox SET status = 'pending', attempts = 0, next_attempt_at = now()
        WHERE id = $1`,
      [id],
    );
    return 'requeued';
  }
}
