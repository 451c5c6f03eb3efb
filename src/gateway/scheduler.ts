/**
 * The schedule as a source: each scheduled flow (a seller's order poll, a partner's file poll,
 * the checks) is a named task fired by node-cron or, where no cron expression gives the
 * interval exactly, by a plain timer. A task never overlaps itself: a tick that comes while the
 * previous run is still going is skipped, and the run takes the store's named lock so that a
 * second gateway instance on the same store does not run it at the same time. A task's failure
 * is logged and counted; it never stops the other tasks, and the next tick tries again.
 *
 * Each task's last run is kept (and written to the cursor task-run:<name>, so `dockgate serve`
 * over the same data directory shows it too), with the time of its next tick.
 */
import cron, { type ScheduledTask } from 'node-cron';
import type { FlowRunSummary, GatewayContext } from '../flows/context.ts';
import { CURSORS, type FlowTaskStatus } from '../server/api.ts';
import type { ScheduleSpec } from './config.ts';

/** How a schedule fires: a node-cron expression, or an interval timer. */
export type Trigger = { kind: 'cron'; expression: string } | { kind: 'interval'; ms: number };

/**
 * Every N seconds as a trigger. node-cron's step syntax restarts at each minute (hour, day):
 * `*\/N` fires at 0, N, 2N... and again at 0, so it is an even interval only when N divides
 * the field's range. Those intervals (N < 60 dividing 60; N whole minutes dividing an hour;
 * N whole hours dividing a day) become 6-field expressions (seconds first, node-cron 4);
 * any other N (90, 45 minutes, 7 hours...) an interval timer of exactly N seconds.
 */
export function triggerFor(spec: ScheduleSpec): Trigger {
  if ('cron' in spec) return { kind: 'cron', expression: spec.cron };
  const n = spec.seconds;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`a schedule of ${n} seconds: a whole number of seconds from 1 is needed`);
  if (n < 60 && 60 % n === 0) return { kind: 'cron', expression: n === 1 ? '* * * * * *' : `*/${n} * * * * *` };
  if (n % 60 === 0 && n < 3600 && 60 % (n / 60) === 0) return { kind: 'cron', expression: n === 60 ? '0 * * * * *' : `0 */${n / 60} * * * *` };
  if (n % 3600 === 0 && n <= 86_400 && 24 % (n / 3600) === 0) return { kind: 'cron', expression: n === 86_400 ? '0 0 0 * * *' : `0 0 */${n / 3600} * * *` };
  return { kind: 'interval', ms: n * 1000 };
}

export type TaskOutcome = 'ran' | 'skipped-overlap' | 'skipped-locked' | 'failed';

export interface TaskRun {
  task: string;
  outcome: TaskOutcome;
  summaries: FlowRunSummary[];
  /** Failures counted by the flows (FlowRunSummary.failed), plus 1 for a run that threw. */
  failed: number;
  error?: string;
  /** When the run began and ended (ctx.clock); absent for a tick skipped because the task was still running. */
  startedAt?: string;
  finishedAt?: string;
}

export type TaskLastRun = NonNullable<FlowTaskStatus['lastRun']>;

/** "every 60 s" or the cron expression, as the flows endpoint shows a schedule. */
export function describeSchedule(spec: ScheduleSpec): string {
  return 'cron' in spec ? spec.cron : `every ${spec.seconds} s`;
}

/** The summaries' counts added up by name. */
export function sumCounts(summaries: FlowRunSummary[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of summaries) for (const [k, v] of Object.entries(s.counts ?? {})) if (typeof v === 'number') counts[k] = (counts[k] ?? 0) + v;
  return counts;
}

export function lastRunOf(run: TaskRun): TaskLastRun | null {
  if (!run.startedAt || !run.finishedAt) return null;
  return { startedAt: run.startedAt, finishedAt: run.finishedAt, outcome: run.outcome, counts: sumCounts(run.summaries), failed: run.failed, ...(run.error ? { error: run.error } : {}) };
}

export interface TaskDefinition {
  /** Unique; also the store lock's name ("orders:acme", "files:reno-wms", "checks"). */
  name: string;
  schedule: ScheduleSpec;
  run: () => Promise<FlowRunSummary | FlowRunSummary[] | void>;
}

