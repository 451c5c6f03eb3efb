/** Named watermarks (CursorsRepo) on SQLite. */
import type Database from 'better-sqlite3';
import type { CursorsRepo } from '../work.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime } from './states.ts';

const q = namedQueries('cursors.sql');

export class SqliteCursors implements CursorsRepo {
  constructor(private readonly db: Database.Database) {}

  async get(name: string): Promise<string | null> {
    const r = prepared(this.db, q.get).get(name) as { value: string } | undefined;
    return r ? r.value : null;
  }

  async set(name: string, value: string, now: string): Promise<void> {
    prepared(this.db, q.set).run({ name, value, now: isoTime(now, 'now') });
  }

  async list(prefix: string): Promise<Array<{ name: string; value: string; updatedAt: string }>> {
    const rows = prepared(this.db, q.list).all({ prefix }) as Array<{ name: string; value: string; updated_at: string }>;
    return rows.map((r) => ({ name: r.name, value: r.value, updatedAt: r.updated_at }));
  }
}
