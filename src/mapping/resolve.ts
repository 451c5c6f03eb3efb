/**
 * From what a layout read to a canonical document, and from a canonical document to what a
 * warehouse must be sent, through the seller's SKU table and the partner's carrier table.
 * Nothing unknown passes silently: an unknown SKU, carrier or stock state holds the document
 * with an exception that names the value and the mapping file to fix.
 */
import type { InventorySnapshot, ShipOrder } from '../model/index.ts';
import type { Mappings } from './load.ts';
import type { CarrierTableFile, LayoutFile, PartnerFile, SkuTableFile } from './schema.ts';
import { readable, type TextChange } from './text-policy.ts';

export type ExceptionCode = 'unknown-sku' | 'unknown-carrier' | 'unknown-seller' | 'kit-incomplete' | 'unknown-stock-state' | 'unknown-item' | 'unit-mismatch' | 'unsendable-text';

/** Why a document is held: enough for someone to fix the mapping without reading code. */
export interface MappingException {
  code: ExceptionCode;
  message: string;
  /** The value that was not found. */
  value: string;
  /** Mapping file to fix, when there is one. */
  file?: string;
  field?: string;
}

type SkuItem = SkuTableFile['items'][number];
/** Which package a line came from while kits are put together over the whole shipment. */
const HOST = Symbol('package');
type Obj = Record<string, unknown>;

/** One seller's SKU table, indexed every way a warehouse may name an item. */
export class SkuIndex {
  readonly bySellerSku = new Map<string, SkuItem>();
  readonly byWarehouseItem = new Map<string, SkuItem[]>();
  readonly byGtin = new Map<string, SkuItem>();
  readonly byFnsku = new Map<string, SkuItem>();
  /** Warehouse items that are parts of kits. */
  readonly kitParts = new Set<string>();
  constructor(
    readonly table: SkuTableFile,
    readonly file: string,
  ) {
    for (const item of table.items) {
      this.bySellerSku.set(item.sellerSku, item);
      if (item.warehouseItem) {
        const list = this.byWarehouseItem.get(item.warehouseItem) ?? [];
        list.push(item);
        this.byWarehouseItem.set(item.warehouseItem, list);
      }
      if (item.gtin) this.byGtin.set(item.gtin, item);
      if (item.fnsku) this.byFnsku.set(item.fnsku, item);
      for (const p of item.kit ?? []) this.kitParts.add(p.warehouseItem);
    }
  }

  /** The standalone item a warehouse line means, by seller SKU, warehouse item, FNSKU or GTIN (in that order). */
  find(ids: { sellerSku?: string; warehouseItem?: string; fnsku?: string; gtin?: string }): SkuItem | undefined {
    if (ids.sellerSku) {
      const hit = this.bySellerSku.get(ids.sellerSku);
      if (hit) return hit;
    }
    if (ids.warehouseItem) {
      // Several seller SKUs on one warehouse item (a single and a 6-pack): the pack size 1 one is what ships as the item.
      const list = this.byWarehouseItem.get(ids.warehouseItem);
      if (list?.length) return list.find((i) => i.packSize === 1) ?? list[0];
    }
    if (ids.fnsku) {
      const hit = this.byFnsku.get(ids.fnsku);
      if (hit) return hit;
    }
    if (ids.gtin) return this.byGtin.get(ids.gtin);
    return undefined;
  }

  knows(ids: { sellerSku?: string; warehouseItem?: string; fnsku?: string; gtin?: string }): boolean {
    return this.find(ids) !== undefined || (ids.warehouseItem !== undefined && this.kitParts.has(ids.warehouseItem));
  }
}

export interface ResolveContext {
  mappings: Mappings;
  partner: PartnerFile;
  /** Seller named by the caller (the stored order's seller, or --seller). */
  seller?: string;
}

/** Indexes are built once per loaded table (resolution asks for them line by line). */
const indexes = new WeakMap<SkuTableFile, SkuIndex>();

export function skuIndex(mappings: Mappings, seller: string): SkuIndex {
  const s = mappings.sellers.get(seller);
  if (!s) throw new Error(`no seller '${seller}' in the mappings`);
  const table = mappings.skuTables.get(s.skus)!;
  let index = indexes.get(table);
  if (!index) {
    index = new SkuIndex(table, mappings.files.get(table) ?? s.skus);
    indexes.set(table, index);
  }
  return index;
}

