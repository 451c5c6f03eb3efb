/**
 * The outbox worker: takes jobs whose time has come (a lease in the store, so a crashed
 * worker's jobs are taken again once its lease runs out, and several instances can share one
 * store), runs each with the handler of its kind, and settles it: done; retried later with
 * backoff; dead with an exception (a PermanentError, or attempts used up).
 *
 * It runs continuously (`start`), woken by `wake()` when a flow enqueued work and otherwise
 * sleeping until the next job is ready (at most `idleMs`, for work another process enqueued);
 * `drain()` runs what is ready until nothing is (for `--once` and tests). `stop()` takes no new
 * work and finishes the jobs in hand, releasing those still running when the grace time ends.
 */
import { PermanentError, type GatewayContext, type JobHandlers } from '../flows/context.ts';
import type { ExceptionKind, JobKind, JobRecord } from '../store/work.ts';
import { backoffDelay, JOB_BACKOFF, type BackoffPolicy } from '../retry/backoff.ts';

export interface WorkerOptions {
  handlers: JobHandlers;
  /** Jobs run at once. Default 4. */
  concurrency?: number;
  /** Attempts before a job is dead. Default 10. */
  maxAttempts?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Longest sleep with nothing ready (work another instance or the CLI enqueued is found by then). Default 5000. */
  idleMs?: number;
  /** Real-time timers for sleeping and lease renewal (the store's times come from ctx.clock). */
  timers?: { setTimeout: typeof setTimeout; clearTimeout: typeof clearTimeout; setInterval: typeof setInterval; clearInterval: typeof clearInterval };
}

export type JobOutcome = 'done' | 'retry' | 'dead' | 'released' | 'lost';

export interface JobResult {
  id: number;
  kind: JobKind;
  key: string;
  outcome: JobOutcome;
  error?: string;
}

/** The exception a dead job of each kind raises when its error names none. */
const DEAD_JOB_EXCEPTION: Record<JobKind, ExceptionKind> = {
  'deliver-file': 'delivery-failed',
  'confirm-package': 'amazon-refused',
  'publish-quantity': 'amazon-refused',
  'publish-feed': 'feed-error',
  'deliver-alert': 'alert-failed',
  'fba-tracking': 'amazon-refused',
};

export class OutboxWorker {
  private readonly concurrency: number;
  private readonly maxAttempts: number;
  private readonly backoff: BackoffPolicy;
  private readonly random: () => number;
  private readonly idleMs: number;
  private readonly timers: NonNullable<WorkerOptions['timers']>;
  private stopping = false;
  private loops: Promise<void>[] = [];
  private wakeUp: (() => void) | null = null;
  private sleepTimer: ReturnType<typeof setTimeout> | null = null;
  /** Jobs being run now, with whether their handler has finished. */
  private readonly inHand = new Map<number, JobRecord>();
  /** Everything settled since the worker was made (drain reports from it). */
  readonly results: JobResult[] = [];

  constructor(
    private readonly ctx: GatewayContext,
    private readonly options: WorkerOptions,
  ) {
    this.concurrency = options.concurrency ?? 4;
    this.maxAttempts = options.maxAttempts ?? 10;
    this.backoff = options.backoff ?? JOB_BACKOFF;
    this.random = options.random ?? Math.random;
    this.idleMs = options.idleMs ?? 5000;
    this.timers = options.timers ?? { setTimeout, clearTimeout, setInterval, clearInterval };
  }

  /** Run continuously until stop(). */
  start(): void {
    if (this.loops.length) return;
    this.stopping = false;
    for (let i = 0; i < this.concurrency; i++) this.loops.push(this.loop(i));
  }

  /** New work was enqueued (or may have become ready): look now instead of at the next timer. */
  wake(): void {
    const w = this.wakeUp;
    this.wakeUp = null;
    if (this.sleepTimer) this.timers.clearTimeout(this.sleepTimer);
    this.sleepTimer = null;
    w?.();
  }

