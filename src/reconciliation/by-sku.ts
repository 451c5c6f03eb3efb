/**
 * The by-SKU reconciliation report: for each (seller, SKU), what the warehouse counted, what the
 * gateway expects Amazon to show, and what Amazon last accepted. Pure over the store and the
 * mappings: it reads, never writes, and calls nobody outside.
 *
 * The expected quantity is computed by the inventory flow's own planQuantities (the same
 * fulfilment partners, sellable states, in-flight orders, packs, kits and buffers), so a row is
 * `ok` exactly when Amazon holds what the flow would publish now.
 *
 * The third side, what Amazon shows now (the merchant listings report's MFN quantity, FBA's
 * fulfillable units), is read by src/reconciliation/amazon-side.ts on the reconciliation's
 * schedule and stored; `reconcileBySku(ctx, { amazon })` lays it beside the rows. The
 * tolerance is settings.reconcileToleranceUnits: within it a difference is not drift.
 */
import { fulfilmentPartners, planQuantities } from '../flows/inventory-to-amazon.ts';
import type { GatewayContext } from '../flows/context.ts';
import { skuIndex } from '../mapping/resolve.ts';
import type { PartnerFile, SkuTableFile } from '../mapping/schema.ts';
import type { OrderState, Work } from '../store/work.ts';
import type { AmazonSide } from './amazon-side.ts';

export const RECONCILIATION_STATUSES = ['ok', 'drift', 'not-published', 'fba', 'unmapped', 'stale'] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

/** One warehouse line behind a SKU: the item, the state the partner counts it in, and whether that state is sellable. */
export interface StockLine {
  partner: string;
  warehouseItem: string;
  state: string;
  quantity: number;
  sellable: boolean;
}

/** A kit's part: how many a kit takes, and the part's own sellable and in-flight units. */
export interface KitPartLine {
  warehouseItem: string;
  perKit: number;
  sellable: number;
  inFlight: number;
}

/** Which figure changed last when they disagree: the warehouse (a count applied, orders sold since), Dockgate (a publish accepted), Amazon (the listing changed after what Dockgate published). */
export const MOVED_SIDES = ['warehouse', 'dockgate', 'amazon'] as const;
export type MovedSide = (typeof MOVED_SIDES)[number];

export interface ReconciliationRow {
  seller: string;
  sku: string;
  /** The partners whose counts fill the seller's MFN orders (comma-joined when several), null when none. */
  partner: string | null;
  /** The SKU table's warehouse item (null for a kit, whose parts are under `kit`, and for an unmapped SKU). */
  warehouseSku: string | null;
  packSize: number | null;
  kit: KitPartLine[] | null;
  /** The stored counts of the SKU's warehouse item(s), every state, from the last snapshot applied. */
  warehouseStock: StockLine[];
  /** Warehouse units in sellable states, before orders in flight (single items; null for kits and unmapped). */
  sellable: number | null;
  /** Warehouse units of orders the count does not account for yet (the partner's inventory semantics). */
  inFlight: number | null;
  /** Seller units after packs, kits and in-flight orders, before the buffer. */
  available: number | null;
  buffer: number | null;
  /** What the inventory flow would publish now (null: no snapshot, or unmapped). */
  expected: number | null;
  amazonAccepted: number | null;
  acceptedAt: string | null;
  pending: number | null;
  pendingSince: string | null;
  /** expected - amazonAccepted, when both are known. */
  difference: number | null;
  channel: 'MFN' | 'FBA' | 'unknown' | null;
  channelCheckedAt: string | null;
  /** The oldest last-applied snapshot among the fulfilment partners: as-of (the warehouse's count time) and when applied. */
  snapshotAsOf: string | null;
  snapshotAppliedAt: string | null;
  /** The last warehouse movement Dockgate knows of: the snapshot applied, or a later order taking units (null: no count). */
  warehouseMovedAt: string | null;
  // ---- Amazon now (from the last reconciliation run: null when none has read Amazon yet)
  /** The listing's fulfillment-channel in the merchant listings report: DEFAULT (merchant), AMAZON_NA... (FBA); null: no listing in the report. */
  amazonChannel: string | null;
  amazonListingStatus: string | null;
  /** The MFN quantity the listing shows (null for FBA listings and SKUs without one). */
  amazonQuantity: number | null;
  /** FBA only: getInventorySummaries fulfillableQuantity (never total supply); shown, never fed from warehouse stock. */
  amazonFulfillable: number | null;
  /** When the run read Amazon. */
  amazonCheckedAt: string | null;
  /** amazonQuantity - amazonAccepted: the listing moved on Amazon since Dockgate's last accepted publish. */
  amazonDifference: number | null;
  /** The widest gap in units between the warehouse's expected, Dockgate's accepted (unless the expected is on its way) and Amazon's quantity. */
  driftUnits: number | null;
  movedLast: MovedSide | null;
  /** When it moved (null for Amazon: the report says what the listing holds, not when it changed; after acceptedAt, by amazonCheckedAt). */
  movedAt: string | null;
  movedNote: string | null;
  status: ReconciliationStatus;
}

