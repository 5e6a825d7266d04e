import { Inject, Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { EmailOutboxRepository } from './email-outbox.repository.ts';
import type { Notice } from './notification-kind.ts';
import { type NoticeStep, NotificationRepository } from './notification.repository.ts';

/** Injection token: whether email is sent at all (`SMTP_URL` set). */
export const EMAIL_CHANNEL_ENABLED = Symbol('EMAIL_CHANNEL_ENABLED');

/**
 * Tells a person of a change, in the change's own transaction: the in-app notification (which
 * the streams hear of on commit) and, when email is configured, its row in the email outbox.
 * Whether the person wants email is asked when the email is sent, so that turning it off holds
 * for what is still queued. With email off (no `SMTP_URL`) nothing is queued for it.
 */
@Injectable()
export class Notifier {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly outbox: EmailOutboxRepository,
    @Inject(EMAIL_CHANNEL_ENABLED) private readonly emailEnabled: boolean,
  ) {}

  async notify(manager: EntityManager, notice: Notice, step: NoticeStep): Promise<void> {
    const id = await this.notifications.add(manager, notice, step);
    if (this.emailEnabled) {
      await this.outbox.enqueue(manager, id);
    }
  }
}
