import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { PERMISSION_SERVICE_SCHEMA } from '../database/schema.ts';

const TABLE = `${PERMISSION_SERVICE_SCHEMA}.notification_settings`;

/** The only code touching `notification_settings`: each person's choice of email (default on). */
@Injectable()
export class NotificationSettingsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async emailEnabled(subject: string): Promise<boolean> {
    const [row] = (await this.dataSource.query(`SELECT email FROM ${TABLE} WHERE subject = $1`, [
      subject,
    ])) as { email: boolean }[];
    return row?.email ?? true;
  }

  async setEmail(subject: string, email: boolean): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO ${TABLE} (subject, email) VALUES ($1, $2)
       ON CONFLICT (subject) DO UPDATE SET email = EXCLUDED.email, updated_at = now()`,
      [subject, email],
    );
  }
}
