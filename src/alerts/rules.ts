/**
 * The alert rules: each looks at the store and says which causes fire now, and, for a firing
 * alert whose cause is gone, why it cleared. The engine (src/alerts/engine.ts) fires a cause
 * once (AlertsRepo.fire) and clears it once, whatever the number of checks in between.
 *
 * Rules only read. What they read is written by the flows that own it (the overdue check, the
 * shipment flow, the inventory freshness check, the gateway's unavailable sellers and
 * partners); a rule never raises or resolves an exception itself.
 *
 * Messages and details never carry buyer personal data: order ids, package ids, tracking
 * numbers, file names and control numbers only.
 */
import type { AlertRuleName } from '../config/config.ts';
import type { GatewayContext } from '../flows/context.ts';
import type { AlertRecord, ExceptionRecord, ExceptionSeverity } from '../store/work.ts';
import { ordersUnder } from '../tracking/acknowledgements.ts';
import type { AlertThresholds } from './settings.ts';
import { webhookOfException } from './webhook.ts';

const MINUTE = 60_000;

/** One cause firing now. */
export interface AlertCause {
  /** The cause within its rule: a message id, package id, "seller/orderId", "partner/seller", an exception id, a seller, a partner. */
  key: string;
  seller: string | null;
  partner: string | null;
  message: string;
  details: Record<string, unknown>;
  /**
   * Webhooks this alert must not go to: an exception-unowned alert about a webhook's own
   * alert-failed exception would only fail there again (and raise another exception).
   */
  avoidWebhooks?: string[];
}

export interface RuleInput {
  ctx: GatewayContext;
  now: string;
  thresholds: AlertThresholds;
  /** This rule's alerts firing now (a cause some rules can only see through them). */
  firing: AlertRecord[];
}

export interface AlertRuleDefinition {
  rule: AlertRuleName;
  severity: ExceptionSeverity;
  /** Every cause of this rule firing now. */
  evaluate(input: RuleInput): Promise<AlertCause[]>;
  /** A firing alert whose cause is no longer found: the reason it cleared, said plainly. */
  clearedBecause(ctx: GatewayContext, alert: AlertRecord): Promise<string>;
}

const minutesBetween = (from: string, to: string) => Math.round((Date.parse(to) - Date.parse(from)) / MINUTE);
const unresolved: ExceptionRecord['state'][] = ['open', 'acknowledged'];
/** Large enough for every unresolved row of a gateway in trouble; the rules are run once a minute. */
const SCAN_LIMIT = 10_000;

/** The same cause, as the firing alert last described it (rules that keep an alert up from the alert itself). */
const fromAlert = (a: AlertRecord): AlertCause => ({ key: a.key, seller: a.seller, partner: a.partner, message: a.message, details: a.details });

// ------------------------------------------------------------------ ack-overdue

/** Acknowledgement states in which a message past its due time is still unanswered. */
const UNANSWERED = new Set(['awaiting', 'overdue']);