const describeIds = (ids: Obj) =>
  (['sellerSku', 'warehouseItem', 'fnsku', 'gtin'] as const)
    .filter((k) => ids[k] !== undefined)
    .map((k) => `${k} ${String(ids[k])}`)
    .join(', ') || 'no item identifier';

function unknownSku(index: SkuIndex, ids: Obj, field: string): MappingException {
  return {
    code: 'unknown-sku',
    value: String(ids.sellerSku ?? ids.warehouseItem ?? ids.fnsku ?? ids.gtin ?? ''),
    message: `${describeIds(ids)} is not in SKU table ${index.table.id} (${index.file}): add it under items`,
    file: index.file,
    field,
  };
}

/** Item identifiers of every line of a document as read, for telling which seller it belongs to. */
function itemIdsOf(kind: string, doc: Obj): Obj[] {
  const lines = (name: string, o: Obj) => ((o[name] as Obj[] | undefined) ?? []);
  switch (kind) {
    case 'ShipmentAdvice':
      return [...lines('packages', doc).flatMap((p) => lines('lines', p)), ...lines('lines', doc)];
    case 'InboundAsn':
      return lines('cartons', doc).flatMap((c) => lines('contents', c));
    case 'InventorySnapshot':
      return lines('items', doc);
    default:
      return lines('lines', doc);
  }
}

/**
 * Which seller a document read from a warehouse belongs to: the caller's, else the one seller
 * of the partner whose SKU table knows every item in it.
 */
export function sellerOf(kind: string, doc: Obj, ctx: ResolveContext): { seller?: string; exception?: MappingException } {
  if (ctx.seller) return { seller: ctx.seller };
  if (typeof doc.seller === 'string') return { seller: doc.seller };
  if (ctx.partner.sellers.length === 1) return { seller: ctx.partner.sellers[0] };
  const ids = itemIdsOf(kind, doc);
  const candidates = ctx.partner.sellers.filter((s) => ids.length > 0 && ids.every((i) => skuIndex(ctx.mappings, s).knows(i)));
  if (candidates.length === 1) return { seller: candidates[0] };
  const file = ctx.mappings.files.get(ctx.partner);
  return {
    exception: {
      code: 'unknown-seller',
      value: ids.map((i) => describeIds(i)).slice(0, 3).join('; '),
      file,
      message:
        candidates.length === 0
          ? `no seller of partner ${ctx.partner.id} (${ctx.partner.sellers.join(', ')}) has every item of this document in its SKU table`
          : `the items fit more than one seller (${candidates.join(', ')}): the seller must come from the order (or --seller)`,
    },
  };
}

// ------------------------------------------------------------------ carriers

export interface CarrierMatch {
  carrierCode: string;
  carrierName?: string;
  shippingMethod?: string;
}

type CarrierEntry = CarrierTableFile['entries'][number];

/** The partner's carrier tables merged: later tables replace entries only where they say override. */
export function carrierEntries(mappings: Mappings, partner: PartnerFile): Array<CarrierEntry & { file: string; table: string }> {
  const out = new Map<string, CarrierEntry & { file: string; table: string }>();
  for (const id of partner.carriers) {
    const table = mappings.carrierTables.get(id);
    if (!table) continue;
    for (const e of table.entries) out.set(`${e.scac}\u0000${e.service ?? ''}`, { ...e, file: mappings.files.get(table) ?? id, table: id });
  }
  return [...out.values()];
}

export function mapCarrier(mappings: Mappings, partner: PartnerFile, scac: string | undefined, service: string | undefined, field: string): { carrier?: CarrierMatch; exception?: MappingException } {
  const entries = carrierEntries(mappings, partner);
  const exact = entries.find((e) => e.scac === scac && (e.service ?? '') === (service ?? ''));
  const byScac = exact ?? entries.find((e) => e.scac === scac && e.service === undefined);
  if (byScac) return { carrier: { carrierCode: byScac.carrierCode, carrierName: byScac.carrierName, shippingMethod: byScac.shippingMethod ?? service } };
  const tables = partner.carriers.map((id) => mappings.carrierTables.get(id)).filter((t): t is CarrierTableFile => !!t);
  const last = tables[tables.length - 1];
  const policy = last?.unknownCarrier ?? 'hold';
  const what = `carrier ${scac ?? '(none)'}${service ? ` service ${service}` : ''}`;
  if (policy === 'other' && scac) return { carrier: { carrierCode: 'Other', carrierName: scac, shippingMethod: service } };
  return {
    exception: {
      code: 'unknown-carrier',
      value: `${scac ?? ''}${service ? ` ${service}` : ''}`,
      file: last ? mappings.files.get(last) : undefined,
      field,
      message: `${what} is not in carrier table ${partner.carriers.join(' + ')}${last ? ` (${mappings.files.get(last)})` : ''}: add an entry with its Amazon carrierCode`,
    },
  };
}

