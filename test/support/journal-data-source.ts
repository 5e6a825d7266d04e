import type { DataSource, EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

/**
 * A unit-test stand-in for a TypeORM data source whose transactions only write down, in `journal`,
 * how they ended (`commit` or `rollback`), so a spec can check what happened before and after.
 * As TypeORM does, a transaction hands its work a manager whose `queryRunner` is in a transaction
 * until the work has returned, and tells the data source's subscribers once it has ended.
 * `dataSource.manager` is the manager outside any transaction.
 */
export function journalDataSource(journal: string[]): {
  dataSource: DataSource;
  manager: EntityManager;
} {
  const subscribers: EntitySubscriberInterface[] = [];
  const runner = { isTransactionActive: false, data: {} } as QueryRunner;
  const manager = { queryRunner: runner } as unknown as EntityManager;
  const dataSource = {
    subscribers,
    manager: {} as EntityManager,
    transaction: async <T>(work: (manager: EntityManager) => Promise<T>): Promise<T> => {
      Object.assign(runner, { isTransactionActive: true, data: {} });
      const event = { queryRunner: runner } as Parameters<
        NonNullable<EntitySubscriberInterface['afterTransactionCommit']>
      >[0];
      try {
        const result = await work(manager);
        Object.assign(runner, { isTransactionActive: false });
        journal.push('commit');
        for (const subscriber of subscribers) {
          await subscriber.afterTransactionCommit?.(event);
        }
        return result;
      } catch (error) {
        Object.assign(runner, { isTransactionActive: false });
        journal.push('rollback');
        for (const subscriber of subscribers) {
          await subscriber.afterTransactionRollback?.(event);
        }
        throw error;
      }
    },
  } as unknown as DataSource;
  return { dataSource, manager };
}
