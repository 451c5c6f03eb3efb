/**
 * The outbox (JobsRepo) on SQLite. Every method runs inside the caller's transaction (the store
 * opens one per call outside `transaction(fn)`), so a claim's choose-and-lease is atomic: the
 * BEGIN IMMEDIATE write lock keeps any other connection from choosing the same rows.
 */
import type Database from 'better-sqlite3';
import { JOB_KINDS, JOB_STATES, type JobKind, type JobRecord, type JobsRepo, type JobState, type NewJob } from '../work.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime, oneOf } from './states.ts';

const q = namedQueries('jobs.sql');

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

export class SqliteJobs implements JobsRepo {
  constructor(private readonly db: Database.Database) {}

  async enqueue(job: NewJob, now: string): Promise<{ job: JobRecord; created: boolean }> {
    const at = isoTime(now, 'now');
    const inserted = prepared(this.db, q.insert).get({
      kind: oneOf(JOB_KINDS, job.kind, 'job kind'),
      key: job.key,
      seller: job.seller ?? null,
      partner: job.partner ?? null,
      payload: JSON.stringify(job.payload),
      notBefore: job.notBefore ? isoTime(job.notBefore, 'notBefore') : at,
      now: at,
    }) as JobRow | undefined;
    if (inserted) return { job: toJob(inserted), created: true };
    return { job: toJob(prepared(this.db, q.byKey).get(job.key) as JobRow), created: false };
  }

  async claim(options: { owner: string; now: string; leaseMs: number; limit: number; kinds?: JobKind[] }): Promise<JobRecord[]> {
    if (options.limit <= 0) return [];
    const now = isoTime(options.now, 'now');
    const kinds = options.kinds ? JSON.stringify(options.kinds.map((k) => oneOf(JOB_KINDS, k, 'job kind'))) : null;
    const rows = prepared(this.db, q.claim).all({
      owner: options.owner,
      now,
      leaseUntil: new Date(Date.parse(now) + options.leaseMs).toISOString(),
      kinds,
      limit: options.limit,
    }) as JobRow[];
    // RETURNING gives no order: oldest first, as chosen.
    return rows.map(toJob).sort((a, b) => (a.nextAttemptAt < b.nextAttemptAt ? -1 : a.nextAttemptAt > b.nextAttemptAt ? 1 : a.id - b.id));
  }

  async complete(id: number, owner: string, now: string): Promise<boolean> {
    return prepared(this.db, q.complete).run({ id, owner, now: isoTime(now, 'now') }).changes === 1;
  }

  async retry(id: number, owner: string, error: string, nextAttemptAt: string, now: string): Promise<boolean> {
    return prepared(this.db, q.retry).run({ id, owner, error, nextAttemptAt: isoTime(nextAttemptAt, 'nextAttemptAt'), now: isoTime(now, 'now') }).changes === 1;
  }

  async fail(id: number, owner: string, error: string, now: string): Promise<boolean> {
    return prepared(this.db, q.fail).run({ id, owner, error, now: isoTime(now, 'now') }).changes === 1;
  }

  async release(id: number, owner: string, now: string): Promise<boolean> {
    return prepared(this.db, q.release).run({ id, owner, now: isoTime(now, 'now') }).changes === 1;
  }

  async leaseOwners(now: string): Promise<string[]> {
    return (prepared(this.db, q.leaseOwners).all({ now: isoTime(now, 'now') }) as Array<{ owner: string }>).map((r) => r.owner);
  }

  async releaseOwner(owner: string, now: string): Promise<number> {
    return prepared(this.db, q.releaseOwner).run({ owner, now: isoTime(now, 'now') }).changes;
  }

  async extendLease(id: number, owner: string, leaseUntil: string): Promise<boolean> {
    return prepared(this.db, q.extendLease).run({ id, owner, leaseUntil: isoTime(leaseUntil, 'leaseUntil') }).changes === 1;
  }

  async get(id: number): Promise<JobRecord | null> {
    const r = prepared(this.db, q.byId).get(id) as JobRow | undefined;
    return r ? toJob(r) : null;
  }

  async byKey(key: string): Promise<JobRecord | null> {
    const r = prepared(this.db, q.byKey).get(key) as JobRow | undefined;
    return r ? toJob(r) : null;
  }

  async list(filter: { kind?: JobKind; state?: JobState; seller?: string; partner?: string; limit?: number }): Promise<JobRecord[]> {
    const rows = prepared(this.db, q.list).all({
      kind: filter.kind ? oneOf(JOB_KINDS, filter.kind, 'job kind') : null,
      state: filter.state ? oneOf(JOB_STATES, filter.state, 'job state') : null,
      seller: filter.seller ?? null,
      partner: filter.partner ?? null,
      limit: filter.limit ?? 1000,
    }) as JobRow[];
    return rows.map(toJob);
  }

  async readyCount(now: string): Promise<number> {
    return (prepared(this.db, q.readyCount).get({ now: isoTime(now, 'now') }) as { n: number }).n;
  }

  async nextReadyAt(): Promise<string | null> {
    return (prepared(this.db, q.nextReadyAt).get() as { at: string | null }).at;
  }

  async revive(id: number, now: string): Promise<boolean> {
    return prepared(this.db, q.revive).run({ id, now: isoTime(now, 'now') }).changes === 1;
  }

  /** Retention: done jobs completed before `cutoff` (dead ones stay: they wait for a person). */
  deleteDoneBefore(cutoff: string, dryRun: boolean): number {
    if (dryRun) return (prepared(this.db, q.countDoneBefore).get(cutoff) as { n: number }).n;
    return prepared(this.db, q.deleteDoneBefore).run(cutoff).changes;
  }
}
