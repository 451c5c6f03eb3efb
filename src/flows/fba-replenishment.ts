/**
 * FBA replenishment, the send side, as a route:
 *   from   each seller's Fulfillment Inbound 2024-03-20 shipments in READY_TO_SHIP (the seller task
 *          `fba:<seller>`, every settings.fbaPollMinutes), or one named by hand (`dockgate fba send`)
 *   steps  not yet recorded (an FbaShipmentRecord by seller + Amazon Shipment ID FBA...) -> the
 *          shipment's detail (boxes, items, destination FC address) and its labels URL -> which
 *          warehouse (the seller's fba.plans[plan id or name] ?? fba.warehouse ?? its warehouse) ->
 *          the canonical ShipOrder of type fba-inbound (orderId = the Amazon Shipment ID, lines from
 *          the shipment's items, the boxes and box count with it) -> checked against the model and
 *          the seller's SKU table
 *   to     the orders machinery (orders-to-warehouse.ts sendShipOrders): the ship-order file, its
 *          control numbers, envelope rows, delivery job and the order's revision, and in the same
 *          transaction the FbaShipmentRecord in state sent — or, when it cannot go as it stands,
 *          the record in state held with an exception (fba-shipment-problem, unmapped-sku) that
 *          says what to fix; `dockgate exceptions retry` sends it after the fix.
 *
 * Also here: the fba-not-shipped check (sent and not shipped within the seller's fba.shipWithinDays
 * ?? settings.fbaShipWithinDays), and a shipment Amazon cancelled after it was sent (a cancel to
 * the warehouse where its ship orders take changes, else an exception). What happens when the
 * warehouse ships it is src/flows/fba-shipped.ts.
 */
import { AmazonApiError, AmazonConfigError } from '../amazon/errors.ts';
import type { InboundShipmentDetail, InboundShipmentSummary } from '../amazon/types.ts';
import type { CheckTask, SellerTask } from '../gateway/gateway.ts';
import type { Mappings } from '../mapping/load.ts';
import { skuIndex } from '../mapping/resolve.ts';
import type { PartnerFile, SellerFile } from '../mapping/schema.ts';
import { ShipOrder, type FbaInboundBox } from '../model/index.ts';
import type { FbaBox, FbaShipmentRecord, FbaShipmentState } from '../store/fba.ts';
import type { ExceptionRecord, OrderRecord, RaiseException, Work } from '../store/work.ts';
import { nowIso, type DocumentRoute, type ExceptionRetries, type FlowRunSummary, type GatewayContext, type JobHandlers } from './context.ts';
import { addressHash, DocumentReader, keepDocuments, linesOf, OrdersFlowError, sendShipOrders, warehouseOf, type Outcome, type Outgoing } from './orders-to-warehouse.ts';

const FLOW = 'fba-replenishment';
/** Amazon's shipment status when boxes are packed, labelled and the shipment may leave (2024-03-20 Shipment.status). */
export const READY_TO_SHIP = 'READY_TO_SHIP';
/** Statuses of a shipment that will not go (2024-03-20 ShipmentSummary.status): a sent one is cancelled at the warehouse. */
export const CANCELLED_STATUSES: readonly string[] = ['CANCELLED', 'ABANDONED', 'DELETED'];
/** States in which the warehouse has the order and has not shipped it: a cancel can still follow it. */
const AT_WAREHOUSE: readonly FbaShipmentState[] = ['sent'];
/** What the fulfilment centre is called on the paperwork when Amazon's address names no company. */
const FC_COMPANY = 'Amazon.com Services LLC';

type Counts = Record<string, number>;
const bump = (c: Counts, k: string, n = 1) => {
  c[k] = (c[k] ?? 0) + n;
};

/** A send that cannot run as asked (no such shipment at Amazon, cancelled, an unknown partner). */
export class FbaSendError extends Error {
  constructor(
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'FbaSendError';
  }
}

// ------------------------------------------------------------------ which warehouse

/**
 * The partner that ships a seller's FBA shipment: the seller's fba.plans entry for the plan (by
 * its id wf..., else its name), else fba.warehouse, else the partner that gets its orders. The
 * load checks (src/mapping/load.ts) make sure each named partner exists and takes ship orders.
 */
