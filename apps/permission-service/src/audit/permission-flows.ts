import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type Principal, SERVICE_ACCOUNT_PREFIX } from '@app/auth';
import { log, metrics } from '@app/observability';
import type { Party } from '../grants/grant-entry.ts';
import type { Notice } from '../notifications/notification-kind.ts';
import { Notifier } from '../notifications/notifier.ts';
import type { AuditAction } from './audit-event.entity.ts';
import { AuditRepository } from './audit.repository.ts';

const flowLog = log.child({ component: 'permission-flows' });

/** The flows counted in `photoz_permission_flows_total{action}` once they succeeded. */
export type FlowAction =
  'request' | 'approve' | 'deny' | 'withdraw' | 'share' | 'redeem' | 'revoke';

/** Who did what to whom on which album. */
export interface FlowStep {
  readonly albumId: string;
  readonly actor: Pick<Principal, 'subject' | 'username'>;
  readonly subject: Pick<Party, 'id' | 'username'>;
  readonly scopes: readonly string[];
  /** The invitation link the step came through. */
  readonly linkId?: string;
}

/**
 * What the permission flows leave behind: the album's audit trail, the notifications of the people
 * concerned, the flow counters and, for a revocation, one log line (the album, who lost access and
 * the scopes, never a token).
 */
@Injectable()
export class PermissionFlows {
  constructor(
    private readonly audit: AuditRepository,
    private readonly notifier: Notifier,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /**
   * One step of the album's access history, recorded once Keycloak and the grant record have
   * accepted the change, and the `notices` it causes, in one transaction: a notification (and its
   * email) exists exactly when the step is in the audit trail, and the streams hear of it only on
   * commit. A new kind of notification is one more notice passed here.
   */
  async record(action: AuditAction, step: FlowStep, ...notices: Notice[]): Promise<void> {
    if (notices.length === 0) {
      await this.audit.record({ ...step, action });
      return;
    }
    await this.dataSource.transaction(async (manager) => {
      await this.audit.record({ ...step, action }, manager);
      for (const notice of notices) {
        await this.notifier.notify(manager, notice, {
          albumId: step.albumId,
          actorUsername: step.actor.username,
          scopes: step.scopes,
        });
      }
    });
    for (const notice of notices) {
      metrics.notifications.inc({ kind: notice.kind });
    }
  }

  /** A flow that succeeded. */
  succeeded(action: FlowAction): void {
    metrics.permissionFlows.inc({ action });
  }

  /** A revocation that took effect: audited, counted and logged. */
  async revoked(
    step: FlowStep & { readonly subject: Party },
    kind: 'removed' | 'narrowed',
  ): Promise<void> {
    await this.record('revoked', step);
    this.succeeded('revoke');
    const { albumId, actor, subject, scopes } = step;
    flowLog.info(
      {
        event: 'permission.revoke',
        kind,
        albumId,
        ownerSubject: actor.subject,
        subject: subject.subject,
        partnerClientId:
          subject.partner && subject.username.startsWith(SERVICE_ACCOUNT_PREFIX)
            ? subject.username.slice(SERVICE_ACCOUNT_PREFIX.length)
            : undefined,
        scopes,
      },
      'access revoked',
    );
  }
}
