/** Named watermarks (CursorsRepo), one implementation for every backend. */
import { isoTime } from '../states.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import type { CursorsRepo } from '../work.ts';

export class SqlCursors implements CursorsRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'cursors.sql');
  }

  async get(name: string): Promise<string | null> {
    const r = await this.sql.get<{ value: string }>(this.q.get, name);
    return r ? r.value : null;
  }

  async set(name: string, value: string, now: string): Promise<void> {
    await this.sql.run(this.q.set, { name, value, now: isoTime(now, 'now') });
  }

  async list(prefix: string): Promise<Array<{ name: string; value: string; updatedAt: string }>> {
    const rows = await this.sql.all<{ name: string; value: string; updated_at: string }>(this.q.list, { prefix });
    return rows.map((r) => ({ name: r.name, value: r.value, updatedAt: r.updated_at }));
  }
}
