/**
 * The pre-live mapping audit: every active SKU of a seller through the real translation path —
 * as a simulated order to the warehouse and the warehouse's shipment advice back — reporting
 * each SKU, kit, carrier or unit that would fail, be held, or come back as another SKU (a
 * mis-pick), before a single real order goes out.
 */
import type { ShipmentAdvice, ShipOrder } from '../model/index.ts';
import type { Mappings } from './load.ts';
import { carrierEntries, mapCarrier, prepareShipOrder, skuIndex } from './resolve.ts';
import { readPartner, translator, TranslationSetupError, writePartner, type Translator } from './translate.ts';

export type AuditStatus = 'ok' | 'warning' | 'held' | 'fails' | 'mis-pick';

export interface AuditFinding {
  /** The SKU, or "carrier UPSN 2DA". */
  subject: string;
  seller?: string;
  status: AuditStatus;
  detail: string;
}

export interface ActiveSku {
  sellerSku: string;
  /** From Amazon's listings report: AMAZON_* is FBA, DEFAULT is merchant-fulfilled. */
  fulfillmentChannel?: string;
}

/** An SKU list that is not text (a binary file given by mistake): where the first control character is. */
export class SkuListError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = 'SkuListError';
  }
}

/** Control characters no listing report or SKU list holds (tab, CR and LF separate its cells and lines). */
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/**
 * Read an active-SKU list: Amazon's listings report (tab-separated, `seller-sku` and
 * `fulfillment-channel` columns), a CSV with a `sku` / `seller-sku` / `sellerSku` column, or one
 * SKU per line. A list with a control character (NUL, ESC, ...) is refused with where it is.
 */
export function parseSkuList(text: string): ActiveSku[] {
  const bad = NOT_TEXT.exec(text);
  if (bad) {
    const before = text.slice(0, bad.index);
    const line = before.split('\n').length;
    const column = bad.index - before.lastIndexOf('\n');
    throw new SkuListError(`control character U+${bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}: not a text file (a listings report, a CSV with a sku column, or one SKU per line)`, line, column);
  }
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const sep = lines[0].includes('\t') ? '\t' : ',';
  const header = lines[0].split(sep).map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
  const col = header.findIndex((h) => ['seller-sku', 'sku', 'sellersku', 'seller_sku'].includes(h));
  if (col < 0) return lines.map((l) => ({ sellerSku: l.trim() }));
  const channel = header.indexOf('fulfillment-channel');
  return lines.slice(1).map((l) => {
    const cells = l.split(sep).map((c) => c.trim().replace(/^"|"$/g, ''));
    return { sellerSku: cells[col], ...(channel >= 0 && cells[channel] && { fulfillmentChannel: cells[channel] }) };
  }).filter((s) => s.sellerSku);
}

const AUDIT_ADDRESS = { name: 'Dockgate Audit', lines: ['1 Test Street'], city: 'Reno', stateOrRegion: 'NV', postalCode: '89502', countryCode: 'US' };

function tryTranslator(mappings: Mappings, partner: string, doc: Parameters<typeof translator>[2]): Translator | null {
  try {
    return translator(mappings, partner, doc);
  } catch (e) {
    if (e instanceof TranslationSetupError) return null;
    throw e;
  }
}