export function fbaWarehouseOf(mappings: Mappings, sellerId: string, plan: { inboundPlanId?: string | null; planName?: string | null } = {}): PartnerFile {
  const seller = mappings.sellers.get(sellerId);
  if (!seller) throw new OrdersFlowError(`no seller ${sellerId} in the mappings`, { seller: sellerId });
  const plans = seller.fba?.plans ?? {};
  const named = (plan.inboundPlanId && plans[plan.inboundPlanId]) || (plan.planName && plans[plan.planName]) || seller.fba?.warehouse;
  if (!named) return warehouseOf(mappings, sellerId);
  const p = mappings.partners.get(named);
  if (!p) throw new OrdersFlowError(`seller ${sellerId}: FBA shipments go to ${named}, which is not a partner in the mappings`, { seller: sellerId });
  return p;
}

// ------------------------------------------------------------------ Amazon's shipment -> a ship order

/** An SSCC as Amazon may give it (with the GS1 application identifier 00 in front) to its 18 digits. */
function ssccOf(id: string | undefined): string | undefined {
  if (!id) return undefined;
  const digits = id.replace(/\s/g, '');
  return /^00\d{18}$/.test(digits) ? digits.slice(2) : digits;
}

/** Amazon's boxes as the record keeps them; a box without an id gets the one its label carries (Shipment ID + U + index). */
function boxesOf(detail: InboundShipmentDetail, fbaId: string): FbaBox[] {
  return detail.boxes.map((b, i) => ({
    boxId: b.boxId ?? `${fbaId}U${String(i + 1).padStart(6, '0')}`,
    ...(b.sscc && { sscc: ssccOf(b.sscc) }),
    items: b.items.map((it) => ({ msku: it.msku, ...(it.fnsku && { fnsku: it.fnsku }), ...(it.asin && { asin: it.asin }), quantity: it.quantity })),
  }));
}

function modelBoxes(boxes: FbaBox[]): FbaInboundBox[] {
  return boxes.map((b) => ({ boxId: b.boxId, ...(b.sscc && { sscc: b.sscc }), contents: b.items.map((it) => ({ sellerSku: it.msku, ...(it.fnsku && { fnsku: it.fnsku }), quantity: it.quantity })) }));
}

/** The FC's name on the paperwork: Amazon's address name, with the FC code when it lacks it ("Amazon.com Services LLC RNO4"). */
function fcName(name: string | undefined, fc: string): string {
  const n = (name ?? '').trim() || FC_COMPANY;
  return n.toUpperCase().includes(fc.toUpperCase()) ? n : `${n} ${fc}`;
}

/** The lines of the ship order: one per seller SKU, the units of every box of it (Amazon's items list, else the boxes'). */
function linesFrom(detail: InboundShipmentDetail): ShipOrder['lines'] {
  const source = detail.items.length ? detail.items : detail.boxes.flatMap((b) => b.items);
  const by = new Map<string, { fnsku?: string; asin?: string; quantity: number }>();
  for (const it of source) {
    const l = by.get(it.msku) ?? { ...(it.fnsku && { fnsku: it.fnsku }), ...(it.asin && { asin: it.asin }), quantity: 0 };
    l.quantity += it.quantity;
    by.set(it.msku, l);
  }
  return [...by].map(([sellerSku, l], i) => ({ lineNumber: i + 1, sellerSku, ...(l.fnsku && { fnsku: l.fnsku }), ...(l.asin && { asin: l.asin }), quantity: l.quantity, unit: 'EA' as const }));
}

/** What was read from Amazon about one shipment, ready to become a record and a ship order. */
interface Prepared {
  record: FbaShipmentRecord;
  /** The ship order, when it can be built; else the problems that hold it. */
  doc: ShipOrder | null;
  problems: RaiseException[];
  partner: PartnerFile | null;
}

/**
 * Build the record and the ship order of one shipment from Amazon's detail. Problems (no valid
 * Shipment ID, no destination, no warehouse, an SKU the seller's table lacks) are returned as the
 * exceptions that hold it, each naming what to fix.
 */
