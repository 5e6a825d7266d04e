import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export const AUDIT_ACTIONS = [
  'requested',
  'approved',
  'denied',
  'withdrawn',
  'shared',
  'revoked',
  'expired',
  'redeemed',
  // A pending request the owner left unanswered lapsed (its tickets deleted by the sweep).
  'request-expired',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** One step of an album's access history: who did what, to whom, with which scopes. */
@Entity({ name: 'audit_events' })
export class AuditEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'album_id', type: 'uuid' })
  albumId: string;

  @Column({ type: 'varchar', length: 16 })
  action: AuditAction;

  @Column({ name: 'actor_id', type: 'varchar', length: 64 })
  actorId: string;

  @Column({ name: 'actor_username', type: 'varchar', length: 255 })
  actorUsername: string;

  /** The requester or the person shared with. */
  @Column({ name: 'subject_id', type: 'varchar', length: 64, nullable: true })
  subjectId: string | null;

  @Column({ name: 'subject_username', type: 'varchar', length: 255 })
  subjectUsername: string;

  @Column({ type: 'text', array: true })
  scopes: string[];

  /** The invitation link a `redeemed` share came through. */
  @Column({ name: 'link_id', type: 'uuid', nullable: true })
  linkId: string | null;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