export interface SchedulerOptions {
  /**
   * The store lock's lease, renewed every third of it while a run lasts. Default 2 minutes (as
   * an outbox job's): when an instance on another machine dies, its tasks are taken over by
   * another instance within that (one of this host is taken over at once, see takeover.ts).
   */
  lockMs?: number;
  /** Told after every tick (the gateway wakes the worker when a flow enqueued work). */
  onRun?: (run: TaskRun) => void;
  timers?: { setInterval: typeof setInterval; clearInterval: typeof clearInterval };
}

interface Entry {
  def: TaskDefinition;
  running: Promise<TaskRun> | null;
  stopTrigger: (() => void) | null;
  lastRun: TaskLastRun | null;
  /** When the trigger fires next; null while the schedule is not started. */
  nextRun: (() => Date | null) | null;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly lockMs: number;
  private readonly timers: NonNullable<SchedulerOptions['timers']>;
  private started = false;

  constructor(
    private readonly ctx: GatewayContext,
    private readonly options: SchedulerOptions = {},
  ) {
    this.lockMs = options.lockMs ?? 2 * 60_000;
    this.timers = options.timers ?? { setInterval, clearInterval };
  }

  add(def: TaskDefinition): void {
    if (this.entries.has(def.name)) throw new Error(`scheduler: a task named ${def.name} is already added`);
    triggerFor(def.schedule); // refuse a bad schedule when added, not at the first tick
    this.entries.set(def.name, { def, running: null, stopTrigger: null, lastRun: null, nextRun: null });
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Each task's schedule, last run, next tick and whether it runs now, in the order added. */
  statuses(): FlowTaskStatus[] {
    return [...this.entries.keys()].map((n) => this.status(n)!);
  }

  status(name: string): FlowTaskStatus | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    let next: Date | null = null;
    try {
      next = e.nextRun?.() ?? null;
    } catch {
      next = null;
    }
    return { name, schedule: describeSchedule(e.def.schedule), lastRun: e.lastRun, nextRunAt: next ? next.toISOString() : null, running: e.running !== null };
  }

  /** Fire every task on its schedule (and once now, so a fresh start does not wait a whole interval). */
  start(options: { runNow?: boolean } = {}): void {
    if (this.started) return;
    this.started = true;
    for (const entry of this.entries.values()) {
      const fire = () => void this.tick(entry.def.name);
      const t = triggerFor(entry.def.schedule);
      if (t.kind === 'cron') {
        const task: ScheduledTask = cron.schedule(t.expression, fire, { name: entry.def.name, noOverlap: true, suppressMissedWarning: true });
        entry.stopTrigger = () => void task.destroy();
        entry.nextRun = () => task.getNextRun();
      } else {
        const h = this.timers.setInterval(fire, t.ms);
        entry.stopTrigger = () => this.timers.clearInterval(h);
        // The timer fires every t.ms from now (real time: the timer's own clock).
        const from = Date.now();
        entry.nextRun = () => new Date(from + (Math.floor((Date.now() - from) / t.ms) + 1) * t.ms);
      }
      this.ctx.log.info({ event: 'task-scheduled', task: entry.def.name, trigger: t }, `scheduled ${entry.def.name}`);
      if (options.runNow ?? true) fire();
    }
  }

  /** Stop firing; wait for the runs in progress (they stop at their next unit of work boundary on their own). */
  async stop(): Promise<void> {
    for (const entry of this.entries.values()) {
      entry.stopTrigger?.();
      entry.stopTrigger = null;
      entry.nextRun = null;
    }
    this.started = false;
    await Promise.all([...this.entries.values()].map((e) => e.running?.catch(() => undefined)));
  }

  /** Run every task once, one after the other in the order added (`--once`). */
  async runAll(): Promise<TaskRun[]> {
    const runs: TaskRun[] = [];
    for (const name of this.entries.keys()) runs.push(await this.tick(name));
    return runs;
  }

