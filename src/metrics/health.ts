/**
 * The seven health metrics of the dashboard (order sync latency, acknowledgement SLA hit rate,
 * inventory freshness per SKU, tracking upload lag, exception backlog and oldest age, SP-API
 * calls / throttles / errors, partner connection health): their definitions and thresholds are
 * data (health-metrics.json), their values computed here from the store, the mappings and the
 * process's SP-API counters.
 *
 * The store has no time-indexed queries for these yet, so the window is found from what it
 * has: orders updated in the window (an order delivered or acknowledged in it was written in
 * it), their revisions and the message axes of the files and sets that carried them, packages
 * by state, quantities per seller, unresolved exceptions, the partner-connection cursors.
 */
import type { GatewayContext } from '../flows/context.ts';
import { CURSORS } from '../server/api.ts';
import type { MessageAxes, OrderState } from '../store/work.ts';
import definitions from './health-metrics.json' with { type: 'json' };
import { parseStatus, type PartnerConnectionStatus } from './status-cursors.ts';

export type HealthStatus = 'ok' | 'warn' | 'critical' | 'unknown';

export interface HealthThreshold {
  /** null: the metric is informational (no warning level). */
  warn: number | null;
  critical: number | null;
  /** above: bad when value >= the level; below: bad when value < the level. */
  direction: 'above' | 'below';
}

export interface HealthMetricDefinition {
  name: string;
  /** The dashboard tile it belongs to (the seven). */
  group: string;
  title: string;
  unit: string;
  description: string;
  threshold: HealthThreshold;
}

export const HEALTH_WINDOW_SECONDS: number = definitions.windowSeconds;
export const SPAPI_RATE_MINUTES: number = definitions.spapiRateMinutes;
export const HEALTH_METRICS: HealthMetricDefinition[] = definitions.metrics as HealthMetricDefinition[];
export const healthMetric = (name: string): HealthMetricDefinition | undefined => HEALTH_METRICS.find((m) => m.name === name);

/** The SP-API metrics come from a process's counters; `dockgate serve` has none and reads samples instead. */
export const SPAPI_METRICS = ['spapi-calls', 'spapi-throttles', 'spapi-errors'] as const;

export function statusOf(threshold: HealthThreshold, value: number | null): HealthStatus {
  if (value === null || !Number.isFinite(value)) return 'unknown';
  const past = (level: number | null) => level !== null && (threshold.direction === 'above' ? value >= level : value < level);
  if (past(threshold.critical)) return 'critical';
  if (past(threshold.warn)) return 'warn';
  return 'ok';
}

export interface HealthValue {
  /** null: nothing to measure in the window (no orders delivered, no acknowledgement due...). */
  value: number | null;
  /** Per seller, partner or "seller/sku": the same metric for each. */
  scopes?: Array<{ scope: string; value: number }>;
}

export interface HealthSnapshot {
  at: string;
  values: Record<string, HealthValue>;
}

