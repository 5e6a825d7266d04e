import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { z } from 'zod';
import { PERMISSION_SERVICE_SCHEMA } from '../database/schema.ts';

const TABLE = `${PERMISSION_SERVICE_SCHEMA}.keycloak_watch`;
const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';

/** How far the admin events are read: their time (Keycloak's clock) and the ids read at it. */
export interface EventCursor {
  readonly time: number;
  readonly ids: readonly string[];
}

const cursorSchema = z.object({ time: z.coerce.number(), ids: z.array(z.string()) });

/**
 * Where the watch of Keycloak's changes stands (`keycloak_watch`), shared by every instance: one
 * instance at a time reads the admin events, and one runs each full reconciliation.
 */
@Injectable()
export class KeycloakWatchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * Runs `work` from the admin events' cursor and saves the cursor it returns, holding the
   * cursor's row lock meanwhile; `false` without running it when another instance holds it. A
   * failure saves nothing, so the events are read again.
   */
  async withEventCursor(work: (cursor: EventCursor) => Promise<EventCursor>): Promise<boolean> {
    return this.dataSource.transaction(async (manager: EntityManager) => {
      const [row] = (await manager.query(
        `SELECT position FROM ${TABLE} WHERE name = 'admin-events' FOR UPDATE SKIP LOCKED`,
      )) as { position: unknown }[];
      if (row === undefined) {
        return false;
      }
      const next = await work(cursorSchema.parse(row.position));
      await manager.query(
        `UPDATE ${TABLE} SET position = $1::jsonb, updated_at = clock_timestamp()
          WHERE name = 'admin-events'`,
        [JSON.stringify({ time: next.time, ids: next.ids })],
      );
      return true;
    });
  }

  /**
   * Claims a full reconciliation when the last one started `intervalMs` ago or more (or one was
   * asked for): only one instance's claim succeeds. Nothing is held while it runs.
   */
  claimFullReconcile(intervalMs: number): Promise<boolean> {
    return this.claimRun('full-reconcile', intervalMs);
  }

  /**
   * Claims an import of Keycloak's pending tickets when the last one started `intervalMs` ago or
   * more (or one was asked for): only one instance's claim succeeds.
   */
  claimRequestImport(intervalMs: number): Promise<boolean> {
    return this.claimRun('request-import', intervalMs);
  }

  /** Marks the periodic run `name` started now, if its last start is `intervalMs` old or more. */
  private async claimRun(
    name: 'full-reconcile' | 'request-import',
    intervalMs: number,
  ): Promise<boolean> {
    const rows = (await this.dataSource.query(
      `UPDATE ${TABLE} SET position = jsonb_build_object('startedAt', ${NOW_MS}),
              updated_at = clock_timestamp()
        WHERE name = $2
          AND (position->>'startedAt')::bigint <= ${NOW_MS} - $1::bigint
        RETURNING name`,
      [intervalMs, name],
    )) as [unknown[], number] | unknown[];
    // The pg driver answers an UPDATE … RETURNING with [rows, count].
    const returned = Array.isArray(rows[0]) ? rows[0] : rows;
    return returned.length > 0;
  }

  /** Makes a full reconciliation due at once (a change no single resource names). */
  async requestFullReconcile(): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${TABLE} SET position = jsonb_build_object('startedAt', 0), updated_at = clock_timestamp()
        WHERE name = 'full-reconcile'`,
    );
  }
}
