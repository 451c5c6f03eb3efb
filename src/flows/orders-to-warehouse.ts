/**
 * Flow 1, Orders -> warehouse, as a route:
 *   from   Amazon searchOrders, per seller and marketplace, from a persisted watermark
 *          (`orders:<seller>:<marketplace>`: the latest lastUpdatedTime seen, minus an overlap)
 *   steps  dedupe by AmazonOrderId + lastUpdatedTime -> what the change means for the order
 *          (new / cancelled / address changed) -> the canonical ShipOrder, kept in the blob store
 *          -> the warehouse's layout (940, CSV, XML), up to `orders.perFile` orders a file, one set
 *          an order; unknown SKUs and unsendable text hold the order with an exception
 *   to     the outbox (outbox-delivery.ts): the file's name and bytes fixed and recorded with its
 *          envelope tree, each order linked to its set, the order states moved and the deliver-file
 *          job enqueued — all in one transaction, control numbers drawn inside it, so that a crash
 *          or a re-poll can never send an order twice under two control numbers.
 *
 * Also here: the late-order check (order-late before ship-by passes), the retries of held orders
 * after a mapping fix, and `messages resend` for a ship-order file.
 */
import { createHash } from 'node:crypto';
import { AmazonApiError, AmazonConfigError } from '../amazon/errors.ts';
import { AmazonTranslationError, shipOrderFromAmazon } from '../amazon/codec.ts';
import type { AmazonOrder } from '../amazon/types.ts';
import type { Mappings } from '../mapping/load.ts';
import type { MappingException } from '../mapping/resolve.ts';
import type { PartnerFile, SellerFile } from '../mapping/schema.ts';
import { translator, writePartner, type OutboundDocument } from '../mapping/translate.ts';
import type { ShipOrder } from '../model/index.ts';
import { documentsCarryBuyerData } from '../store/buyer-data.ts';
import { sentNodes } from '../store/envelope-nodes.ts';
import type { ExceptionKind, ExceptionRecord, OrderLineRecord, OrderRecord, OrderState, RaiseException, Work } from '../store/work.ts';
import { fileName } from '../transport/outbound.ts';
import { validateFile } from '../x12/validate-file.ts';
import { nowIso, type ExceptionRetries, type FlowRunSummary, type GatewayContext } from './context.ts';
import { queueOutboundFile, READY_STATUS } from './outbox-delivery.ts';

/** A flow that cannot run as configured (no warehouse for the seller, an order that is not ours). */
export class OrdersFlowError extends Error {
  constructor(
    message: string,
    readonly context: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'OrdersFlowError';
  }
}

/**
 * The fulfillment statuses searched: what is still to ship, and cancellations (Orders 2026-01-01
 * and the emulator both spell it CANCELLED). SHIPPED is not searched: our own confirmations make
 * orders SHIPPED, and there is nothing to tell the warehouse then.
 */
export const SEARCHED_STATUSES = ['UNSHIPPED', 'PARTIALLY_SHIPPED', 'CANCELLED'] as const;
const CANCELLED = 'CANCELLED';

/** States in which the warehouse has (or is getting) the order: a cancel or change must follow it. */
const SENT_STATES: readonly OrderState[] = ['queued', 'delivered', 'acknowledged', 'rejected'];
/** States in which the warehouse has shipped (some of) it: too late to cancel. */
const SHIPPED_STATES: readonly OrderState[] = ['partially-shipped', 'shipped', 'confirmed'];
/** Exceptions that hold orders (their refs are order ids). */
const HOLD_KINDS: readonly ExceptionKind[] = ['unmapped-sku', 'unsendable-text', 'mapping-problem'];
/** Orders an Amazon search hands over at most per unit of work (one document blob, a few files). */
const CHUNK = 500;

type Purpose = 'new' | 'change' | 'cancel';
type Counts = Record<string, number>;

const FLOW = 'orders-to-warehouse';

function summaryOf(scope: string | undefined): FlowRunSummary {
  return { flow: FLOW, ...(scope && { scope }), counts: {}, failed: 0 };
}
const bump = (c: Counts, k: string, n = 1) => {
  c[k] = (c[k] ?? 0) + n;
};

// ------------------------------------------------------------------ which warehouse

/** The partner that gets a seller's orders: the seller file's `warehouse`, else the one partner listing it with an outbound ship-order document. */
export function warehouseOf(mappings: Mappings, seller: string): PartnerFile {
  const s = mappings.sellers.get(seller);
  if (!s) throw new OrdersFlowError(`no seller ${seller} in the mappings`, { seller });
  if (s.warehouse) {
    const p = mappings.partners.get(s.warehouse);
    if (!p) throw new OrdersFlowError(`seller ${seller}: warehouse ${s.warehouse} is not a partner in the mappings`, { seller });
    return p;
  }
  const candidates = [...mappings.partners.values()].filter((p) => p.sellers.includes(seller) && p.documents['ship-order']?.direction === 'out');
  if (candidates.length === 1) return candidates[0];
  throw new OrdersFlowError(
    candidates.length === 0
      ? `seller ${seller}: no partner takes its ship orders (a partner listing it with documents.ship-order direction out)`
      : `seller ${seller}: partners ${candidates.map((p) => p.id).join(', ')} all take its ship orders: name one with warehouse: in ${mappings.files.get(s) ?? 'the seller file'}`,
    { seller },
  );
}