  /**
   * Stop taking work; wait for the jobs in hand up to `graceMs`, then give back (release) the
   * ones still running so another worker takes them at once instead of after their lease.
   */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    this.wake();
    const all = Promise.all(this.loops);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([all.then(() => false), new Promise<boolean>((r) => (timer = this.timers.setTimeout(() => r(true), graceMs)))]);
    if (timer) this.timers.clearTimeout(timer);
    if (timedOut) {
      for (const job of [...this.inHand.values()]) {
        const released = await this.ctx.store.work.jobs.release(job.id, this.ctx.instanceId, this.now()).catch(() => false);
        this.ctx.log.warn({ event: 'job-released', job: job.id, kind: job.kind, key: job.key, released }, 'shutdown: job still running at the end of the grace time, given back');
        this.results.push({ id: job.id, kind: job.kind, key: job.key, outcome: 'released' });
        this.inHand.delete(job.id);
      }
    }
    this.loops = [];
  }

  /**
   * Run every job that is ready, and those that become ready while it runs (enqueued by the
   * jobs themselves), until none is. Returns what was settled during this drain.
   */
  async drain(): Promise<JobResult[]> {
    const from = this.results.length;
    for (;;) {
      if (this.stopping) break;
      const jobs = await this.ctx.store.work.jobs.claim({ owner: this.ctx.instanceId, now: this.now(), leaseMs: this.ctx.settings.leaseMs, limit: this.concurrency });
      if (jobs.length === 0) break;
      await Promise.all(jobs.map((j) => this.run(j)));
    }
    return this.results.slice(from);
  }

  private now(): string {
    return this.ctx.clock.now().toISOString();
  }

  private async loop(n: number): Promise<void> {
    while (!this.stopping) {
      let job: JobRecord | undefined;
      try {
        [job] = await this.ctx.store.work.jobs.claim({ owner: this.ctx.instanceId, now: this.now(), leaseMs: this.ctx.settings.leaseMs, limit: 1 });
      } catch (e) {
        // The store is busy or gone for a moment: try again after a while, never crash the loop.
        this.ctx.log.error({ event: 'claim-failed', worker: n, err: (e as Error).message }, 'could not claim outbox jobs');
      }
      if (job) {
        // Taken after stop() was called between the check and the claim: give it straight back.
        if (this.stopping) {
          await this.ctx.store.work.jobs.release(job.id, this.ctx.instanceId, this.now()).catch(() => false);
          break;
        }
        await this.run(job);
        continue;
      }
      await this.sleepUntilReady();
    }
  }

  /** Sleep until woken, until the next job is ready, or idleMs, whichever comes first. */
  private async sleepUntilReady(): Promise<void> {
    let ms = this.idleMs;
    try {
      const next = await this.ctx.store.work.jobs.nextReadyAt();
      if (next) ms = Math.max(10, Math.min(ms, Date.parse(next) - this.ctx.clock.now().getTime()));
    } catch {
      // Sleep the idle time and look again.
    }
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const previous = this.wakeUp;
      this.wakeUp = () => {
        previous?.();
        resolve();
      };
      if (!this.sleepTimer) this.sleepTimer = this.timers.setTimeout(() => this.wake(), ms);
    });
  }

  /** Run one claimed job and settle it. Never throws. */
  private async run(job: JobRecord): Promise<void> {
    const { store, log, instanceId: owner } = this.ctx;
    const jobs = store.work.jobs;
    this.inHand.set(job.id, job);
    const fields = { job: job.id, kind: job.kind, key: job.key, attempt: job.attempts, seller: job.seller ?? undefined, partner: job.partner ?? undefined };
    // A long job keeps its lease: renewed at a third of its length, so one missed renewal does not lose it.
    const renew = this.timers.setInterval(
      () => {
        const until = new Date(this.ctx.clock.now().getTime() + this.ctx.settings.leaseMs).toISOString();
        jobs.extendLease(job.id, owner, until).then(
          (held) => {
            if (!held) log.warn({ event: 'lease-lost', ...fields }, 'lease lost while the job runs: another worker may take it');
          },
          (e: Error) => log.error({ event: 'lease-renew-failed', ...fields, err: e.message }, 'could not extend the lease'),
        );
      },
      Math.max(1000, Math.floor(this.ctx.settings.leaseMs / 3)),
    );
    const settle = (outcome: JobOutcome, error?: string) => {
      if (!this.inHand.has(job.id)) return; // released by stop() meanwhile
      this.inHand.delete(job.id);
      this.results.push({ id: job.id, kind: job.kind, key: job.key, outcome, error });
    };
    try {
      const handler = this.options.handlers[job.kind];
      if (!handler) throw new PermanentError(`no handler for outbox jobs of kind ${job.kind} in this version of Dockgate`);
      await handler(job, this.ctx);
      const held = await jobs.complete(job.id, owner, this.now());
      if (held) log.info({ event: 'job-done', ...fields }, `${job.kind} done`);
      else log.warn({ event: 'lease-lost', ...fields }, `${job.kind} finished after its lease was lost`);
      settle(held ? 'done' : 'lost');
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      try {
        if (e instanceof PermanentError || job.attempts >= this.maxAttempts) {
          const held = await this.deadJob(job, e, message);
          settle(held ? 'dead' : 'lost', message);
        } else {
          const delay = backoffDelay(job.attempts, this.backoff, this.random);
          const next = new Date(this.ctx.clock.now().getTime() + delay).toISOString();
          const held = await jobs.retry(job.id, owner, message, next, this.now());
          log.warn({ event: 'job-retry', ...fields, err: message, nextAttemptAt: next }, `${job.kind} failed, retried at ${next}`);
          settle(held ? 'retry' : 'lost', message);
        }
      } catch (settleError) {
        // The store refused the settlement: the lease runs out and the job is taken again.
        log.error({ event: 'job-settle-failed', ...fields, err: (settleError as Error).message }, 'could not record the outcome of a job');
        settle('lost', message);
      }
    } finally {
      this.timers.clearInterval(renew);
    }
  }

  /** Fail the job and raise its exception in one transaction; false when the lease was lost. */
  private async deadJob(job: JobRecord, e: unknown, message: string): Promise<boolean> {
    const named = e instanceof PermanentError ? e.exception : undefined;
    const now = this.now();
    const held = await this.ctx.store.transaction(async (w) => {
      if (!(await w.jobs.fail(job.id, this.ctx.instanceId, message, now))) return false;
      await w.exceptions.raise({
        kind: named?.kind ?? DEAD_JOB_EXCEPTION[job.kind],
        severity: 'error',
        seller: named?.seller ?? job.seller ?? undefined,
        partner: named?.partner ?? job.partner ?? undefined,
        key: named?.key ?? job.key,
        message: e instanceof PermanentError ? message : `${job.kind} failed ${job.attempts} times, given up: ${message}`,
        context: { details: { job: job.id, kind: job.kind, key: job.key, attempts: job.attempts } },
        ref: job.key,
        now,
      });
      return true;
    });
    this.ctx.log.error({ event: 'job-dead', job: job.id, kind: job.kind, key: job.key, attempts: job.attempts, err: message }, `${job.kind} dead: ${message}`);
    return held;
  }
}
