import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { scrapedGauge } from '@app/observability';
import { UmaOutboxRepository } from './uma-outbox.repository.ts';

/**
 * The outbox backlog as Prometheus reads it, queried at each scrape:
 * `photoz_uma_outbox_events{status="pending|parked"}` and
 * `photoz_uma_outbox_oldest_age_seconds`, the age of the oldest pending event (0 when none). A
 * growing age means the relay is not delivering; a parked event needs an operator
 * (docs/operations.md, Runbook).
 */
@Injectable()
export class UmaOutboxMetrics implements OnApplicationBootstrap {
  constructor(private readonly outbox: UmaOutboxRepository) {}

  onApplicationBootstrap(): void {
    scrapedGauge({
      name: 'photoz_uma_outbox_events',
      help: 'Outbox events waiting for the relay (pending) or for an operator (parked)',
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
      name: 'photoz_uma_outbox_oldest_age_seconds',
      help: 'Age of the oldest pending outbox event (0: none pending)',
      labelNames: [],
      read: async () => [
        { labels: {}, value: (await this.outbox.backlog()).oldestPendingAgeSeconds ?? 0 },
      ],
    });
  }
}
