/** How many statements went through a wrapped `query` since the last `reset()`. */
export interface StatementCounter {
  readonly count: number;
  reset(): void;
}

/**
 * Counts the statements sent through `target.query` (a TypeORM DataSource, a pg Client or Pool);
 * each statement still runs as it is. For specs that assert how many round trips code makes.
 */
export function countStatements<T extends { query: (...args: never[]) => unknown }>(target: T): StatementCounter {
  const original = target.query.bind(target) as (...args: unknown[]) => unknown;
  let count = 0;
  target.query = ((...args: unknown[]) => {
    count++;
    return original(...args);
  }) as T['query'];
  return {
    get count() {
      return count;
    },
    reset() {
      count = 0;
    },
  };
}