const ackOverdue: AlertRuleDefinition = {
  rule: 'ack-overdue',
  severity: 'warning',
  async evaluate({ ctx, now, firing }) {
    const { store } = ctx;
    // Before the overdue check marks them, they are 'awaiting' past due (ackOverdue); after,
    // 'overdue' with an ack-overdue exception naming the message; an alert already firing is
    // looked at again even when its exception was resolved by hand.
    const ids = new Set<number>();
    for (const d of await store.work.messages.ackOverdue(now, SCAN_LIMIT)) ids.add(d.id);
    for (const x of await store.work.exceptions.list({ kind: 'ack-overdue', states: unresolved, limit: SCAN_LIMIT })) {
      const id = x.context.details?.messageId;
      if (typeof id === 'number') ids.add(id);
    }
    for (const a of firing) if (/^\d+$/.test(a.key)) ids.add(Number(a.key));
    const causes: AlertCause[] = [];
    for (const id of ids) {
      const axes = await store.work.messages.axes(id);
      if (!axes?.ackDueAt || !UNANSWERED.has(axes.acknowledgement ?? '') || axes.ackDueAt >= now) continue;
      const trace = store.trace(id);
      if (!trace) continue;
      const row = trace.message;
      // An X12 file awaits with its groups: the groups' alerts say it, one per group not answered.
      if (row.kind === 'file' && trace.children.some((c) => c.kind === 'interchange')) continue;
      const file = row.kind === 'file' ? row : (trace.parents.find((p) => p.kind === 'file') ?? null);
      const fileName = file?.fileName ?? `file ${file?.id ?? '?'}`;
      const orders = await ordersUnder(store, store.work, row);
      const sellers = [...new Set(orders.map((o) => o.seller))];
      const what = row.kind === 'file' ? fileName : `${row.kind} ${row.control ?? ''} of ${fileName}`;
      causes.push({
        key: String(id),
        seller: sellers.length === 1 ? sellers[0] : null,
        partner: row.partner,
        message: `${row.partner ?? 'the partner'} has not acknowledged ${what}: due ${axes.ackDueAt}, ${minutesBetween(axes.ackDueAt, now)} minutes ago`,
        details: {
          messageId: id,
          kind: row.kind,
          control: row.control,
          fileName,
          fileMessageId: file?.id ?? null,
          dueAt: axes.ackDueAt,
          orders: orders.slice(0, 50).map((o) => o.orderId),
          orderCount: orders.length,
        },
      });
    }
    return causes;
  },
  async clearedBecause(ctx, alert) {
    const axes = await ctx.store.work.messages.axes(Number(alert.key));
    if (!axes) return 'the message is no longer in the store';
    const at = axes.acknowledgedAt ? ` at ${axes.acknowledgedAt}` : '';
    if (axes.acknowledgement === 'rejected') return `rejected by the partner${at} (an ack-rejected exception carries the reasons)`;
    return `acknowledged (${axes.acknowledgement ?? 'no acknowledgement state'})${at}`;
  },
};

// ------------------------------------------------------------------ tracking-lag

const trackingLag: AlertRuleDefinition = {
  rule: 'tracking-lag',
  severity: 'warning',
  async evaluate({ ctx, now, thresholds }) {
    const limitMs = thresholds.trackingLagMinutes * MINUTE;
    const causes: AlertCause[] = [];
    for (const p of await ctx.store.work.packages.list({ states: ['pending', 'held'], limit: SCAN_LIMIT })) {
      if (Date.parse(now) - Date.parse(p.shippedAt) <= limitMs) continue;
      causes.push({
        key: String(p.id),
        seller: p.seller,
        partner: p.partner,
        message: `package ${p.id} of order ${p.orderId} (${p.seller}), shipped by ${p.partner} at ${p.shippedAt}, is not confirmed to Amazon after ${minutesBetween(p.shippedAt, now)} minutes (threshold ${thresholds.trackingLagMinutes})${p.state === 'held' ? ': it is held by an exception' : ''}`,
        details: { packageId: p.id, orderId: p.orderId, trackingNumber: p.trackingNumber, carrierCode: p.carrierCode, shippedAt: p.shippedAt, state: p.state, thresholdMinutes: thresholds.trackingLagMinutes },
      });
    }
    return causes;
  },
  async clearedBecause(ctx, alert) {
    const p = await ctx.store.work.packages.get(Number(alert.key));
    if (!p) return 'the package is no longer in the store';
    if (p.state === 'confirmed') return `confirmed to Amazon at ${p.confirmedAt ?? p.updatedAt}`;
    if (p.state === 'refused') return 'Amazon refused the confirmation for good (an amazon-refused exception carries it)';
    return `package state ${p.state}`;
  },
};

// ------------------------------------------------------------------ ship-by-near

