/**
 * Leases on named scheduled jobs (LocksRepo) on SQLite: a job never overlaps itself, across
 * processes sharing the store, and a holder that died loses its lock when the lease runs out.
 */
import type Database from 'better-sqlite3';
import type { LocksRepo } from '../work.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime } from './states.ts';

const q = namedQueries('locks.sql');

export class SqliteLocks implements LocksRepo {
  constructor(private readonly db: Database.Database) {}

  /** Free, expired, or already ours (the lease is extended): true; held by another: false. */
  async acquire(name: string, owner: string, now: string, leaseMs: number): Promise<boolean> {
    const at = isoTime(now, 'now');
    const leaseUntil = new Date(Date.parse(at) + leaseMs).toISOString();
    return prepared(this.db, q.acquire).run({ name, owner, now: at, leaseUntil }).changes === 1;
  }

  /** Only the holder releases; releasing a lock someone else took over changes nothing. */
  async release(name: string, owner: string): Promise<void> {
    prepared(this.db, q.release).run({ name, owner });
  }

  async owners(now: string): Promise<string[]> {
    return (prepared(this.db, q.owners).all({ now: isoTime(now, 'now') }) as Array<{ owner: string }>).map((r) => r.owner);
  }

  async releaseOwner(owner: string): Promise<number> {
    return prepared(this.db, q.releaseOwner).run({ owner }).changes;
  }
}
