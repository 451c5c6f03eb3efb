/**
 * The running gateway: the schedule (a task per seller's order poll, per partner's file poll
 * and not-picked-up check, the global checks, each seller's daily channel refresh) feeding the
 * flows, and the outbox worker taking the outside work they leave. One seller's or partner's
 * failure is an exception for it (seller-unavailable, partner-unavailable), tried again at the
 * next tick, while the others run.
 *
 * `runOnce()` is `dockgate start --once`: every flow once, then the jobs that are ready
 * (including the ones those runs produced), and a verdict.
 */
import { AmazonApiError, AmazonConfigError } from '../amazon/errors.ts';
import type { ExceptionRetries, FlowRunSummary, GatewayContext, JobHandlers } from '../flows/context.ts';
import type { MappingProblem, Mappings } from '../mapping/load.ts';
import { warehouseOf } from '../flows/orders-to-warehouse.ts';
import { taskFlow } from '../metrics/registry.ts';
import { recordPartnerConnection } from '../metrics/status-cursors.ts';
import type { ExceptionKind } from '../store/work.ts';
import { TransportError } from '../transport/transport.ts';
import { orderSchedule, partnerSchedule, type GatewayConfig } from './config.ts';
import { Scheduler, type TaskDefinition, type TaskRun } from './scheduler.ts';
import { OutboxWorker, type JobResult } from './worker.ts';

/** The flows the gateway runs (src/flows/index.ts gives the real ones). */
export interface FlowRegistry {
  pollOrders(ctx: GatewayContext, seller: string): Promise<FlowRunSummary>;
  pollPartnerFiles(ctx: GatewayContext, partner: string): Promise<FlowRunSummary>;
  checkNotPickedUp(ctx: GatewayContext, partner: string): Promise<FlowRunSummary>;
  checkOverdue(ctx: GatewayContext): Promise<FlowRunSummary>;
  checkLateOrders(ctx: GatewayContext): Promise<FlowRunSummary>;
  checkInventoryFreshness(ctx: GatewayContext): Promise<FlowRunSummary>;
  refreshChannels(ctx: GatewayContext, seller: string): Promise<void>;
  /** Fire and clear alerts (src/flows/alerts.ts); after the other checks, so it sees what they raised. */
  checkAlerts(ctx: GatewayContext): Promise<FlowRunSummary>;
  /** Write a sample of each health metric (src/flows/health-sampling.ts). */
  sampleHealth(ctx: GatewayContext): Promise<FlowRunSummary>;
  jobHandlers: JobHandlers;
  exceptionRetries: ExceptionRetries;
  /** Per-seller scheduled flows beyond the order poll (FBA inbound plans, removal reports, reconciliation): each the task `<name>:<seller>`. */
  sellerTasks: SellerTask[];
  /** Checks run in the `checks` task after the built-in ones, before alerts (so alerts see what they raised). */
  checks: CheckTask[];
}

/** A flow run per seller on its own schedule, as the task `<name>:<seller>` (one instance at a time, by its lock). */
export interface SellerTask {
  name: string;
  /** Seconds between runs, from the settings (read when the gateway starts). */
  everySeconds(ctx: GatewayContext): number;
  /** Run in a `--once` cycle too (false: a daily job that a cycle every few minutes would repeat; the demo and the CLI call it directly). */
  inOnce: boolean;
  run(ctx: GatewayContext, seller: string): Promise<FlowRunSummary>;
}

/** A gateway-wide check, run with the others in the `checks` task. */
export interface CheckTask {
  flow: string;
  run(ctx: GatewayContext): Promise<FlowRunSummary>;
}

export interface OnceResult {
  ok: boolean;
  runs: TaskRun[];
  jobs: JobResult[];
  /** Why it is not ok, one line each. */
  failures: string[];
}

/** Who the mapping problems of a load put out of action: the partners and sellers whose files (or the files they use) have problems. */
export function mappingProblemScope(mappings: Mappings, problems: MappingProblem[]): { partners: Set<string>; sellers: Set<string> } {
  const bad = new Set(problems.map((p) => p.file));
  const fileOf = (o: object) => mappings.files.get(o);
  const partners = new Set<string>();
  const sellers = new Set<string>();
  for (const s of mappings.sellers.values()) {
    const skus = mappings.skuTables.get(s.skus);
    if (bad.has(fileOf(s) ?? '') || (skus && bad.has(fileOf(skus) ?? ''))) sellers.add(s.id);
  }
  for (const p of mappings.partners.values()) {
    const used = [
      ...p.carriers.map((c) => mappings.carrierTables.get(c)),
      ...Object.values(p.documents).map((d) => (d?.layout ? mappings.layouts.get(d.layout) : undefined)),
    ].filter((x): x is NonNullable<typeof x> => x !== undefined);
    if (bad.has(fileOf(p) ?? '') || used.some((u) => bad.has(fileOf(u) ?? ''))) partners.add(p.id);
  }
  return { partners, sellers };
}

