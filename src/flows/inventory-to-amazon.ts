/**
 * Flow 4, inventory -> Amazon.
 *
 *   from:  each InventorySnapshot document of a received 846 / CSV file (the inbound step hands
 *          them to `inventoryRoute`, one per seller)
 *   steps: held / rejected documents -> the exception naming what to fix
 *          -> an as-of not after the last one applied for (partner, seller) -> skipped
 *          -> a full count replaces the stored stock; a change report (846 BIA-02 MM) adds to it
 *             (a change with no full count before it is held)
 *          -> sellable units per warehouse item, summed over every partner holding the seller's
 *             stock, less the units of orders in flight (sold, not yet in the count)
 *          -> MFN quantities per seller SKU (kits, pack sizes, safety buffers: mfnQuantities)
 *          -> only SKUs sold MFN (the channel is cached and looked up when unknown or old)
 *          -> only quantities that differ from what Amazon accepted (or has pending)
 *   to:    in the same transaction as the stock: one 'publish-feed' job (more than
 *          settings.feedThreshold changes) or one 'publish-quantity' job per SKU; the job handlers
 *          below take them to Amazon (patchListingsItem / JSON_LISTINGS_FEED).
 *
 *   schedule: checkInventoryFreshness (inventory-stale when a partner goes quiet),
 *             refreshChannels (daily, so snapshots rarely wait for a listing read).
 */
import { AmazonAdapter, AmazonApiError, AmazonConfigError } from '../amazon/index.ts';
import { mfnQuantities, skuIndex, type SkuIndex, type SkuQuantity } from '../mapping/resolve.ts';
import type { PartnerFile } from '../mapping/schema.ts';
import type { InventorySnapshot } from '../model/index.ts';
import type { ExceptionRecord, JobRecord, OrderRecord, OrderState, SkuChannel, Work } from '../store/work.ts';
import { fileContext, fileRef, heldDocumentException } from './inbound.ts';
import { nowIso, PermanentError, type DocumentRoute, type ExceptionRetries, type FlowRunSummary, type GatewayContext, type JobHandlers, type ReceivedFile } from './context.ts';

const FLOW = 'inventory';

type StockLine = { warehouseItem: string; state: string; quantity: number };

/** One quantity to take to Amazon. `verifyChannel`: the channel could not be looked up when it was planned; the job looks first. */
interface Publish {
  sku: string;
  quantity: number;
  verifyChannel?: boolean;
}

/**
 * A pending quantity older than this is not trusted as "what Amazon has pending": its job went
 * dead or was lost, and the next snapshot publishes again instead of waiting on it forever.
 */
const PENDING_TRUST_MS = 24 * 3600_000;

/** Orders whose units the warehouse cannot have allocated yet: it has not got them (or refused them). */
const NOT_AT_WAREHOUSE: OrderState[] = ['new', 'held', 'queued', 'rejected'];
/** Orders the warehouse has: allocated in a count taken after they arrived. */
const AT_WAREHOUSE: OrderState[] = ['delivered', 'acknowledged', 'partially-shipped'];

const utc = (iso: string) => new Date(Date.parse(iso)).toISOString();

/** Partners that send us inventory (for this seller). */
function inventoryPartners(ctx: GatewayContext, seller?: string): PartnerFile[] {
  return [...ctx.mappings.partners.values()].filter((p) => p.documents.inventory?.direction === 'in' && (!seller || p.sellers.includes(seller)));
}

/**
 * The partners whose stock fills the seller's MFN orders, so whose counts Amazon is shown: the
 * seller file's `warehouse`, else the partners listing the seller with an outbound ship-order
 * document (the orders flow's rule). Stock at another warehouse (kept for FBA prep, say) cannot
 * fill an MFN order: publishing it would oversell.
 */
export function fulfilmentPartners(ctx: GatewayContext, seller: string): PartnerFile[] {
  const named = (ctx.mappings.sellers.get(seller) as { warehouse?: string } | undefined)?.warehouse;
  const candidates = inventoryPartners(ctx, seller);
  if (named) return candidates.filter((p) => p.id === named);
  return candidates.filter((p) => p.documents['ship-order']?.direction === 'out');
}

// ------------------------------------------------------------------ in flight

/** Warehouse units one seller SKU takes (a pack of six is six units, a kit its parts). */
function warehouseUnits(index: SkuIndex, sku: string, units: number): Array<[string, number]> {
  const item = index.bySellerSku.get(sku);
  if (!item) return [];
  if (item.kit) return item.kit.map((p) => [p.warehouseItem, p.quantity * units]);
  return [[item.warehouseItem!, item.packSize * units]];
}