function prepare(ctx: GatewayContext, seller: SellerFile, detail: InboundShipmentDetail, labelsUrl: string | null, source: 'poll' | 'manual', before: FbaShipmentRecord | null, warehouse?: string): Prepared {
  const now = nowIso(ctx);
  const fbaId = detail.confirmationId || detail.shipmentId;
  const fc = detail.destinationFc ?? '';
  const problems: RaiseException[] = [];
  const sellerFile = ctx.mappings.files.get(seller) ?? seller.id;
  let partner: PartnerFile | null = null;
  try {
    if (warehouse) {
      partner = ctx.mappings.partners.get(warehouse) ?? null;
      if (!partner) throw new OrdersFlowError(`--warehouse ${warehouse} is not a partner in the mappings`);
    } else partner = fbaWarehouseOf(ctx.mappings, seller.id, { inboundPlanId: detail.inboundPlanId, planName: detail.planName });
    if (!partner.sellers.includes(seller.id) || partner.documents['ship-order']?.direction !== 'out') {
      throw new OrdersFlowError(`partner ${partner.id} ${partner.sellers.includes(seller.id) ? 'takes no ship orders' : `does not list seller ${seller.id}`}`);
    }
  } catch (e) {
    if (!(e instanceof OrdersFlowError)) throw e;
    problems.push({
      kind: 'fba-shipment-problem',
      severity: 'error',
      seller: seller.id,
      key: fbaId,
      message: `FBA shipment ${fbaId}: no warehouse to send it to: ${e.message} (fba.plans / fba.warehouse / warehouse in ${sellerFile})`,
      context: { mappingFile: sellerFile, mappingKey: 'fba.warehouse', details: { inboundPlanId: detail.inboundPlanId, planName: detail.planName ?? null } },
      ref: fbaId,
      now,
    });
    partner = null;
  }
  const boxes = boxesOf(detail, fbaId);
  const record: FbaShipmentRecord = {
    seller: seller.id,
    shipmentId: fbaId,
    inboundPlanId: detail.inboundPlanId,
    amazonShipmentId: detail.shipmentId,
    planName: detail.planName ?? null,
    marketplaceId: before?.marketplaceId ?? seller.marketplaces[0],
    partner: partner?.id ?? before?.partner ?? '',
    destinationFc: fc,
    amazonReferenceId: detail.amazonReferenceId ?? null,
    amazonStatus: detail.status ?? 'UNKNOWN',
    boxes,
    labelsUrl,
    state: 'held',
    source: before?.source ?? source,
    sentAt: before?.sentAt ?? null,
    shippedAt: null,
    trackingAt: null,
    shipped: null,
    problems: [],
    asnMessageId: null,
    exceptionId: null,
    createdAt: before?.createdAt ?? now,
    updatedAt: now,
  };
  const a = detail.destinationAddress;
  const candidate = {
    kind: 'ShipOrder' as const,
    orderId: fbaId,
    type: 'fba-inbound' as const,
    seller: seller.id,
    marketplaceId: record.marketplaceId,
    purpose: 'new' as const,
    shipTo: a
      ? { name: fcName(a.name, fc), lines: [a.addressLine1, ...(a.addressLine2 ? [a.addressLine2] : [])], city: a.city, ...(a.stateOrRegion && { stateOrRegion: a.stateOrRegion }), ...(a.postalCode && { postalCode: a.postalCode }), countryCode: a.countryCode }
      : undefined,
    notes: [],
    lines: linesFrom(detail),
    fbaInbound: {
      shipmentId: fbaId,
      ...(detail.amazonReferenceId && { referenceId: detail.amazonReferenceId }),
      destinationFc: fc,
      inboundPlanId: detail.inboundPlanId,
      ...(boxes.length && { boxCount: boxes.length, boxes: modelBoxes(boxes) }),
      ...(labelsUrl && { labelsUrl }),
    },
  };
  const parsed = ShipOrder.safeParse(candidate);
  if (!parsed.success) {
    // The model's own words, with the field: what Amazon gave that cannot go to a warehouse (a Shipment ID
    // not shaped FBA..., no destination address, no items). Never sent as it stands.
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(order)'}: ${i.message}`);
    problems.push({
      kind: 'fba-shipment-problem',
      severity: 'error',
      seller: seller.id,
      ...(partner && { partner: partner.id }),
      key: fbaId,
      message: `FBA shipment ${fbaId} (plan ${detail.planName ?? detail.inboundPlanId}) cannot go to the warehouse as Amazon has it: ${issues.join('; ')}; fix it in Seller Central (the carrier is turned away without a valid Amazon Shipment ID), then retry`,
      context: { where: String(parsed.error.issues[0]?.path.join('.') ?? ''), details: { inboundPlanId: detail.inboundPlanId, amazonShipmentId: detail.shipmentId, issues } },
      ref: fbaId,
      now,
    });
  }
  // SKUs the seller's table lacks: the warehouse would not know what to pick. The same exception the orders raise, listing this shipment.
  const index = skuIndex(ctx.mappings, seller.id);
  const tableFile = ctx.mappings.files.get(index.table) ?? seller.skus;
  for (const l of candidate.lines) {
    if (index.bySellerSku.has(l.sellerSku)) continue;
    problems.push({
      kind: 'unmapped-sku',
      severity: 'error',
      seller: seller.id,
      ...(partner && { partner: partner.id }),
      key: l.sellerSku,
      message: `SKU ${l.sellerSku} of seller ${seller.id} is not in its SKU table: the orders and FBA shipments with it are held until it is added (then retry)`,
      context: { mappingFile: tableFile, mappingKey: 'items', where: `lines[${l.lineNumber - 1}].sellerSku`, details: { document: 'ship-order', fbaShipment: fbaId } },
      ref: fbaId,
      now,
    });
  }
  return { record, doc: parsed.success && problems.length === 0 ? parsed.data : null, problems, partner };
}

