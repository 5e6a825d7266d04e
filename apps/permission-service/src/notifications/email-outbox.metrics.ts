import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { scrapedGauge } from '@app/observability';
import { EmailOutboxRepository } from './email-outbox.repository.ts';

/**
 * The email outbox as Prometheus reads it, queried at each scrape:
 * `photoz_notification_email_outbox{status="pending|parked"}` and
 * `photoz_notification_email_oldest_age_seconds` (0 when none is pending); the attempts are
 * counted by `photoz_notification_emails_total{result}`. A parked email needs an operator.
 */
@Injectable()
export class EmailOutboxMetrics implements OnApplicationBootstrap {
  constructor(private readonly outbox: EmailOutboxRepository) {}

  onApplicationBootstrap(): void {
    scrapedGauge({
      name: 'photoz_notification_email_outbox',
      help: 'Notification emails waiting for the relay (pending) or for an operator (parked)',
      labelNames: ['status'],
      read: async () => {
        const { pending, parked } = await this.outbox.backlog();
        return [
          { labels: { status: 'pending' }, value: pending },
          { labels: { status: 'parked' }, value: parked },
        ];
      },
    });
    scrapedGauge({
      name: 'photoz_notification_email_oldest_age_seconds',
      help: 'Age of the oldest pending notification email (0: none pending)',
      labelNames: [],
      read: async () => [
        { labels: {}, value: (await this.outbox.backlog()).oldestPendingAgeSeconds ?? 0 },
      ],
    });
  }
}
