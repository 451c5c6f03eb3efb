/**
 * Where each Amazon order stands, as the API shows it: the stage flags of the list (sent,
 * acknowledged, shipped, confirmed, lag, held) and one order's whole timeline from Amazon to the
 * warehouse and back, built from the durable records (order, revisions and the files that carried
 * them with their axes, exceptions naming the order, packages). Pure functions over the store.
 */
import { type AckState, type DeliveryState, type ExceptionRecord, type GatewayStore, type MessageAxes, type OrderRecord, type OrderRevisionRecord, type PackageRecord, type PackageState } from '../../store/work.ts';

/** Delivery axis values that mean the file reached the partner's server. */
const REACHED: ReadonlySet<DeliveryState | null> = new Set<DeliveryState | null>(['delivered', 'picked-up', 'not-picked-up']);
/** Acknowledgement values that mean the partner took the set. */
const TAKEN: ReadonlySet<AckState | null> = new Set<AckState | null>(['accepted', 'accepted-with-errors', 'partially-accepted']);

export interface OrderSummaryView {
  seller: string;
  orderId: string;
  marketplaceId: string;
  partner: string;
  state: OrderRecord['state'];
  amazonStatus: string;
  amazonUpdatedAt: string;
  shipBy: string | null;
  revision: number;
  /** Held by an exception (heldBy: its id). */
  held: boolean;
  heldBy: number | null;
  /** A revision's file reached the partner. */
  sent: boolean;
  /** The last revision's set (or file) was accepted by the partner's 997 / 999. */
  acknowledged: boolean;
  /** That acknowledgement axis as it stands (null: nothing sent yet). */
  acknowledgement: AckState | null;
  /** A package was recorded from a shipment advice. */
  shipped: boolean;
  /** Every package confirmed at Amazon (or the order is confirmed). */
  confirmed: boolean;
  packages: number;
  /** The largest tracking lag (confirmed - shipped) of its packages, seconds. */
  lagSeconds: number | null;
  createdAt: string;
  updatedAt: string;
}

/** A package as the API shows it: the record without its marketplace (the order has it) and bookkeeping times. */
export type PackageView = Omit<PackageRecord, 'marketplaceId' | 'createdAt' | 'updatedAt'>;

export interface RevisionView {
  revision: number;
  purpose: OrderRevisionRecord['purpose'];
  fileMessageId: number;
  setMessageId: number | null;
  fileName: string | null;
  createdAt: string;
  delivery: DeliveryState | null;
  deliveredAt: string | null;
  acknowledgement: AckState | null;
  acknowledgedAt: string | null;
}

export const TIMELINE_STAGES = ['amazon', 'sent', 'delivered', 'acknowledged', 'rejected', 'held', 'exception', 'cancelled', 'shipped', 'confirmed'] as const;
export type TimelineStage = (typeof TIMELINE_STAGES)[number];

export interface TimelineEntry {
  at: string;
  stage: TimelineStage;
  what: string;
  messageId: number | null;
  exceptionId: number | null;
  packageId: number | null;
}

export interface OrderDetailView {
  order: OrderSummaryView & { lines: OrderRecord['lines']; shipTo: unknown | null };
  revisions: RevisionView[];
  packages: PackageView[];
  exceptions: Array<{ id: number; kind: string; state: string; message: string; firstSeen: string; resolvedAt: string | null }>;
  timeline: TimelineEntry[];
  /** The buyer's address was left out (the token may not see buyer data). */
  redacted: boolean;
}

export const packageView = ({ marketplaceId: _marketplace, createdAt: _created, updatedAt: _updated, ...view }: PackageRecord): PackageView => view;

/** The axes that say how far a revision went: its set's (X12), else its file's (flat files). */
async function revisionAxes(store: GatewayStore, r: OrderRevisionRecord): Promise<{ file: MessageAxes | null; set: MessageAxes | null }> {
  const file = await store.work.messages.axes(r.fileMessageId);
  const set = r.setMessageId !== null ? await store.work.messages.axes(r.setMessageId) : null;
  return { file, set };
}

export async function orderSummary(store: GatewayStore, o: OrderRecord): Promise<OrderSummaryView> {
  const [revisions, packages] = await Promise.all([store.work.orders.revisions(o.seller, o.orderId), store.work.packages.forOrder(o.seller, o.orderId)]);
  let sent = false;
  let acknowledgement: AckState | null = null;
  for (const r of revisions) {
    const axes = await revisionAxes(store, r);
    if (REACHED.has(axes.file?.delivery ?? null)) sent = true;
    acknowledgement = (axes.set ?? axes.file)?.acknowledgement ?? acknowledgement;
  }
  const lags = packages.map((p) => p.lagSeconds).filter((x): x is number => x !== null);
  return {
    seller: o.seller,
    orderId: o.orderId,
    marketplaceId: o.marketplaceId,
    partner: o.partner,
    state: o.state,
    amazonStatus: o.amazonStatus,
    amazonUpdatedAt: o.amazonUpdatedAt,
    shipBy: o.shipBy,
    revision: o.revision,
    held: o.heldBy !== null || o.state === 'held',
    heldBy: o.heldBy,
    sent,
    acknowledged: TAKEN.has(acknowledgement),
    acknowledgement,
    shipped: packages.length > 0,
    confirmed: o.state === 'confirmed' || (packages.length > 0 && packages.every((p) => p.state === 'confirmed')),
    packages: packages.length,
    lagSeconds: lags.length ? Math.max(...lags) : null,
    createdAt: o.createdAt,
    updatedAt: o.updatedAt,
  };
}