// ------------------------------------------------------------------ sending or holding

export type SendResult = { outcome: 'sent' | 'held' | 'already' | 'skipped'; record: FbaShipmentRecord | null; message: string };

/** Drop the shipment from the hold exceptions it is listed on (other than `keep`); each resolves when none is left. */
async function releaseHolds(w: Work, record: FbaShipmentRecord, keep: Set<number>, note: string, now: string): Promise<void> {
  for (const kind of ['fba-shipment-problem', 'unmapped-sku', 'unsendable-text', 'mapping-problem'] as const) {
    for (const x of await w.exceptions.list({ states: ['open', 'acknowledged'], kind, seller: record.seller })) {
      if (!keep.has(x.id) && x.refs.includes(record.shipmentId)) await w.exceptions.dropRef(x.id, record.shipmentId, note, now);
    }
  }
}

async function hold(ctx: GatewayContext, p: Prepared, problems: RaiseException[], counts: Counts): Promise<SendResult> {
  const now = nowIso(ctx);
  const record = await ctx.store.transaction(async (w) => {
    const ids = new Set<number>();
    for (const x of problems) ids.add((await w.exceptions.raise(x)).id);
    const r: FbaShipmentRecord = { ...p.record, state: 'held', exceptionId: [...ids][0] ?? null, updatedAt: now };
    await w.fba.put(r);
    await releaseHolds(w, r, ids, `FBA shipment ${r.shipmentId} is held by another cause now`, now);
    return r;
  });
  bump(counts, 'held');
  ctx.log.warn({ event: 'fba-shipment-held', seller: record.seller, shipmentId: record.shipmentId, exceptions: problems.map((x) => x.kind) }, 'FBA shipment held: not sent to the warehouse');
  return { outcome: 'held', record, message: `FBA shipment ${record.shipmentId} held: ${problems.map((x) => x.message).join('; ')}` };
}