/** When the ship-order file that first carried the order reached the warehouse (null: not known to have). */
async function deliveredAt(w: Work, order: OrderRecord): Promise<string | null> {
  const revisions = await w.orders.revisions(order.seller, order.orderId);
  const first = revisions.filter((r) => r.purpose === 'new').sort((a, b) => a.revision - b.revision)[0];
  if (!first) return null;
  return (await w.messages.axes(first.fileMessageId))?.deliveredAt ?? null;
}

/**
 * Warehouse units sold on Amazon that a count as of `asOf` from `partner` does not account for:
 * with 'available-after-allocation' (the count already takes off what the warehouse allocated)
 * the unshipped units of orders it had not received by asOf; with 'on-hand' every unshipped unit
 * of an open order.
 */
async function unitsInFlight(w: Work, partner: PartnerFile, seller: string, asOf: string, index: SkuIndex): Promise<{ units: Map<string, number>; orders: number }> {
  const semantics = partner.inventory?.semantics ?? 'available-after-allocation';
  const orders = await w.orders.list({ seller, partner: partner.id, states: [...NOT_AT_WAREHOUSE, ...AT_WAREHOUSE] });
  const units = new Map<string, number>();
  let counted = 0;
  for (const o of orders) {
    if (semantics === 'available-after-allocation' && AT_WAREHOUSE.includes(o.state)) {
      const at = await deliveredAt(w, o);
      // Delivered before the count was taken: the count has it allocated already.
      if (at && Date.parse(at) <= Date.parse(asOf)) continue;
    }
    let any = false;
    for (const l of o.lines) {
      const open = l.ordered - l.shipped;
      if (open <= 0) continue;
      for (const [item, n] of warehouseUnits(index, l.sellerSku, open)) {
        units.set(item, (units.get(item) ?? 0) + n);
        any = true;
      }
    }
    if (any) counted++;
  }
  return { units, orders: counted };
}

// ------------------------------------------------------------------ quantities

export interface Plan {
  quantities: SkuQuantity[];
  /** Units taken off for orders in flight, per warehouse item, and how many orders. */
  inFlight: Map<string, number>;
  inFlightOrders: number;
}

/**
 * The MFN quantities of a seller now: sellable units of every partner holding its stock (each
 * partner's own sellable states, its last applied count, or `override` for the one being
 * applied), less units in flight, through mfnQuantities. Null when no partner has a count yet.
 */
export async function planQuantities(ctx: GatewayContext, w: Work, seller: string, override?: { partner: string; asOf: string; stock: StockLine[] }): Promise<Plan | null> {
  const index = skuIndex(ctx.mappings, seller);
  const sellableUnits = new Map<string, number>();
  const inFlight = new Map<string, number>();
  let inFlightOrders = 0;
  let counted = false;
  for (const p of fulfilmentPartners(ctx, seller)) {
    let stock: StockLine[];
    let asOf: string;
    if (override?.partner === p.id) ({ stock, asOf } = override);
    else {
      const last = await w.inventory.lastSnapshot(p.id, seller);
      if (!last) continue;
      asOf = last.asOf;
      stock = await w.inventory.stock(p.id, seller);
    }
    counted = true;
    const sellable = new Set(p.stockStates.sellable);
    const units = new Map<string, number>();
    for (const l of stock) if (sellable.has(l.state)) units.set(l.warehouseItem, (units.get(l.warehouseItem) ?? 0) + l.quantity);
    const flight = await unitsInFlight(w, p, seller, asOf, index);
    inFlightOrders += flight.orders;
    for (const [item, n] of flight.units) {
      inFlight.set(item, (inFlight.get(item) ?? 0) + n);
      units.set(item, Math.max(0, (units.get(item) ?? 0) - n));
    }
    for (const [item, n] of units) sellableUnits.set(item, (sellableUnits.get(item) ?? 0) + n);
  }
  if (!counted) return null;
  // One count of sellable units, in a state of its own, so mfnQuantities applies kits, packs and buffers once.
  const combined: InventorySnapshot = {
    kind: 'InventorySnapshot',
    warehouse: 'all',
    seller,
    asOf: nowIso(ctx),
    scope: 'full',
    items: [...sellableUnits].map(([warehouseItem, quantity]) => ({ warehouseItem, state: 'sellable', quantity })),
  };
  const partner = fulfilmentPartners(ctx, seller)[0]!;
  const quantities = mfnQuantities(combined, index, { ...partner, stockStates: { sellable: ['sellable'], notSellable: [] } });
  return { quantities, inFlight, inFlightOrders };
}

/** The quantity Amazon has, or is being given: what a new one is compared with. */
function lastKnown(q: { accepted: number | null; pending: number | null; pendingSince: string | null } | null, now: string): number | null {
  if (!q) return null;
  if (q.pending !== null && q.pendingSince && Date.parse(now) - Date.parse(q.pendingSince) < PENDING_TRUST_MS) return q.pending;
  return q.accepted;
}