// ------------------------------------------------------------------ inbound

interface Line extends Obj {
  [HOST]?: number;
  sellerSku?: string;
  warehouseItem?: string;
  quantity?: number;
}

/**
 * Resolve the item identifiers of lines to seller SKUs, and put kit parts back together into
 * kits. Parts belong to a kit when the lines say so (the kit's seller SKU echoed, or one Amazon
 * order item id over parts of one kit, wherever they were packed), else when a part is nothing
 * but a kit part. As many whole kits are made as the parts allow; leftover parts are an
 * exception. `qty` names the quantity fields (quantity; or ordered and shipped).
 */
function resolveLines(index: SkuIndex, lines: Line[], qty: string[], field: string, exceptions: MappingException[]): Line[] {
  const kits = index.table.items.filter((i) => i.kit);
  const isPart = (kit: SkuItem, w: string | undefined) => !!w && kit.kit!.some((p) => p.warehouseItem === w);
  const standalone = (l: Line) => {
    const item = index.find({ warehouseItem: l.warehouseItem, fnsku: l.fnsku as string | undefined, gtin: l.gtin as string | undefined });
    return item && !item.kit ? item : undefined;
  };
  const pools = new Map<string, { kit?: SkuItem; lines: Line[] }>();
  const pool = (key: string, kit: SkuItem | undefined, l: Line) => {
    const p = pools.get(key) ?? { kit, lines: [] };
    p.lines.push(l);
    pools.set(key, p);
  };
  // Lines of one order item that are all parts of one kit.
  const byOrderItem = new Map<string, Line[]>();
  for (const l of lines) if (typeof l.orderItemId === 'string') byOrderItem.set(l.orderItemId, [...(byOrderItem.get(l.orderItemId) ?? []), l]);
  const kitOfLine = new Map<Line, SkuItem>();
  for (const group of byOrderItem.values()) {
    const echoed = group.map((l) => (l.sellerSku ? index.bySellerSku.get(l.sellerSku) : undefined)).find((i) => i?.kit);
    const items = new Set(group.map((l) => l.warehouseItem));
    const kit = echoed ?? kits.find((k) => [...items].every((w) => isPart(k, w)) && (items.size > 1 || !standalone(group[0])));
    if (kit && [...items].every((w) => isPart(kit, w))) for (const l of group) kitOfLine.set(l, kit);
  }
  const out: Array<Line | null> = [];
  const slots = new Map<string, number>();
  for (const line of lines) {
    const kit = kitOfLine.get(line) ?? (line.sellerSku && index.bySellerSku.get(line.sellerSku)?.kit && isPart(index.bySellerSku.get(line.sellerSku)!, line.warehouseItem) ? index.bySellerSku.get(line.sellerSku) : undefined);
    if (kit) {
      const key = typeof line.orderItemId === 'string' ? `oi:${line.orderItemId}` : `sku:${kit.sellerSku}`;
      if (!slots.has(key)) {
        slots.set(key, out.length);
        out.push(null);
      }
      pool(key, kit, line);
      continue;
    }
    const item = line.sellerSku ? index.bySellerSku.get(line.sellerSku) : standalone(line);
    if (item && !item.kit) {
      // The warehouse counts units; a SKU sold in packs is confirmed in packs.
      const counts: Obj = {};
      if (item.packSize > 1) {
        for (const q of qty) {
          const n = (line[q] as number | undefined) ?? 0;
          if (n % item.packSize !== 0) {
            exceptions.push({
              code: 'unit-mismatch',
              value: `${n} ${line.warehouseItem ?? item.warehouseItem}`,
              file: index.file,
              field,
              message: `${n} units of ${line.warehouseItem ?? item.warehouseItem} are not whole packs of ${item.packSize} of ${item.sellerSku} (SKU table ${index.table.id}, ${index.file}): check packSize or the warehouse's unit`,
            });
          }
          counts[q] = Math.floor(n / item.packSize);
        }
      }
      out.push({ ...line, ...counts, sellerSku: item.sellerSku, ...(line.warehouseItem === undefined && item.warehouseItem && { warehouseItem: item.warehouseItem }), ...(item.asin && !line.asin && { asin: item.asin }), ...(item.fnsku && !line.fnsku && { fnsku: item.fnsku }) });
      continue;
    }
    if (item?.kit) {
      out.push({ ...line, sellerSku: item.sellerSku });
      continue;
    }
    const partOf = kits.find((k) => isPart(k, line.warehouseItem));
    if (partOf) {
      if (!slots.has('free')) {
        slots.set('free', out.length);
        out.push(null);
      }
      pool('free', undefined, line);
      continue;
    }
    exceptions.push(unknownSku(index, line, field));
  }
  const qtyOf = (l: Line, q: string) => (l[q] as number | undefined) ?? 0;
  const built = new Map<string, Line[]>();
  for (const [key, p] of pools) {
    const candidates = p.kit ? [p.kit] : kits;
    const made: Line[] = [];
    for (const kit of candidates) {
      const parts = kit.kit!;
      if (!parts.every((part) => p.lines.some((l) => l.warehouseItem === part.warehouseItem))) continue;
      const first = p.lines.find((l) => isPart(kit, l.warehouseItem))!;
      const line: Line = { ...first, sellerSku: kit.sellerSku, ...(kit.asin && { asin: kit.asin }) };
      delete line.warehouseItem;
      delete line.gtin;
      for (const q of qty) {
        const n = Math.min(...parts.map((part) => Math.floor(p.lines.filter((l) => l.warehouseItem === part.warehouseItem).reduce((a, l) => a + qtyOf(l, q), 0) / part.quantity)));
        line[q] = n;
        // What the kits used is taken from the parts; anything left is reported below.
        for (const part of parts) {
          let need = n * part.quantity;
          for (const l of p.lines.filter((x) => x.warehouseItem === part.warehouseItem)) {
            const take = Math.min(need, qtyOf(l, q));
            l[q] = qtyOf(l, q) - take;
            need -= take;
          }
        }
      }
      if (qty.some((q) => (line[q] as number) > 0)) made.push(line);
    }
    built.set(key, made);
    const left = new Map<string, number>();
    for (const l of p.lines) left.set(l.warehouseItem ?? '?', (left.get(l.warehouseItem ?? '?') ?? 0) + qty.reduce((a, q) => a + qtyOf(l, q), 0));
    for (const [item, n] of left) {
      if (n <= 0) continue;
      exceptions.push({
        code: 'kit-incomplete',
        value: item,
        file: index.file,
        field,
        message: `${n} of kit part ${item}${p.kit ? ` (kit ${p.kit.sellerSku})` : ''} do not make whole kits by SKU table ${index.table.id} (${index.file}): check the kit's parts and quantities`,
      });
    }
  }
  const result: Line[] = [];
  const slotKeys = new Map([...slots.entries()].map(([k, i]) => [i, k]));
  out.forEach((l, i) => {
    if (l) result.push(l);
    else result.push(...(built.get(slotKeys.get(i)!) ?? []));
  });
  return result;
}