export interface ReconciliationReport {
  generatedAt: string;
  rows: ReconciliationRow[];
}

/** Columns a report can be sorted by (a leading '-' sorts descending). */
export const SORTABLE_COLUMNS = [
  'seller',
  'sku',
  'partner',
  'warehouseSku',
  'sellable',
  'inFlight',
  'available',
  'buffer',
  'expected',
  'amazonAccepted',
  'acceptedAt',
  'pending',
  'difference',
  'channel',
  'snapshotAsOf',
  'warehouseMovedAt',
  'amazonChannel',
  'amazonQuantity',
  'amazonFulfillable',
  'amazonCheckedAt',
  'amazonDifference',
  'driftUnits',
  'movedLast',
  'movedAt',
  'status',
] as const satisfies ReadonlyArray<keyof ReconciliationRow>;
export type SortColumn = (typeof SORTABLE_COLUMNS)[number];

export interface ReconciliationOptions {
  seller?: string;
  status?: ReconciliationStatus;
  /** A column, '-column' for descending; default seller then SKU. */
  sort?: `${'' | '-'}${SortColumn}`;
  /** What Amazon showed, per seller, at the last run (or just read): its columns are filled from it. */
  amazon?: Map<string, AmazonSide>;
  /** Units of difference tolerated (default: settings.reconcileToleranceUnits). */
  toleranceUnits?: number;
}

interface PartnerSnapshot {
  partner: PartnerFile;
  asOf: string;
  appliedAt: string;
  stale: boolean;
}

/** The fulfilment partners' last snapshots, each against its freshness window (the inventory-stale check's). */
async function snapshots(ctx: GatewayContext, w: Work, seller: string, now: number): Promise<{ partners: PartnerFile[]; applied: PartnerSnapshot[]; stale: boolean }> {
  const partners = fulfilmentPartners(ctx, seller);
  const applied: PartnerSnapshot[] = [];
  let stale = partners.length === 0;
  for (const p of partners) {
    const last = await w.inventory.lastSnapshot(p.id, seller);
    const windowMs = (p.inventory?.freshnessMinutes ?? ctx.settings.inventoryFreshnessMinutes) * 60_000;
    if (!last) {
      stale = true;
      continue;
    }
    const isStale = now - Date.parse(last.appliedAt) > windowMs;
    stale ||= isStale;
    applied.push({ partner: p, asOf: last.asOf, appliedAt: last.appliedAt, stale: isStale });
  }
  return { partners, applied, stale };
}

type SkuItem = SkuTableFile['items'][number];

const isFba = (r: Pick<ReconciliationRow, 'channel' | 'amazonChannel'>) => r.channel === 'FBA' || (r.amazonChannel !== null && r.amazonChannel !== 'DEFAULT');