// ------------------------------------------------------------------ channels

const channelFresh = (ctx: GatewayContext, c: SkuChannel | null, now: string, maxAgeMs = ctx.settings.channelRefreshHours * 3600_000) =>
  c !== null && Date.parse(now) - Date.parse(c.checkedAt) < maxAgeMs;

/** Read one listing's channel (DEFAULT: MFN; AMAZON_*: FBA; no listing: unknown) and cache it. */
async function lookUpChannel(ctx: GatewayContext, seller: string, sku: string): Promise<SkuChannel> {
  const item = await ctx.amazon(seller).getListingsItem(sku, ['fulfillmentAvailability']);
  const codes = item ? AmazonAdapter.channels(item) : [];
  const channel: SkuChannel['channel'] = !item ? 'unknown' : codes.includes('DEFAULT') ? 'MFN' : codes.some((c) => c.startsWith('AMAZON')) ? 'FBA' : 'unknown';
  const c: SkuChannel = { seller, sku, channel, checkedAt: nowIso(ctx) };
  await ctx.store.work.inventory.setChannel(c);
  ctx.log.info({ flow: FLOW, seller, sku, channel, codes }, 'sku channel looked up');
  return c;
}

/**
 * Look up the channels of these SKUs that are unknown or older than the refresh window. A seller
 * Amazon cannot be asked about now (credentials, an outage) is logged; its SKUs go out with
 * verifyChannel and their jobs look again.
 */
async function ensureChannels(ctx: GatewayContext, seller: string, skus: string[]): Promise<void> {
  const now = nowIso(ctx);
  for (const sku of skus) {
    if (channelFresh(ctx, await ctx.store.work.inventory.channel(seller, sku), now)) continue;
    try {
      await lookUpChannel(ctx, seller, sku);
    } catch (e) {
      if (!(e instanceof AmazonApiError) && !(e instanceof AmazonConfigError)) throw e;
      ctx.log.warn({ flow: FLOW, seller, sku, error: e.message }, 'sku channel not looked up: the publish job looks before it publishes');
      return;
    }
  }
}

// ------------------------------------------------------------------ publishing

/**
 * Decide and enqueue, inside `w`: every SKU of the plan whose quantity differs from what Amazon
 * has, and that is sold MFN (as the cache says; not known -> verifyChannel). Sets pending.
 */
async function enqueuePublishes(ctx: GatewayContext, w: Work, seller: string, partner: string, plan: Plan, jobKey: { feed: string; quantity: (p: Publish) => string }, only?: Set<string>) {
  const now = nowIso(ctx);
  const changes: Publish[] = [];
  const skipped = { unchanged: 0, fba: 0, noListing: 0 };
  for (const q of plan.quantities) {
    if (only && !only.has(q.sellerSku)) continue;
    if (lastKnown(await w.inventory.quantity(seller, q.sellerSku), now) === q.quantity) {
      skipped.unchanged++;
      continue;
    }
    const c = await w.inventory.channel(seller, q.sellerSku);
    const known = channelFresh(ctx, c, now);
    if (known && c!.channel === 'FBA') {
      // Amazon fulfils it from its own stock: warehouse counts never feed it.
      skipped.fba++;
      ctx.log.info({ flow: FLOW, seller, sku: q.sellerSku }, 'fba sku not fed from warehouse stock');
      continue;
    }
    if (known && c!.channel === 'unknown') {
      skipped.noListing++;
      ctx.log.warn({ flow: FLOW, seller, sku: q.sellerSku }, 'sku has no listing on Amazon: quantity not published');
      continue;
    }
    changes.push({ sku: q.sellerSku, quantity: q.quantity, ...(!known && { verifyChannel: true }) });
  }
  for (const c of changes) await w.inventory.setPending(seller, c.sku, c.quantity, now);
  const jobs: number[] = [];
  if (changes.length > ctx.settings.feedThreshold) {
    // No partner on the job: the work is Amazon's side, and the exception a dead job raises is the seller's.
    const { job } = await w.jobs.enqueue({ kind: 'publish-feed', key: jobKey.feed, seller, payload: { entries: changes, partner } }, now);
    jobs.push(job.id);
  } else {
    for (const c of changes) {
      const { job } = await w.jobs.enqueue({ kind: 'publish-quantity', key: jobKey.quantity(c), seller, payload: { ...c, partner } }, now);
      jobs.push(job.id);
    }
  }
  return { changes, skipped, jobs, viaFeed: changes.length > ctx.settings.feedThreshold };
}

/**
 * For stock stored outside a count (units received back and posted sellable: src/flows/removals.ts):
 * read, before the transaction, the channels of the seller's SKUs whose quantity may change.
 */
