/**
 * SP-API quota buckets in the store (QuotaRepo), one implementation for every backend, so that
 * every gateway instance on one store draws from the same bucket per seller and operation and
 * together they stay within Amazon's rate. A bucket is one row and taking a token one upsert
 * that refills and takes in the same statement (src/store/sqlite/sql/quota.sql): two instances
 * taking at once serialise on the row, neither can read a count the other is about to spend.
 */
import { StoreError } from '../errors.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import type { QuotaRepo } from '../work.ts';

function positive(value: number, what: string, key: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new StoreError(`quota ${key}: ${what} must be a positive number, got ${value}`, { key, [what]: value });
  return value;
}

/** `nowMs` read now: a function is called here, inside the store's transaction (see QuotaRepo.take). */
function instant(nowMs: number | (() => number), key: string): number {
  if (typeof nowMs === 'function') nowMs = nowMs();
  if (!Number.isFinite(nowMs)) throw new StoreError(`quota ${key}: now must be epoch milliseconds, got ${nowMs}`, { key, nowMs });
  return nowMs;
}

export class SqlQuota implements QuotaRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'quota.sql');
  }

  async take(key: string, rate: number, burst: number, nowMs: number | (() => number)): Promise<number> {
    const params = { key, rate: positive(rate, 'rate', key), burst: Math.max(1, positive(burst, 'burst', key)), now: instant(nowMs, key) };
    const row = await this.sql.get<{ wait_ms: number }>(this.q.take, params);
    // Float arithmetic may leave a hair above 0 where a token is exactly due: wait at least 1 ms.
    return row!.wait_ms > 0 ? Math.max(1, Math.ceil(row!.wait_ms)) : 0;
  }

  async drain(key: string, nowMs: number | (() => number)): Promise<void> {
    await this.sql.run(this.q.drain, { key, now: instant(nowMs, key) });
  }

  async setRate(key: string, rate: number, burst?: number): Promise<void> {
    await this.sql.run(this.q.setRate, { key, rate: positive(rate, 'rate', key), burst: burst === undefined ? null : Math.max(1, positive(burst, 'burst', key)) });
  }
}