/** Send the prepared shipment (or hold it), the record written in the ship-order file's transaction. */
async function sendOrHold(ctx: GatewayContext, p: Prepared, counts: Counts): Promise<SendResult> {
  if (!p.doc || !p.partner) return hold(ctx, p, p.problems, counts);
  const now = nowIso(ctx);
  const partner = p.partner;
  const doc = p.doc;
  const existing = await ctx.store.work.orders.get(doc.seller, doc.orderId);
  if (existing && existing.state !== 'held' && existing.state !== 'new') {
    // The ship order went already (a record lost, a send by another path): the record catches up, nothing goes twice.
    const r: FbaShipmentRecord = { ...p.record, partner: existing.partner, state: 'sent', sentAt: p.record.sentAt ?? existing.updatedAt, exceptionId: null, updatedAt: now };
    await ctx.store.work.fba.put(r);
    bump(counts, 'already-sent');
    return { outcome: 'already', record: r, message: `FBA shipment ${r.shipmentId}: its ship order went to ${existing.partner} already (${existing.state})` };
  }
  const sha = await keepDocuments(ctx, [doc]);
  const order: OrderRecord = {
    seller: doc.seller,
    orderId: doc.orderId,
    marketplaceId: doc.marketplaceId,
    partner: partner.id,
    state: 'new',
    amazonUpdatedAt: now,
    amazonStatus: p.record.amazonStatus,
    shipBy: null,
    documentSha256: sha,
    addressHash: addressHash(doc),
    lines: linesOf(doc),
    revision: existing?.revision ?? 0,
    heldBy: null,
    createdAt: existing?.createdAt ?? now,
    updatedAt: existing?.updatedAt ?? now,
  };
  let result: SendResult | null = null;
  const c = await sendShipOrders(ctx, partner, [{ order, doc, purpose: 'new', before: existing?.state ?? null }], {
    inTransaction: async (w, outcomes: Outcome[], file) => {
      const o = outcomes.find((x) => x.item.order.orderId === doc.orderId);
      if (!o) return;
      if (o.result.status === 'ok') {
        const r: FbaShipmentRecord = { ...p.record, partner: partner.id, state: 'sent', sentAt: now, exceptionId: null, updatedAt: now };
        await w.fba.put(r);
        await releaseHolds(w, r, new Set(), `FBA shipment ${r.shipmentId} went to ${partner.id}`, now);
        result = { outcome: 'sent', record: r, message: `FBA shipment ${r.shipmentId} sent to ${partner.id} in ${file?.name ?? 'a ship-order file'}${file?.control !== undefined ? ` (control ${file.control})` : ''}` };
        return;
      }
      // The layout refused or held it (sendBatch raised the exceptions and held the order): the record says held too.
      const held = await w.orders.get(doc.seller, doc.orderId);
      const r: FbaShipmentRecord = { ...p.record, partner: partner.id, state: 'held', exceptionId: held?.heldBy ?? null, updatedAt: now };
      await w.fba.put(r);
      result = { outcome: 'held', record: r, message: `FBA shipment ${r.shipmentId} held: the ${partner.id} ship-order layout did not write it (${[...o.result.problems.map((x) => x.message), ...o.result.exceptions.map((x) => x.message)].join('; ')})` };
    },
  });
  for (const [k, v] of Object.entries(c)) if (k === 'files') bump(counts, k, v);
  if (!result) {
    bump(counts, 'skipped-concurrent');
    return { outcome: 'skipped', record: await ctx.store.work.fba.get(doc.seller, doc.orderId), message: `FBA shipment ${doc.orderId}: changed by another run meanwhile; not sent by this one` };
  }
  const r = result as SendResult;
  bump(counts, r.outcome);
  ctx.log.info({ event: r.outcome === 'sent' ? 'fba-shipment-sent' : 'fba-shipment-held', seller: doc.seller, shipmentId: doc.orderId, partner: partner.id, boxes: p.record.boxes.length }, r.message);
  return r;
}

/** Labels for the boxes: a URL the warehouse prints from. A refusal leaves the shipment without one (the record says so) rather than holding it. */
async function labelsFor(ctx: GatewayContext, seller: string, fbaId: string, boxes: number): Promise<string | null> {
  try {
    return await ctx.amazon(seller).labelsUrl(fbaId, 'PackageLabel_Thermal', 'UNIQUE', boxes || undefined);
  } catch (e) {
    if (!(e instanceof AmazonApiError) || e.retryable || e.kind === 'auth') throw e;
    ctx.log.warn({ event: 'fba-labels-refused', seller, shipmentId: fbaId, code: e.code }, 'Amazon gave no labels for the shipment: sent without a labels URL');
    return null;
  }
}

/** One shipment from Amazon's detail to the warehouse (or held). */
async function sendDetail(ctx: GatewayContext, seller: SellerFile, detail: InboundShipmentDetail, source: 'poll' | 'manual', before: FbaShipmentRecord | null, counts: Counts, warehouse?: string): Promise<SendResult> {
  const fbaId = detail.confirmationId || detail.shipmentId;
  const labels = /^FBA[0-9A-Z]{6,12}$/.test(fbaId) ? await labelsFor(ctx, seller.id, fbaId, detail.boxes.length) : null;
  return sendOrHold(ctx, prepare(ctx, seller, detail, labels, source, before, warehouse), counts);
}

/**
 * One shipment as Amazon described it (InboundShipmentDetail) to the warehouse, or held: what the
 * poll and `dockgate fba send` both do once they have read it. Exported for the demo and tests.
 */
export async function sendInboundShipment(ctx: GatewayContext, sellerId: string, detail: InboundShipmentDetail, options: { source?: 'poll' | 'manual'; warehouse?: string } = {}): Promise<SendResult> {
  const seller = ctx.mappings.sellers.get(sellerId);
  if (!seller) throw new FbaSendError(`no seller ${sellerId} in the mappings`, { seller: sellerId });
  const before = await ctx.store.work.fba.get(sellerId, detail.confirmationId || detail.shipmentId);
  if (before && before.state !== 'held') return { outcome: 'already', record: before, message: `FBA shipment ${before.shipmentId} was sent already (to ${before.partner}, ${before.sentAt ?? 'time unknown'}; now ${before.state})` };
  return sendDetail(ctx, seller, detail, options.source ?? 'manual', before, {}, options.warehouse);
}

