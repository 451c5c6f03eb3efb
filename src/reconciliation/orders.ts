/**
 * The orders reconciliation: every Amazon MFN order of a window against what became of it on
 * the way to the warehouse and back (the order-exception review operators do daily):
 *
 *   received (Dockgate recorded it) -> send (its ship order reached the warehouse)
 *     -> acknowledgement (the partner's 997 / 999, when its acks are required)
 *     -> shipment (advices for every unit) -> confirmation (every package confirmed at Amazon)
 *
 * Each step has a window (STEP_WINDOWS and the partner's and the gateway's settings); an order
 * past the window of the step it stopped at is stuck there since the previous step. The store's
 * records say where each known order is; an Amazon search of the window (searchOrders, unshipped
 * and partially shipped, a page per hundred orders) finds the worst case: orders Amazon has that
 * Dockgate never saw. The computation reads; the flow (src/flows/reconciliation.ts) raises and
 * resolves the order-stuck exceptions.
 */
import { alertThresholds } from '../alerts/settings.ts';
import type { GatewayContext } from '../flows/context.ts';
import type { AckState, DeliveryState, OrderRecord, PackageRecord, Work } from '../store/work.ts';

export const ORDER_STEPS = ['received', 'send', 'acknowledgement', 'shipment', 'confirmation', 'done', 'cancelled'] as const;
export type OrderStep = (typeof ORDER_STEPS)[number];

/** The windows no partner or gateway setting gives, minutes. */
export const STEP_WINDOWS = {
  /** An unshipped order on Amazon that Dockgate has not recorded this long after Amazon created it: the order poll runs every few minutes, so an hour is a missed order. */
  receivedMinutes: 60,
  /** A recorded order whose ship order has not reached the warehouse this long after: held, or its delivery failing. */
  sendMinutes: 60,
} as const;

/** Delivery axis values that mean the file reached the partner's server. */
const REACHED = new Set<DeliveryState | null>(['delivered', 'picked-up', 'not-picked-up']);
/** Acknowledgement values that mean the partner took the set. */
const TAKEN = new Set<AckState | null>(['accepted', 'accepted-with-errors', 'partially-accepted']);

export interface OrderReconciliationRow {
  seller: string;
  orderId: string;
  partner: string | null;
  /** In the Amazon search of the window as unshipped / partially shipped (null: the search was not made). */
  onAmazon: boolean | null;
  amazonStatus: string | null;
  /** The store's state (null: Dockgate never recorded the order). */
  state: OrderRecord['state'] | null;
  /** When Dockgate recorded it (Amazon's createdTime for an order it never saw). */
  createdAt: string;
  shipBy: string | null;
  deliveredAt: string | null;
  acknowledgement: AckState | null;
  acknowledgedAt: string | null;
  packages: number;
  /** When the last advice's package was recorded, and when the last package was confirmed. */
  adviceAt: string | null;
  confirmedAt: string | null;
  /** The step it waits on (done / cancelled: none). */
  step: OrderStep;
  /** Since when it waits there (the previous step's time). */
  since: string | null;
  /** When the step's window ends (null: no window, e.g. no ship-by). */
  dueAt: string | null;
  stuck: boolean;
  /** Why it is stuck (or waits), one line. */
  reason: string | null;
}

export interface OrdersReconciliation {
  seller: string;
  generatedAt: string;
  since: string;
  /** The Amazon search was made (false: the store only, e.g. credentials missing). */
  amazonSearched: boolean;
  rows: OrderReconciliationRow[];
}

export const ORDER_SORTABLE_COLUMNS = ['orderId', 'partner', 'state', 'createdAt', 'shipBy', 'step', 'since', 'dueAt', 'stuck', 'amazonStatus'] as const satisfies ReadonlyArray<keyof OrderReconciliationRow>;
export type OrderSortColumn = (typeof ORDER_SORTABLE_COLUMNS)[number];

const MINUTE = 60_000;
const plus = (iso: string, minutes: number) => new Date(Date.parse(iso) + minutes * MINUTE).toISOString();
const latest = (xs: Array<string | null>) => xs.filter((x): x is string => x !== null).sort().at(-1) ?? null;

/** `--since 7d` / `48h` / `90m`, or an ISO time; returns the ISO time. Throws with the text when neither. */
export function parseSince(text: string, now: Date): string {
  const rel = /^(\d{1,5})([dhm])$/.exec(text.trim());
  if (rel) return new Date(now.getTime() - Number(rel[1]) * { d: 86_400_000, h: 3_600_000, m: MINUTE }[rel[2] as 'd' | 'h' | 'm']).toISOString();
  const t = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(t)) throw new Error(`--since: ${JSON.stringify(text)} is neither an ISO 8601 time nor a span like 7d, 48h, 90m`);
  return new Date(t).toISOString();
}

