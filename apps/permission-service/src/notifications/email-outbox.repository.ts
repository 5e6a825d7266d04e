import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../database/schema.ts';

const TABLE = `${PERMISSION_SERVICE_SCHEMA}.notification_emails`;

/** One email still to be sent: the notification it tells of, and how its attempts went. */
export interface OutboxEmail {
  readonly id: string;
  readonly notificationId: string;
  /** Refusals by the mail server (or an address it cannot take): these count towards parking. */
  readonly attempts: number;
  /** Every failed attempt, an unreachable server included: these pace the backoff. */
  readonly failures: number;
}

/** An email set aside after repeated refusals, as `GET /admin/notifications/emails` lists it. */
export interface ParkedEmail extends OutboxEmail {
  readonly lastError: string | null;
  readonly createdAt: Date;
}

export interface OutboxBacklog {
  readonly pending: number;
  readonly parked: number;
  readonly oldestPendingAgeSeconds: number | null;
}

/** What the relay does with its store (a fake in the unit tests). */
export interface OutboxStore {
  claimDue(limit: number, leaseMs: number): Promise<OutboxEmail[]>;
  complete(email: OutboxEmail): Promise<void>;
  reschedule(
    email: OutboxEmail,
    change: { attempts: number; failures: number; delayMs: number; error: string; park: boolean },
  ): Promise<void>;
}

interface EmailRow {
  id: string;
  notification_id: string;
  attempts: number;
  failures: number;
  last_error: string | null;
  created_at: Date;
}

function toEmail(row: EmailRow): ParkedEmail {
  return {
    id: row.id,
    notificationId: row.notification_id,
    attempts: row.attempts,
    failures: row.failures,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

/**
 * The email outbox (`notification_emails`): a row is written with its notification, in the
 * transaction of the change, and goes once the mail server accepted the message. A claim is a
 * lease, as the grant clean-ups' is: rows taken with `FOR UPDATE SKIP LOCKED` and moved past the
 * lease in one statement, so one instance sends an email at a time without holding a transaction
 * open while it talks to the mail server; a relay that dies leaves its rows to be claimed again
 * once the lease runs out.
 */
@Injectable()
export class EmailOutboxRepository implements OutboxStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Queues the email of a notification, in `manager`'s transaction. */
  async enqueue(manager: EntityManager, notificationId: string): Promise<void> {
    await manager.query(`INSERT INTO ${TABLE} (notification_id) VALUES ($1)`, [notificationId]);
  }

  async claimDue(limit: number, leaseMs: number): Promise<OutboxEmail[]> {
    const rows = (await this.dataSource.query(
      `UPDATE ${TABLE} SET next_attempt_at = now() + ($2 || ' milliseconds')::interval
        WHERE id IN (SELECT id FROM ${TABLE}
                      WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $1
                      FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [limit, String(Math.round(leaseMs))],
    )) as [EmailRow[], number];
    return rows[0].map(toEmail);
  }

  /** Sent (or not to be sent): the row goes. */
  async complete(email: OutboxEmail): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${TABLE} WHERE id = $1`, [email.id]);
  }

  async reschedule(
    email: OutboxEmail,
    change: { attempts: number; failures: number; delayMs: number; error: string; park: boolean },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${TABLE}
          SET attempts = $2, failures = $3,
              next_attempt_at = now() + ($4 || ' milliseconds')::interval,
              last_error = $5, status = $6
        WHERE id = $1`,
      [
        email.id,
        change.attempts,
        change.failures,
        String(Math.round(change.delayMs)),
        change.error.slice(0, 2000),
        change.park ? 'parked' : 'pending',
      ],
    );
  }

  async backlog(): Promise<OutboxBacklog> {
    const rows = (await this.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'pending')::int AS pending,
              count(*) FILTER (WHERE status = 'parked')::int AS parked,
              extract(epoch FROM now() - min(created_at) FILTER (WHERE status = 'pending'))::float AS oldest
         FROM ${TABLE}`,
    )) as { pending: number; parked: number; oldest: number | null }[];
    const row = rows[0] ?? { pending: 0, parked: 0, oldest: null };
    return {
      pending: row.pending,
      parked: row.parked,
      oldestPendingAgeSeconds: row.oldest === null ? null : Math.round(row.oldest),
    };
  }

  async parked(limit: number): Promise<ParkedEmail[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM ${TABLE} WHERE status = 'parked' ORDER BY id LIMIT $1`,
      [limit],
    )) as EmailRow[];
    return rows.map(toEmail);
  }

  /** Puts a parked email back in line with a fresh count; false when there is none. */
  async retry(id: string): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `UPDATE ${TABLE} SET status = 'pending', attempts = 0, failures = 0, next_attempt_at = now()
        WHERE id = $1 AND status = 'parked' RETURNING id`,
      [id],
    )) as [unknown[], number];
    return rows[1] > 0;
  }
}