/** The p-th percentile (nearest rank) of the values; null when none. */
export function percentile(values: number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const seconds = (fromIso: string, toMs: number) => (toMs - Date.parse(fromIso)) / 1000;

/** Orders past the warehouse delivery: the ones that can have a delivered file and an acknowledgement. */
const SENT_STATES: OrderState[] = ['delivered', 'acknowledged', 'rejected', 'partially-shipped', 'shipped', 'confirmed', 'cancel-sent'];
/** Enough for a busy day's orders; the store should answer these by time (see the metrics notes). */
const SCAN_LIMIT = 100_000;

export interface SnapshotOptions {
  /** Take the SP-API rates from this process's counters (the running gateway); otherwise they are left null. Default true. */
  spapiFromProcess?: boolean;
  windowSeconds?: number;
}

/** Compute every health metric now, by the context's clock. */
export async function healthSnapshot(ctx: GatewayContext, options: SnapshotOptions = {}): Promise<HealthSnapshot> {
  const nowMs = ctx.clock.now().getTime();
  const at = new Date(nowMs).toISOString();
  const since = new Date(nowMs - (options.windowSeconds ?? HEALTH_WINDOW_SECONDS) * 1000).toISOString();
  const values: Record<string, HealthValue> = {};

  Object.assign(values, await orderMetrics(ctx, since, at));
  values['inventory-age-seconds'] = await inventoryAge(ctx, nowMs);
  values['tracking-upload-lag-seconds'] = await trackingLag(ctx, since, nowMs);

  const open = await ctx.store.work.exceptions.list({ states: ['open', 'acknowledged'], limit: SCAN_LIMIT });
  values['exception-backlog'] = { value: open.length };
  const oldest = open.reduce((min, x) => Math.min(min, Date.parse(x.firstSeen)), Number.POSITIVE_INFINITY);
  values['exception-oldest-age-seconds'] = { value: Number.isFinite(oldest) ? Math.max(0, (nowMs - oldest) / 1000) : 0 };

  if (options.spapiFromProcess ?? true) {
    const r = ctx.metrics.spapiRates(SPAPI_RATE_MINUTES);
    values['spapi-calls'] = { value: r.calls };
    values['spapi-throttles'] = { value: r.throttles };
    values['spapi-errors'] = { value: r.errors };
  } else {
    for (const m of SPAPI_METRICS) values[m] = { value: null };
  }

  values['partner-connection-health'] = await partnerConnections(ctx);
  return { at, values };
}

/** Order sync latency and the acknowledgement SLA, from the orders written in the window and the files and sets that carried them. */
async function orderMetrics(ctx: GatewayContext, since: string, at: string): Promise<Record<string, HealthValue>> {
  const { orders, messages } = ctx.store.work;
  const recent = (await orders.list({ states: SENT_STATES, limit: SCAN_LIMIT })).filter((o) => o.updatedAt >= since);
  const axesCache = new Map<number, MessageAxes | null>();
  const axesOf = async (id: number) => {
    if (!axesCache.has(id)) axesCache.set(id, await messages.axes(id));
    return axesCache.get(id)!;
  };
  const latencies: number[] = [];
  /** Acknowledgements received in the window or missed in it, by the message (set, else file) they are for: in time or not. */
  const dueInWindow = new Map<number, boolean>();
  for (const o of recent) {
    const revisions = await orders.revisions(o.seller, o.orderId);
    const first = revisions.find((r) => r.purpose === 'new') ?? revisions[0];
    if (!first) continue;
    const file = await axesOf(first.fileMessageId);
    if (file?.deliveredAt && file.deliveredAt >= since && file.deliveredAt <= at) {
      // The Amazon time of the version we hold; one updated after delivery falls back to when we first saw it.
      const amazonAt = o.amazonUpdatedAt <= file.deliveredAt ? o.amazonUpdatedAt : o.createdAt;
      latencies.push(Math.max(0, (Date.parse(file.deliveredAt) - Date.parse(amazonAt)) / 1000));
    }
    for (const r of revisions) {
      const id = r.setMessageId ?? r.fileMessageId;
      if (dueInWindow.has(id)) continue;
      const a = await axesOf(id);
      // A set's acknowledgement is settled on the set; its due time is the file's (or the set's own, when it has one).
      const dueAt = a?.ackDueAt ?? (await axesOf(r.fileMessageId))?.ackDueAt;
      if (!a || !dueAt) continue;
      // Counted when it came in the window (in time or late), or when its due time passed in the window without it.
      if (a.acknowledgedAt && a.acknowledgedAt >= since && a.acknowledgedAt <= at) dueInWindow.set(id, a.acknowledgedAt <= dueAt);
      else if (!a.acknowledgedAt && dueAt >= since && dueAt <= at) dueInWindow.set(id, false);
    }
  }
  // Groups and interchanges still awaiting past due in the window are misses too (their sets may be absent above).
  for (const m of await messages.ackOverdue(at, SCAN_LIMIT)) {
    if (m.dueAt >= since && !dueInWindow.has(m.id)) dueInWindow.set(m.id, false);
  }
  const hits = [...dueInWindow.values()].filter(Boolean).length;
  return {
    'order-sync-latency-seconds': { value: percentile(latencies, 95) },
    'ack-sla-hit-rate': { value: dueInWindow.size ? hits / dueInWindow.size : null },
  };
}

/** Per seller/SKU: how long ago Amazon accepted its quantity; overall the oldest. */
async function inventoryAge(ctx: GatewayContext, nowMs: number): Promise<HealthValue> {
  const scopes: Array<{ scope: string; value: number }> = [];
  for (const seller of ctx.mappings.sellers.keys()) {
    for (const q of await ctx.store.work.inventory.quantities(seller)) {
      if (q.acceptedAt) scopes.push({ scope: `${seller}/${q.sku}`, value: Math.max(0, seconds(q.acceptedAt, nowMs)) });
    }
  }
  return { value: scopes.length ? Math.max(...scopes.map((s) => s.value)) : null, scopes };
}

/** p95 over the packages confirmed in the window (their lag) and the ones still unconfirmed (their age). */
async function trackingLag(ctx: GatewayContext, since: string, nowMs: number): Promise<HealthValue> {
  const { packages } = ctx.store.work;
  const lags: number[] = [];
  for (const p of await packages.list({ states: ['confirmed'], limit: SCAN_LIMIT })) {
    if (p.confirmedAt && p.confirmedAt >= since) lags.push(p.lagSeconds ?? (Date.parse(p.confirmedAt) - Date.parse(p.shippedAt)) / 1000);
  }
  for (const p of await packages.list({ states: ['pending', 'held'], limit: SCAN_LIMIT })) lags.push(Math.max(0, seconds(p.shippedAt, nowMs)));
  return { value: percentile(lags, 95) };
}

/** Per partner 1 when its last connection succeeded, 0 when it failed; overall the share of 1s among partners with a record. */
async function partnerConnections(ctx: GatewayContext): Promise<HealthValue> {
  const scopes: Array<{ scope: string; value: number }> = [];
  const prefix = CURSORS.partnerConnection('');
  for (const c of await ctx.store.work.cursors.list(prefix)) {
    const partner = c.name.slice(prefix.length);
    if (!ctx.mappings.partners.has(partner)) continue;
    const s = parseStatus<PartnerConnectionStatus>(c.value);
    if (!s) continue;
    const ok = s.lastOkAt !== null && (!s.lastErrorAt || s.lastOkAt >= s.lastErrorAt);
    scopes.push({ scope: partner, value: ok ? 1 : 0 });
  }
  return { value: scopes.length ? scopes.reduce((n, s) => n + s.value, 0) / scopes.length : null, scopes };
}
