import type { DataSource, EntityManager } from 'typeorm';

/**
 * A unit-test stand-in for a TypeORM data source whose transactions only write down, in `journal`,
 * how they ended (`commit` or `rollback`), so a spec can check what happened before and after.
 */
export function journalDataSource(journal: string[]): {
  dataSource: DataSource;
  manager: EntityManager;
} {
  const manager = {} as EntityManager;
  const dataSource = {
    transaction: async <T>(work: (manager: EntityManager) => Promise<T>): Promise<T> => {
      try {
        const result = await work(manager);
        journal.push('commit');
        return result;
      } catch (error) {
        journal.push('rollback');
        throw error;
      }
    },
  } as unknown as DataSource;
  return { dataSource, manager };
}
