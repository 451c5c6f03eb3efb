/** Health metric samples (HealthSamplesRepo) on SQLite. */
import type Database from 'better-sqlite3';
import type { HealthSample, HealthSamplesRepo } from '../work.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime } from './states.ts';

const q = namedQueries('health-samples.sql');

export class SqliteHealthSamples implements HealthSamplesRepo {
  constructor(private readonly db: Database.Database) {}

  async add(samples: HealthSample[]): Promise<void> {
    const insert = prepared(this.db, q.insert);
    const all = this.db.transaction((list: HealthSample[]) => {
      for (const s of list) {
        if (!Number.isFinite(s.value)) continue; // NaN / Infinity: no sample rather than a lie
        insert.run({ at: isoTime(s.at, 'at'), metric: s.metric, scope: s.scope ?? '', value: s.value });
      }
    });
    // Inside a work transaction better-sqlite3 nests this as a savepoint.
    all(samples);
  }

  async list(filter: { since: string; until?: string; metric?: string; scope?: string; limit?: number }): Promise<HealthSample[]> {
    return prepared(this.db, q.list).all({
      since: isoTime(filter.since, 'since'),
      until: filter.until ? isoTime(filter.until, 'until') : null,
      metric: filter.metric ?? null,
      scope: filter.scope ?? null,
      limit: filter.limit ?? 100_000,
    }) as HealthSample[];
  }

  async purgeBefore(before: string): Promise<number> {
    return prepared(this.db, q.purgeBefore).run(isoTime(before, 'before')).changes;
  }
}