/** How far one recorded order got, from its revisions, their files' axes and its packages. */
async function rowOf(ctx: GatewayContext, w: Work, o: OrderRecord, nowIso: string, onAmazon: boolean | null): Promise<OrderReconciliationRow> {
  const revisions = (await w.orders.revisions(o.seller, o.orderId)).sort((a, b) => a.revision - b.revision);
  let deliveredAt: string | null = null;
  let acknowledgement: AckState | null = null;
  let acknowledgedAt: string | null = null;
  for (const r of revisions) {
    if (r.purpose === 'cancel') continue;
    const file = await w.messages.axes(r.fileMessageId);
    const set = r.setMessageId !== null ? await w.messages.axes(r.setMessageId) : null;
    if (REACHED.has(file?.delivery ?? null) && file?.deliveredAt) deliveredAt = deliveredAt ?? file.deliveredAt;
    const ack = set ?? file;
    if (ack?.acknowledgement) {
      acknowledgement = ack.acknowledgement;
      acknowledgedAt = ack.acknowledgedAt;
    }
  }
  const packages: PackageRecord[] = await w.packages.forOrder(o.seller, o.orderId);
  const partner = ctx.mappings.partners.get(o.partner);
  const acksRequired = partner?.acks?.required ?? false;
  const base = {
    seller: o.seller,
    orderId: o.orderId,
    partner: o.partner,
    onAmazon,
    amazonStatus: o.amazonStatus,
    state: o.state,
    createdAt: o.createdAt,
    shipBy: o.shipBy,
    deliveredAt,
    acknowledgement,
    acknowledgedAt,
    packages: packages.length,
    adviceAt: latest(packages.map((p) => p.createdAt)),
    confirmedAt: latest(packages.map((p) => p.confirmedAt)),
  };
  const at = (step: OrderStep, since: string | null, dueAt: string | null, reason: string | null, stuckNow = false): OrderReconciliationRow => ({
    ...base,
    step,
    since,
    dueAt,
    stuck: stuckNow || (dueAt !== null && Date.parse(nowIso) > Date.parse(dueAt)),
    reason,
  });

  if (o.state === 'cancelled' || o.state === 'cancel-sent') return at('cancelled', o.updatedAt, null, null);
  const unconfirmed = packages.filter((p) => p.state !== 'confirmed');
  if (o.state === 'confirmed' || (o.state === 'shipped' && packages.length > 0 && unconfirmed.length === 0)) return at('done', base.confirmedAt, null, null);

  // Nothing reached the warehouse yet.
  if (deliveredAt === null) {
    const due = plus(o.createdAt, STEP_WINDOWS.sendMinutes);
    const why = o.state === 'held' ? `held${o.heldBy !== null ? ` by exception ${o.heldBy}` : ''}: not sent to ${o.partner}` : `not delivered to ${o.partner} (${o.state})`;
    return at('send', o.createdAt, due, why);
  }
  if (o.state === 'rejected' || acknowledgement === 'rejected') return at('acknowledgement', acknowledgedAt ?? deliveredAt, acknowledgedAt ?? deliveredAt, `${o.partner} rejected the ship order`, true);
  let readyAt = deliveredAt;
  if (acksRequired && !TAKEN.has(acknowledgement)) {
    const within = partner?.acks?.withinMinutes ?? 60;
    return at('acknowledgement', deliveredAt, plus(deliveredAt, within), `no acknowledgement from ${o.partner} (${acknowledgement ?? 'none'}) within ${within} minutes of delivery`);
  }
  if (acksRequired && acknowledgedAt) readyAt = acknowledgedAt;

  // At the warehouse: every unit shipped by ship-by, every package confirmed within the tracking lag.
  const lag = alertThresholds(ctx).trackingLagMinutes;
  const oldestUnconfirmed = unconfirmed.map((p) => p.createdAt).sort()[0] ?? null;
  const confirmation = oldestUnconfirmed
    ? at('confirmation', oldestUnconfirmed, plus(oldestUnconfirmed, lag), `${unconfirmed.length} package(s) not confirmed at Amazon (${[...new Set(unconfirmed.map((p) => p.state))].join(', ')}) within ${lag} minutes of the advice`)
    : null;
  const allShipped = o.state === 'shipped' || o.lines.every((l) => l.shipped >= l.ordered);
  if (!allShipped) {
    const open = o.lines.reduce((n, l) => n + Math.max(0, l.ordered - l.shipped), 0);
    const shipment = at('shipment', packages.length ? (latest(packages.map((p) => p.createdAt)) ?? readyAt) : readyAt, o.shipBy, `${open} unit(s) not shipped by ${o.partner}${o.shipBy ? ` (ship by ${o.shipBy})` : ''}`);
    // Stuck at shipment first; else a late confirmation of what did ship; else it waits for the warehouse.
    if (shipment.stuck || !confirmation?.stuck) return shipment;
    return confirmation;
  }
  if (confirmation) return confirmation;
  return at('confirmation', base.adviceAt ?? readyAt, null, 'shipped; no package recorded to confirm');
}

export interface OrdersReconcileOptions {
  /** ISO; default: settings.firstLookbackDays ago. */
  since?: string;
  /** Search Amazon's own list of the window (default true). */
  amazon?: boolean;
}

