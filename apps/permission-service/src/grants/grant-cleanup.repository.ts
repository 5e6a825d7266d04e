import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../database/schema.ts';
import type { Party } from './grant-entry.ts';

const TABLE = `${PERMISSION_SERVICE_SCHEMA}.grant_cleanups`;

/**
 * Stands, among a clean-up's `requests`, for every pending request of the party: a revocation
 * that could not read them from Keycloak withdraws them all.
 */
export const EVERY_REQUEST = '*';

/** A revocation whose Keycloak side is still to be done, for one party on one resource. */
export interface GrantCleanup {
  readonly id: string;
  readonly albumId: string;
  readonly resourceId: string;
  readonly party: Party;
  /**
   * Pending requests (ticket ids) the revocations withdrew, still to be deleted in Keycloak;
   * {@link EVERY_REQUEST}: all of the party's.
   */
  readonly requests: readonly string[];
  readonly attempts: number;
  /** Bumped by each revocation of the pair recorded again: tells an attempt it is out of date. */
  readonly generation: number;
}

/** A clean-up set aside after repeated failures, as `GET /admin/grants/cleanups` lists it. */
export interface ParkedCleanup extends GrantCleanup {
  readonly lastError: string | null;
  readonly createdAt: Date;
}

/** How far the clean-ups are behind. */
export interface CleanupBacklog {
  readonly pending: number;
  readonly parked: number;
  readonly oldestPendingAgeSeconds: number | null;
}

/** What the relay's store does for it (a fake in the unit tests). */
export interface CleanupStore {
  claimDue(limit: number, leaseMs: number): Promise<GrantCleanup[]>;
  complete(job: GrantCleanup): Promise<void>;
  reschedule(
    job: GrantCleanup,
    change: { attempts: number; delayMs: number; error: string; park: boolean },
  ): Promise<void>;
}

interface CleanupRow {
  id: string;
  album_id: string;
  resource_id: string;
  subject: string;
  party_id: string;
  party_username: string;
  partner: boolean;
  requests: string[];
  attempts: number;
  generation: number;
  last_error: string | null;
  created_at: Date;
}

function toCleanup(row: CleanupRow): ParkedCleanup {
  return {
    id: row.id,
    albumId: row.album_id,
    resourceId: row.resource_id,
    party: {
      id: row.party_id,
      username: row.party_username,
      partner: row.partner,
      subject: row.subject,
    },
    requests: row.requests,
    attempts: row.attempts,
    generation: row.generation,
    lastError: row.last_error,
    createdAt: row.created_at,
  };
}

/**
 * The clean-ups of revocations that Keycloak failed (`grant_cleanups`): one row per (resource,
 * party), whose work is always "make Keycloak grant the party no more than the record holds now".
 * A claim is a lease: the row is taken with `FOR UPDATE SKIP LOCKED` and its next attempt moved
 * past the lease in one statement, so one instance works on a job at a time without holding a row
 * lock (and a transaction) while it talks to Keycloak; a relay that dies leaves the job to be
 * claimed again once the lease runs out. Plain SQL, as the other queues of the project.
 */
@Injectable()
export class GrantCleanupRepository implements CleanupStore {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Records that Keycloak's side of a revocation is still to be done (committed at once): a new
   * job due now, or the pair's job brought forward (pending again, attempts from zero, the
   * withdrawn requests added). Called inside the party's exclusive change, before the answer, or
   * in the transaction (`manager`) of the sweep that removes expired grants.
   */
  async record(
    album: { albumId: string; resourceId: string },
    party: Party,
    requests: readonly string[],
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.query(
      `INSERT INTO ${TABLE}
         (resource_id, subject, album_id, party_id, party_username, partner, requests)
       VALUES ($1, $2, $3, $4, $5, $6, $7::text[])
       ON CONFLICT (resource_id, subject) DO UPDATE
         SET requests = ARRAY(SELECT unnest(${TABLE}.requests) UNION SELECT unnest(EXCLUDED.requests)),
             party_id = EXCLUDED.party_id, party_username = EXCLUDED.party_username,
             partner = EXCLUDED.partner, status = 'pending', attempts = 0,
             generation = ${TABLE}.generation + 1, next_attempt_at = now(), last_error = NULL`,
      [
        album.resourceId,
        party.subject,
        album.albumId,
        party.id,
        party.username,
        party.partner,
        [...new Set(requests)],
      ],
    );
  }

  /** Leases up to `limit` due jobs, oldest due first, skipping those another relay is claiming. */
  async claimDue(limit: number, leaseMs: number): Promise<GrantCleanup[]> {
    const rows = (await this.dataSource.query(
      `UPDATE ${TABLE} SET next_attempt_at = now() + ($2 || ' milliseconds')::interval
        WHERE id IN (SELECT id FROM ${TABLE}
                      WHERE status = 'pending' AND next_attempt_at <= now()
                      ORDER BY next_attempt_at LIMIT $1
                      FOR UPDATE SKIP LOCKED)
        RETURNING *`,
      [limit, String(Math.round(leaseMs))],
    )) as [CleanupRow[], number];
    return rows[0].map(toCleanup);
  }

  /** The job is done: it goes, unless a revocation recorded it again meanwhile. */
  async complete(job: GrantCleanup): Promise<void> {
    await this.dataSource.query(`DELETE FROM ${TABLE} WHERE id = $1 AND generation = $2`, [
      job.id,
      job.generation,
    ]);
  }

  /** The attempt failed: the job waits `delayMs`, or is parked (unless recorded again meanwhile). */
  async reschedule(
    job: GrantCleanup,
    change: { attempts: number; delayMs: number; error: string; park: boolean },
  ): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${TABLE}
          SET attempts = $3, next_attempt_at = now() + ($4 || ' milliseconds')::interval,
              last_error = $5, status = $6
        WHERE id = $1 AND generation = $2`,
      [
        job.id,
        job.generation,
        change.attempts,
        String(Math.round(change.delayMs)),
        change.error.slice(0, 2000),
        change.park ? 'parked' : 'pending',
      ],
    );
  }

  /** The pending and parked counts, for metrics and operators. */
  async backlog(): Promise<CleanupBacklog> {
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

  /** The oldest `limit` parked jobs. */
  async parked(limit: number): Promise<ParkedCleanup[]> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM ${TABLE} WHERE status = 'parked' ORDER BY id LIMIT $1`,
      [limit],
    )) as CleanupRow[];
    return rows.map(toCleanup);
  }

  /** The job of one pair, if any (pending or parked). */
  async of(resourceId: string, subject: string): Promise<ParkedCleanup | undefined> {
    const rows = (await this.dataSource.query(
      `SELECT * FROM ${TABLE} WHERE resource_id = $1 AND subject = $2`,
      [resourceId, subject],
    )) as CleanupRow[];
    return rows[0] === undefined ? undefined : toCleanup(rows[0]);
  }

  /** Puts a parked job back in line with a fresh count of attempts; false when there is none. */
  async retry(id: string): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `UPDATE ${TABLE} SET status = 'pending', attempts = 0, next_attempt_at = now()
        WHERE id = $1 AND status = 'parked' RETURNING id`,
      [id],
    )) as [unknown[], number];
    return rows[1] > 0;
  }
}