function statusOf(r: Omit<ReconciliationRow, 'status'>, mapped: boolean, stale: boolean, tolerance: number): ReconciliationStatus {
  if (!mapped) return 'unmapped';
  if (isFba(r)) return 'fba';
  if (stale || r.expected === null) return 'stale';
  if (r.driftUnits !== null && r.driftUnits > tolerance) return 'drift';
  if (r.amazonAccepted === null) return 'not-published';
  return 'ok';
}

/**
 * The gap between the three figures of an MFN row, in units: expected vs accepted (none while the
 * expected quantity is the one on its way: that is what the flow decided), accepted vs Amazon's
 * quantity, expected vs Amazon's quantity. Null when fewer than two are known.
 */
function driftOf(expected: number | null, accepted: number | null, pending: number | null, amazon: number | null): number | null {
  const gaps: number[] = [];
  if (expected !== null && accepted !== null) gaps.push(pending === expected ? 0 : Math.abs(expected - accepted));
  if (accepted !== null && amazon !== null) gaps.push(Math.abs(amazon - accepted));
  if (expected !== null && amazon !== null) gaps.push(pending === expected && amazon === accepted ? 0 : Math.abs(expected - amazon));
  return gaps.length ? Math.max(...gaps) : null;
}

const later = (a: string | null, b: string | null) => (a === null ? b : b === null ? a : Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * Which side moved last, for a row whose figures disagree. Amazon first: a listing quantity
 * other than what Amazon accepted from Dockgate changed on Amazon's side afterwards (a Seller
 * Central edit, orders decrementing it), whatever else moved. Otherwise the warehouse and
 * Dockgate are compared by time: the later of the warehouse's movement (count applied, order
 * taken) and Dockgate's accepted publish.
 */