export async function readChannelsBeforePublishing(ctx: GatewayContext, seller: string): Promise<void> {
  const plan = await planQuantities(ctx, ctx.store.work, seller);
  if (plan) await ensureChannels(ctx, seller, plan.quantities.map((q) => q.sellerSku));
}

/** Inside `w`, after the seller's stored stock changed: plan its MFN quantities again and enqueue what differs (null: no count yet). */
export async function publishSellerQuantities(ctx: GatewayContext, w: Work, seller: string, tag: string): Promise<{ changes: Publish[]; jobs: number[] } | null> {
  const plan = await planQuantities(ctx, w, seller);
  if (!plan) return null;
  return enqueuePublishes(ctx, w, seller, fulfilmentPartners(ctx, seller)[0]!.id, plan, {
    feed: `publish-feed:${seller}:${tag}`,
    quantity: (p) => `publish-quantity:${seller}:${p.sku}:${p.quantity}:${tag}`,
  });
}

// ------------------------------------------------------------------ the route

const CHANGE_WITHOUT_COUNT = 'inventory-change-without-count';

export const inventoryRoute: DocumentRoute = {
  document: 'inventory',
  async handle(ctx, file, doc, index) {
    const now = nowIso(ctx);
    const log = ctx.log.child({ flow: FLOW, partner: file.partner, file: file.name, fileMessageId: file.messageId, where: doc.where });
    if (doc.status === 'held') {
      await ctx.store.transaction(async (w) => {
        for (const e of doc.exceptions) await w.exceptions.raise(heldDocumentException(ctx, file, doc, e, now, 'inventory'));
      });
      const reason = doc.exceptions.map((e) => e.message).join('; ');
      log.warn({ exceptions: doc.exceptions.map((e) => ({ code: e.code, value: e.value })) }, 'inventory document held: its mapping does not know every item or state');
      return { state: 'held', reason };
    }
    if (doc.status === 'rejected' || !doc.document || doc.document.kind !== 'InventorySnapshot') {
      const reason = doc.problems.map((p) => `${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`).join('; ') || 'not an inventory snapshot';
      await ctx.store.work.exceptions.raise({
        kind: 'partner-data-rejected',
        severity: 'error',
        partner: file.partner,
        key: `${file.name}#${index}`,
        message: `inventory document ${doc.where} of ${file.name} rejected: ${reason}`,
        context: { file: fileContext(file), where: doc.where, details: { problems: doc.problems } },
        ref: fileRef(file.messageId),
        now,
      });
      log.warn({ problems: doc.problems.length }, 'inventory document rejected');
      return { state: 'rejected', reason };
    }
    const snapshot = doc.document as InventorySnapshot;
    const seller = snapshot.seller;
    if (!seller) {
      // resolveInventory gives a document without a seller only when the file has no items at all.
      log.info({ asOf: snapshot.asOf }, 'inventory document with no items of any seller: nothing to apply');
      return { state: 'skipped', reason: 'no items of any seller' };
    }
    const asOf = utc(snapshot.asOf);
    const slog = log.child({ seller, asOf, scope: snapshot.scope });
    const last = await ctx.store.work.inventory.lastSnapshot(file.partner, seller);
    if (!supersedes(last, file, snapshot.scope, asOf)) {
      slog.info({ lastAsOf: last!.asOf, lastFileMessageId: last!.fileMessageId }, 'inventory snapshot skipped: not newer than the last one applied');
      return { state: 'skipped', reason: `as of ${asOf}, not after the last snapshot applied (as of ${last!.asOf}, file message ${last!.fileMessageId})` };
    }
    if (snapshot.scope === 'change' && !last) {
      const message = `a change report from ${file.partner} for ${seller} (as of ${asOf}) came before any full count: there is nothing to add it to; it waits for the warehouse's next full snapshot`;
      await ctx.store.work.exceptions.raise({ kind: 'partner-data-rejected', severity: 'warning', seller, partner: file.partner, key: CHANGE_WITHOUT_COUNT, message, context: { file: fileContext(file), where: doc.where }, ref: fileRef(file.messageId), now });
      slog.warn('inventory change report held: no full count to apply it to');
      return { state: 'held', reason: message };
    }

    const stock = snapshot.scope === 'full' ? snapshot.items.map((i) => ({ warehouseItem: i.warehouseItem, state: i.state, quantity: i.quantity })) : await applyChange(ctx, file.partner, seller, snapshot, slog);

    const publishes = fulfilmentPartners(ctx, seller).some((p) => p.id === file.partner);
    if (!publishes) {
      await ctx.store.transaction((w) => recordSnapshot(w, file, seller, snapshot.scope, asOf, stock, now));
      slog.info({ items: snapshot.items.length }, `inventory snapshot recorded, not published: ${file.partner} does not fill ${seller}'s MFN orders`);
      return { state: 'processed', reason: `recorded; ${file.partner} is not the warehouse of ${seller}'s MFN orders, so its counts are not published` };
    }

    // Plan outside the transaction to learn which SKUs change, and read their channels from
    // Amazon (network calls never inside a transaction); the transaction plans again with the
    // channels cached.
    const before = await planQuantities(ctx, ctx.store.work, seller, { partner: file.partner, asOf, stock });
    if (before) {
      const changed: string[] = [];
      for (const q of before.quantities) if (lastKnown(await ctx.store.work.inventory.quantity(seller, q.sellerSku), now) !== q.quantity) changed.push(q.sellerSku);
      await ensureChannels(ctx, seller, changed);
    }

    const outcome = await ctx.store.transaction(async (w) => {
      if (!(await recordSnapshot(w, file, seller, snapshot.scope, asOf, stock, now))) return null;
      const plan = await planQuantities(ctx, w, seller, { partner: file.partner, asOf, stock });
      if (!plan) return { changes: [], skipped: { unchanged: 0, fba: 0, noListing: 0 }, jobs: [], viaFeed: false, inFlightOrders: 0 };
      const r = await enqueuePublishes(ctx, w, seller, file.partner, plan, {
        feed: `publish-feed:${seller}:${file.messageId}:${index}`,
        quantity: (p) => `publish-quantity:${seller}:${p.sku}:${p.quantity}:${asOf}`,
      });
      return { ...r, inFlightOrders: plan.inFlightOrders, inFlight: Object.fromEntries(plan.inFlight) };
    });
    if (!outcome) {
      slog.info('inventory snapshot skipped: a newer one was applied meanwhile');
      return { state: 'skipped', reason: 'a newer snapshot was applied meanwhile' };
    }
    slog.info(
      { items: snapshot.items.length, published: outcome.changes.length, viaFeed: outcome.viaFeed, jobs: outcome.jobs, ...outcome.skipped, inFlightOrders: outcome.inFlightOrders, ...('inFlight' in outcome && { inFlightUnits: outcome.inFlight }) },
      'inventory snapshot applied',
    );
    return { state: 'processed' };
  },
};

