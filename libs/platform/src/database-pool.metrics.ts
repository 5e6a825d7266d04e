import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { scrapedGauge } from '@app/observability';
import { DataSource } from 'typeorm';
import { PostgresDriver } from 'typeorm/driver/postgres/PostgresDriver.js';

/** What node-postgres's pool tells about itself. */
interface PgPoolCounts {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

/** The data sources of the services this process runs (one in production; tests run several). */
const pools = new Set<DataSource>();

/** The pool's counts; `undefined` before the data source connected and after it closed. */
export function poolCounts(dataSource: DataSource): PgPoolCounts | undefined {
  if (!(dataSource.driver instanceof PostgresDriver)) {
    return undefined;
  }
  const pool = dataSource.driver.master as Partial<PgPoolCounts> | undefined;
  if (
    typeof pool?.totalCount !== 'number' ||
    typeof pool.idleCount !== 'number' ||
    typeof pool.waitingCount !== 'number'
  ) {
    return undefined;
  }
  return {
    totalCount: pool.totalCount,
    idleCount: pool.idleCount,
    waitingCount: pool.waitingCount,
  };
}

/** Registers the gauge (again: each service's boot replaces it with the same one, reading `pools`). */
function registerGauge(): void {
  scrapedGauge({
    name: 'photoz_db_pool_connections',
    help: "PostgreSQL pool connections of the service's data source: total (open), idle, and waiting (requests queued for a connection)",
    labelNames: ['state'],
    read: () => {
      let total = 0;
      let idle = 0;
      let waiting = 0;
      for (const dataSource of pools) {
        const counts = poolCounts(dataSource);
        total += counts?.totalCount ?? 0;
        idle += counts?.idleCount ?? 0;
        waiting += counts?.waitingCount ?? 0;
      }
      return Promise.resolve([
        { labels: { state: 'total' }, value: total },
        { labels: { state: 'idle' }, value: idle },
        { labels: { state: 'waiting' }, value: waiting },
      ]);
    },
  });
}

/**
 * Registers `photoz_db_pool_connections{state}` when the service boots: read from the TypeORM
 * data source's `pg` pool at every scrape, summed over the services of the process.
 */
@Injectable()
export class DatabasePoolMetrics implements OnApplicationBootstrap, OnModuleDestroy {
  constructor(private readonly dataSource: DataSource) {}

  onApplicationBootstrap(): void {
    pools.add(this.dataSource);
    registerGauge();
  }

  onModuleDestroy(): void {
    pools.delete(this.dataSource);
  }
}