/** The orders reconciliation of one seller. Amazon's search failing is an error (the caller decides); `amazon: false` skips it. */
export async function reconcileOrders(ctx: GatewayContext, seller: string, options: OrdersReconcileOptions = {}): Promise<OrdersReconciliation> {
  if (!ctx.mappings.sellers.has(seller)) throw new Error(`no seller '${seller}' in the mappings`);
  const now = ctx.clock.now();
  const nowIso = now.toISOString();
  const since = options.since ?? new Date(now.getTime() - ctx.settings.firstLookbackDays * 86_400_000).toISOString();
  const w = ctx.store.work;
  const searched = options.amazon ?? true;
  const onAmazon = new Map<string, { status: string; createdTime: string; shipBy: string | null }>();
  if (searched) {
    for await (const o of ctx.amazon(seller).searchMfnOrders({ lastUpdatedAfter: new Date(since), includedData: ['FULFILLMENT'] })) {
      onAmazon.set(o.orderId, { status: o.fulfillment?.fulfillmentStatus ?? 'UNKNOWN', createdTime: o.createdTime, shipBy: o.fulfillment?.shipByWindow?.latestDateTime ?? null });
    }
  }
  const rows: OrderReconciliationRow[] = [];
  const known = new Set<string>();
  for (const o of await w.orders.list({ seller })) {
    known.add(o.orderId);
    // The window: recorded in it, or still open (an order stuck since before the window is still stuck).
    const open = !['confirmed', 'cancelled', 'cancel-sent'].includes(o.state);
    if (Date.parse(o.createdAt) < Date.parse(since) && !open && !onAmazon.has(o.orderId)) continue;
    const a = onAmazon.get(o.orderId);
    const row = await rowOf(ctx, w, o, nowIso, searched ? a !== undefined : null);
    if (a) row.amazonStatus = a.status;
    rows.push(row);
  }
  // The worst case: Amazon has it, unshipped, and Dockgate never recorded it.
  for (const [orderId, a] of onAmazon) {
    if (known.has(orderId)) continue;
    const due = plus(a.createdTime, STEP_WINDOWS.receivedMinutes);
    rows.push({
      seller,
      orderId,
      partner: null,
      onAmazon: true,
      amazonStatus: a.status,
      state: null,
      createdAt: new Date(a.createdTime).toISOString(),
      shipBy: a.shipBy,
      deliveredAt: null,
      acknowledgement: null,
      acknowledgedAt: null,
      packages: 0,
      adviceAt: null,
      confirmedAt: null,
      step: 'received',
      since: new Date(a.createdTime).toISOString(),
      dueAt: due,
      stuck: Date.parse(nowIso) > Date.parse(due),
      reason: `on Amazon (${a.status}) and never recorded by Dockgate`,
    });
  }
  rows.sort((x, y) => Number(y.stuck) - Number(x.stuck) || x.createdAt.localeCompare(y.createdAt) || x.orderId.localeCompare(y.orderId));
  return { seller, generatedAt: nowIso, since, amazonSearched: searched, rows };
}

export function sortOrderRows(rows: OrderReconciliationRow[], sort: string | undefined): OrderReconciliationRow[] {
  if (!sort) return rows;
  const descending = sort.startsWith('-');
  const column = (descending ? sort.slice(1) : sort) as OrderSortColumn;
  return [...rows].sort((a, b) => {
    const x = a[column];
    const y = b[column];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = typeof x === 'boolean' ? Number(x) - Number(y as boolean) : String(x).localeCompare(String(y));
    return (descending ? -order : order) || a.orderId.localeCompare(b.orderId);
  });
}

const yesNo = (b: boolean | null) => (b === null ? null : b ? 'true' : 'false');

/** The CSV columns, in order (booleans as true / false: csv-stringify would write 1 and an empty cell). */
export const ORDER_CSV_COLUMNS: Array<{ header: string; value(r: OrderReconciliationRow): string | number | null }> = [
  { header: 'seller', value: (r) => r.seller },
  { header: 'orderId', value: (r) => r.orderId },
  { header: 'stuck', value: (r) => yesNo(r.stuck) },
  { header: 'step', value: (r) => r.step },
  { header: 'since', value: (r) => r.since },
  { header: 'dueAt', value: (r) => r.dueAt },
  { header: 'reason', value: (r) => r.reason },
  { header: 'partner', value: (r) => r.partner },
  { header: 'state', value: (r) => r.state },
  { header: 'onAmazon', value: (r) => yesNo(r.onAmazon) },
  { header: 'amazonStatus', value: (r) => r.amazonStatus },
  { header: 'createdAt', value: (r) => r.createdAt },
  { header: 'shipBy', value: (r) => r.shipBy },
  { header: 'deliveredAt', value: (r) => r.deliveredAt },
  { header: 'acknowledgement', value: (r) => r.acknowledgement },
  { header: 'acknowledgedAt', value: (r) => r.acknowledgedAt },
  { header: 'packages', value: (r) => r.packages },
  { header: 'adviceAt', value: (r) => r.adviceAt },
  { header: 'confirmedAt', value: (r) => r.confirmedAt },
];