export interface Resolved<T> {
  document?: T;
  exceptions: MappingException[];
}

/** Complete and resolve a document read from a warehouse. Returns an unchecked object in the canonical shape. */
export function resolveInbound(kind: string, raw: Obj, ctx: ResolveContext): { document: Obj[]; exceptions: MappingException[]; notes: string[] } {
  const exceptions: MappingException[] = [];
  const notes: string[] = [];
  const doc: Obj = { kind, ...raw };
  if (kind === 'InventorySnapshot') return resolveInventory(doc, ctx);
  const who = sellerOf(kind, doc, ctx);
  if (who.exception) return { document: [doc], exceptions: [who.exception], notes };
  const seller = ctx.mappings.sellers.get(who.seller!);
  if (!seller) return { document: [doc], exceptions: [{ code: 'unknown-seller', value: who.seller!, message: `no seller '${who.seller}' in the mappings` }], notes };
  doc.seller = seller.id;
  const index = skuIndex(ctx.mappings, seller.id);
  if (kind === 'ShipmentAdvice' || kind === 'InboundAsn' || kind === 'ShipOrder') doc.marketplaceId ??= seller.marketplaces[0];
  if (kind === 'Receipt') doc.warehouse ??= ctx.partner.id;

  if (kind === 'ShipmentAdvice') {
    const packages = ((doc.packages as Obj[] | undefined) ?? []).map((p) => ({ ...p }));
    // Kits are put together over the whole shipment (a kit's parts may travel in different
    // packages); a kit goes with the package that holds its first part.
    const all = packages.flatMap((p, i) => ((p.lines as Line[] | undefined) ?? []).filter((l) => l.quantity !== 0).map((l) => ({ ...l, [HOST]: i })));
    const resolved = resolveLines(index, all, ['quantity'], 'packages[].lines', exceptions);
    packages.forEach((p, i) => {
      p.packageId ??= String(i + 1);
      p.lines = resolved.filter((l) => l[HOST] === i).map((l) => {
        const { [HOST]: _, ...rest } = l;
        return rest;
      });
      if (!p.amazonCarrier) {
        const m = mapCarrier(ctx.mappings, ctx.partner, p.carrierScac as string | undefined, p.carrierService as string | undefined, `packages[${i}].carrierScac`);
        if (m.exception) exceptions.push(m.exception);
        else p.amazonCarrier = Object.fromEntries(Object.entries(m.carrier!).filter(([, v]) => v !== undefined));
      }
    });
    packages.forEach((p, i) => {
      if ((p.lines as Line[]).length === 0 && ((doc.packages as Obj[])[i].lines as Line[] | undefined)?.some((l) => l.quantity !== 0)) {
        notes.push(`package ${i + 1} (tracking ${String(p.trackingNumber)}) holds only parts of kits confirmed with another package: Amazon is told that package's tracking number`);
      }
    });
    doc.packages = packages.filter((p) => (p.lines as Line[]).length > 0);
    if (doc.lines) doc.lines = resolveLines(index, doc.lines as Line[], ['ordered', 'shipped'], 'lines', exceptions);
    else {
      // No per-line summary in this layout: what was packed is what was shipped, and ordered.
      const sum = new Map<string, Line>();
      for (const p of doc.packages as Obj[]) {
        for (const l of p.lines as Line[]) {
          const k = l.sellerSku!;
          const s = sum.get(k) ?? { ...l, ordered: 0, shipped: 0 };
          delete s.quantity;
          s.ordered = (s.ordered as number) + l.quantity!;
          s.shipped = (s.shipped as number) + l.quantity!;
          sum.set(k, s);
        }
      }
      doc.lines = [...sum.values()];
    }
  } else if (kind === 'InboundAsn') {
    const cartons = ((doc.cartons as Obj[] | undefined) ?? []).map((c, i) => ({ ...c, contents: resolveLines(index, (c.contents as Line[] | undefined) ?? [], ['quantity'], `cartons[${i}].contents`, exceptions) }));
    doc.cartons = cartons;
  } else if (kind === 'ShipOrder') {
    // An order read back as the warehouse got it: kits and packs as the seller sold them.
    doc.lines = resolveLines(index, (doc.lines as Line[] | undefined) ?? [], ['quantity'], 'lines', exceptions);
  } else if (kind === 'Receipt') {
    // A received line names the item as the warehouse and Amazon's removal paperwork do: no ASIN.
    doc.lines = resolveLines(index, (doc.lines as Line[] | undefined) ?? [], ['quantity'], 'lines', exceptions).map(({ asin: _, ...l }) => l);
  }
  // The same unknown value met on the packages and on the line summary is one thing to fix.
  const seen = new Set<string>();
  const unique = exceptions.filter((e) => {
    const k = `${e.code}\u0000${e.value}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return { document: [doc], exceptions: unique, notes };
}

/** An inventory report covers the items of every seller the partner serves: one snapshot per seller. */
function resolveInventory(doc: Obj, ctx: ResolveContext): { document: Obj[]; exceptions: MappingException[]; notes: string[] } {
  const exceptions: MappingException[] = [];
  doc.warehouse ??= ctx.partner.id;
  const states = new Set([...ctx.partner.stockStates.sellable, ...ctx.partner.stockStates.notSellable]);
  const sellers = ctx.seller ? [ctx.seller] : ctx.partner.sellers;
  const indexes = sellers.map((s) => [s, skuIndex(ctx.mappings, s)] as const);
  const bySeller = new Map<string, Obj[]>();
  ((doc.items as Line[] | undefined) ?? []).forEach((item, i) => {
    if (typeof item.state === 'string' && !states.has(item.state)) {
      exceptions.push({
        code: 'unknown-stock-state',
        value: item.state,
        file: ctx.mappings.files.get(ctx.partner),
        field: `items[${i}].state`,
        message: `stock state ${item.state} is neither sellable nor notSellable in partner ${ctx.partner.id}'s stockStates: say which it is`,
      });
    }
    const owners = indexes.filter(([, idx]) => idx.knows(item));
    if (owners.length === 0) {
      exceptions.push({
        code: 'unknown-item',
        value: String(item.warehouseItem ?? item.sellerSku ?? ''),
        field: `items[${i}]`,
        message: `warehouse item ${String(item.warehouseItem ?? item.sellerSku)} is in no SKU table of ${sellers.join(', ')} (${indexes.map(([, idx]) => idx.file).join(', ')}): add it to its seller's table`,
      });
      return;
    }
    for (const [seller, idx] of owners) {
      const list = bySeller.get(seller) ?? [];
      const standalone = idx.find({ warehouseItem: item.warehouseItem, sellerSku: item.sellerSku });
      list.push({ ...item, ...(standalone && !standalone.kit && (idx.byWarehouseItem.get(item.warehouseItem ?? '')?.length ?? 0) <= 1 && { sellerSku: standalone.sellerSku }) });
      bySeller.set(seller, list);
    }
  });
  const docs = [...bySeller.entries()].map(([seller, items]) => ({ ...doc, seller, items }));
  return { document: docs.length ? docs : [{ ...doc, items: [] }], exceptions, notes: [] };
}