/**
 * Whether a snapshot replaces the last one applied. A newer as-of always does, an older never. A
 * full count as of the same moment from another file does too, the later received winning: X12
 * stamps an 846 to the minute (BIA-04/05) and many warehouses send the date alone, so two counts
 * of one minute or one day are two counts, and the second is the warehouse's latest word. A change
 * report as of the same moment does not: it cannot be told from the same change sent again, and
 * adding it twice would double it. The same file processed again never replaces itself.
 */
function supersedes(last: { asOf: string; fileMessageId: number | null } | null, file: ReceivedFile, scope: InventorySnapshot['scope'], asOf: string): boolean {
  if (!last) return true;
  const was = Date.parse(last.asOf);
  const is = Date.parse(asOf);
  if (is !== was) return is > was;
  return scope === 'full' && last.fileMessageId !== file.messageId;
}

/**
 * The counts and the snapshot's as-of become the last applied; the causes a fresh snapshot
 * removes are resolved. False (nothing written) when a snapshot as new was applied meanwhile by
 * another worker.
 */
async function recordSnapshot(w: Work, file: ReceivedFile, seller: string, scope: InventorySnapshot['scope'], asOf: string, stock: StockLine[], now: string): Promise<boolean> {
  if (!supersedes(await w.inventory.lastSnapshot(file.partner, seller), file, scope, asOf)) return false;
  await w.inventory.setStock(file.partner, seller, stock);
  await w.inventory.setLastSnapshot(file.partner, seller, asOf, now, file.messageId);
  await w.exceptions.resolveCause('inventory-stale', file.partner, seller, file.partner, `snapshot as of ${asOf} applied (${file.name})`, now);
  if (scope === 'full') await w.exceptions.resolveCause('partner-data-rejected', CHANGE_WITHOUT_COUNT, seller, file.partner, `full count as of ${asOf} applied (${file.name})`, now);
  return true;
}

/** A change report's deltas on top of the stored stock (a count that would go below 0 stays at 0, logged). */
async function applyChange(ctx: GatewayContext, partner: string, seller: string, snapshot: InventorySnapshot, log: GatewayContext['log']): Promise<StockLine[]> {
  const stock = new Map<string, StockLine>();
  for (const l of await ctx.store.work.inventory.stock(partner, seller)) stock.set(`${l.warehouseItem}\u0000${l.state}`, { ...l });
  for (const d of snapshot.items) {
    const k = `${d.warehouseItem}\u0000${d.state}`;
    const s = stock.get(k) ?? { warehouseItem: d.warehouseItem, state: d.state, quantity: 0 };
    s.quantity += d.quantity;
    if (s.quantity < 0) {
      log.warn({ warehouseItem: d.warehouseItem, state: d.state, delta: d.quantity, result: s.quantity }, 'inventory change takes a count below 0: kept at 0 (the warehouse and the last count disagree)');
      s.quantity = 0;
    }
    stock.set(k, s);
  }
  return [...stock.values()];
}