/** A seller we cannot reach at all (credentials, login, Amazon down or unreachable), as opposed to a flow's own failure. */
function sellerUnavailable(e: unknown): boolean {
  return e instanceof AmazonConfigError || (e instanceof AmazonApiError && (e.kind === 'auth' || e.retryable));
}

function partnerUnavailable(e: unknown): boolean {
  return e instanceof TransportError && (e.kind === 'network' || e.kind === 'auth' || e.kind === 'host-key' || e.kind === 'permission' || e.kind === 'not-found');
}

export interface GatewayOptions {
  sellers: string[];
  partners: string[];
  workers?: number;
  maxAttempts?: number;
  random?: () => number;
}

export class Gateway {
  readonly scheduler: Scheduler;
  readonly worker: OutboxWorker;
  private running = false;
  /** Seconds each task's last run took (read by onRun for the duration histogram). */
  private readonly runSeconds = new Map<string, number>();

  constructor(
    readonly ctx: GatewayContext,
    private readonly config: GatewayConfig,
    private readonly flows: FlowRegistry,
    private readonly options: GatewayOptions,
  ) {
    this.worker = new OutboxWorker(ctx, { handlers: flows.jobHandlers, concurrency: options.workers ?? config.workers, maxAttempts: options.maxAttempts ?? config.maxAttempts, random: options.random });
    this.scheduler = new Scheduler(ctx, {
      onRun: (run) => {
        const seconds = this.runSeconds.get(run.task);
        this.runSeconds.delete(run.task);
        ctx.metrics.run({ flow: taskFlow(run.task), outcome: run.outcome, seconds, summaries: run.summaries }, (seller) => this.warehouseOf(seller));
        // A flow that ran may have enqueued work: the worker looks now, not at its next timer.
        if (run.outcome === 'ran' && this.running) this.worker.wake();
      },
    });
    ctx.metrics.watchJobs(() => this.worker.results);
    this.addTasks();
  }

  /** A task, timed for dockgate_flow_run_duration_seconds (real time: the flows' clock may be a test's). */
  private addTask(def: TaskDefinition): void {
    this.scheduler.add({
      ...def,
      run: async () => {
        const started = performance.now();
        try {
          return await def.run();
        } finally {
          this.runSeconds.set(def.name, (performance.now() - started) / 1000);
        }
      },
    });
  }

  /** The partner a seller's orders go to (the messages counter's label). */
  private warehouseOf(seller: string): string | undefined {
    try {
      return warehouseOf(this.ctx.mappings, seller).id;
    } catch {
      return undefined;
    }
  }

  private addTasks(): void {
    const { ctx, flows, config } = this;
    const checks = config.schedules.checks;
    for (const seller of this.options.sellers) {
      this.addTask({ name: `orders:${seller}`, schedule: orderSchedule(config), run: () => this.forSeller(seller, 'orders', () => flows.pollOrders(ctx, seller)) });
    }
    for (const id of this.options.partners) {
      const partner = ctx.mappings.partners.get(id)!;
      this.addTask({ name: `files:${id}`, schedule: partnerSchedule(config, partner), run: () => this.forPartner(id, 'inbound', () => flows.pollPartnerFiles(ctx, id)) });
    }
    this.addTask({
      name: 'checks',
      schedule: checks,
      run: async () => {
        // Each check on its own: one that throws does not keep the others from running.
        const out: FlowRunSummary[] = [];
        for (const [flow, run] of [
          ['acks-overdue', () => flows.checkOverdue(ctx)],
          ['late-orders', () => flows.checkLateOrders(ctx)],
          ['inventory-freshness', () => flows.checkInventoryFreshness(ctx)],
          ...flows.checks.map((c) => [c.flow, () => c.run(ctx)] as const),
          ['alerts', () => flows.checkAlerts(ctx)],
          ['health-sampling', () => flows.sampleHealth(ctx)],
        ] as const) {
          out.push(await this.caught(flow, undefined, run));
        }
        return out;
      },
    });
    for (const id of this.options.partners) {
      this.addTask({ name: `not-picked-up:${id}`, schedule: checks, run: () => this.forPartner(id, 'not-picked-up', () => flows.checkNotPickedUp(ctx, id)) });
    }
    this.addSellerTasks(true);
  }

  private addSellerTasks(inOnce: boolean): void {
    const { ctx, flows } = this;
    for (const t of flows.sellerTasks.filter((x) => x.inOnce === inOnce)) {
      for (const seller of this.options.sellers) {
        this.addTask({ name: `${t.name}:${seller}`, schedule: { seconds: t.everySeconds(ctx) }, run: () => this.forSeller(seller, t.name, () => t.run(ctx, seller)) });
      }
    }
  }

  /** The daily channel refresh: not part of a --once cycle (a timer run every few minutes would repeat a day's listing reads). */
  private addDailyTasks(): void {
    const { ctx, flows } = this;
    this.addSellerTasks(false);
    for (const seller of this.options.sellers) {
      this.addTask({
        name: `channels:${seller}`,
        schedule: { seconds: Math.min(86_400, ctx.settings.channelRefreshHours * 3600) },
        run: () =>
          this.forSeller(seller, 'channels', async () => {
            await flows.refreshChannels(ctx, seller);
            return { flow: 'channels', scope: seller, counts: {}, failed: 0 };
          }),
      });
    }
  }