// ------------------------------------------------------------------ outbound

/**
 * A ship order as the warehouse must see it: seller SKUs become warehouse items (with their
 * pack size), kits become their parts, lines are renumbered; every line keeps its Amazon order
 * item id so the shipment advice can be confirmed per item.
 */
export function prepareShipOrder(order: ShipOrder, ctx: ResolveContext): Resolved<ShipOrder> {
  const exceptions: MappingException[] = [];
  const index = skuIndex(ctx.mappings, order.seller);
  const lines: ShipOrder['lines'] = [];
  order.lines.forEach((line, i) => {
    const item = index.bySellerSku.get(line.sellerSku);
    if (!item) {
      exceptions.push(unknownSku(index, { sellerSku: line.sellerSku }, `lines[${i}].sellerSku`));
      return;
    }
    if (item.kit) {
      for (const part of item.kit) {
        const partItem = index.byWarehouseItem.get(part.warehouseItem)?.find((x) => x.packSize === 1);
        lines.push({
          ...line,
          lineNumber: lines.length + 1,
          warehouseItem: part.warehouseItem,
          quantity: line.quantity * part.quantity,
          unit: partItem?.unit ?? line.unit,
          ...(partItem?.gtin ? { gtin: partItem.gtin } : { gtin: undefined }),
          asin: undefined,
          fnsku: undefined,
        });
      }
      return;
    }
    lines.push({
      ...line,
      lineNumber: lines.length + 1,
      warehouseItem: item.warehouseItem,
      quantity: line.quantity * item.packSize,
      unit: item.unit,
      ...(line.gtin === undefined && item.gtin && { gtin: item.gtin }),
      ...(line.asin === undefined && item.asin && { asin: item.asin }),
      ...(order.type === 'fba-inbound' && line.fnsku === undefined && item.fnsku && { fnsku: item.fnsku }),
    });
  });
  if (exceptions.length) return { exceptions };
  const clean = lines.map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined)) as ShipOrder['lines'][number]);
  return { document: { ...order, lines: clean }, exceptions };
}