/** A summary whose confirmation id is unusable (missing): the detail cannot be read by it, so the summary is the detail. */
function detailOfSummary(s: InboundShipmentSummary): InboundShipmentDetail {
  return { inboundPlanId: s.inboundPlanId, shipmentId: s.shipmentId, confirmationId: s.confirmationId, status: s.status, ...(s.destinationFc && { destinationFc: s.destinationFc }), ...(s.planName && { planName: s.planName }), boxes: [], items: [] };
}

// ------------------------------------------------------------------ cancelled at Amazon

async function cancelledAtAmazon(ctx: GatewayContext, seller: SellerFile, s: InboundShipmentSummary, record: FbaShipmentRecord, counts: Counts): Promise<void> {
  const now = nowIso(ctx);
  if (record.state === 'held') {
    await ctx.store.transaction(async (w) => {
      const r: FbaShipmentRecord = { ...record, state: 'cancelled', amazonStatus: s.status, exceptionId: null, updatedAt: now };
      await w.fba.put(r);
      await releaseHolds(w, r, new Set(), `FBA shipment ${r.shipmentId} was cancelled at Amazon before it was sent`, now);
    });
    bump(counts, 'cancelled-unsent');
    return;
  }
  if (!AT_WAREHOUSE.includes(record.state)) {
    // Shipped already (or cancelled before): only Amazon's view changes.
    if (record.amazonStatus !== s.status) await ctx.store.work.fba.put({ ...record, amazonStatus: s.status, updatedAt: now });
    bump(counts, 'unchanged');
    return;
  }
  const partner = ctx.mappings.partners.get(record.partner);
  const order = await ctx.store.work.orders.get(record.seller, record.shipmentId);
  if (partner?.orders?.changes && order) {
    const sent = await new DocumentReader(ctx).get(order);
    const item: Outgoing = { order: { ...order, amazonStatus: s.status }, doc: { ...sent, purpose: 'cancel' }, purpose: 'cancel', before: order.state };
    let done = false;
    await sendShipOrders(ctx, partner, [item], {
      inTransaction: async (w, outcomes) => {
        if (outcomes[0]?.result.status !== 'ok') return;
        await w.fba.put({ ...record, state: 'cancelled', amazonStatus: s.status, updatedAt: now });
        done = true;
      },
    });
    bump(counts, done ? 'cancel-sent' : 'cancel-failed');
    ctx.log.info({ event: 'fba-shipment-cancelled', seller: record.seller, shipmentId: record.shipmentId, partner: partner.id, cancelSent: done }, 'FBA shipment cancelled at Amazon after it was sent');
    return;
  }
  await ctx.store.transaction(async (w) => {
    await w.exceptions.raise({
      kind: 'fba-shipment-problem',
      severity: 'error',
      seller: record.seller,
      partner: record.partner,
      key: `cancelled:${record.shipmentId}`,
      message: `FBA shipment ${record.shipmentId} was cancelled at Amazon (${s.status}) after it went to ${record.partner}, whose ship orders carry no cancel (orders.changes in its partner file): tell the warehouse not to ship it`,
      context: { ...(partner && { mappingFile: ctx.mappings.files.get(partner) ?? partner.id }), mappingKey: 'orders.changes', details: { amazonStatus: s.status } },
      ref: record.shipmentId,
      now,
    });
    await w.fba.put({ ...record, state: 'cancelled', amazonStatus: s.status, updatedAt: now });
  });
  bump(counts, 'cancel-unsupported');
}

// ------------------------------------------------------------------ the scheduled poll

