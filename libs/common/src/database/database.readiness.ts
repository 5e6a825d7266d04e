import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import type { ReadinessCheck } from '../health/readiness.ts';

/** Readiness: the database answers a query. */
@Injectable()
export class DatabaseReadiness implements ReadinessCheck {
  readonly name = 'database';

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async isReady(): Promise<boolean> {
    await this.dataSource.query('SELECT 1');
    return true;
  }
}
