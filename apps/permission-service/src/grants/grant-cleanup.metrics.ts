import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { scrapedGauge } from '@app/observability';
import { GrantCleanupRepository } from './grant-cleanup.repository.ts';

/**
 * The clean-up backlog as Prometheus reads it, queried at each scrape:
 * `photoz_grant_cleanups{status="pending|parked"}` and `photoz_grant_cleanup_oldest_age_seconds`
 * (0 when none is pending). The attempts are counted by `photoz_grant_cleanups_total{result}`. A
 * parked clean-up needs an operator (docs/operations.md).
 */
@Injectable()
export class GrantCleanupMetrics implements OnApplicationBootstrap {
  constructor(private readonly cleanups: GrantCleanupRepository) {}

  onApplicationBootstrap(): void {
    scrapedGauge({
      name: 'photoz_grant_cleanups',
      help: 'Revocations whose Keycloak side waits for the clean-up relay (pending) or for an operator (parked)',
      labelNames: ['status'],
      read: async () => {
        const { pending, parked } = await this.cleanups.backlog();
        return [
          { labels: { status: 'pending' }, value: pending },
          { labels: { status: 'parked' }, value: parked },
        ];
      },
    });
    scrapedGauge({
      name: 'photoz_grant_cleanup_oldest_age_seconds',
      help: 'Age of the oldest pending clean-up (0: none pending)',
      labelNames: [],
      read: async () => [
        { labels: {}, value: (await this.cleanups.backlog()).oldestPendingAgeSeconds ?? 0 },
      ],
    });
  }
}