/** One look at a seller's inbound shipments: the ready ones not yet sent go to the warehouse; the cancelled ones that went are cancelled there. */
export async function pollFbaShipments(ctx: GatewayContext, sellerId: string): Promise<FlowRunSummary> {
  const summary: FlowRunSummary = { flow: FLOW, scope: sellerId, counts: {}, failed: 0 };
  const counts = summary.counts;
  const seller = ctx.mappings.sellers.get(sellerId);
  if (!seller) {
    summary.failed++;
    ctx.log.error({ event: 'fba-poll-failed', seller: sellerId }, 'no such seller in the mappings');
    return summary;
  }
  let found: InboundShipmentSummary[];
  try {
    found = await ctx.amazon(sellerId).listInboundShipments({ statuses: [READY_TO_SHIP, ...CANCELLED_STATUSES] });
  } catch (e) {
    // Unreachable (credentials, throttling, outage): the gateway makes it seller-unavailable and tries again next tick.
    if (e instanceof AmazonConfigError || (e instanceof AmazonApiError && (e.kind === 'auth' || e.retryable))) throw e;
    if (!(e instanceof AmazonApiError)) throw e;
    await ctx.store.work.exceptions.raise({
      kind: 'amazon-refused',
      severity: 'error',
      seller: sellerId,
      key: 'listInboundShipments',
      message: `seller ${sellerId}: Amazon refused the inbound shipments listing: ${e.message}`,
      context: { details: { operation: e.operation, code: e.code, ...(e.status !== undefined && { status: e.status }) } },
      now: nowIso(ctx),
    });
    summary.failed++;
    return summary;
  }
  await ctx.store.work.exceptions.resolveCause('amazon-refused', 'listInboundShipments', sellerId, null, 'the inbound shipments listing answered again', nowIso(ctx));
  for (const s of found) {
    bump(counts, 'seen');
    const key = s.confirmationId || s.shipmentId;
    const record = await ctx.store.work.fba.get(sellerId, key);
    if (CANCELLED_STATUSES.includes(s.status)) {
      if (record) await cancelledAtAmazon(ctx, seller, s, record, counts);
      else bump(counts, 'cancelled-unseen');
      continue;
    }
    // Recorded already: sent (or further), or held until `dockgate exceptions retry` after the fix.
    if (record) {
      bump(counts, record.state === 'held' ? 'still-held' : 'unchanged');
      continue;
    }
    try {
      const detail = s.confirmationId ? await ctx.amazon(sellerId).inboundShipment(s.confirmationId) : detailOfSummary(s);
      if (!detail) {
        bump(counts, 'vanished');
        continue;
      }
      await sendDetail(ctx, seller, detail, 'poll', null, counts);
    } catch (e) {
      if (!(e instanceof AmazonApiError)) throw e;
      // This shipment next poll; the others now.
      ctx.log.error({ event: 'fba-shipment-read-failed', seller: sellerId, shipmentId: key, err: e.message }, 'FBA shipment not read; tried again next poll');
      summary.failed++;
      if (e.kind === 'auth' || e.retryable) throw e;
    }
  }
  ctx.log.info({ event: 'fba-polled', seller: sellerId, ...counts, failed: summary.failed }, 'FBA inbound shipments polled');
  return summary;
}

/**
 * `dockgate fba send --seller S --shipment FBA... [--warehouse P]`: send one shipment by hand,
 * whatever its Amazon status except cancelled. Idempotent: one sent already says so.
 */
export async function sendFbaShipment(ctx: GatewayContext, sellerId: string, fbaId: string, options: { warehouse?: string } = {}): Promise<SendResult> {
  const seller = ctx.mappings.sellers.get(sellerId);
  if (!seller) throw new FbaSendError(`no seller ${sellerId} in the mappings`, { seller: sellerId });
  if (options.warehouse && !ctx.mappings.partners.has(options.warehouse)) throw new FbaSendError(`no partner ${options.warehouse} in the mappings`, { partner: options.warehouse });
  const before = await ctx.store.work.fba.get(sellerId, fbaId);
  if (before && before.state !== 'held') {
    return { outcome: 'already', record: before, message: `FBA shipment ${fbaId} was sent already (to ${before.partner}, ${before.sentAt ?? 'time unknown'}; now ${before.state})` };
  }
  const detail = await ctx.amazon(sellerId).inboundShipment(fbaId);
  if (!detail) throw new FbaSendError(`seller ${sellerId}: Amazon has no inbound shipment ${fbaId} in a plan that is not voided`, { seller: sellerId, shipmentId: fbaId });
  if (detail.status && CANCELLED_STATUSES.includes(detail.status)) throw new FbaSendError(`FBA shipment ${fbaId} is ${detail.status} at Amazon: not sent`, { seller: sellerId, shipmentId: fbaId });
  return sendDetail(ctx, seller, detail, 'manual', before, {}, options.warehouse);
}

// ------------------------------------------------------------------ retries after a fix

/**
 * `dockgate exceptions retry` of an fba-shipment-problem or unmapped-sku: each held FBA shipment
 * the exception lists is read from Amazon again and sent (or held again, by what still holds it).
 * '' when the exception lists none (its refs are orders: the orders flow's retry says).
 */
