import { Inject, Injectable } from '@nestjs/common';
import { AuthorizationAdminClient } from '@app/keycloak';
import type { OutboxEmail } from './email-outbox.repository.ts';
import { MAIL_OPTIONS, type MailOptions, MailSender, type MailTransport } from './mail-sender.ts';
import { notificationMail } from './notification-mail.ts';
import { NotificationRepository } from './notification.repository.ts';
import { NotificationSettingsRepository } from './notification-settings.repository.ts';

/** What became of one email: sent, or not to be sent (and done with all the same). */
export type DeliveryOutcome = 'sent' | 'skipped';

/** Delivers one outbox email (a fake in the relay's unit tests). */
export interface EmailWork {
  deliver(email: OutboxEmail): Promise<DeliveryOutcome>;
}

/**
 * One email's delivery, everything decided when it is sent: the notification still exists, its
 * recipient still wants email (`PUT /notifications/settings`), and Keycloak holds a verified
 * address for them now (a partner's service account has none). The address and the body are
 * handed to the SMTP client and to nothing else: no log line holds either.
 */
@Injectable()
export class EmailDelivery implements EmailWork {
  constructor(
    private readonly notifications: NotificationRepository,
    private readonly settings: NotificationSettingsRepository,
    private readonly admin: AuthorizationAdminClient,
    @Inject(MailSender) private readonly transport: MailTransport,
    @Inject(MAIL_OPTIONS) private readonly options: MailOptions,
  ) {}

  async deliver(email: OutboxEmail): Promise<DeliveryOutcome> {
    const row = await this.notifications.byId(email.notificationId);
    if (row === undefined || !(await this.settings.emailEnabled(row.recipient_id))) {
      return 'skipped';
    }
    const address = await this.admin.verifiedEmail(row.recipient_id);
    if (address === undefined) {
      return 'skipped';
    }
    await this.transport.send(address, notificationMail(row, this.options.webAppUrl));
    return 'sent';
  }
}
