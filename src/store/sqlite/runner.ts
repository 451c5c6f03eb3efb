/** The SqlRunner over a better-sqlite3 connection: prepared statements kept per SQL text. */
import type Database from 'better-sqlite3';
import type { SqlParams, SqlRunner } from '../sql/runner.ts';
import { prepared } from './statements.ts';

function args(params: SqlParams | undefined): unknown[] {
  if (params === undefined) return [];
  return Array.isArray(params) ? [...params] : [params];
}

export class SqliteRunner implements SqlRunner {
  readonly dialect = 'sqlite' as const;
  constructor(private readonly db: Database.Database) {}

  async get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return prepared(this.db, sql).get(...args(params)) as T | undefined;
  }

  async all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return prepared(this.db, sql).all(...args(params)) as T[];
  }

  async run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    return { changes: prepared(this.db, sql).run(...args(params)).changes };
  }
}
