/**
 * Leases on named scheduled jobs (LocksRepo), one implementation for every backend: a job never
 * overlaps itself, across processes or gateway instances sharing the store, and a holder that
 * died loses its lock when the lease runs out. Taking a lock is one upsert whose WHERE decides:
 * of two instances asking at once, the second waits on the first one's row and then finds it held.
 */
import { isoTime } from '../states.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import type { LocksRepo } from '../work.ts';

export class SqlLocks implements LocksRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'locks.sql');
  }

  /** Free, expired, or already ours (the lease is extended): true; held by another: false. */
  async acquire(name: string, owner: string, now: string, leaseMs: number): Promise<boolean> {
    const at = isoTime(now, 'now');
    const leaseUntil = new Date(Date.parse(at) + leaseMs).toISOString();
    return (await this.sql.run(this.q.acquire, { name, owner, now: at, leaseUntil })).changes === 1;
  }

  /** Only the holder releases; releasing a lock someone else took over changes nothing. */
  async release(name: string, owner: string): Promise<void> {
    await this.sql.run(this.q.release, { name, owner });
  }

  async owners(now: string): Promise<string[]> {
    return (await this.sql.all<{ owner: string }>(this.q.owners, { now: isoTime(now, 'now') })).map((r) => r.owner);
  }

  async releaseOwner(owner: string): Promise<number> {
    return (await this.sql.run(this.q.releaseOwner, { owner })).changes;
  }
}
