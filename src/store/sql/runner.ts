/**
 * What the work repositories (src/store/repos) need from a database: one statement at a time,
 * on the connection of the transaction they run in. The SQLite store hands them a runner over
 * its better-sqlite3 connection, the PostgreSQL store one over the pooled client holding the
 * transaction; the repositories' code is the same for both, only their SQL text differs where
 * the dialects do (src/store/sql/queries.ts).
 *
 * Parameters are named (`@name`, an object) or positional (`?`, an array or one value), as
 * better-sqlite3 takes them; the PostgreSQL runner numbers them ($1, $2, ...). Values are
 * strings, numbers (integers for flags: 0 / 1) and null. Integers come back as numbers on both.
 */
export type SqlParams = Record<string, unknown> | readonly unknown[] | string | number | null;

export type Dialect = 'sqlite' | 'postgres';

export interface SqlRunner {
  readonly dialect: Dialect;
  /** The first row, or undefined. */
  get<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T | undefined>;
  all<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T[]>;
  /** Rows changed (inserted, updated, deleted). */
  run(sql: string, params?: SqlParams): Promise<{ changes: number }>;
}

/** `LIMIT @limit` for "all rows" on both dialects (SQLite takes -1 for that, PostgreSQL refuses a negative limit). */
export const NO_LIMIT = Number.MAX_SAFE_INTEGER;
