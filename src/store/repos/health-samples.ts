/** Health metric samples (HealthSamplesRepo), one implementation for every backend. */
import { isoTime } from '../states.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import type { HealthSample, HealthSamplesRepo } from '../work.ts';

export class SqlHealthSamples implements HealthSamplesRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'health-samples.sql');
  }

  /** All or none: the call runs in the caller's transaction. */
  async add(samples: HealthSample[]): Promise<void> {
    for (const s of samples) {
      if (!Number.isFinite(s.value)) continue; // NaN / Infinity: no sample rather than a lie
      await this.sql.run(this.q.insert, { at: isoTime(s.at, 'at'), metric: s.metric, scope: s.scope ?? '', value: s.value });
    }
  }

  async list(filter: { since: string; until?: string; metric?: string; scope?: string; limit?: number }): Promise<HealthSample[]> {
    return this.sql.all<HealthSample>(this.q.list, {
      since: isoTime(filter.since, 'since'),
      until: filter.until ? isoTime(filter.until, 'until') : null,
      metric: filter.metric ?? null,
      scope: filter.scope ?? null,
      limit: filter.limit ?? 100_000,
    });
  }

  async purgeBefore(before: string): Promise<number> {
    return (await this.sql.run(this.q.purgeBefore, isoTime(before, 'before'))).changes;
  }
}
