/**
 * The gateway's Prometheus metrics: one prom-client Registry per gateway process (never the
 * global one, so two gateways in one test process do not share counts), the counters and
 * histograms the instrumentation feeds (scheduler runs, outbox job results, SP-API calls, token
 * refreshes, transport connections, business records written through the instrumented store),
 * and the gauges read from the store at scrape time.
 *
 * Labels are bounded by construction: flows, partners and sellers come from the mapping files,
 * kinds and states from the store's lists, operations from the adapter's table. Nothing here
 * ever takes an order id, a SKU, a file name or a tracking number as a label value.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { GatewayClock } from '../flows/context.ts';
import type { Mappings } from '../mapping/load.ts';
import type { ExceptionKind, GatewayStore, JobKind } from '../store/work.ts';
import { EXCEPTION_KINDS } from '../store/work.ts';

export const METRIC_PREFIX = 'dockgate_';

/** One HTTP attempt of an SP-API operation, as the adapter's observer reports it. */
export interface SpApiCallObservation {
  seller: string;
  operation: string;
  /** The HTTP status, or null when no answer came (timeout, dropped connection). */
  status: number | null;
  throttled: boolean;
  ms: number;
  /** A second or later attempt of the same call. */
  retry: boolean;
  /** The failure's kind (AmazonApiError.kind) when the attempt failed. */
  errorKind?: string;
}

/** One LWA access-token refresh. */
export interface TokenRefreshObservation {
  seller: string;
  ok: boolean;
  expiresAt?: string;
  error?: string;
}

/** A scheduler run as the gateway reports it (src/gateway/scheduler.ts TaskRun, plus where it came from). */
export interface RunObservation {
  /** The task's family: the task name before ':' ("orders", "files", "checks", "not-picked-up", "channels"). */
  flow: string;
  outcome: string;
  /** Seconds the run took, when it ran. */
  seconds?: number;
  summaries: Array<{ flow: string; scope?: string; counts: Record<string, number>; failed: number }>;
}

/** A settled outbox job, as the worker records it, with the job's seller and partner. */
export interface JobObservation {
  kind: JobKind;
  outcome: string;
  seller: string | null;
  partner: string | null;
}

export const statusClass = (status: number | null): string => (status === null ? 'error' : status === 429 ? '429' : status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 200 && status < 300 ? '2xx' : 'error');

/** The task family of a scheduler task name: bounded (the scope after ':' is dropped). */
export const taskFlow = (task: string): string => task.split(':')[0]!;

/** Per-minute buckets of SP-API events by the gateway's clock, for the health metrics' rates. */
interface MinuteBucket {
  minute: number;
  calls: number;
  throttles: number;
  errors: number;
}
const RATE_BUCKETS = 60;

export interface StoreGauges {
  store: GatewayStore;
  mappings: () => Mappings;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  readonly contentType: string;

  readonly flowRuns: Counter<'flow' | 'outcome'>;
  readonly flowRunDuration: Histogram<'flow'>;
  readonly flowItems: Counter<'flow' | 'count'>;
  readonly messages: Counter<'direction' | 'flow' | 'partner' | 'state'>;
  readonly orders: Counter<'seller' | 'state'>;
  readonly packagesConfirmed: Counter<'seller'>;
  readonly quantitiesPublished: Counter<'seller' | 'outcome'>;
  readonly jobs: Counter<'kind' | 'outcome'>;
  readonly exceptionsRaised: Counter<'kind' | 'severity'>;
  readonly spapiCalls: Counter<'operation' | 'status_class'>;
  readonly spapiThrottled: Counter<'operation'>;
  readonly spapiErrors: Counter<'operation' | 'kind'>;
  readonly spapiTokenRefreshes: Counter<'outcome'>;
  readonly spapiCallDuration: Histogram<'operation'>;
  readonly transportConnections: Counter<'partner' | 'outcome'>;
  readonly trackingUploadLag: Histogram<'seller'>;

  private readonly buckets: MinuteBucket[] = [];
  private storeGauges: StoreGauges | null = null;
  private jobSource: { results: () => ReadonlyArray<{ id: number; kind: JobKind; outcome: string }>; seen: number } | null = null;