export async function auditMappings(mappings: Mappings, partnerId: string, skus: ActiveSku[], sellerId?: string): Promise<AuditFinding[]> {
  const partner = mappings.partners.get(partnerId);
  if (!partner) throw new TranslationSetupError(`no partner '${partnerId}' in the mappings`);
  if (sellerId && !partner.sellers.includes(sellerId)) throw new TranslationSetupError(`partner ${partnerId} does not serve seller ${sellerId} (${partner.sellers.join(', ')})`);
  const sellers = sellerId ? [sellerId] : partner.sellers;
  const orderOut = tryTranslator(mappings, partnerId, 'ship-order');
  const adviceIn = tryTranslator(mappings, partnerId, 'shipment-advice');
  const findings: AuditFinding[] = [];
  const entries = carrierEntries(mappings, partner);
  const carrier = entries.find((e) => e.carrierCode !== 'Other') ?? entries[0];
  let n = 0;

  for (const sku of skus) {
    const seller = sellers.find((s) => skuIndex(mappings, s).bySellerSku.has(sku.sellerSku));
    if (!seller) {
      findings.push({ subject: sku.sellerSku, status: 'held', detail: `in no SKU table of ${sellers.join(', ')}: its orders would be held (unknown-sku)` });
      continue;
    }
    const index = skuIndex(mappings, seller);
    const item = index.bySellerSku.get(sku.sellerSku)!;
    const fba = sku.fulfillmentChannel !== undefined && sku.fulfillmentChannel.toUpperCase().startsWith('AMAZON');
    const warnings: string[] = [];
    // A warehouse item that two SKUs ship as themselves: the warehouse cannot tell them apart.
    for (const w of item.kit ? item.kit.map((p) => p.warehouseItem) : [item.warehouseItem!]) {
      const others = (index.byWarehouseItem.get(w) ?? []).filter((o) => o.sellerSku !== item.sellerSku && o.packSize === (item.kit ? 1 : item.packSize));
      if (!item.kit && others.length) {
        findings.push({ subject: sku.sellerSku, seller, status: 'mis-pick', detail: `warehouse item ${w} is also ${others.map((o) => o.sellerSku).join(', ')} with the same pack size: shipments cannot tell them apart` });
      }
      if (item.kit && !index.byWarehouseItem.has(w) && !index.kitParts.has(w)) warnings.push(`kit part ${w} is in no SKU of its own`);
    }
    if (fba && !item.fnsku && !item.kit) warnings.push('an FBA SKU without an FNSKU: FBA replenishment labels need it');
    if (!orderOut) {
      findings.push({ subject: sku.sellerSku, seller, status: 'fails', detail: `partner ${partnerId} has no ship-order layout` });
      continue;
    }
    n++;
    const orderId = fba ? `AUDIT-${n}` : `900-${String(1000000 + n).slice(-7)}-${String(1000000 + n).slice(-7)}`;
    const order: ShipOrder = {
      kind: 'ShipOrder',
      orderId,
      type: fba ? 'fba-inbound' : 'mfn',
      seller,
      marketplaceId: mappings.sellers.get(seller)!.marketplaces[0],
      purpose: 'new',
      shipTo: AUDIT_ADDRESS,
      notes: [],
      lines: [{ lineNumber: 1, sellerSku: sku.sellerSku, quantity: 2, unit: 'EA', orderItemId: `${90000000000000 + n}` }],
      ...(fba && { fbaInbound: { shipmentId: `FBA15AUD${String(n).padStart(4, '0')}`, destinationFc: 'RNO4' } }),
    };
    const written = writePartner(orderOut, [order]);
    const out = written.documents[0];
    if (out.status !== 'ok' || !written.bytes) {
      findings.push({ subject: sku.sellerSku, seller, status: out.status === 'held' ? 'held' : 'fails', detail: `order to the warehouse: ${[...out.exceptions.map((e) => e.message), ...out.problems.map((p) => p.message)].join('; ')}` });
      continue;
    }
    // What the warehouse receives, read back: it must name the same items.
    const back = await readPartner(orderOut, written.bytes, { seller });
    const sent = back.documents[0];
    if (!sent || sent.status !== 'ok') {
      const why = sent ? [...sent.problems.map((p) => p.message), ...sent.exceptions.map((e) => e.message)] : back.fileProblems.map((p) => p.message);
      findings.push({ subject: sku.sellerSku, seller, status: 'fails', detail: `the order as the warehouse reads it: ${why.join('; ')}` });
      continue;
    }
    const sentOrder = sent.document as ShipOrder;
    const skusBack = new Set(sentOrder.lines.map((l) => l.sellerSku));
    if (skusBack.size !== 1 || !skusBack.has(sku.sellerSku)) {
      findings.push({ subject: sku.sellerSku, seller, status: 'mis-pick', detail: `the order as the warehouse reads it names ${[...skusBack].join(', ')}` });
      continue;
    }
    if (fba) {
      findings.push({ subject: sku.sellerSku, seller, status: warnings.length ? 'warning' : 'ok', detail: ['FBA: replenishment order checked; FBA listings are never fed from warehouse stock', ...warnings].join('; ') });
      continue;
    }
    // The warehouse ships it: an advice in the partner's own layout, back through the real path.
    if (!adviceIn) {
      findings.push({ subject: sku.sellerSku, seller, status: 'warning', detail: `partner ${partnerId} sends no shipment advice Dockgate can read` });
      continue;
    }
    const prepared = readBackLines(prepareShipOrder(order, { mappings, partner }).document!);
    const advice: ShipmentAdvice = {
      kind: 'ShipmentAdvice',
      orderId,
      seller,
      marketplaceId: order.marketplaceId,
      shippedAt: '2026-01-05T10:00:00Z',
      packages: [{ packageId: '1', carrierScac: carrier?.scac, ...(carrier?.service && { carrierService: carrier.service }), trackingNumber: `1ZAUDIT${String(n).padStart(10, '0')}`, lines: prepared.map((l) => ({ ...l })) }],
      lines: prepared.map((l) => ({ ...l, quantity: undefined, ordered: l.quantity, shipped: l.quantity })).map(({ quantity: _, ...l }) => l),
    };
    const adviceBytes = writePartner(adviceIn, [advice]);
    if (!adviceBytes.bytes) {
      const d = adviceBytes.documents[0];
      findings.push({ subject: sku.sellerSku, seller, status: 'fails', detail: `a shipment advice in the warehouse's layout: ${[...d.problems.map((p) => p.message), ...d.exceptions.map((e) => e.message)].join('; ')}` });
      continue;
    }
    const read = await readPartner(adviceIn, adviceBytes.bytes, {});
    const a = read.documents[0];
    if (!a || a.status !== 'ok') {
      const why = a ? [...a.exceptions.map((e) => e.message), ...a.problems.map((p) => p.message)] : read.fileProblems.map((p) => p.message);
      findings.push({ subject: sku.sellerSku, seller, status: a?.status === 'held' ? 'held' : 'fails', detail: `the warehouse's shipment advice: ${why.join('; ')}` });
      continue;
    }
    const got = (a.document as ShipmentAdvice).packages.flatMap((p) => p.lines);
    const qty = got.filter((l) => l.sellerSku === sku.sellerSku).reduce((s, l) => s + l.quantity, 0);
    if ((a.document as ShipmentAdvice).seller !== seller || got.some((l) => l.sellerSku !== sku.sellerSku) || qty !== 2) {
      findings.push({ subject: sku.sellerSku, seller, status: 'mis-pick', detail: `2 ordered, the advice confirms ${got.map((l) => `${l.quantity} ${l.sellerSku}`).join(', ')} for seller ${(a.document as ShipmentAdvice).seller}` });
      continue;
    }
    findings.push({ subject: sku.sellerSku, seller, status: warnings.length ? 'warning' : 'ok', detail: warnings.join('; ') || `order ${item.kit ? `(kit of ${item.kit.length} parts) ` : ''}and advice round trip` });
  }

  // Every carrier the warehouse may name must reach Amazon with a carrier code.
  for (const e of entries) {
    const m = mapCarrier(mappings, partner, e.scac, e.service, 'carrier');
    findings.push({ subject: `carrier ${e.scac}${e.service ? ` ${e.service}` : ''}`, status: m.carrier ? (m.carrier.carrierCode === 'Other' ? 'warning' : 'ok') : 'held', detail: m.carrier ? `Amazon ${m.carrier.carrierCode}${m.carrier.carrierName ? ` (${m.carrier.carrierName})` : ''}${m.carrier.shippingMethod ? `, ${m.carrier.shippingMethod}` : ''} from ${e.table}` : m.exception!.message });
  }
  return findings;
}

/** Lines of the order as the warehouse was told to pick them (kits as their parts, packs as units). */
function readBackLines(order: ShipOrder): Array<{ sellerSku: string; warehouseItem?: string; orderItemId?: string; quantity: number }> {
  return order.lines.map((l) => ({ sellerSku: l.sellerSku, ...(l.warehouseItem && { warehouseItem: l.warehouseItem }), ...(l.orderItemId && { orderItemId: l.orderItemId }), quantity: l.quantity }));
}