const shipByNear: AlertRuleDefinition = {
  rule: 'ship-by-near',
  severity: 'warning',
  async evaluate({ ctx, now, thresholds, firing }) {
    const before = new Date(Date.parse(now) + thresholds.shipByLeadMinutes * MINUTE).toISOString();
    const orders = new Map((await ctx.store.work.orders.dueBefore(before, SCAN_LIMIT)).map((o) => [`${o.seller}/${o.orderId}`, o]));
    // Shipped by the warehouse but not yet confirmed to Amazon is still late on Amazon's
    // books: dueBefore leaves shipped orders out, the firing alert keeps them in.
    for (const a of firing) {
      if (orders.has(a.key)) continue;
      const [seller, orderId] = splitKey(a.key);
      const o = await ctx.store.work.orders.get(seller, orderId);
      if (o?.state === 'shipped') orders.set(a.key, o);
    }
    return [...orders.entries()].map(([key, o]) => {
      const left = minutesBetween(now, o.shipBy!);
      return {
        key,
        seller: o.seller,
        partner: o.partner,
        message: `order ${o.orderId} (${o.seller}, ${o.state}) must ship by ${o.shipBy}, ${left >= 0 ? `in ${left} minutes` : `${-left} minutes ago`}, and is not confirmed to Amazon`,
        details: { orderId: o.orderId, state: o.state, shipBy: o.shipBy, minutesLeft: left, leadMinutes: thresholds.shipByLeadMinutes },
      };
    });
  },
  async clearedBecause(ctx, alert) {
    const [seller, orderId] = splitKey(alert.key);
    const o = await ctx.store.work.orders.get(seller, orderId);
    if (!o) return 'the order is no longer in the store';
    if (o.state === 'confirmed') return `confirmed to Amazon (${o.updatedAt})`;
    if (o.state === 'cancelled' || o.state === 'cancel-sent') return `cancelled (${o.updatedAt})`;
    return `order state ${o.state}, ship-by ${o.shipBy ?? 'none'}`;
  },
};

/** "seller/orderId" (seller ids have no slash). */
function splitKey(key: string): [string, string] {
  const i = key.indexOf('/');
  return [key.slice(0, i), key.slice(i + 1)];
}

// ------------------------------------------------------------------ inventory-stale

const inventoryStale: AlertRuleDefinition = {
  rule: 'inventory-stale',
  severity: 'warning',
  async evaluate({ ctx, now }) {
    const causes = new Map<string, AlertCause>();
    for (const x of await ctx.store.work.exceptions.list({ kind: 'inventory-stale', states: unresolved, limit: SCAN_LIMIT })) {
      const key = `${x.partner}/${x.seller}`;
      causes.set(key, { key, seller: x.seller, partner: x.partner, message: x.message, details: { exceptionId: x.id, ...x.context.details } });
    }
    // A snapshot older than the window is stale before the freshness check has said so.
    for (const p of ctx.mappings.partners.values()) {
      if (p.documents.inventory?.direction !== 'in') continue;
      const windowMinutes = p.inventory?.freshnessMinutes ?? ctx.settings.inventoryFreshnessMinutes;
      for (const seller of p.sellers) {
        const key = `${p.id}/${seller}`;
        if (causes.has(key)) continue;
        const last = await ctx.store.work.inventory.lastSnapshot(p.id, seller);
        if (!last || Date.parse(now) - Date.parse(last.appliedAt) <= windowMinutes * MINUTE) continue;
        causes.set(key, {
          key,
          seller,
          partner: p.id,
          message: `no inventory snapshot from ${p.id} for ${seller} applied since ${last.appliedAt} (as of ${last.asOf}): more than ${windowMinutes} minutes`,
          details: { lastAsOf: last.asOf, lastAppliedAt: last.appliedAt, windowMinutes },
        });
      }
    }
    return [...causes.values()];
  },
  async clearedBecause(ctx, alert) {
    const last = alert.partner && alert.seller ? await ctx.store.work.inventory.lastSnapshot(alert.partner, alert.seller) : null;
    if (last && later(last.appliedAt, alert.firedAt)) return `a snapshot as of ${last.asOf} was applied at ${last.appliedAt}`;
    return 'the inventory-stale exception was resolved';
  },
};

// ------------------------------------------------------------------ exception-unowned