// ------------------------------------------------------------------ job handlers

/** Still the quantity the store is waiting to publish? A newer snapshot supersedes an older job. */
async function stillPending(ctx: GatewayContext, seller: string, p: Publish): Promise<boolean> {
  return (await ctx.store.work.inventory.quantity(seller, p.sku))?.pending === p.quantity;
}

/** A job planned without the SKU's channel: look now; not MFN -> nothing to publish. */
async function confirmMfn(ctx: GatewayContext, seller: string, p: Publish): Promise<boolean> {
  if (!p.verifyChannel) return true;
  const c = await lookUpChannel(ctx, seller, p.sku);
  if (c.channel === 'MFN') return true;
  await ctx.store.work.inventory.clearPending(seller, p.sku);
  ctx.log.info({ flow: FLOW, seller, sku: p.sku, channel: c.channel }, 'quantity not published: the sku is not sold MFN');
  return false;
}

/** What a failed call means for the job: retried (thrown as is) or permanent (pending cleared, so the next snapshot publishes again). */
async function failure(ctx: GatewayContext, seller: string, skus: string[], key: string, e: unknown): Promise<never> {
  if (e instanceof AmazonConfigError) {
    for (const s of skus) await ctx.store.work.inventory.clearPending(seller, s);
    throw new PermanentError(e.message, { kind: 'seller-unavailable', key: 'amazon', seller });
  }
  if (e instanceof AmazonApiError && !e.retryable) {
    for (const s of skus) await ctx.store.work.inventory.clearPending(seller, s);
    if (e.kind === 'auth') throw new PermanentError(e.message, { kind: 'seller-unavailable', key: 'amazon', seller });
    throw new PermanentError(e.message, { kind: 'amazon-refused', key, seller });
  }
  throw e;
}

const publishQuantity = async (job: JobRecord, ctx: GatewayContext): Promise<void> => {
  const seller = job.seller!;
  const p = job.payload as unknown as Publish;
  const log = ctx.log.child({ flow: FLOW, seller, sku: p.sku, quantity: p.quantity, jobId: job.id });
  if (!(await stillPending(ctx, seller, p))) {
    log.info('publish superseded: a newer quantity is pending (or none is)');
    return;
  }
  try {
    if (!(await confirmMfn(ctx, seller, p))) return;
    await ctx.amazon(seller).setMfnQuantity(p.sku, p.quantity);
  } catch (e) {
    if (e instanceof AmazonApiError && e.code === 'FbaListing') {
      // The listing moved to FBA since its channel was cached: never fed.
      await ctx.store.work.inventory.setChannel({ seller, sku: p.sku, channel: 'FBA', checkedAt: nowIso(ctx) });
      await ctx.store.work.inventory.clearPending(seller, p.sku);
      log.info('quantity not published: the listing is fulfilled by Amazon');
      return;
    }
    log.warn({ error: (e as Error).message }, 'mfn quantity not published');
    return failure(ctx, seller, [p.sku], p.sku, e);
  }
  const now = nowIso(ctx);
  await ctx.store.transaction(async (w) => {
    await w.inventory.accepted(seller, p.sku, p.quantity, now);
    await w.exceptions.resolveCause('amazon-refused', p.sku, seller, null, `quantity ${p.quantity} accepted`, now);
    await w.exceptions.resolveCause('feed-error', p.sku, seller, null, `quantity ${p.quantity} accepted`, now);
  });
  log.info('mfn quantity accepted');
};

const FEED_KEY = (seller: string) => `feed:${seller}`;

