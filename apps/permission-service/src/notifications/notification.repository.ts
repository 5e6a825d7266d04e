import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../database/schema.ts';
import type { Notice, NotificationKind } from './notification-kind.ts';
import type { NotificationDto } from './notification.dto.ts';

const TABLE = `${PERMISSION_SERVICE_SCHEMA}.notifications`;

/**
 * The channel every instance listens on: its payload names a committed notification
 * (`{"id","recipient"}`), never what it says, which the listening instance reads back.
 */
export const NOTIFICATIONS_CHANNEL = 'photoz_notifications';

/** A notification's row as the list and the stream show it. */
export interface NotificationRow {
  id: string;
  recipient_id: string;
  kind: NotificationKind;
  album_id: string;
  album_name: string;
  actor_username: string;
  scopes: string[];
  message: string | null;
  created_at: Date;
  read_at: Date | null;
}

export function toNotificationDto(row: NotificationRow): NotificationDto {
  return {
    id: row.id,
    kind: row.kind,
    albumId: row.album_id,
    albumName: row.album_name,
    actorUsername: row.actor_username,
    scopes: row.scopes,
    message: row.message,
    createdAt: row.created_at.toISOString(),
    readAt: row.read_at?.toISOString() ?? null,
  };
}

/** What a new notification says besides its notice: the audited step it comes with. */
export interface NoticeStep {
  readonly albumId: string;
  readonly actorUsername: string;
  readonly scopes: readonly string[];
}

/**
 * The only code touching `notifications`. A notification is added inside the transaction of the
 * change it tells of, with the `pg_notify` that wakes the streams, which PostgreSQL delivers only
 * on commit: a change that rolls back tells no one anything.
 */
@Injectable()
export class NotificationRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Adds a notification in `manager`'s transaction; returns its id. */
  async add(manager: EntityManager, notice: Notice, step: NoticeStep): Promise<string> {
    const [row] = (await manager.query(
      `INSERT INTO ${TABLE}
         (recipient_id, kind, album_id, album_name, actor_username, scopes, message)
       VALUES ($1, $2, $3, $4, $5, $6::text[], $7)
       RETURNING id`,
      [
        notice.recipient,
        notice.kind,
        step.albumId,
        notice.albumName.slice(0, 255),
        step.actorUsername,
        [...step.scopes].sort(),
        notice.message ?? null,
      ],
    )) as { id: string }[];
    const id = row?.id ?? '';
    await manager.query(`SELECT pg_notify($1, $2)`, [
      NOTIFICATIONS_CHANNEL,
      JSON.stringify({ id, recipient: notice.recipient }),
    ]);
    return id;
  }

  /** The recipient's notifications, newest first, after `beforeId` when given. */
  async page(recipient: string, limit: number, beforeId?: string): Promise<NotificationRow[]> {
    return (await this.dataSource.query(
      `SELECT * FROM ${TABLE}
        WHERE recipient_id = $1 AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC LIMIT $3`,
      [recipient, beforeId ?? null, limit],
    )) as NotificationRow[];
  }

  /** How many of the recipient's notifications are unread. */
  async unread(recipient: string): Promise<number> {
    const [row] = (await this.dataSource.query(
      `SELECT count(*)::int AS unread FROM ${TABLE} WHERE recipient_id = $1 AND read_at IS NULL`,
      [recipient],
    )) as { unread: number }[];
    return row?.unread ?? 0;
  }

  /** One notification, if it is the recipient's. */
  async one(id: string, recipient: string): Promise<NotificationRow | undefined> {
    const [row] = (await this.dataSource.query(
      `SELECT * FROM ${TABLE} WHERE id = $1 AND recipient_id = $2`,
      [id, recipient],
    )) as NotificationRow[];
    return row;
  }

  /** One notification by id, whoever it is for (the email relay's read). */
  async byId(id: string): Promise<NotificationRow | undefined> {
    const [row] = (await this.dataSource.query(`SELECT * FROM ${TABLE} WHERE id = $1`, [
      id,
    ])) as NotificationRow[];
    return row;
  }

  /** Marks the recipient's `ids` (all of them with `undefined`) read; others' ids are ignored. */
  async markRead(recipient: string, ids: readonly string[] | undefined): Promise<void> {
    await this.dataSource.query(
      `UPDATE ${TABLE} SET read_at = now()
        WHERE recipient_id = $1 AND read_at IS NULL AND ($2::bigint[] IS NULL OR id = ANY($2::bigint[]))`,
      [recipient, ids === undefined ? null : [...ids]],
    );
  }
}