const exceptionUnowned: AlertRuleDefinition = {
  rule: 'exception-unowned',
  severity: 'warning',
  async evaluate({ ctx, now, thresholds }) {
    const limitMs = thresholds.exceptionUnownedMinutes * MINUTE;
    const causes: AlertCause[] = [];
    for (const x of await ctx.store.work.exceptions.list({ states: ['open'], limit: SCAN_LIMIT })) {
      if (x.owner || Date.parse(now) - Date.parse(x.firstSeen) <= limitMs) continue;
      const failedWebhook = x.kind === 'alert-failed' ? webhookOfException(x.key) : undefined;
      causes.push({
        key: String(x.id),
        seller: x.seller,
        partner: x.partner,
        message: `exception ${x.id} (${x.kind}, ${x.severity}) has had no owner for ${minutesBetween(x.firstSeen, now)} minutes (threshold ${thresholds.exceptionUnownedMinutes}): ${x.message}`,
        details: { exceptionId: x.id, kind: x.kind, severity: x.severity, exceptionKey: x.key, firstSeen: x.firstSeen, count: x.count, thresholdMinutes: thresholds.exceptionUnownedMinutes },
        ...(failedWebhook && { avoidWebhooks: [failedWebhook] }),
      });
    }
    return causes;
  },
  async clearedBecause(ctx, alert) {
    const x = await ctx.store.work.exceptions.get(Number(alert.key));
    if (!x) return 'the exception is no longer in the store';
    if (x.state === 'resolved') return `resolved at ${x.resolvedAt ?? x.lastSeen}${x.note ? `: ${x.note}` : ''}`;
    if (x.owner) return `assigned to ${x.owner}`;
    return `exception ${x.state}`;
  },
};

// ------------------------------------------------------------------ amazon-auth

/**
 * What marks a seller-unavailable exception as an authorisation failure rather than Amazon being
 * down: the failure kind the gateway records (details.failure, once it records it), a
 * configuration error (credentials missing or unreadable), or in the message the HTTP status or
 * LWA's OAuth codes (src/amazon/errors.ts classifyThrown, kindOfStatus).
 */
const AUTH_FAILURE_CODES = ['401', '403', 'invalid_grant', 'invalid_client', 'unauthorized_client', 'Unauthorized', 'unsupported_grant_type'];
const AUTH_FAILURE_TEXT = new RegExp(`(?:^|[\\s:(])(?:${AUTH_FAILURE_CODES.join('|')})(?=[\\s:)]|$)`);

export function isAuthorisationFailure(x: ExceptionRecord): boolean {
  const d = x.context.details ?? {};
  // 'config': credentials missing or unreadable (AmazonConfigError): the seller cannot authorise either.
  if (d.failure === 'auth' || d.failure === 'config') return true;
  if (d.failure !== undefined) return false;
  return d.error === 'AmazonConfigError' || AUTH_FAILURE_TEXT.test(x.message);
}

/** src/metrics/status-cursors.ts writes these (null: never refreshed / connected). */
interface TokenCursor {
  refreshedAt?: string | null;
  expiresAt?: string | null;
  lastErrorAt?: string;
  lastError?: string;
}

interface ConnectionCursor {
  lastOkAt?: string | null;
  lastErrorAt?: string;
  lastError?: string;
}

function parseCursor<T>(value: string): T | null {
  try {
    const v = JSON.parse(value) as unknown;
    return v && typeof v === 'object' ? (v as T) : null;
  } catch {
    return null;
  }
}

/** A failure newer than the last success (or with no success at all). */
const failingSince = (ok: string | null | undefined, error: string | undefined): boolean => !!error && (!ok || Date.parse(error) > Date.parse(ok));
/** At or after: a success recorded in the same check that fired the alert is after the cause. */
const later = (a: string, b: string): boolean => Date.parse(a) >= Date.parse(b);

const AMAZON_TOKEN = 'amazon-token:';
const PARTNER_CONNECTION = 'partner-connection:';