async function retryHeld(ctx: GatewayContext, x: ExceptionRecord): Promise<string> {
  if (!x.seller) return '';
  const seller = ctx.mappings.sellers.get(x.seller);
  const held = new Map<string, FbaShipmentRecord>();
  for (const ref of x.refs) {
    const r = await ctx.store.work.fba.get(x.seller, ref);
    if (r?.state === 'held') held.set(r.shipmentId, r);
  }
  for (const r of await ctx.store.work.fba.list({ seller: x.seller, states: ['held'] })) if (r.exceptionId === x.id) held.set(r.shipmentId, r);
  if (held.size === 0) return x.kind === 'fba-shipment-problem' ? `exception ${x.id}: no held FBA shipment to send` : '';
  if (!seller) return `exception ${x.id}: seller ${x.seller} is no longer in the mappings`;
  const counts: Counts = {};
  for (const r of held.values()) {
    const detail = /^FBA/.test(r.shipmentId) ? await ctx.amazon(x.seller).inboundShipment(r.shipmentId) : null;
    if (!detail) {
      bump(counts, 'not-found');
      continue;
    }
    await sendDetail(ctx, seller, detail, r.source, r, counts);
  }
  const after = await ctx.store.work.exceptions.get(x.id);
  return `exception ${x.id}: ${counts.sent ?? 0} of ${held.size} held FBA shipment(s) sent to the warehouse, ${counts.held ?? 0} still held${counts['not-found'] ? `, ${counts['not-found']} no longer at Amazon` : ''}${after?.state === 'resolved' ? '; resolved' : ''}`;
}

// ------------------------------------------------------------------ the overdue check

/** Sent and not shipped within the seller's window: fba-not-shipped, one per shipment; resolved when it is no longer waiting at the warehouse. */
export async function checkFbaNotShipped(ctx: GatewayContext): Promise<FlowRunSummary> {
  const summary: FlowRunSummary = { flow: 'fba-not-shipped', counts: {}, failed: 0 };
  const now = ctx.clock.now();
  const at = now.toISOString();
  for (const r of await ctx.store.work.fba.list({ states: ['sent'] })) {
    if (!r.sentAt) continue;
    const days = ctx.mappings.sellers.get(r.seller)?.fba?.shipWithinDays ?? ctx.settings.fbaShipWithinDays;
    const due = Date.parse(r.sentAt) + days * 86_400_000;
    if (due > now.getTime()) continue;
    if (await ctx.store.work.exceptions.find('fba-not-shipped', r.shipmentId, r.seller, r.partner)) {
      bump(summary.counts, 'already-raised');
      continue;
    }
    await ctx.store.work.exceptions.raise({
      kind: 'fba-not-shipped',
      severity: 'warning',
      seller: r.seller,
      partner: r.partner,
      key: r.shipmentId,
      message: `FBA shipment ${r.shipmentId} went to ${r.partner} on ${r.sentAt} and has not shipped within ${days} day(s): ask the warehouse (Amazon may cancel a shipment that does not arrive)`,
      context: { details: { sentAt: r.sentAt, shipWithinDays: days, destinationFc: r.destinationFc, boxes: r.boxes.length } },
      ref: r.shipmentId,
      now: at,
    });
    ctx.log.warn({ event: 'fba-not-shipped', seller: r.seller, shipmentId: r.shipmentId, partner: r.partner, sentAt: r.sentAt }, 'FBA shipment not shipped in time');
    bump(summary.counts, 'raised');
  }
  for (const x of await ctx.store.work.exceptions.list({ states: ['open', 'acknowledged'], kind: 'fba-not-shipped' })) {
    const r = x.seller ? await ctx.store.work.fba.get(x.seller, x.key) : null;
    if (r && r.state === 'sent') continue;
    await ctx.store.work.exceptions.resolveCause('fba-not-shipped', x.key, x.seller, x.partner, r ? `FBA shipment is ${r.state}` : 'FBA shipment no longer tracked', at);
    bump(summary.counts, 'resolved');
  }
  return summary;
}

// ------------------------------------------------------------------ what src/flows/index.ts wires

export const sellerTasks: SellerTask[] = [{ name: 'fba', everySeconds: (ctx) => Math.max(60, ctx.settings.fbaPollMinutes * 60), inOnce: true, run: pollFbaShipments }];
export const checks: CheckTask[] = [{ flow: 'fba-not-shipped', run: checkFbaNotShipped }];
export const handlers: JobHandlers = {};
export const retries: ExceptionRetries = { 'fba-shipment-problem': retryHeld, 'unmapped-sku': retryHeld };
export const routes: DocumentRoute[] = [];
/** The route of the warehouse's 856 for an FBA shipment (inbound.ts routeFor). */
export { inboundAsnRoute } from './fba-shipped.ts';
