/**
 * The by-SKU reconciliation report: for each (seller, SKU), what the warehouse counted, what the
 * gateway expects Amazon to show, and what Amazon last accepted. Pure over the store and the
 * mappings: it reads, never writes, and calls nobody outside.
 *
 * The expected quantity is computed by the inventory flow's own planQuantities (the same
 * fulfilment partners, sellable states, in-flight orders, packs, kits and buffers), so a row is
 * `ok` exactly when Amazon holds what the flow would publish now. Issue 12 grows this into a
 * daily report; keep the computation here.
 */
import { fulfilmentPartners, planQuantities } from '../flows/inventory-to-amazon.ts';
import type { GatewayContext } from '../flows/context.ts';
import { skuIndex } from '../mapping/resolve.ts';
import type { PartnerFile, SkuTableFile } from '../mapping/schema.ts';

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
  'status',
] as const satisfies ReadonlyArray<keyof ReconciliationRow>;
export type SortColumn = (typeof SORTABLE_COLUMNS)[number];

export interface ReconciliationOptions {
  seller?: string;
  status?: ReconciliationStatus;
  /** A column, '-column' for descending; default seller then SKU. */
  sort?: `${'' | '-'}${SortColumn}`;
}

interface PartnerSnapshot {
  partner: PartnerFile;
  asOf: string;
  appliedAt: string;
  stale: boolean;
}

/** The fulfilment partners' last snapshots, each against its freshness window (the inventory-stale check's). */
async function snapshots(ctx: GatewayContext, seller: string, now: number): Promise<{ partners: PartnerFile[]; applied: PartnerSnapshot[]; stale: boolean }> {
  const partners = fulfilmentPartners(ctx, seller);
  const applied: PartnerSnapshot[] = [];
  let stale = partners.length === 0;
  for (const p of partners) {
    const last = await ctx.store.work.inventory.lastSnapshot(p.id, seller);
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

function statusOf(r: Omit<ReconciliationRow, 'status'>, mapped: boolean, stale: boolean): ReconciliationStatus {
  if (!mapped) return 'unmapped';
  if (r.channel === 'FBA') return 'fba';
  if (stale || r.expected === null) return 'stale';
  if (r.amazonAccepted === null) return 'not-published';
  // A quantity on its way (pending = expected) is what the flow decided: not drift.
  if (r.expected !== r.amazonAccepted && r.pending !== r.expected) return 'drift';
  return 'ok';
}

/** The rows of one seller: every SKU of its table, then the SKUs Amazon has a quantity of that the table no longer maps. */
async function sellerRows(ctx: GatewayContext, seller: string, now: number): Promise<ReconciliationRow[]> {
  const w = ctx.store.work;
  const index = skuIndex(ctx.mappings, seller);
  const { partners, applied, stale } = await snapshots(ctx, seller, now);
  const plan = applied.length ? await planQuantities(ctx, w, seller) : null;
  const planned = new Map((plan?.quantities ?? []).map((q) => [q.sellerSku, q]));
  const stock: StockLine[] = [];
  for (const s of applied) {
    const sellableStates = new Set(s.partner.stockStates.sellable);
    for (const l of await w.inventory.stock(s.partner.id, seller)) stock.push({ partner: s.partner.id, ...l, sellable: sellableStates.has(l.state) });
  }
  const sellableOf = (item: string) => stock.filter((l) => l.warehouseItem === item && l.sellable).reduce((n, l) => n + l.quantity, 0);
  const inFlightOf = (item: string) => plan?.inFlight.get(item) ?? 0;
  const oldest = [...applied].sort((a, b) => Date.parse(a.appliedAt) - Date.parse(b.appliedAt))[0];
  const published = new Map((await w.inventory.quantities(seller)).map((q) => [q.sku, q]));
  const partner = partners.length ? partners.map((p) => p.id).join(',') : null;

  const row = async (sku: string, item: SkuItem | undefined): Promise<ReconciliationRow> => {
    const q = planned.get(sku);
    const p = published.get(sku);
    const c = await w.inventory.channel(seller, sku);
    const items = item ? (item.kit ? item.kit.map((k) => k.warehouseItem) : [item.warehouseItem!]) : [];
    const counted = applied.length > 0;
    const expected = item && q && counted ? q.quantity : null;
    const accepted = p?.accepted ?? null;
    const base: Omit<ReconciliationRow, 'status'> = {
      seller,
      sku,
      partner,
      warehouseSku: item?.warehouseItem ?? null,
      packSize: item && !item.kit ? item.packSize : null,
      kit: item?.kit ? item.kit.map((k) => ({ warehouseItem: k.warehouseItem, perKit: k.quantity, sellable: sellableOf(k.warehouseItem), inFlight: inFlightOf(k.warehouseItem) })) : null,
      warehouseStock: stock.filter((l) => items.includes(l.warehouseItem)),
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
    };
    return { ...base, status: statusOf(base, item !== undefined, stale) };
  };

  const rows: ReconciliationRow[] = [];
  for (const item of index.table.items) rows.push(await row(item.sellerSku, item));
  for (const sku of published.keys()) if (!index.bySellerSku.has(sku)) rows.push(await row(sku, undefined));
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
    rows.push(...(await sellerRows(ctx, seller, generatedAt.getTime())));
  }
  if (options.status) rows = rows.filter((r) => r.status === options.status);
  const byKey = (a: ReconciliationRow, b: ReconciliationRow) => a.seller.localeCompare(b.seller) || a.sku.localeCompare(b.sku);
  if (options.sort) {
    const descending = options.sort.startsWith('-');
    const sorted = compare((descending ? options.sort.slice(1) : options.sort) as SortColumn, descending);
    rows.sort((a, b) => sorted(a, b) || byKey(a, b));
  } else rows.sort(byKey);
  return { generatedAt: generatedAt.toISOString(), rows };
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
];
