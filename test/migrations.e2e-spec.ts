import pg from 'pg';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { afterAll, describe, expect, it } from 'vitest';
import { runMigrations, UnknownMigrationsError } from '@app/common';
import { TEST_DATABASE_URL } from './setup/test-env.ts';

const SCHEMA = 'migration_probe';

class CreateProbe1700000000000 implements MigrationInterface {
  name = 'CreateProbe1700000000000';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('CREATE TABLE probe (id int PRIMARY KEY)');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('DROP TABLE probe');
  }
}

class AddProbeName1700000000001 implements MigrationInterface {
  name = 'AddProbeName1700000000001';
  async up(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE probe ADD COLUMN name text');
  }
  async down(runner: QueryRunner): Promise<void> {
    await runner.query('ALTER TABLE probe DROP COLUMN name');
  }
}

async function dropSchema(): Promise<void> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
  } finally {
    await client.end();
  }
}

describe('migrations', () => {
  const target = { url: TEST_DATABASE_URL, schema: SCHEMA, applicationName: 'migration-probe' };
  afterAll(dropSchema);

  it('runs what is pending, and refuses a schema made by migrations this code does not list', async () => {
    await dropSchema();
    expect(
      await runMigrations(target, [CreateProbe1700000000000, AddProbeName1700000000001]),
    ).toEqual(['CreateProbe1700000000000', 'AddProbeName1700000000001']);
    expect(
      await runMigrations(target, [CreateProbe1700000000000, AddProbeName1700000000001]),
    ).toEqual([]);

    // A version whose migrations were folded into another initial one meets the older schema.
    const refused = runMigrations(target, [CreateProbe1700000000000]);
    await expect(refused).rejects.toBeInstanceOf(UnknownMigrationsError);
    await expect(refused).rejects.toThrow(
      `schema ${SCHEMA} was migrated by another version of Photoz (unknown migrations: AddProbeName1700000000001)`,
    );
  });
});