const publishFeed = async (job: JobRecord, ctx: GatewayContext): Promise<void> => {
  const seller = job.seller!;
  const log = ctx.log.child({ flow: FLOW, seller, jobId: job.id });
  const entries: Publish[] = [];
  for (const p of (job.payload.entries as Publish[]) ?? []) {
    if (await stillPending(ctx, seller, p)) entries.push(p);
  }
  let result: Awaited<ReturnType<AmazonAdapter['setMfnQuantitiesByFeed']>>;
  const live: Publish[] = [];
  try {
    for (const p of entries) if (await confirmMfn(ctx, seller, p)) live.push(p);
    if (live.length === 0) {
      log.info({ superseded: ((job.payload.entries as Publish[]) ?? []).length }, 'feed not sent: every quantity in it was superseded');
      return;
    }
    result = await ctx.amazon(seller).setMfnQuantitiesByFeed(live.map(({ sku, quantity }) => ({ sku, quantity })));
  } catch (e) {
    log.warn({ error: (e as Error).message }, 'mfn quantities feed not taken');
    return failure(ctx, seller, entries.map((p) => p.sku), FEED_KEY(seller), e);
  }
  const now = nowIso(ctx);
  const bySku = new Map(live.map((p) => [p.sku, p]));
  let fba = 0;
  await ctx.store.transaction(async (w) => {
    for (const sku of result.accepted) {
      const p = bySku.get(sku);
      if (!p) continue;
      await w.inventory.accepted(seller, sku, p.quantity, now);
      await w.exceptions.resolveCause('feed-error', sku, seller, null, `quantity ${p.quantity} accepted (feed ${result.feedId})`, now);
      await w.exceptions.resolveCause('amazon-refused', sku, seller, null, `quantity ${p.quantity} accepted (feed ${result.feedId})`, now);
    }
    for (const r of result.rejected) {
      await w.inventory.clearPending(seller, r.sku);
      // The adapter leaves FBA listings out of the feed and says so: a channel, not an error.
      if (/fulfilled by Amazon/.test(r.reason)) {
        await w.inventory.setChannel({ seller, sku: r.sku, channel: 'FBA', checkedAt: now });
        fba++;
        continue;
      }
      await w.exceptions.raise({
        kind: 'feed-error',
        severity: 'error',
        seller,
        key: r.sku,
        message: `JSON_LISTINGS_FEED ${result.feedId || '(not sent)'}: ${r.sku} quantity ${bySku.get(r.sku)?.quantity ?? '?'} refused: ${r.reason}`,
        context: { details: { feedId: result.feedId, quantity: bySku.get(r.sku)?.quantity, reason: r.reason, job: job.key } },
        ref: result.feedId || job.key,
        now,
      });
    }
    await w.exceptions.resolveCause('amazon-refused', FEED_KEY(seller), seller, null, `feed ${result.feedId} taken`, now);
  });
  log.info({ feedId: result.feedId, accepted: result.accepted.length, rejected: result.rejected.length - fba, fba }, 'mfn quantities feed processed');
};

export const handlers: JobHandlers = { 'publish-quantity': publishQuantity, 'publish-feed': publishFeed };

// ------------------------------------------------------------------ scheduled

/**
 * For each partner that sends inventory and each of its sellers: no snapshot applied within the
 * partner's freshness window (partner.inventory.freshnessMinutes, else the gateway's) is
 * `inventory-stale`. A pair never seen is measured from when this check first looked at it.
 */
export async function checkInventoryFreshness(ctx: GatewayContext): Promise<FlowRunSummary> {
  const now = nowIso(ctx);
  const counts = { fresh: 0, stale: 0 };
  for (const p of inventoryPartners(ctx)) {
    const windowMinutes = p.inventory?.freshnessMinutes ?? ctx.settings.inventoryFreshnessMinutes;
    for (const seller of p.sellers) {
      const last = await ctx.store.work.inventory.lastSnapshot(p.id, seller);
      let since = last?.appliedAt;
      if (!since) {
        const cursor = `inventory-watch:${p.id}:${seller}`;
        since = (await ctx.store.work.cursors.get(cursor)) ?? undefined;
        if (!since) {
          await ctx.store.work.cursors.set(cursor, now, now);
          since = now;
        }
      }
      const ageMinutes = (Date.parse(now) - Date.parse(since)) / 60_000;
      if (ageMinutes <= windowMinutes) {
        counts.fresh++;
        continue;
      }
      counts.stale++;
      const message = last
        ? `no inventory snapshot from ${p.id} for ${seller} applied since ${last.appliedAt} (as of ${last.asOf}): more than ${windowMinutes} minutes; Amazon shows quantities that old`
        : `no inventory snapshot from ${p.id} for ${seller} since the gateway started watching (${since}): more than ${windowMinutes} minutes`;
      await ctx.store.work.exceptions.raise({
        kind: 'inventory-stale',
        severity: 'warning',
        seller,
        partner: p.id,
        key: p.id,
        message,
        context: { ...(ctx.mappings.files.get(p) && { mappingFile: ctx.mappings.files.get(p) }), mappingKey: 'inventory.freshnessMinutes', details: { lastAsOf: last?.asOf ?? null, lastAppliedAt: last?.appliedAt ?? null, windowMinutes } },
        now,
      });
      ctx.log.warn({ flow: FLOW, partner: p.id, seller, windowMinutes, lastAppliedAt: last?.appliedAt ?? null }, 'inventory stale');
    }
  }
  return { flow: 'inventory-freshness', counts, failed: 0 };
}