  /** A flow's throw as a failed summary, logged (the scheduler would count it too, but then the other checks would not run). */
  private async caught(flow: string, scope: string | undefined, run: () => Promise<FlowRunSummary>): Promise<FlowRunSummary> {
    try {
      return await run();
    } catch (e) {
      this.ctx.log.error({ event: 'flow-failed', flow, scope, err: (e as Error).message }, `${flow}${scope ? ` ${scope}` : ''} failed: ${(e as Error).message}`);
      return { flow, scope, counts: {}, failed: 1 };
    }
  }

  private now(): string {
    return this.ctx.clock.now().toISOString();
  }

  /** Run a seller's flow; unreachable -> its seller-unavailable exception (resolved by the next run that reaches it). */
  private forSeller(seller: string, flow: string, run: () => Promise<FlowRunSummary>): Promise<FlowRunSummary> {
    return this.unavailableAs('seller-unavailable', seller, flow, sellerUnavailable, run, { seller });
  }

  private forPartner(partner: string, flow: string, run: () => Promise<FlowRunSummary>): Promise<FlowRunSummary> {
    return this.unavailableAs('partner-unavailable', partner, flow, partnerUnavailable, run, { partner });
  }

  private async unavailableAs(
    kind: ExceptionKind,
    key: string,
    flow: string,
    matches: (e: unknown) => boolean,
    run: () => Promise<FlowRunSummary>,
    who: { seller?: string; partner?: string },
  ): Promise<FlowRunSummary> {
    const x = this.ctx.store.work.exceptions;
    let summary: FlowRunSummary;
    try {
      summary = await run();
    } catch (e) {
      if (!matches(e)) throw e;
      const message = (e as Error).message;
      const file = who.seller ? this.ctx.mappings.sellers.get(who.seller) : this.ctx.mappings.partners.get(who.partner!);
      await x.raise({
        kind,
        severity: 'error',
        ...who,
        key,
        message: `${who.seller ? 'seller' : 'partner'} ${key} unavailable: ${message}`,
        context: { mappingFile: file ? this.ctx.mappings.files.get(file) : undefined, details: { flow, error: (e as Error).name } },
        now: this.now(),
      });
      this.ctx.log.warn({ event: kind, ...who, flow, err: message }, `${key} unavailable: ${message} (tried again next cycle)`);
      if (who.partner) await recordPartnerConnection(this.ctx, who.partner, e as Error);
      return { flow, scope: key, counts: {}, failed: 1 };
    }
    // The partner's server answered this run: its last successful connection is now.
    if (who.partner) await recordPartnerConnection(this.ctx, who.partner, null);
    if (await x.resolveCause(kind, key, who.seller ?? null, who.partner ?? null, `reachable again (${flow} ran at ${this.now()})`, this.now())) {
      this.ctx.log.info({ event: `${kind}-resolved`, ...who, flow }, `${key} reachable again`);
    }
    return summary;
  }

  /** Schedule everything and run the worker until stop(). */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.addDailyTasks();
    this.worker.start();
    this.scheduler.start({ runNow: true });
  }

  /** Stop taking work, let the runs and jobs in hand finish (or release the jobs after `graceMs`). */
  async stop(graceMs = 20_000): Promise<void> {
    this.running = false;
    await Promise.all([this.scheduler.stop(), this.worker.stop(graceMs)]);
  }

  /** One cycle of every flow, then the ready jobs, then the verdict. */
  async runOnce(): Promise<OnceResult> {
    const runs = await this.scheduler.runAll();
    const jobs = await this.worker.drain();
    const failures: string[] = [];
    for (const r of runs) {
      if (r.outcome === 'failed') failures.push(`${r.task}: ${r.error ?? 'failed'}`);
      else if (r.failed > 0) failures.push(`${r.task}: ${r.failed} failure(s) (${r.summaries.filter((s) => s.failed).map((s) => `${s.flow}${s.scope ? ` ${s.scope}` : ''}`).join(', ')})`);
    }
    // A job's last outcome in this cycle counts (a retry that later succeeded is fine).
    const last = new Map<number, JobResult>();
    for (const j of jobs) last.set(j.id, j);
    for (const j of last.values()) {
      if (j.outcome === 'dead') failures.push(`job ${j.id} ${j.kind} ${j.key}: dead: ${j.error ?? ''}`);
      else if (j.outcome === 'retry') failures.push(`job ${j.id} ${j.kind} ${j.key}: still retrying: ${j.error ?? ''}`);
      else if (j.outcome === 'lost' || j.outcome === 'released') failures.push(`job ${j.id} ${j.kind} ${j.key}: ${j.outcome}`);
    }
    return { ok: failures.length === 0, runs, jobs, failures };
  }
}