function movedOf(r: Pick<ReconciliationRow, 'expected' | 'amazonAccepted' | 'acceptedAt' | 'pending' | 'amazonQuantity' | 'amazonCheckedAt' | 'warehouseMovedAt'>, tolerance: number): Pick<ReconciliationRow, 'movedLast' | 'movedAt' | 'movedNote'> {
  const none = { movedLast: null, movedAt: null, movedNote: null };
  if (r.amazonQuantity !== null && r.amazonAccepted !== null && Math.abs(r.amazonQuantity - r.amazonAccepted) > tolerance) {
    return {
      movedLast: 'amazon',
      movedAt: null,
      movedNote: `Amazon changed: it shows ${r.amazonQuantity} (read ${r.amazonCheckedAt}), Dockgate's last accepted publish was ${r.amazonAccepted} at ${r.acceptedAt} (a Seller Central edit, or orders decremented it)`,
    };
  }
  const target = r.amazonAccepted ?? r.amazonQuantity;
  if (r.expected === null || target === null || r.pending === r.expected || Math.abs(r.expected - target) <= tolerance) return none;
  const w = r.warehouseMovedAt;
  const d = r.amazonAccepted !== null ? r.acceptedAt : null;
  if (d !== null && (w === null || Date.parse(d) > Date.parse(w))) {
    return { movedLast: 'dockgate', movedAt: d, movedNote: `Dockgate published ${r.amazonAccepted} at ${d}, after the warehouse's last movement${w ? ` (${w})` : ''}, which makes ${r.expected}` };
  }
  return { movedLast: 'warehouse', movedAt: w, movedNote: `the warehouse moved to ${r.expected} at ${w}, after ${d ? `Dockgate's last accepted publish (${r.amazonAccepted} at ${d})` : 'anything Dockgate published'}` };
}

/** Orders of these states take warehouse units the count may not account for (the inventory flow's in-flight states). */
const OPEN_STATES: OrderState[] = ['new', 'held', 'queued', 'rejected', 'delivered', 'acknowledged', 'partially-shipped'];

/** The rows of one seller: every SKU of its table, then the SKUs Amazon has a quantity of that the table no longer maps. */
async function sellerRows(ctx: GatewayContext, w: Work, seller: string, now: number, amazon: AmazonSide | undefined, tolerance: number): Promise<ReconciliationRow[]> {
  const index = skuIndex(ctx.mappings, seller);
  const { partners, applied, stale } = await snapshots(ctx, w, seller, now);
  const plan = applied.length ? await planQuantities(ctx, w, seller) : null;
  const planned = new Map((plan?.quantities ?? []).map((q) => [q.sellerSku, q]));
  const stock: StockLine[] = [];
  for (const s of applied) {
    const sellableStates = new Set(s.partner.stockStates.sellable);
    for (const l of await w.inventory.stock(s.partner.id, seller)) stock.push({ partner: s.partner.id, ...l, sellable: sellableStates.has(l.state) });
  }
  // By item: a table of 50,000 SKUs must not scan the whole count per row.
  const stockByItem = new Map<string, StockLine[]>();
  for (const l of stock) {
    const list = stockByItem.get(l.warehouseItem);
    if (list) list.push(l);
    else stockByItem.set(l.warehouseItem, [l]);
  }
  const sellableOf = (item: string) => (stockByItem.get(item) ?? []).filter((l) => l.sellable).reduce((n, l) => n + l.quantity, 0);
  const inFlightOf = (item: string) => plan?.inFlight.get(item) ?? 0;
  const oldest = [...applied].sort((a, b) => Date.parse(a.appliedAt) - Date.parse(b.appliedAt))[0];
  const published = new Map((await w.inventory.quantities(seller)).map((q) => [q.sku, q]));
  const partner = partners.length ? partners.map((p) => p.id).join(',') : null;
  // The latest order taking each warehouse item: units sold move the warehouse side too.
  const itemsOf = (sku: string): string[] => {
    const it = index.bySellerSku.get(sku);
    return it ? (it.kit ? it.kit.map((k) => k.warehouseItem) : [it.warehouseItem!]) : [];
  };
  const lastOrderAt = new Map<string, string>();
  if (applied.length) {
    for (const o of await w.orders.list({ seller, states: OPEN_STATES })) {
      for (const l of o.lines) for (const item of itemsOf(l.sellerSku)) lastOrderAt.set(item, later(lastOrderAt.get(item) ?? null, o.createdAt)!);
    }
  }
  const newest = [...applied].sort((a, b) => Date.parse(b.appliedAt) - Date.parse(a.appliedAt))[0];

  const row = async (sku: string, item: SkuItem | undefined): Promise<ReconciliationRow> => {
    const q = planned.get(sku);
    const p = published.get(sku);
    // The listings report read just now says the channel for every listed SKU: the stored channel only for the others (one query fewer per SKU).
    const listed = amazon?.listings.get(sku);
    const c = listed ? { channel: listed.fulfillmentChannel === 'DEFAULT' ? ('MFN' as const) : ('FBA' as const), checkedAt: amazon!.checkedAt } : await w.inventory.channel(seller, sku);
    const items = item ? (item.kit ? item.kit.map((k) => k.warehouseItem) : [item.warehouseItem!]) : [];
    const counted = applied.length > 0;
    const listing = amazon?.listings.get(sku);
    const fbaRow = c?.channel === 'FBA' || (listing !== undefined && listing.fulfillmentChannel !== 'DEFAULT');
    // The inventory flow publishes nothing for an FBA SKU: no expected figure, whatever the table maps it to.
    const expected = item && q && counted && !fbaRow ? q.quantity : null;
    const accepted = p?.accepted ?? null;
    const amazonQuantity = listing?.quantity ?? null;
    let warehouseMovedAt: string | null = newest?.appliedAt ?? null;
    for (const i of items) warehouseMovedAt = later(warehouseMovedAt, lastOrderAt.get(i) ?? null);
    const mfn = item !== undefined && !fbaRow && !stale;
    const figures = {
      expected,
      amazonAccepted: accepted,
      acceptedAt: p?.acceptedAt ?? null,
      pending: p?.pending ?? null,
      amazonQuantity,
      amazonCheckedAt: amazon?.checkedAt ?? null,
      warehouseMovedAt: counted ? warehouseMovedAt : null,
    };
    const base: Omit<ReconciliationRow, 'status'> = {
      seller,
      sku,
      partner,
      warehouseSku: item?.warehouseItem ?? null,
      packSize: item && !item.kit ? item.packSize : null,
      kit: item?.kit ? item.kit.map((k) => ({ warehouseItem: k.warehouseItem, perKit: k.quantity, sellable: sellableOf(k.warehouseItem), inFlight: inFlightOf(k.warehouseItem) })) : null,
      warehouseStock: [...new Set(items)].flatMap((i) => stockByItem.get(i) ?? []),
      sellable: item && !item.kit && counted ? sellableOf(item.warehouseItem!) : null,
      inFlight: item && !item.kit && counted ? inFlightOf(item.warehouseItem!) : null,
      available: item && q && counted ? q.available : null,
      buffer: item ? (q?.buffer ?? item.safetyBuffer ?? index.table.defaultSafetyBuffer) : null,
      expected,
      amazonAccepted: accepted,
      acceptedAt: p?.acceptedAt ?? null,
      pending: p?.pending ?? null,
      pendingSince: p?.pendingSince ?? null,
      difference: expected !== null && accepted !== null ? expected - accepted : null,
      channel: c?.channel ?? null,
      channelCheckedAt: c?.checkedAt ?? null,
      snapshotAsOf: oldest?.asOf ?? null,
      snapshotAppliedAt: oldest?.appliedAt ?? null,
      warehouseMovedAt: figures.warehouseMovedAt,
      amazonChannel: listing?.fulfillmentChannel ?? null,
      amazonListingStatus: listing?.status ?? null,
      amazonQuantity,
      amazonFulfillable: amazon ? (amazon.fulfillable.get(sku) ?? (fbaRow ? 0 : null)) : null,
      amazonCheckedAt: figures.amazonCheckedAt,
      amazonDifference: amazonQuantity !== null && accepted !== null ? amazonQuantity - accepted : null,
      // FBA stock is Amazon's, a SKU without a mapping or a fresh count has no expected figure: neither drifts.
      driftUnits: mfn ? driftOf(expected, accepted, figures.pending, amazonQuantity) : null,
      ...(mfn ? movedOf(figures, tolerance) : { movedLast: null, movedAt: null, movedNote: null }),
    };
    return { ...base, status: statusOf(base, item !== undefined, stale, tolerance) };
  };

  const rows: ReconciliationRow[] = [];
  for (const item of index.table.items) rows.push(await row(item.sellerSku, item));
  const seen = new Set(index.table.items.map((i) => i.sellerSku));
  for (const sku of published.keys()) if (!seen.has(sku)) (seen.add(sku), rows.push(await row(sku, undefined)));
  // Listings Amazon has that the SKU table does not map: shown, so that a forgotten listing is seen.
  for (const sku of amazon?.listings.keys() ?? []) if (!seen.has(sku)) (seen.add(sku), rows.push(await row(sku, undefined)));
  return rows;
}

function compare(column: SortColumn, descending: boolean) {
  return (a: ReconciliationRow, b: ReconciliationRow): number => {
    const x = a[column];
    const y = b[column];
    // Unknowns last whichever the direction: they are what a sorted column cannot place.
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
    return descending ? -order : order;
  };
}

/** The report for one seller (`options.seller`) or every seller of the mappings. */
export async function reconcileBySku(ctx: GatewayContext, options: ReconciliationOptions = {}): Promise<ReconciliationReport> {
  const generatedAt = ctx.clock.now();
  const sellers = options.seller ? [options.seller] : [...ctx.mappings.sellers.keys()].sort();
  let rows: ReconciliationRow[] = [];
  for (const seller of sellers) {
    if (!ctx.mappings.sellers.has(seller)) throw new Error(`no seller '${seller}' in the mappings`);
    // One transaction per seller: the rows read one consistent state, and a read outside one is a transaction of its own each (a 50,000-SKU table is 50,000 of them).
    rows.push(...(await ctx.store.transaction((w) => sellerRows(ctx, w, seller, generatedAt.getTime(), options.amazon?.get(seller), options.toleranceUnits ?? ctx.settings.reconcileToleranceUnits))));
  }
  if (options.status) rows = rows.filter((r) => r.status === options.status);
  return { generatedAt: generatedAt.toISOString(), rows: sortRows(rows, options.sort) };
}

/** Rows in the report's order: by a column ('-column' descending; unknowns last), then seller and SKU. Sorts in place. */
export function sortRows(rows: ReconciliationRow[], sort?: string): ReconciliationRow[] {
  const byKey = (a: ReconciliationRow, b: ReconciliationRow) => a.seller.localeCompare(b.seller) || a.sku.localeCompare(b.sku);
  if (sort) {
    const descending = sort.startsWith('-');
    const sorted = compare((descending ? sort.slice(1) : sort) as SortColumn, descending);
    return rows.sort((a, b) => sorted(a, b) || byKey(a, b));
  }
  return rows.sort(byKey);
}

/** The CSV columns, in order: one value per row each (stock and kit parts written as text). */
export const CSV_COLUMNS: Array<{ header: string; value(r: ReconciliationRow): string | number | null }> = [
  { header: 'seller', value: (r) => r.seller },
  { header: 'sku', value: (r) => r.sku },
  { header: 'status', value: (r) => r.status },
  { header: 'partner', value: (r) => r.partner },
  { header: 'warehouseSku', value: (r) => r.warehouseSku },
  { header: 'packSize', value: (r) => r.packSize },
  { header: 'kit', value: (r) => r.kit?.map((k) => `${k.warehouseItem} x${k.perKit} (sellable ${k.sellable}, in flight ${k.inFlight})`).join('; ') ?? null },
  { header: 'warehouseStock', value: (r) => r.warehouseStock.map((l) => `${l.warehouseItem} ${l.state}=${l.quantity}${l.sellable ? ' sellable' : ''}`).join('; ') },
  { header: 'sellable', value: (r) => r.sellable },
  { header: 'inFlight', value: (r) => r.inFlight },
  { header: 'available', value: (r) => r.available },
  { header: 'buffer', value: (r) => r.buffer },
  { header: 'expected', value: (r) => r.expected },
  { header: 'amazonAccepted', value: (r) => r.amazonAccepted },
  { header: 'acceptedAt', value: (r) => r.acceptedAt },
  { header: 'pending', value: (r) => r.pending },
  { header: 'pendingSince', value: (r) => r.pendingSince },
  { header: 'difference', value: (r) => r.difference },
  { header: 'channel', value: (r) => r.channel },
  { header: 'channelCheckedAt', value: (r) => r.channelCheckedAt },
  { header: 'snapshotAsOf', value: (r) => r.snapshotAsOf },
  { header: 'snapshotAppliedAt', value: (r) => r.snapshotAppliedAt },
  { header: 'warehouseMovedAt', value: (r) => r.warehouseMovedAt },
  { header: 'amazonChannel', value: (r) => r.amazonChannel },
  { header: 'amazonListingStatus', value: (r) => r.amazonListingStatus },
  { header: 'amazonQuantity', value: (r) => r.amazonQuantity },
  { header: 'amazonFulfillable', value: (r) => r.amazonFulfillable },
  { header: 'amazonCheckedAt', value: (r) => r.amazonCheckedAt },
  { header: 'amazonDifference', value: (r) => r.amazonDifference },
  { header: 'driftUnits', value: (r) => r.driftUnits },
  { header: 'movedLast', value: (r) => r.movedLast },
  { header: 'movedAt', value: (r) => r.movedAt },
  { header: 'movedNote', value: (r) => r.movedNote },
];