/** The address texts a warehouse prints on a label or a bill of lading. */
const LABEL_TEXTS = ['name', 'company', 'city', 'stateOrRegion', 'postalCode'] as const;

/**
 * Name and address texts the partner's file would carry with no letter or digit in them — as
 * Amazon sent them, or after the text policy (16 spaces for a Cyrillic name in X12) — hold the
 * document: a warehouse cannot ship to a blank name. `sent` is the document as written,
 * `changes` what the text policy did to it, `layout` says which fields travel at all.
 */
export function unsendableText(sent: Obj, changes: TextChange[], layout: LayoutFile, ctx: ResolveContext): MappingException[] {
  const exceptions: MappingException[] = [];
  for (const party of ['shipTo', 'shipFrom']) {
    const address = sent[party] as Obj | undefined;
    if (!address) continue;
    const texts: Array<[string, unknown]> = [...LABEL_TEXTS.map((k) => [`${party}.${k}`, address[k]] as [string, unknown]), ...((address.lines as unknown[] | undefined) ?? []).map((l, i) => [`${party}.lines[${i}]`, l] as [string, unknown])];
    for (const [field, value] of texts) {
      if (typeof value !== 'string' || !(field in layout.fields)) continue;
      const change = changes.find((c) => c.field === field);
      const out = change?.to ?? value;
      if (readable(out)) continue;
      const file = ctx.mappings.files.get(ctx.partner);
      exceptions.push({
        code: 'unsendable-text',
        value,
        field,
        ...(file && { file }),
        message: change
          ? `${field} ${JSON.stringify(value)} would go to partner ${ctx.partner.id} as ${JSON.stringify(out)} (text policy nonAscii: ${ctx.partner.textPolicy.nonAscii}), nothing a label can show: correct the address, or the textPolicy in ${file ?? 'the partner file'}`
          : `${field} ${JSON.stringify(value)} has no letter or digit: correct the address before it goes to the warehouse`,
      });
    }
  }
  return exceptions;
}