  /**
   * One tick of a task: skipped while its previous run is going (here, or in another instance
   * holding the lock); otherwise run, its failure caught, logged and counted.
   */
  tick(name: string): Promise<TaskRun> {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`scheduler: no task named ${name}`);
    if (entry.running) {
      this.ctx.log.debug({ event: 'task-skipped', task: name, reason: 'still running' }, `${name} skipped: the previous run is still going`);
      return Promise.resolve(this.told({ task: name, outcome: 'skipped-overlap', summaries: [], failed: 0 }));
    }
    const run = this.runGuarded(entry).finally(() => {
      entry.running = null;
    });
    entry.running = run;
    return run;
  }

  private told(run: TaskRun): TaskRun {
    try {
      this.options.onRun?.(run);
    } catch (e) {
      this.ctx.log.error({ event: 'task-listener-failed', task: run.task, err: (e as Error).message }, 'a task listener threw');
    }
    return run;
  }

  /** Keep the run as the task's last one and write it to its cursor (a failed write is logged: the run itself stands). */
  private async recorded(entry: Entry, run: TaskRun): Promise<TaskRun> {
    const last = lastRunOf(run);
    if (last) {
      entry.lastRun = last;
      try {
        await this.ctx.store.work.cursors.set(CURSORS.taskRun(run.task), JSON.stringify(last), last.finishedAt);
      } catch (e) {
        this.ctx.log.warn({ event: 'task-run-not-recorded', task: run.task, err: (e as Error).message }, `${run.task}: its last run could not be written to the store`);
      }
    }
    return this.told(run);
  }

  private async runGuarded(entry: Entry): Promise<TaskRun> {
    const { ctx } = this;
    const startedAt = ctx.clock.now().toISOString();
    const times = () => ({ startedAt, finishedAt: ctx.clock.now().toISOString() });
    const name = entry.def.name;
    const locks = ctx.store.work.locks;
    const lockName = `task:${name}`;
    let locked: boolean;
    try {
      locked = await locks.acquire(lockName, ctx.instanceId, ctx.clock.now().toISOString(), this.lockMs);
    } catch (e) {
      ctx.log.error({ event: 'task-failed', task: name, err: (e as Error).message }, `${name}: could not take its lock`);
      return this.recorded(entry, { task: name, outcome: 'failed', summaries: [], failed: 1, error: (e as Error).message, ...times() });
    }
    if (!locked) {
      ctx.log.debug({ event: 'task-skipped', task: name, reason: 'locked by another instance' }, `${name} skipped: another instance runs it`);
      return this.recorded(entry, { task: name, outcome: 'skipped-locked', summaries: [], failed: 0, ...times() });
    }
    // A run longer than the lock's lease renews it (acquire by the holder extends its lease).
    const renew = this.timers.setInterval(
      () => void locks.acquire(lockName, ctx.instanceId, ctx.clock.now().toISOString(), this.lockMs).catch(() => false),
      Math.max(1000, Math.floor(this.lockMs / 3)),
    );
    const started = ctx.clock.now().getTime();
    // With several instances on one store, these two lines show who ran what when (the multi-instance crash test reads them).
    ctx.log.debug({ event: 'task-started', task: name, instance: ctx.instanceId }, `${name} started`);
    let run: TaskRun;
    try {
      const out = await entry.def.run();
      const summaries = out === undefined ? [] : Array.isArray(out) ? out : [out];
      const failed = summaries.reduce((n, s) => n + s.failed, 0);
      ctx.log[failed ? 'warn' : 'debug']({ event: 'task-ran', task: name, instance: ctx.instanceId, ms: ctx.clock.now().getTime() - started, failed, summaries }, `${name} ran`);
      run = { task: name, outcome: 'ran', summaries, failed, ...times() };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      ctx.log.error({ event: 'task-failed', task: name, instance: ctx.instanceId, err: message }, `${name} failed: ${message}`);
      run = { task: name, outcome: 'failed', summaries: [], failed: 1, error: message, ...times() };
    } finally {
      this.timers.clearInterval(renew);
      await locks.release(lockName, ctx.instanceId).catch(() => undefined);
    }
    return this.recorded(entry, run);
  }
}