export interface OrderListFilter {
  seller?: string;
  partner?: string;
  state?: OrderRecord['state'];
  limit: number;
  /** Continue after this (createdAt, seller, orderId): the paging cursor. */
  after?: { createdAt: string; seller: string; orderId: string };
}

const orderKey = (o: { createdAt: string; seller: string; orderId: string }) => [o.createdAt, o.seller, o.orderId] as const;
/** Newest first: a before b when a sorts after b on (createdAt, seller, orderId). */
function newerFirst(a: { createdAt: string; seller: string; orderId: string }, b: { createdAt: string; seller: string; orderId: string }): number {
  const ka = orderKey(a);
  const kb = orderKey(b);
  for (let i = 0; i < 3; i++) if (ka[i] !== kb[i]) return ka[i] < kb[i] ? 1 : -1;
  return 0;
}

/** Orders matching the filter, newest first; `next` continues the list (null: no more). */
export async function listOrderSummaries(store: GatewayStore, filter: OrderListFilter): Promise<{ items: OrderSummaryView[]; next: OrderListFilter['after'] | null }> {
  const all = await store.work.orders.list({ seller: filter.seller, partner: filter.partner, states: filter.state ? [filter.state] : undefined });
  all.sort(newerFirst);
  const after = filter.after;
  const start = after ? all.findIndex((o) => newerFirst(o, after) > 0) : 0;
  const page = start < 0 ? [] : all.slice(start, start + filter.limit);
  const items = await Promise.all(page.map((o) => orderSummary(store, o)));
  const last = page[page.length - 1];
  const more = start >= 0 && start + filter.limit < all.length;
  return { items, next: more && last ? { createdAt: last.createdAt, seller: last.seller, orderId: last.orderId } : null };
}

export interface PackageListFilter {
  seller?: string;
  partner?: string;
  orderId?: string;
  state?: PackageState;
  limit: number;
  /** Only packages with an id below this (the paging cursor). */
  beforeId?: number;
}

/** Packages matching the filter, newest first. */
export async function listPackages(store: GatewayStore, filter: PackageListFilter): Promise<{ items: PackageView[]; nextBeforeId: number | null }> {
  const all = (await store.work.packages.list({ seller: filter.seller, states: filter.state ? [filter.state] : undefined }))
    .filter((p) => (!filter.partner || p.partner === filter.partner) && (!filter.orderId || p.orderId === filter.orderId) && (filter.beforeId === undefined || p.id < filter.beforeId))
    .sort((a, b) => b.id - a.id);
  const page = all.slice(0, filter.limit);
  return { items: page.map(packageView), nextBeforeId: all.length > filter.limit ? page[page.length - 1].id : null };
}

/** The exceptions that name the order (as their key or among their refs), oldest first. */
async function exceptionsOf(store: GatewayStore, o: OrderRecord): Promise<ExceptionRecord[]> {
  const out = new Map<number, ExceptionRecord>();
  // An order released from an exception (a fixed SKU) is kept in its context.details.released.
  const names = (x: ExceptionRecord) => x.key === o.orderId || x.refs.includes(o.orderId) || (Array.isArray(x.context.details?.released) && (x.context.details.released as unknown[]).includes(o.orderId));
  for (const x of await store.work.exceptions.list({ seller: o.seller })) if (names(x)) out.set(x.id, x);
  // An exception raised without a seller (a partner-wide rejection) still names the order in its refs.
  for (const x of await store.work.exceptions.list({ partner: o.partner })) if (x.seller === null && names(x)) out.set(x.id, x);
  if (o.heldBy !== null && !out.has(o.heldBy)) {
    const x = await store.work.exceptions.get(o.heldBy);
    if (x) out.set(x.id, x);
  }
  return [...out.values()].sort((a, b) => a.id - b.id);
}

/** The canonical ship order as last sent (the buyer's address), null when retention purged it. */
async function shipToOf(store: GatewayStore, o: OrderRecord): Promise<unknown | null> {
  if (!store.blobs.has(o.documentSha256)) return null;
  try {
    const doc = (JSON.parse((await store.blobs.read(o.documentSha256)).toString('utf8')) as { orders?: Record<string, { shipTo?: unknown }> }).orders?.[o.orderId];
    return doc?.shipTo ?? null;
  } catch {
    return null;
  }
}

const STAGE_ORDER = new Map<TimelineStage, number>(TIMELINE_STAGES.map((s, i) => [s, i]));

