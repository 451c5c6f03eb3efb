/**
 * The outbox (JobsRepo), one implementation for every backend. Every method runs inside the
 * caller's transaction (the store opens one per call outside `transaction(fn)`), so a claim's
 * choose-and-lease is atomic: on SQLite the BEGIN IMMEDIATE write lock keeps any other
 * connection from choosing the same rows; on PostgreSQL the claim's inner SELECT locks the rows
 * it chooses and skips those another instance holds (FOR UPDATE SKIP LOCKED, postgres/sql/jobs.sql).
 */
import { isoTime, oneOf } from '../states.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import { JOB_KINDS, JOB_STATES, type JobKind, type JobRecord, type JobsRepo, type JobState, type NewJob } from '../work.ts';

interface JobRow {
  id: number;
  kind: string;
  key: string;
  seller: string | null;
  partner: string | null;
  payload: string;
  state: string;
  attempts: number;
  next_attempt_at: string;
  lease_owner: string | null;
  lease_until: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  done_at: string | null;
}

function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind as JobKind,
    key: r.key,
    seller: r.seller,
    partner: r.partner,
    payload: JSON.parse(r.payload) as Record<string, unknown>,
    state: r.state as JobState,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    leaseOwner: r.lease_owner,
    leaseUntil: r.lease_until,
    lastError: r.last_error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    doneAt: r.done_at,
  };
}

export class SqlJobs implements JobsRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'jobs.sql');
  }

  /** Insert-or-keep, then read: under concurrency the second enqueuer gets the first one's row. */
  async enqueue(job: NewJob, now: string): Promise<{ job: JobRecord; created: boolean }> {
    const at = isoTime(now, 'now');
    const inserted = await this.sql.get<JobRow>(this.q.insert, {
      kind: oneOf(JOB_KINDS, job.kind, 'job kind'),
      key: job.key,
      seller: job.seller ?? null,
      partner: job.partner ?? null,
      payload: JSON.stringify(job.payload),
      notBefore: job.notBefore ? isoTime(job.notBefore, 'notBefore') : at,
      now: at,
    });
    if (inserted) return { job: toJob(inserted), created: true };
    return { job: toJob((await this.sql.get<JobRow>(this.q.byKey, job.key))!), created: false };
  }

  async claim(options: { owner: string; now: string; leaseMs: number; limit: number; kinds?: JobKind[] }): Promise<JobRecord[]> {
    if (options.limit <= 0) return [];
    const now = isoTime(options.now, 'now');
    const kinds = options.kinds ? JSON.stringify(options.kinds.map((k) => oneOf(JOB_KINDS, k, 'job kind'))) : null;
    const rows = await this.sql.all<JobRow>(this.q.claim, {
      owner: options.owner,
      now,
      leaseUntil: new Date(Date.parse(now) + options.leaseMs).toISOString(),
      kinds,
      limit: options.limit,
    });
    // RETURNING gives no order: oldest first, as chosen.
    return rows.map(toJob).sort((a, b) => (a.nextAttemptAt < b.nextAttemptAt ? -1 : a.nextAttemptAt > b.nextAttemptAt ? 1 : a.id - b.id));
  }

  /** A verdict is accepted (one row changed) only from the lease's owner. */
  private async verdict(query: string, params: Record<string, unknown>): Promise<boolean> {
    return (await this.sql.run(query, params)).changes === 1;
  }

  async complete(id: number, owner: string, now: string): Promise<boolean> {
    return this.verdict(this.q.complete, { id, owner, now: isoTime(now, 'now') });
  }

  async retry(id: number, owner: string, error: string, nextAttemptAt: string, now: string): Promise<boolean> {
    return this.verdict(this.q.retry, { id, owner, error, nextAttemptAt: isoTime(nextAttemptAt, 'nextAttemptAt'), now: isoTime(now, 'now') });
  }

  async fail(id: number, owner: string, error: string, now: string): Promise<boolean> {
    return this.verdict(this.q.fail, { id, owner, error, now: isoTime(now, 'now') });
  }

  async release(id: number, owner: string, now: string): Promise<boolean> {
    return this.verdict(this.q.release, { id, owner, now: isoTime(now, 'now') });
  }

  async leaseOwners(now: string): Promise<string[]> {
    return (await this.sql.all<{ owner: string }>(this.q.leaseOwners, { now: isoTime(now, 'now') })).map((r) => r.owner);
  }

  async releaseOwner(owner: string, now: string): Promise<number> {
    return (await this.sql.run(this.q.releaseOwner, { owner, now: isoTime(now, 'now') })).changes;
  }

  async extendLease(id: number, owner: string, leaseUntil: string): Promise<boolean> {
    return this.verdict(this.q.extendLease, { id, owner, leaseUntil: isoTime(leaseUntil, 'leaseUntil') });
  }

  async get(id: number): Promise<JobRecord | null> {
    const r = await this.sql.get<JobRow>(this.q.byId, id);
    return r ? toJob(r) : null;
  }

  async byKey(key: string): Promise<JobRecord | null> {
    const r = await this.sql.get<JobRow>(this.q.byKey, key);
    return r ? toJob(r) : null;
  }

  async list(filter: { kind?: JobKind; state?: JobState; seller?: string; partner?: string; limit?: number }): Promise<JobRecord[]> {
    const rows = await this.sql.all<JobRow>(this.q.list, {
      kind: filter.kind ? oneOf(JOB_KINDS, filter.kind, 'job kind') : null,
      state: filter.state ? oneOf(JOB_STATES, filter.state, 'job state') : null,
      seller: filter.seller ?? null,
      partner: filter.partner ?? null,
      limit: filter.limit ?? 1000,
    });
    return rows.map(toJob);
  }

  async readyCount(now: string): Promise<number> {
    return (await this.sql.get<{ n: number }>(this.q.readyCount, { now: isoTime(now, 'now') }))!.n;
  }

  async nextReadyAt(): Promise<string | null> {
    return (await this.sql.get<{ at: string | null }>(this.q.nextReadyAt))!.at;
  }

  async revive(id: number, now: string): Promise<boolean> {
    return (await this.sql.run(this.q.revive, { id, now: isoTime(now, 'now') })).changes === 1;
  }

  /** Retention: done jobs completed before `cutoff` (dead ones stay: they wait for a person). */
  async deleteDoneBefore(cutoff: string, dryRun: boolean): Promise<number> {
    if (dryRun) return (await this.sql.get<{ n: number }>(this.q.countDoneBefore, cutoff))!.n;
    return (await this.sql.run(this.q.deleteDoneBefore, cutoff)).changes;
  }
}
