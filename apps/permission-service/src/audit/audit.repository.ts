import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { Principal } from '@app/auth';
import type { DataSource, EntityManager } from 'typeorm';
import { type AuditAction, AuditEventEntity } from './audit-event.entity.ts';

/** The only code touching the audit table. */
@Injectable()
export class AuditRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Records one event; in `manager`'s transaction when given, on its own otherwise. */
  async record(
    event: {
      albumId: string;
      action: AuditAction;
      actor: Pick<Principal, 'subject' | 'username'>;
      subject: { id: string | null; username: string };
      scopes: readonly string[];
      linkId?: string;
    },
    manager: EntityManager = this.dataSource.manager,
  ): Promise<void> {
    await manager.getRepository(AuditEventEntity).insert({
      albumId: event.albumId,
      action: event.action,
      actorId: event.actor.subject,
      actorUsername: event.actor.username,
      subjectId: event.subject.id,
      subjectUsername: event.subject.username,
      scopes: [...event.scopes].sort(),
      linkId: event.linkId ?? null,
      createdAt: new Date(),
    });
  }

  /** The newest event about `subjectId` on the album, if any. */
  async latest(albumId: string, subjectId: string): Promise<AuditEventEntity | undefined> {
    const event = await this.dataSource.getRepository(AuditEventEntity).findOne({
      where: { albumId, subjectId },
      order: { id: 'DESC' },
    });
    return event ?? undefined;
  }

  /** An album's events, oldest first. */
  forAlbum(albumId: string, limit: number, afterId?: string): Promise<AuditEventEntity[]> {
    const query = this.dataSource
      .getRepository(AuditEventEntity)
      .createQueryBuilder('event')
      .where('event.album_id = :albumId', { albumId })
      .orderBy('event.id', 'ASC')
      .limit(limit);
    if (afterId !== undefined) {
      query.andWhere('event.id > :afterId', { afterId });
    }
    return query.getMany();
  }
}