/** One order with its revisions, packages, exceptions and timeline; null when the gateway does not know it. */
export async function orderDetail(store: GatewayStore, seller: string, orderId: string, viewer: { buyerData: boolean }): Promise<OrderDetailView | null> {
  const o = await store.work.orders.get(seller, orderId);
  if (!o) return null;
  const summary = await orderSummary(store, o);
  const timeline: TimelineEntry[] = [];
  const add = (at: string | null, stage: TimelineStage, what: string, ids: Partial<Pick<TimelineEntry, 'messageId' | 'exceptionId' | 'packageId'>> = {}) => {
    if (at) timeline.push({ at, stage, what, messageId: ids.messageId ?? null, exceptionId: ids.exceptionId ?? null, packageId: ids.packageId ?? null });
  };
  add(o.createdAt, 'amazon', `seen on Amazon (${o.marketplaceId})`);
  if (o.amazonUpdatedAt !== o.createdAt) add(o.amazonUpdatedAt, 'amazon', `Amazon's last update of the order: ${o.amazonStatus}`);

  const revisions: RevisionView[] = [];
  for (const r of await store.work.orders.revisions(seller, orderId)) {
    const file = store.get(r.fileMessageId);
    const { file: fa, set: sa } = await revisionAxes(store, r);
    const ack = sa ?? fa;
    const name = file?.fileName ?? `message ${r.fileMessageId}`;
    revisions.push({
      revision: r.revision,
      purpose: r.purpose,
      fileMessageId: r.fileMessageId,
      setMessageId: r.setMessageId,
      fileName: file?.fileName ?? null,
      createdAt: r.createdAt,
      delivery: fa?.delivery ?? null,
      deliveredAt: fa?.deliveredAt ?? null,
      acknowledgement: ack?.acknowledgement ?? null,
      acknowledgedAt: ack?.acknowledgedAt ?? null,
    });
    add(r.createdAt, r.purpose === 'cancel' ? 'cancelled' : 'sent', `revision ${r.revision} (${r.purpose}) queued for ${o.partner} in ${name}`, { messageId: r.fileMessageId });
    if (fa?.deliveredAt && REACHED.has(fa.delivery)) add(fa.deliveredAt, 'delivered', `${name} delivered to ${o.partner}`, { messageId: r.fileMessageId });
    if (ack?.acknowledgedAt && ack.acknowledgement && ack.acknowledgement !== 'awaiting' && ack.acknowledgement !== 'overdue' && ack.acknowledgement !== 'not-expected') {
      const rejected = ack.acknowledgement === 'rejected';
      add(ack.acknowledgedAt, rejected ? 'rejected' : 'acknowledged', `${o.partner} ${rejected ? 'rejected' : ack.acknowledgement} revision ${r.revision}`, { messageId: r.setMessageId ?? r.fileMessageId });
    }
  }
  if (o.state === 'cancelled' && !revisions.some((r) => r.purpose === 'cancel')) add(o.updatedAt, 'cancelled', 'cancelled on Amazon before anything went to the warehouse');

  const exceptions = await exceptionsOf(store, o);
  for (const x of exceptions) {
    const held = x.id === o.heldBy || (Array.isArray(x.context.details?.released) && (x.context.details.released as unknown[]).includes(o.orderId));
    add(x.firstSeen, held ? 'held' : 'exception', `${x.kind}: ${x.message}`, { exceptionId: x.id });
    if (x.resolvedAt) add(x.resolvedAt, 'exception', `${x.kind} resolved${x.note ? `: ${x.note}` : ''}`, { exceptionId: x.id });
  }

  const packages = (await store.work.packages.forOrder(seller, orderId)).map(packageView);
  for (const p of packages) {
    add(p.shippedAt, 'shipped', `package ${p.id} shipped by ${o.partner}: ${p.carrierCode ?? p.carrierName ?? 'carrier ?'} ${p.trackingNumber}`, { messageId: p.fileMessageId, packageId: p.id });
    if (p.confirmedAt) add(p.confirmedAt, 'confirmed', `package ${p.id} confirmed at Amazon${p.lagSeconds !== null ? ` (${p.lagSeconds} s after shipping)` : ''}`, { packageId: p.id });
  }
  // By time; at one time, in the order things happen (sent before delivered before acknowledged...).
  timeline.sort((a, b) => (a.at !== b.at ? (Date.parse(a.at) < Date.parse(b.at) ? -1 : 1) : STAGE_ORDER.get(a.stage)! - STAGE_ORDER.get(b.stage)!));

  const shipTo = viewer.buyerData ? await shipToOf(store, o) : null;
  return {
    order: { ...summary, lines: o.lines, shipTo },
    revisions,
    packages,
    exceptions: exceptions.map((x) => ({ id: x.id, kind: x.kind, state: x.state, message: x.message, firstSeen: x.firstSeen, resolvedAt: x.resolvedAt })),
    timeline,
    redacted: !viewer.buyerData,
  };
}