// ------------------------------------------------------------------ inventory

export interface SkuQuantity {
  sellerSku: string;
  /** What Amazon should show: sellable units after pack size and safety buffer, never below 0. */
  quantity: number;
  /** Sellable units before the buffer. */
  available: number;
  buffer: number;
  /** For kits: the part that limits the quantity. */
  limitedBy?: string;
  /** Warehouse items this SKU shares with other SKUs of the seller (selling one lowers the others). */
  shares: string[];
}

/**
 * MFN quantities from a full count: only the partner's sellable states count; a pack of six is
 * a sixth of the units; a kit is as many as its scarcest part makes; the safety buffer (per SKU,
 * else the table's default) is taken off.
 */
export function mfnQuantities(snapshot: InventorySnapshot, index: SkuIndex, partner: PartnerFile): SkuQuantity[] {
  if (snapshot.scope !== 'full') throw new Error('MFN quantities come from a full count; a change report is applied to the last full count first');
  const sellable = new Set(partner.stockStates.sellable);
  const units = new Map<string, number>();
  for (const l of snapshot.items) if (sellable.has(l.state)) units.set(l.warehouseItem, (units.get(l.warehouseItem) ?? 0) + l.quantity);
  const users = new Map<string, string[]>();
  for (const item of index.table.items) {
    for (const w of item.kit ? item.kit.map((p) => p.warehouseItem) : [item.warehouseItem!]) users.set(w, [...(users.get(w) ?? []), item.sellerSku]);
  }
  return index.table.items.map((item) => {
    const buffer = item.safetyBuffer ?? index.table.defaultSafetyBuffer;
    let available: number;
    let limitedBy: string | undefined;
    if (item.kit) {
      available = Number.POSITIVE_INFINITY;
      for (const p of item.kit) {
        const n = Math.floor((units.get(p.warehouseItem) ?? 0) / p.quantity);
        if (n < available) {
          available = n;
          limitedBy = p.warehouseItem;
        }
      }
    } else available = Math.floor((units.get(item.warehouseItem!) ?? 0) / item.packSize);
    const parts = item.kit ? item.kit.map((p) => p.warehouseItem) : [item.warehouseItem!];
    const shares = parts.filter((w) => (users.get(w)?.length ?? 0) > 1);
    return { sellerSku: item.sellerSku, quantity: Math.max(0, available - buffer), available, buffer, ...(limitedBy && { limitedBy }), shares };
  });
}