  constructor(
    private readonly clock: Pick<GatewayClock, 'now'>,
    options: { defaultMetrics?: boolean } = {},
  ) {
    const registers = [this.registry];
    const p = METRIC_PREFIX;
    this.flowRuns = new Counter({ name: `${p}flow_runs_total`, help: 'Scheduled task runs by task family and outcome (ran, ran-with-failures, failed, skipped-overlap, skipped-locked).', labelNames: ['flow', 'outcome'], registers });
    this.flowRunDuration = new Histogram({ name: `${p}flow_run_duration_seconds`, help: 'Time a scheduled task run took, by task family.', labelNames: ['flow'], buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers });
    this.flowItems = new Counter({ name: `${p}flow_items_total`, help: "Counts the flows' run summaries report (orders queued, held, files taken, ...), by flow and count name.", labelNames: ['flow', 'count'], registers });
    this.messages = new Counter({ name: `${p}messages_total`, help: 'Files moved, by direction (in, out), flow, partner and state, from the flow summaries and the deliver-file job outcomes.', labelNames: ['direction', 'flow', 'partner', 'state'], registers });
    this.orders = new Counter({ name: `${p}orders_total`, help: 'Order records written in each state (a state change, or an update within the state), by seller.', labelNames: ['seller', 'state'], registers });
    this.packagesConfirmed = new Counter({ name: `${p}packages_confirmed_total`, help: 'Packages Amazon accepted the confirmation of, by seller.', labelNames: ['seller'], registers });
    this.quantitiesPublished = new Counter({ name: `${p}quantities_published_total`, help: 'SKU quantities taken to Amazon, by seller and outcome (accepted; failed: a dead publish job).', labelNames: ['seller', 'outcome'], registers });
    this.jobs = new Counter({ name: `${p}jobs_total`, help: 'Outbox jobs settled, by kind and outcome (done, retry, dead, released, lost).', labelNames: ['kind', 'outcome'], registers });
    this.exceptionsRaised = new Counter({ name: `${p}exceptions_raised_total`, help: 'Exceptions opened (a new cause; a repeat of an open one is not counted), by kind and severity.', labelNames: ['kind', 'severity'], registers });
    this.spapiCalls = new Counter({ name: `${p}spapi_calls_total`, help: 'SP-API HTTP attempts, by operation and status class (2xx, 4xx, 429, 5xx, error: no answer).', labelNames: ['operation', 'status_class'], registers });
    this.spapiThrottled = new Counter({ name: `${p}spapi_throttled_total`, help: 'SP-API attempts answered 429, by operation.', labelNames: ['operation'], registers });
    this.spapiErrors = new Counter({ name: `${p}spapi_errors_total`, help: 'SP-API attempts that failed, by operation and kind (throttled, server, timeout, network, auth, client).', labelNames: ['operation', 'kind'], registers });
    this.spapiTokenRefreshes = new Counter({ name: `${p}spapi_token_refreshes_total`, help: 'LWA access-token refreshes, by outcome (ok, failed).', labelNames: ['outcome'], registers });
    this.spapiCallDuration = new Histogram({ name: `${p}spapi_call_duration_seconds`, help: 'Time an SP-API attempt took (request to answer), by operation.', labelNames: ['operation'], buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers });
    this.transportConnections = new Counter({ name: `${p}transport_connections_total`, help: "Connections to a partner's server, by partner and outcome (ok, failed).", labelNames: ['partner', 'outcome'], registers });
    this.trackingUploadLag = new Histogram({ name: `${p}tracking_upload_lag_seconds`, help: 'Shipped to confirmed at Amazon, per package as its confirmation is recorded, by seller.', labelNames: ['seller'], buckets: [60, 300, 900, 1800, 3600, 7200, 14_400, 43_200, 86_400, 172_800], registers });

    const metrics = this;
    new Gauge({
      name: `${p}exceptions_open`,
      help: 'Exceptions not resolved (open or acknowledged), by kind.',
      labelNames: ['kind'],
      registers,
      async collect() {
        const s = metrics.storeGauges;
        if (!s) return;
        this.reset();
        const open = await s.store.work.exceptions.list({ states: ['open', 'acknowledged'], limit: 100_000 });
        const byKind = new Map<ExceptionKind, number>(EXCEPTION_KINDS.map((k) => [k, 0]));
        for (const x of open) byKind.set(x.kind, (byKind.get(x.kind) ?? 0) + 1);
        for (const [kind, n] of byKind) this.set({ kind }, n);
      },
    });
    new Gauge({
      name: `${p}exception_oldest_open_age_seconds`,
      help: 'Age of the oldest exception not resolved (0 when none).',
      registers,
      async collect() {
        const s = metrics.storeGauges;
        if (!s) return;
        const open = await s.store.work.exceptions.list({ states: ['open', 'acknowledged'], limit: 100_000 });
        const oldest = open.reduce((min, x) => Math.min(min, Date.parse(x.firstSeen)), Number.POSITIVE_INFINITY);
        this.set(Number.isFinite(oldest) ? Math.max(0, (metrics.clock.now().getTime() - oldest) / 1000) : 0);
      },
    });
    new Gauge({
      name: `${p}acknowledgements_overdue`,
      help: 'Outbound groups and interchanges awaiting an acknowledgement past their due time.',
      registers,
      async collect() {
        const s = metrics.storeGauges;
        if (!s) return;
        this.set((await s.store.work.messages.ackOverdue(metrics.clock.now().toISOString(), 100_000)).length);
      },
    });
    new Gauge({
      name: `${p}inventory_snapshot_age_seconds`,
      help: 'Time since the last inventory snapshot from a partner was applied for a seller (absent until the first).',
      labelNames: ['partner', 'seller'],
      registers,
      async collect() {
        const s = metrics.storeGauges;
        if (!s) return;
        this.reset();
        const now = metrics.clock.now().getTime();
        for (const partner of s.mappings().partners.values()) {
          for (const seller of partner.sellers) {
            const last = await s.store.work.inventory.lastSnapshot(partner.id, seller);
            if (last) this.set({ partner: partner.id, seller }, Math.max(0, (now - Date.parse(last.appliedAt)) / 1000));
          }
        }
      },
    });
    new Gauge({
      name: `${p}jobs_ready`,
      help: 'Outbox jobs whose time has come that no worker holds.',
      registers,
      async collect() {
        const s = metrics.storeGauges;
        if (!s) return;
        this.set(await s.store.work.jobs.readyCount(metrics.clock.now().toISOString()));
      },
    });
    // Issue 12's records where they stand, read at scrape time: by seller and state only (never a
    // shipment id, a removal order id or an LPN).
    const bySellerAndState = (name: string, help: string, read: (store: GatewayStore) => Promise<Array<{ seller: string; state: string }>>) =>
      new Gauge({
        name: `${p}${name}`,
        help,
        labelNames: ['seller', 'state'],
        registers,
        async collect() {
          const s = metrics.storeGauges;
          if (!s) return;
          this.reset();
          const n = new Map<string, { seller: string; state: string; n: number }>();
          for (const r of await read(s.store)) {
            const k = `${r.seller}\u0000${r.state}`;
            n.set(k, { seller: r.seller, state: r.state, n: (n.get(k)?.n ?? 0) + 1 });
          }
          for (const v of n.values()) this.set({ seller: v.seller, state: v.state }, v.n);
        },
      });
    bySellerAndState('fba_shipments', 'FBA inbound shipments the gateway tracks, by seller and state (held, sent, shipped, mismatched, tracking-accepted, tracking-refused, cancelled).', (store) => store.work.fba.list({ limit: 100_000 }));
    bySellerAndState('expected_arrivals', 'Removal shipments and customer returns Amazon sent back, by seller and state (expected, partially-received, received, over-received, cancelled).', (store) => store.work.removals.listExpected({ limit: 100_000 }));
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: METRIC_PREFIX });
    this.contentType = this.registry.contentType;
  }

  /** Read the scrape-time gauges from this store (the mappings as a function: a reload swaps them). */
  watchStore(gauges: StoreGauges): void {
    this.storeGauges = gauges;
  }

  /**
   * Count the outbox worker's settled jobs (its `results`, which only grow) at each scrape: the
   * worker has no callback, and a job's seller and partner are read from its row then.
   */
  watchJobs(results: () => ReadonlyArray<{ id: number; kind: JobKind; outcome: string }>): void {
    this.jobSource = { results, seen: 0 };
  }

  /** Take in the jobs settled since the last look. */
  async syncJobs(): Promise<void> {
    const src = this.jobSource;
    if (!src) return;
    const all = src.results();
    const fresh = all.slice(src.seen);
    src.seen = all.length;
    for (const r of fresh) {
      const row = this.storeGauges ? await this.storeGauges.store.work.jobs.get(r.id) : null;
      this.job({ kind: r.kind, outcome: r.outcome, seller: row?.seller ?? null, partner: row?.partner ?? null });
    }
  }

  /** The Prometheus text exposition of everything. */
  async render(): Promise<string> {
    await this.syncJobs();
    return this.registry.metrics();
  }

  // ---------------------------------------------------------------- instrumentation

  spapiCall(e: SpApiCallObservation): void {
    const cls = statusClass(e.status);
    this.spapiCalls.inc({ operation: e.operation, status_class: cls });
    this.spapiCallDuration.observe({ operation: e.operation }, e.ms / 1000);
    const b = this.bucket();
    b.calls++;
    if (e.throttled) {
      this.spapiThrottled.inc({ operation: e.operation });
      b.throttles++;
    }
    if (cls !== '2xx') {
      this.spapiErrors.inc({ operation: e.operation, kind: e.errorKind ?? (e.throttled ? 'throttled' : cls) });
      b.errors++;
    }
  }

  tokenRefresh(e: TokenRefreshObservation): void {
    this.spapiTokenRefreshes.inc({ outcome: e.ok ? 'ok' : 'failed' });
  }

  transportConnection(partner: string, ok: boolean): void {
    this.transportConnections.inc({ partner, outcome: ok ? 'ok' : 'failed' });
  }

  /** A scheduler run: its outcome, duration, and the counts of its flow summaries (inbound files and outbound ones by state too). */
  run(r: RunObservation, warehouseOf: (seller: string) => string | undefined): void {
    const failed = r.summaries.some((s) => s.failed > 0);
    this.flowRuns.inc({ flow: r.flow, outcome: r.outcome === 'ran' && failed ? 'ran-with-failures' : r.outcome });
    if (r.seconds !== undefined) this.flowRunDuration.observe({ flow: r.flow }, r.seconds);
    for (const s of r.summaries) {
      for (const [count, n] of Object.entries(s.counts)) if (n > 0) this.flowItems.inc({ flow: s.flow, count }, n);
      if (s.flow === 'inbound' && s.scope) {
        for (const state of ['processed', 'held', 'rejected', 'failed'] as const) {
          const n = s.counts[state] ?? 0;
          if (n > 0) this.messages.inc({ direction: 'in', flow: 'inbound', partner: s.scope, state }, n);
        }
      }
      if (s.flow === 'orders-to-warehouse' && s.scope && (s.counts.files ?? 0) > 0) {
        this.messages.inc({ direction: 'out', flow: 'orders-to-warehouse', partner: warehouseOf(s.scope) ?? 'unknown', state: 'queued' }, s.counts.files!);
      }
      if (s.flow === 'acknowledgements.not-picked-up' && s.scope) {
        for (const [count, state] of [['pickedUp', 'picked-up'], ['notPickedUp', 'not-picked-up']] as const) {
          const n = s.counts[count] ?? 0;
          if (n > 0) this.messages.inc({ direction: 'out', flow: 'acknowledgements', partner: s.scope, state }, n);
        }
      }
    }
  }

  /** A settled outbox job: by kind and outcome; a delivered file, a failed publish by their partner / seller too. */
  job(j: JobObservation): void {
    this.jobs.inc({ kind: j.kind, outcome: j.outcome });
    if (j.kind === 'deliver-file' && (j.outcome === 'done' || j.outcome === 'dead')) {
      this.messages.inc({ direction: 'out', flow: 'outbox-delivery', partner: j.partner ?? 'unknown', state: j.outcome === 'done' ? 'delivered' : 'failed' });
    }
    if ((j.kind === 'publish-quantity' || j.kind === 'publish-feed') && j.outcome === 'dead') {
      this.quantitiesPublished.inc({ seller: j.seller ?? 'unknown', outcome: 'failed' });
    }
  }

  // ---------------------------------------------------------------- per-minute SP-API rates (health metrics)

  private bucket(): MinuteBucket {
    const minute = Math.floor(this.clock.now().getTime() / 60_000);
    let b = this.buckets.at(-1);
    if (!b || b.minute !== minute) {
      b = { minute, calls: 0, throttles: 0, errors: 0 };
      this.buckets.push(b);
      if (this.buckets.length > RATE_BUCKETS) this.buckets.shift();
    }
    return b;
  }

  /**
   * SP-API calls, throttles and errors per minute over the last `minutes` whole minutes before
   * now plus the current one, by the gateway's clock (the process's own counters).
   */
  spapiRates(minutes = 5): { calls: number; throttles: number; errors: number } {
    const current = Math.floor(this.clock.now().getTime() / 60_000);
    const from = current - minutes + 1;
    const sum = { calls: 0, throttles: 0, errors: 0 };
    for (const b of this.buckets) {
      if (b.minute < from || b.minute > current) continue;
      sum.calls += b.calls;
      sum.throttles += b.throttles;
      sum.errors += b.errors;
    }
    return { calls: sum.calls / minutes, throttles: sum.throttles / minutes, errors: sum.errors / minutes };
  }
}