/**
 * Look up again, one listing read each, the channel of every SKU of the seller's table checked
 * more than half the refresh window ago (or never): run daily, snapshots then find every
 * channel cached and read no listing themselves.
 */
export async function refreshChannels(ctx: GatewayContext, seller: string): Promise<void> {
  const now = nowIso(ctx);
  const half = (ctx.settings.channelRefreshHours * 3600_000) / 2;
  const counts = { MFN: 0, FBA: 0, unknown: 0, cached: 0 };
  for (const item of skuIndex(ctx.mappings, seller).table.items) {
    if (channelFresh(ctx, await ctx.store.work.inventory.channel(seller, item.sellerSku), now, half)) {
      counts.cached++;
      continue;
    }
    counts[(await lookUpChannel(ctx, seller, item.sellerSku)).channel]++;
  }
  ctx.log.info({ flow: FLOW, seller, ...counts }, 'sku channels refreshed');
}

// ------------------------------------------------------------------ retries

/**
 * What an exception about a published quantity is about: one SKU of the seller's table, or every
 * SKU of the seller (a whole feed refused, a feed job given up); null: not a published quantity
 * (amazon-refused is shared with the shipment flow). A job that used up its attempts is named by
 * its job key: its payload says the SKU.
 */
async function inventoryCause(ctx: GatewayContext, x: Pick<ExceptionRecord, 'kind' | 'key' | 'seller'>): Promise<{ seller: string; sku?: string } | null> {
  if (x.kind !== 'feed-error' && x.kind !== 'amazon-refused') return null;
  if (!x.seller || !ctx.mappings.sellers.has(x.seller)) return null;
  const seller = x.seller;
  if (x.key === FEED_KEY(seller) || x.key.startsWith(`publish-feed:${seller}:`)) return { seller };
  if (x.key.startsWith(`publish-quantity:${seller}:`)) {
    const sku = (await ctx.store.work.jobs.byKey(x.key))?.payload.sku;
    return typeof sku === 'string' ? { seller, sku } : null;
  }
  return skuIndex(ctx.mappings, seller).bySellerSku.has(x.key) ? { seller, sku: x.key } : null;
}

export async function isInventoryException(ctx: GatewayContext, x: Pick<ExceptionRecord, 'kind' | 'key' | 'seller'>): Promise<boolean> {
  return (await inventoryCause(ctx, x)) !== null;
}

/** Publish again what the exception's SKU (or, for a whole feed, every SKU of the seller) should show now. */
async function publishAgain(ctx: GatewayContext, x: ExceptionRecord): Promise<string> {
  const cause = await inventoryCause(ctx, x);
  if (!cause) return `exception ${x.id} is not about a published quantity: nothing done`;
  const seller = cause.seller;
  const now = nowIso(ctx);
  const only = cause.sku === undefined ? undefined : new Set([cause.sku]);
  const plan = await planQuantities(ctx, ctx.store.work, seller);
  if (!plan) return `no inventory snapshot applied for ${seller} yet: nothing to publish`;
  await ensureChannels(ctx, seller, plan.quantities.filter((q) => !only || only.has(q.sellerSku)).map((q) => q.sellerSku));
  const r = await ctx.store.transaction(async (w) => {
    // The failed publish left (or cleared) its pending quantity: compare with what Amazon accepted.
    for (const q of plan.quantities) if (!only || only.has(q.sellerSku)) await w.inventory.clearPending(seller, q.sellerSku);
    const again = await planQuantities(ctx, w, seller);
    const out = await enqueuePublishes(ctx, w, seller, fulfilmentPartners(ctx, seller)[0]!.id, again ?? plan, {
      feed: `publish-feed:${seller}:retry:${x.id}:${x.count}:${now}`,
      quantity: (p) => `publish-quantity:${seller}:${p.sku}:${p.quantity}:retry:${x.id}:${x.count}:${now}`,
    }, only);
    await w.exceptions.resolve(x.id, `published again (${out.changes.length} quantities, ${out.jobs.length} jobs)`, now);
    return out;
  });
  ctx.log.info({ flow: FLOW, seller, exception: x.id, published: r.changes.length, jobs: r.jobs }, 'quantities published again after an exception');
  const what = cause.sku ?? `every sku of ${seller}`;
  if (r.changes.length === 0) return `${what}: Amazon already has the quantity the stock gives (or it is not sold MFN): nothing to publish; exception ${x.id} resolved`;
  return `${r.changes.map((c) => `${c.sku} ${c.quantity}`).join(', ')} queued again (${r.viaFeed ? 'one feed' : `${r.jobs.length} publish jobs`}); exception ${x.id} resolved`;
}

export const retries: ExceptionRetries = { 'feed-error': publishAgain, 'amazon-refused': publishAgain };