const amazonAuth: AlertRuleDefinition = {
  rule: 'amazon-auth',
  severity: 'critical',
  async evaluate({ ctx }) {
    const causes = new Map<string, AlertCause>();
    for (const x of await ctx.store.work.exceptions.list({ kind: 'seller-unavailable', states: unresolved, limit: SCAN_LIMIT })) {
      if (!x.seller || !isAuthorisationFailure(x)) continue;
      causes.set(x.seller, { key: x.seller, seller: x.seller, partner: null, message: `seller ${x.seller}: SP-API authorisation failed: ${x.message}`, details: { exceptionId: x.id, since: x.firstSeen } });
    }
    for (const c of await ctx.store.work.cursors.list(AMAZON_TOKEN)) {
      const seller = c.name.slice(AMAZON_TOKEN.length);
      const t = parseCursor<TokenCursor>(c.value);
      if (!t || causes.has(seller) || !failingSince(t.refreshedAt, t.lastErrorAt)) continue;
      causes.set(seller, {
        key: seller,
        seller,
        partner: null,
        message: `seller ${seller}: the LWA access token could not be refreshed (last refresh ${t.refreshedAt ?? 'never'}, failed at ${t.lastErrorAt}): ${t.lastError ?? 'no error recorded'}`,
        details: { refreshedAt: t.refreshedAt ?? null, lastErrorAt: t.lastErrorAt, lastError: t.lastError ?? null },
      });
    }
    return [...causes.values()];
  },
  async clearedBecause(ctx, alert) {
    const t = parseCursor<TokenCursor>((await ctx.store.work.cursors.get(`${AMAZON_TOKEN}${alert.key}`)) ?? '');
    if (t?.refreshedAt && !failingSince(t.refreshedAt, t.lastErrorAt) && later(t.refreshedAt, alert.firedAt)) return `the access token was refreshed at ${t.refreshedAt}`;
    return 'the seller was reached again (its seller-unavailable exception was resolved)';
  },
};

// ------------------------------------------------------------------ partner-refused

const partnerRefused: AlertRuleDefinition = {
  rule: 'partner-refused',
  severity: 'error',
  async evaluate({ ctx }) {
    const causes = new Map<string, AlertCause>();
    for (const x of await ctx.store.work.exceptions.list({ kind: 'partner-unavailable', states: unresolved, limit: SCAN_LIMIT })) {
      if (!x.partner) continue;
      causes.set(x.partner, { key: x.partner, seller: null, partner: x.partner, message: `partner ${x.partner}: its server refuses us: ${x.message}`, details: { exceptionId: x.id, since: x.firstSeen } });
    }
    for (const c of await ctx.store.work.cursors.list(PARTNER_CONNECTION)) {
      const partner = c.name.slice(PARTNER_CONNECTION.length);
      const k = parseCursor<ConnectionCursor>(c.value);
      if (!k || causes.has(partner) || !failingSince(k.lastOkAt, k.lastErrorAt)) continue;
      causes.set(partner, {
        key: partner,
        seller: null,
        partner,
        message: `partner ${partner}: the connection to its server failed at ${k.lastErrorAt} (last good ${k.lastOkAt ?? 'never'}): ${k.lastError ?? 'no error recorded'}`,
        details: { lastOkAt: k.lastOkAt ?? null, lastErrorAt: k.lastErrorAt, lastError: k.lastError ?? null },
      });
    }
    return [...causes.values()];
  },
  async clearedBecause(ctx, alert) {
    const k = parseCursor<ConnectionCursor>((await ctx.store.work.cursors.get(`${PARTNER_CONNECTION}${alert.key}`)) ?? '');
    if (k?.lastOkAt && !failingSince(k.lastOkAt, k.lastErrorAt) && later(k.lastOkAt, alert.firedAt)) return `its server answered again at ${k.lastOkAt}`;
    return 'its server answered again (the partner-unavailable exception was resolved)';
  },
};

/** Every rule, by the config's AlertRule names (the order they are checked in). */
export const RULES: Record<AlertRuleName, AlertRuleDefinition> = {
  'ack-overdue': ackOverdue,
  'tracking-lag': trackingLag,
  'ship-by-near': shipByNear,
  'inventory-stale': inventoryStale,
  'exception-unowned': exceptionUnowned,
  'amazon-auth': amazonAuth,
  'partner-refused': partnerRefused,
};