// ------------------------------------------------------------------ documents kept

/** sha256 of the ship-to as sent: a changed address is told by comparing, without keeping the address in the row. */
export function addressHash(doc: Pick<ShipOrder, 'shipTo'>): string {
  const a = doc.shipTo;
  const canonical = JSON.stringify([a.name, a.company ?? '', a.lines, a.city, a.stateOrRegion ?? '', a.postalCode ?? '', a.countryCode, a.phone ?? '', a.email ?? '']);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The canonical ship orders of one unit of work, as one blob keyed by order id: buyer names and
 * addresses, so in the blob store (encrypted when the store is), never in a row. One blob per
 * batch, not per order: each blob costs two fsyncs.
 */
export async function keepDocuments(ctx: GatewayContext, docs: ShipOrder[]): Promise<string> {
  const blob = await ctx.store.blobs.putBuffer(Buffer.from(JSON.stringify({ orders: Object.fromEntries(docs.map((d) => [d.orderId, d])) })));
  return blob.sha256;
}

/** Reads the kept documents, one blob read per blob however many of its orders are asked for. */
export class DocumentReader {
  private readonly blobs = new Map<string, Record<string, ShipOrder>>();
  constructor(private readonly ctx: GatewayContext) {}
  async get(order: OrderRecord): Promise<ShipOrder> {
    let docs = this.blobs.get(order.documentSha256);
    if (!docs) {
      let bytes: Buffer;
      try {
        bytes = await this.ctx.store.blobs.read(order.documentSha256);
      } catch (e) {
        throw new OrdersFlowError(`order ${order.orderId}: its ship order (blob ${order.documentSha256.slice(0, 12)}) cannot be read (${(e as Error).message}): purged by retention?`, { seller: order.seller, orderId: order.orderId });
      }
      docs = (JSON.parse(bytes.toString('utf8')) as { orders: Record<string, ShipOrder> }).orders;
      this.blobs.set(order.documentSha256, docs);
    }
    const doc = docs[order.orderId];
    if (!doc) throw new OrdersFlowError(`order ${order.orderId}: not in its document blob ${order.documentSha256.slice(0, 12)}`, { seller: order.seller, orderId: order.orderId });
    return doc;
  }
}

export function linesOf(doc: ShipOrder, before?: OrderLineRecord[]): OrderLineRecord[] {
  return doc.lines.map((l) => ({
    lineNumber: l.lineNumber,
    sellerSku: l.sellerSku,
    ...(l.orderItemId && { orderItemId: l.orderItemId }),
    ordered: l.quantity,
    shipped: before?.find((b) => (l.orderItemId ? b.orderItemId === l.orderItemId : b.sellerSku === l.sellerSku))?.shipped ?? 0,
  }));
}

// ------------------------------------------------------------------ writing and queueing one file

export interface Outgoing {
  /** The record as it will be written (state and revision are set from the outcome). */
  order: OrderRecord;
  doc: ShipOrder;
  purpose: Purpose;
  /** The state the order was in before (a held order released, an order sent again). */
  before: OrderState | null;
}

export interface Outcome {
  item: Outgoing;
  result: OutboundDocument;
  fileMessageId?: number;
  setMessageId?: number | null;
}

/** A file name from the partner's pattern, unique among this partner's ship-order files. */
async function nameFor(ctx: GatewayContext, w: Work, partner: PartnerFile, control: number | undefined): Promise<string> {
  const pattern = partner.transport.fileNames['ship-order'] ?? '{partner}_{document}_{timestamp}.dat';
  let at = new Date(Math.floor(ctx.clock.now().getTime() / 1000) * 1000);
  if (!(pattern.includes('{control}') && control !== undefined)) {
    // Without a control number the timestamp (to the second) tells files apart: two files in one
    // second (a large poll, two sellers of one partner) take the next free second, in the transaction.
    const cursor = `files:${partner.id}:ship-order`;
    const last = await w.cursors.get(cursor);
    if (last && Date.parse(last) >= at.getTime()) at = new Date(Date.parse(last) + 1000);
    await w.cursors.set(cursor, at.toISOString(), nowIso(ctx));
  }
  return fileName(pattern, { partner: partner.id, document: 'ship-order', control, at });
}

/**
 * Inside the caller's transaction: translate, draw control numbers, fix the file, record it with
 * its envelope tree and enqueue its delivery. Returns each document's outcome with the set that
 * carries it. Nothing is written for documents that are held or rejected.
 */
async function writeAndQueue(ctx: GatewayContext, w: Work, partner: PartnerFile, items: Outgoing[]): Promise<{ outcomes: Outcome[]; file?: { messageId: number; name: string; control?: number } }> {
  const t = translator(ctx.mappings, partner.id, 'ship-order');
  const written = writePartner(
    t,
    items.map((i) => ({ ...i.doc, purpose: i.purpose })),
    // Drawn in this transaction: a rollback gives the numbers back, a commit holds them with the file.
    { controlNumbers: ctx.store.controlNumbers, now: ctx.clock.now() },
  );
  const outcomes: Outcome[] = written.documents.map((result) => ({ item: items[result.index], result }));
  if (!written.bytes) return { outcomes };
  const x12 = t.layout.format === 'x12';
  const name = await nameFor(ctx, w, partner, written.isa13);
  const read = x12 ? await validateFile(written.bytes, { file: name }) : null;
  // A change or cancel goes after the files that carried the order before, while those are still on their way.
  const after = new Set<number>();
  for (const o of outcomes) {
    if (o.result.status !== 'ok' || o.item.purpose === 'new') continue;
    for (const r of await w.orders.revisions(o.item.order.seller, o.item.order.orderId)) after.add(r.fileMessageId);
  }
  const pending: number[] = [];
  for (const id of after) if ((await w.messages.axes(id))?.delivery === 'pending') pending.push(id);
  const { messageId } = await queueOutboundFile(w, ctx, {
    partner: partner.id,
    document: 'ship-order',
    fileName: name,
    bytes: written.bytes,
    containsPii: documentsCarryBuyerData(['ship-order']),
    children: read ? sentNodes(read, READY_STATUS) : [],
    awaitsAcknowledgement: x12 && (partner.acks?.required ?? false),
    after: pending,
  });
  // The ok documents are the file's sets, in order. Read back on this transaction's connection
  // (recordFile inserted them just now, file order being id order: w.messages, not store.trace,
  // which on PostgreSQL reads on another connection), down the tree by parent.
  const setIds: number[] = [];
  if (read) {
    const below = async (id: number, kind: string) => (await w.messages.children(id)).filter((c) => c.kind === kind).map((c) => c.id);
    for (const ic of await below(messageId, 'interchange')) for (const g of await below(ic, 'group')) setIds.push(...(await below(g, 'set')));
  }
  let k = 0;
  for (const o of outcomes) {
    if (o.result.status !== 'ok') continue;
    o.fileMessageId = messageId;
    o.setMessageId = setIds[k++] ?? null;
  }
  return { outcomes, file: { messageId, name, ...(written.isa13 !== undefined && { control: written.isa13 }) } };
}

/** The exceptions a held (or rejected) document raises, each listing the order. */
function holdsOf(ctx: GatewayContext, partner: PartnerFile, order: OrderRecord, result: OutboundDocument, now: string): RaiseException[] {
  const base = { seller: order.seller, partner: partner.id, ref: order.orderId, now };
  const out: RaiseException[] = result.exceptions.map((x: MappingException) => {
    if (x.code === 'unknown-sku') {
      return {
        ...base,
        kind: 'unmapped-sku',
        severity: 'error',
        key: x.value,
        message: `SKU ${x.value} of seller ${order.seller} is not in its SKU table: the orders with it are held until it is added (then retry)`,
        context: { ...(x.file && { mappingFile: x.file }), mappingKey: 'items', where: x.field, details: { document: 'ship-order' } },
      };
    }
    if (x.code === 'unsendable-text') {
      // The value is the buyer's name or address: the message names the field, never the text.
      return {
        ...base,
        kind: 'unsendable-text',
        severity: 'error',
        key: order.orderId,
        message: `order ${order.orderId}: ${x.field ?? 'a ship-to text'} would reach partner ${partner.id} with no letter or digit (its text policy): correct the address on Amazon, or the partner's textPolicy, then retry`,
        context: { ...(x.file && { mappingFile: x.file }), mappingKey: 'textPolicy', ...(x.field && { where: x.field }) },
      };
    }
    return {
      ...base,
      kind: 'mapping-problem',
      severity: 'error',
      key: `${x.code}:${x.value}`,
      message: `order ${order.orderId}: ${x.message}`,
      context: { ...(x.file && { mappingFile: x.file }), ...(x.field && { where: x.field }) },
    };
  });
  if (result.status === 'rejected') {
    out.push({
      ...base,
      kind: 'mapping-problem',
      severity: 'error',
      key: `ship-order:${order.orderId}`,
      // Diagnostics quote the element they found ("found 'Jane Doe ...'"): the buyer's data stays out of the exception.
      message: `order ${order.orderId}: the ${partner.id} ship-order layout cannot write it: ${result.problems.map((p) => p.message.replace(/found '[^']*'/g, 'found (value withheld)')).join('; ')}`,
      context: { mappingFile: ctx.mappings.files.get(partner) ?? partner.id, mappingKey: `documents.ship-order.layout`, where: result.problems[0]?.where },
    });
  }
  return out;
}

/** Drop the order from hold exceptions other than `keep` (their cause no longer holds it); each resolves when no order is left. */
async function releaseHolds(w: Work, order: OrderRecord, keep: Set<number>, note: string, now: string): Promise<void> {
  for (const kind of HOLD_KINDS) {
    for (const x of await w.exceptions.list({ states: ['open', 'acknowledged'], kind, seller: order.seller, partner: order.partner })) {
      if (!keep.has(x.id) && x.refs.includes(order.orderId)) await w.exceptions.dropRef(x.id, order.orderId, note, now);
    }
  }
}

/**
 * One file's worth of outgoing documents, in one transaction: the file (if any document passes),
 * the orders' new states and revisions, the holds. Orders already moved by someone else since
 * they were read (another instance, an earlier run) are left alone.
 */
async function sendBatch(ctx: GatewayContext, partner: PartnerFile, items: Outgoing[], counts: Counts, inTransaction?: InTransaction): Promise<void> {
  if (items.length === 0) return;
  const summary = await ctx.store.transaction(async (w) => {
    const now = nowIso(ctx);
    const stale = new Set<Outgoing>();
    // Read (on PostgreSQL: lock) the orders in one order, by seller and id, whatever order the
    // batch came in: two instances' transactions over overlapping orders then wait for each
    // other instead of deadlocking.
    const byKey = [...items].sort((a, b) => (a.order.seller + '\u0000' + a.order.orderId < b.order.seller + '\u0000' + b.order.orderId ? -1 : 1));
    for (const i of byKey) {
      const current = await w.orders.get(i.order.seller, i.order.orderId);
      // The record changed since it was read: this decision was made on a stale view.
      if ((current?.state ?? null) !== i.before || (current && current.updatedAt !== i.order.updatedAt && i.before !== null)) {
        bump(counts, 'skipped-concurrent');
        stale.add(i);
      }
    }
    const fresh = items.filter((i) => !stale.has(i));
    const { outcomes, file } = await writeAndQueue(ctx, w, partner, fresh);
    const tally = { sent: 0, held: 0 };
    for (const o of outcomes) {
      const { order, purpose, doc, before } = o.item;
      if (o.result.status === 'ok') {
        const revision = order.revision + 1;
        const state: OrderState = purpose === 'cancel' ? 'cancel-sent' : 'queued';
        await w.orders.put({ ...order, state, revision, heldBy: null, ...(purpose !== 'cancel' && { addressHash: addressHash(doc), lines: linesOf(doc, order.lines) }), updatedAt: now });
        await w.orders.addRevision({ seller: order.seller, orderId: order.orderId, revision, purpose, fileMessageId: o.fileMessageId!, setMessageId: o.setMessageId ?? null, createdAt: now });
        if (before === 'held') await releaseHolds(w, order, new Set(), `order ${order.orderId} went to ${partner.id}`, now);
        tally.sent++;
        bump(counts, purpose === 'new' ? 'queued' : purpose === 'change' ? 'change-sent' : 'cancel-sent');
        continue;
      }
      const ids = new Set<number>();
      for (const x of holdsOf(ctx, partner, order, o.result, now)) ids.add((await w.exceptions.raise(x)).id);
      bump(counts, 'exceptions', ids.size);
      if (purpose === 'new') {
        // Never sent: held until a retry after the mapping fix sends it.
        await w.orders.put({ ...order, state: 'held', heldBy: [...ids][0] ?? null, updatedAt: now });
        if (before === 'held') await releaseHolds(w, order, ids, `order ${order.orderId} is held by another cause now`, now);
        tally.held++;
        bump(counts, 'held');
      } else {
        // The warehouse has the order; its change or cancel could not be written: the exception says why, the order keeps its state.
        await w.orders.put({ ...order, updatedAt: now });
        bump(counts, `${purpose}-failed`);
      }
    }
    // Another flow's records of the same documents (an FBA shipment's), written with the file or not at all.
    if (inTransaction) await inTransaction(w, outcomes, file);
    return { file, ...tally };
  });
  if (summary.file) bump(counts, 'files');
  ctx.log.info(
    { event: 'ship-orders-queued', partner: partner.id, ...(summary.file && { messageId: summary.file.messageId, file: summary.file.name, control: summary.file.control }), sent: summary.sent, held: summary.held },
    summary.file ? 'ship-order file queued for delivery' : 'no ship-order file: every order held',
  );
}

/** What a caller of sendShipOrders writes in each file's transaction, after the orders' own rows: it sees each document's outcome and the file. */
export type InTransaction = (w: Work, outcomes: Outcome[], file: { messageId: number; name: string; control?: number } | undefined) => Promise<void>;

/**
 * Ship orders built by another flow (FBA replenishments) sent through the same machinery as the
 * MFN orders: files of at most the partner's limit, each in one transaction with its control
 * numbers, envelope rows, delivery job, order states and revisions, holds, and whatever
 * `inTransaction` adds. Items whose record changed since it was read are skipped (counts say so).
 */
export async function sendShipOrders(ctx: GatewayContext, partner: PartnerFile, items: Outgoing[], options: { inTransaction?: InTransaction } = {}): Promise<Counts> {
  const counts: Counts = {};
  const per = partner.orders?.perFile ?? ctx.settings.ordersPerFile;
  for (let i = 0; i < items.length; i += per) await sendBatch(ctx, partner, items.slice(i, i + per), counts, options.inTransaction);
  return counts;
}

/** Outgoing items in files of at most the partner's limit. */
async function sendAll(ctx: GatewayContext, partner: PartnerFile, items: Outgoing[], counts: Counts): Promise<void> {
  const per = partner.orders?.perFile ?? ctx.settings.ordersPerFile;
  for (let i = 0; i < items.length; i += per) await sendBatch(ctx, partner, items.slice(i, i + per), counts);
}

// ------------------------------------------------------------------ what an Amazon change means

interface Decided {
  sends: Outgoing[];
}

/** A record for an order seen for the first time (state and revision are filled when it is sent or held). */
function newRecord(seller: SellerFile, partner: PartnerFile, o: AmazonOrder, doc: ShipOrder, sha: string, now: string): OrderRecord {
  return {
    seller: seller.id,
    orderId: o.orderId,
    marketplaceId: doc.marketplaceId,
    partner: partner.id,
    state: 'new',
    amazonUpdatedAt: o.lastUpdatedTime,
    amazonStatus: o.fulfillment?.fulfillmentStatus ?? 'UNKNOWN',
    shipBy: doc.shipBy ?? null,
    documentSha256: sha,
    addressHash: addressHash(doc),
    lines: linesOf(doc),
    revision: 0,
    heldBy: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** Record only Amazon's view (a change that asks nothing of the warehouse), in its own transaction. */
async function noteAmazon(ctx: GatewayContext, existing: OrderRecord, o: AmazonOrder, patch: Partial<OrderRecord> = {}): Promise<void> {
  await ctx.store.transaction(async (w) => {
    const current = await w.orders.get(existing.seller, existing.orderId);
    if (!current || current.updatedAt !== existing.updatedAt) return;
    await w.orders.put({ ...current, amazonUpdatedAt: o.lastUpdatedTime, amazonStatus: o.fulfillment?.fulfillmentStatus ?? current.amazonStatus, ...patch, updatedAt: nowIso(ctx) });
  });
}

/**
 * One chunk of Amazon orders: decide each. Cancels and changes go at once; new orders (and held
 * ones whose Amazon data changed) are added to `outgoing`, which the caller sends in full files
 * (orders of several marketplaces share files).
 */
async function handleOrders(ctx: GatewayContext, seller: SellerFile, partner: PartnerFile, found: AmazonOrder[], counts: Counts, outgoing: Outgoing[]): Promise<void> {
  const now = nowIso(ctx);
  const docs = new DocumentReader(ctx);
  // The latest version of each order in the chunk (an order can move between pages while they are read).
  const latest = new Map<string, AmazonOrder>();
  for (const o of found) {
    const seen = latest.get(o.orderId);
    if (!seen || seen.lastUpdatedTime < o.lastUpdatedTime) latest.set(o.orderId, o);
  }
  const fresh: Array<{ o: AmazonOrder; doc: ShipOrder; existing: OrderRecord | null }> = [];
  const pendingNew: Array<{ o: AmazonOrder; doc: ShipOrder; existing: OrderRecord | null }> = [];
  for (const o of latest.values()) {
    bump(counts, 'seen');
    const existing = await ctx.store.work.orders.get(seller.id, o.orderId);
    const status = o.fulfillment?.fulfillmentStatus ?? 'UNKNOWN';
    // Seen before as it is now (the overlap of two searches): nothing to do.
    if (existing && (existing.amazonUpdatedAt > o.lastUpdatedTime || (existing.amazonUpdatedAt === o.lastUpdatedTime && existing.amazonStatus === status))) {
      bump(counts, 'unchanged');
      continue;
    }
    if (status === CANCELLED) {
      await cancelled(ctx, seller, partner, o, existing, docs, counts);
      continue;
    }
    let doc: ShipOrder;
    try {
      doc = shipOrderFromAmazon(o, seller);
    } catch (e) {
      if (!(e instanceof AmazonTranslationError)) throw e;
      await ctx.store.work.exceptions.raise({
        kind: 'mapping-problem',
        severity: 'error',
        seller: seller.id,
        partner: partner.id,
        key: `amazon-order:${o.orderId}`,
        message: e.message,
        context: { details: { amazonStatus: status } },
        ref: o.orderId,
        now,
      });
      bump(counts, 'untranslatable');
      continue;
    }
    if (!existing || existing.state === 'new' || existing.state === 'held') pendingNew.push({ o, doc, existing });
    else fresh.push({ o, doc, existing });
  }

  // New orders (and held ones whose Amazon data changed): their documents kept in one blob, then sent in files.
  if (pendingNew.length) {
    const sha = await keepDocuments(ctx, pendingNew.map((p) => p.doc));
    for (const { o, doc, existing } of pendingNew) {
      const base = newRecord(seller, partner, o, doc, sha, now);
      outgoing.push({
        order: existing ? { ...existing, marketplaceId: base.marketplaceId, amazonUpdatedAt: base.amazonUpdatedAt, amazonStatus: base.amazonStatus, shipBy: base.shipBy, documentSha256: sha, addressHash: base.addressHash, lines: base.lines } : base,
        doc,
        purpose: 'new',
        before: existing?.state ?? null,
      });
    }
  }

  // Orders the warehouse has: an address change becomes a change (where the layout allows), else an exception.
  const changes: Outgoing[] = [];
  for (const { o, doc, existing } of fresh) {
    const e = existing!;
    if (addressHash(doc) === e.addressHash || !SENT_STATES.includes(e.state)) {
      await noteAmazon(ctx, e, o);
      bump(counts, 'updated');
      continue;
    }
    if (partner.orders?.changes) {
      const sent = await docs.get(e);
      // The order as sent with the new address: lines stay as ordered (the warehouse may have picked some).
      const changed: ShipOrder = { ...sent, shipTo: doc.shipTo, purpose: 'change' };
      const sha = await keepDocuments(ctx, [changed]);
      changes.push({ order: { ...e, amazonUpdatedAt: o.lastUpdatedTime, amazonStatus: o.fulfillment?.fulfillmentStatus ?? e.amazonStatus, documentSha256: sha }, doc: changed, purpose: 'change', before: e.state });
      continue;
    }
    await ctx.store.transaction(async (w) => {
      await w.exceptions.raise({
        kind: 'order-change-unsupported',
        severity: 'error',
        seller: seller.id,
        partner: partner.id,
        key: o.orderId,
        message: `order ${o.orderId}: the ship-to address changed on Amazon after the order went to ${partner.id}, whose ship orders carry no change (orders.changes in its partner file): tell the warehouse by hand`,
        context: { mappingFile: ctx.mappings.files.get(partner) ?? partner.id, mappingKey: 'orders.changes' },
        ref: o.orderId,
        now,
      });
      // The address as sent stays recorded (address_hash): the row says what the warehouse has.
      const current = await w.orders.get(e.seller, e.orderId);
      if (current) await w.orders.put({ ...current, amazonUpdatedAt: o.lastUpdatedTime, amazonStatus: o.fulfillment?.fulfillmentStatus ?? current.amazonStatus, updatedAt: now });
    });
    bump(counts, 'change-unsupported');
  }
  await sendAll(ctx, partner, changes, counts);
}

/** Amazon cancelled the order: never sent -> cancelled; with the warehouse -> a cancel; shipped -> an exception. */
async function cancelled(ctx: GatewayContext, seller: SellerFile, partner: PartnerFile, o: AmazonOrder, existing: OrderRecord | null, docs: DocumentReader, counts: Counts): Promise<void> {
  const now = nowIso(ctx);
  if (!existing) {
    // Cancelled before we ever saw it: nothing went anywhere, nothing to keep.
    bump(counts, 'cancelled-unseen');
    return;
  }
  const amazon = { amazonUpdatedAt: o.lastUpdatedTime, amazonStatus: CANCELLED };
  if (existing.state === 'new' || existing.state === 'held') {
    await ctx.store.transaction(async (w) => {
      const current = await w.orders.get(existing.seller, existing.orderId);
      if (!current || current.updatedAt !== existing.updatedAt) return;
      await w.orders.put({ ...current, ...amazon, state: 'cancelled', heldBy: null, updatedAt: now });
      await releaseHolds(w, current, new Set(), `order ${current.orderId} was cancelled on Amazon before it was sent`, now);
    });
    ctx.log.info({ event: 'order-cancelled-unsent', seller: seller.id, orderId: o.orderId }, 'order cancelled on Amazon before it went to the warehouse: never sent');
    bump(counts, 'cancelled');
    return;
  }
  if (SENT_STATES.includes(existing.state)) {
    const sent = await docs.get(existing);
    await sendAll(ctx, partner, [{ order: { ...existing, ...amazon }, doc: { ...sent, purpose: 'cancel' }, purpose: 'cancel', before: existing.state }], counts);
    return;
  }
  if (SHIPPED_STATES.includes(existing.state)) {
    await ctx.store.transaction(async (w) => {
      await w.exceptions.raise({
        kind: 'order-cancel-after-ship',
        severity: 'error',
        seller: seller.id,
        partner: partner.id,
        key: o.orderId,
        message: `order ${o.orderId} was cancelled on Amazon after ${partner.id} shipped it (${existing.state}): intercept the parcel or arrange a return`,
        context: { details: { state: existing.state } },
        ref: o.orderId,
        now,
      });
      const current = await w.orders.get(existing.seller, existing.orderId);
      if (current) await w.orders.put({ ...current, ...amazon, updatedAt: now });
    });
    bump(counts, 'cancel-after-ship');
    return;
  }
  // Already cancelled or cancel-sent: Amazon's view only.
  await noteAmazon(ctx, existing, o, amazon);
  bump(counts, 'updated');
}

// ------------------------------------------------------------------ the scheduled flows

/** Where the next search of a seller's marketplace starts: the watermark minus the overlap, or the first look-back. */
async function searchFrom(ctx: GatewayContext, cursor: string): Promise<{ from: Date; watermark: string | null }> {
  const watermark = await ctx.store.work.cursors.get(cursor);
  if (watermark) return { from: new Date(Date.parse(watermark) - ctx.settings.ordersOverlapSeconds * 1000), watermark };
  return { from: new Date(ctx.clock.now().getTime() - ctx.settings.firstLookbackDays * 86_400_000), watermark: null };
}

/** One poll of a seller's orders in each of its marketplaces. */
export async function pollOrders(ctx: GatewayContext, sellerId: string): Promise<FlowRunSummary> {
  const summary = summaryOf(sellerId);
  const counts = summary.counts;
  const now = nowIso(ctx);
  const seller = ctx.mappings.sellers.get(sellerId);
  let partner: PartnerFile;
  try {
    if (!seller) throw new OrdersFlowError(`no seller ${sellerId} in the mappings`, { seller: sellerId });
    partner = warehouseOf(ctx.mappings, sellerId);
  } catch (e) {
    if (!(e instanceof OrdersFlowError)) throw e;
    await ctx.store.work.exceptions.raise({ kind: 'mapping-problem', severity: 'critical', seller: sellerId, key: `warehouse:${sellerId}`, message: e.message, context: { mappingKey: 'warehouse', ...(seller && { mappingFile: ctx.mappings.files.get(seller) }) }, now });
    ctx.log.error({ event: 'orders-poll-failed', seller: sellerId, err: e.message }, 'orders poll cannot run');
    summary.failed++;
    return summary;
  }
  await ctx.store.work.exceptions.resolveCause('mapping-problem', `warehouse:${sellerId}`, sellerId, null, `orders go to ${partner.id}`, now);
  const per = partner.orders?.perFile ?? ctx.settings.ordersPerFile;
  const outgoing: Outgoing[] = [];
  /** Full files go as soon as they are full; the rest once every marketplace was searched. */
  const flush = async (all: boolean) => {
    while (outgoing.length >= per || (all && outgoing.length > 0)) await sendBatch(ctx, partner, outgoing.splice(0, per), counts);
  };
  const watermarks: Array<{ cursor: string; value: string }> = [];
  let unavailable: Error | undefined;
  for (const marketplace of seller!.marketplaces) {
    const cursor = `orders:${sellerId}:${marketplace}`;
    const { from, watermark } = await searchFrom(ctx, cursor);
    let highest = watermark;
    try {
      const search = ctx.amazon(sellerId).searchMfnOrders({ lastUpdatedAfter: from, marketplaceIds: [marketplace], statuses: [...SEARCHED_STATUSES], buyerData: true });
      let chunk: AmazonOrder[] = [];
      for await (const o of search) {
        if (!highest || o.lastUpdatedTime > highest) highest = o.lastUpdatedTime;
        chunk.push(o);
        if (chunk.length >= CHUNK) {
          await handleOrders(ctx, seller!, partner, chunk, counts, outgoing);
          await flush(false);
          chunk = [];
        }
      }
      await handleOrders(ctx, seller!, partner, chunk, counts, outgoing);
      await flush(false);
    } catch (e) {
      if (!(e instanceof AmazonApiError || e instanceof AmazonConfigError)) throw e;
      ctx.log.error({ event: 'orders-search-failed', seller: sellerId, marketplace, err: e.message }, 'orders search failed; searched again next poll');
      summary.failed++;
      // What was handled stays handled; this marketplace's watermark stays, so the next poll sees the rest.
      if (e instanceof AmazonConfigError || e.kind === 'auth' || e.retryable) {
        // The seller is unreachable: the gateway makes that its seller-unavailable exception (and resolves it on the next good run).
        unavailable ??= e;
        if (e instanceof AmazonConfigError || e.kind === 'auth') break;
        continue;
      }
      await ctx.store.work.exceptions.raise({
        kind: 'amazon-refused',
        severity: 'error',
        seller: sellerId,
        key: `searchOrders:${marketplace}`,
        message: `seller ${sellerId}: Amazon refused the orders search in ${marketplace}: ${e.message}`,
        context: { details: { operation: 'searchOrders', code: e.code, ...(e.status !== undefined && { status: e.status }) } },
        now: nowIso(ctx),
      });
      continue;
    }
    await ctx.store.work.exceptions.resolveCause('amazon-refused', `searchOrders:${marketplace}`, sellerId, null, 'searchOrders answered again', nowIso(ctx));
    if (highest && highest !== watermark) watermarks.push({ cursor, value: highest });
  }
  await flush(true);
  // Only after every order found was sent or held: a crash before this searches the same window again, and dedupe makes that harmless.
  for (const m of watermarks) await ctx.store.work.cursors.set(m.cursor, m.value, nowIso(ctx));
  ctx.log.info({ event: 'orders-polled', seller: sellerId, partner: partner.id, ...counts, failed: summary.failed }, 'orders poll done');
  // After the orders found were sent and the good marketplaces' watermarks moved.
  if (unavailable) throw unavailable;
  return summary;
}

/** Open orders whose ship-by is within the lead: order-late, raised before the time passes; resolved once they ship or are cancelled. */
export async function checkLateOrders(ctx: GatewayContext): Promise<FlowRunSummary> {
  const summary = summaryOf(undefined);
  const now = ctx.clock.now();
  const at = now.toISOString();
  const lead = ctx.settings.lateOrderLeadMinutes;
  const due = await ctx.store.work.orders.dueBefore(new Date(now.getTime() + lead * 60_000).toISOString());
  for (const o of due) {
    if (await ctx.store.work.exceptions.find('order-late', o.orderId, o.seller, o.partner)) {
      bump(summary.counts, 'already-raised');
      continue;
    }
    const passed = o.shipBy! <= at;
    await ctx.store.work.exceptions.raise({
      kind: 'order-late',
      severity: passed ? 'critical' : 'warning',
      seller: o.seller,
      partner: o.partner,
      key: o.orderId,
      message: passed
        ? `order ${o.orderId} passed its ship-by time ${o.shipBy} without a shipment confirmation (${o.state})`
        : `order ${o.orderId} must ship by ${o.shipBy} (within ${lead} minutes) and has no shipment confirmation yet (${o.state})`,
      context: { details: { shipBy: o.shipBy, state: o.state, leadMinutes: lead } },
      ref: o.orderId,
      now: at,
    });
    ctx.log.warn({ event: 'order-late', seller: o.seller, orderId: o.orderId, shipBy: o.shipBy, state: o.state }, 'order late');
    bump(summary.counts, 'raised');
  }
  // The cause went away: shipped, confirmed or cancelled since.
  for (const x of await ctx.store.work.exceptions.list({ states: ['open', 'acknowledged'], kind: 'order-late' })) {
    const o = x.seller ? await ctx.store.work.orders.get(x.seller, x.key) : null;
    if (o && !['shipped', 'confirmed', 'cancelled', 'cancel-sent'].includes(o.state)) continue;
    await ctx.store.work.exceptions.resolve(x.id, o ? `order is ${o.state}` : 'order no longer tracked', at);
    bump(summary.counts, 'resolved');
  }
  return summary;
}

// ------------------------------------------------------------------ retries and resends

/**
 * After a mapping fix (ctx.mappings is what the runner loaded again): the held orders the
 * exception lists are translated again; those that pass are queued and leave its refs, and the
 * exception resolves when none is left. Refs that are not held orders of ours (an unknown SKU in
 * an advice, say) are left for their own flow.
 */
async function retryHeld(ctx: GatewayContext, x: ExceptionRecord): Promise<string> {
  if (!x.seller) return `exception ${x.id} names no seller: no held order to retry`;
  const held = new Map<string, OrderRecord>();
  for (const ref of x.refs) {
    const o = await ctx.store.work.orders.get(x.seller, ref);
    if (o?.state === 'held') held.set(o.orderId, o);
  }
  // Refs are capped: orders held by this exception beyond the cap are found by their held_by.
  for (const o of await ctx.store.work.orders.list({ seller: x.seller, states: ['held'] })) if (o.heldBy === x.id) held.set(o.orderId, o);
  if (held.size === 0) return `exception ${x.id}: no held order to send`;
  const byPartner = new Map<string, OrderRecord[]>();
  for (const o of held.values()) byPartner.set(o.partner, [...(byPartner.get(o.partner) ?? []), o]);
  const docs = new DocumentReader(ctx);
  const counts: Counts = {};
  for (const [partnerId, orders] of byPartner) {
    const partner = ctx.mappings.partners.get(partnerId);
    if (!partner) {
      bump(counts, 'no-partner', orders.length);
      continue;
    }
    const items: Outgoing[] = [];
    for (const o of orders) items.push({ order: o, doc: await docs.get(o), purpose: 'new', before: 'held' });
    await sendAll(ctx, partner, items, counts);
  }
  const after = await ctx.store.work.exceptions.get(x.id);
  return `exception ${x.id}: ${counts.queued ?? 0} of ${held.size} held order(s) queued for the warehouse, ${counts.held ?? 0} still held${after?.state === 'resolved' ? '; resolved' : ''}`;
}

export const retries: ExceptionRetries = { 'unmapped-sku': retryHeld, 'unsendable-text': retryHeld };

/**
 * `dockgate messages resend ID` for a ship-order file: the orders it carried go again in a new
 * file under new control numbers, each as a new revision with the purpose it had in that file.
 * Orders cancelled since (or shipped) are not sent again as new. Returns one line.
 */
export async function sendOrdersAgain(ctx: GatewayContext, fileMessageId: number): Promise<string> {
  const orders = await ctx.store.work.orders.byFileMessage(fileMessageId);
  if (orders.length === 0) throw new OrdersFlowError(`message ${fileMessageId} is not a ship-order file that carried orders`, { messageId: fileMessageId });
  const docs = new DocumentReader(ctx);
  const byPartner = new Map<string, Outgoing[]>();
  const skipped: string[] = [];
  for (const o of orders) {
    const revision = (await ctx.store.work.orders.revisions(o.seller, o.orderId)).find((r) => r.fileMessageId === fileMessageId)!;
    const purpose = revision.purpose;
    const done = purpose !== 'cancel' && ['cancelled', 'cancel-sent', ...SHIPPED_STATES].includes(o.state);
    if (done || o.state === 'held') {
      skipped.push(`${o.orderId} (${o.state})`);
      continue;
    }
    const doc = await docs.get(o);
    byPartner.set(o.partner, [...(byPartner.get(o.partner) ?? []), { order: o, doc: { ...doc, purpose }, purpose, before: o.state }]);
  }
  const counts: Counts = {};
  for (const [partnerId, items] of byPartner) {
    const partner = ctx.mappings.partners.get(partnerId);
    if (!partner) throw new OrdersFlowError(`partner ${partnerId} is no longer in the mappings`, { partner: partnerId });
    await sendAll(ctx, partner, items, counts);
  }
  const sent = (counts.queued ?? 0) + (counts['change-sent'] ?? 0) + (counts['cancel-sent'] ?? 0);
  ctx.log.info({ event: 'ship-orders-resent', messageId: fileMessageId, sent, files: counts.files ?? 0, skipped: skipped.length }, 'ship orders sent again');
  return `message ${fileMessageId}: ${sent} order(s) sent again in ${counts.files ?? 0} new file(s) under new control numbers${skipped.length ? `; not sent: ${skipped.join(', ')}` : ''}${counts.held ? `; ${counts.held} held` : ''}`;
}
