/**
 * The simulator's receiving dock: stock Amazon sends back (removal orders, customer returns)
 * arrives, the test or the demo says what came (by LPN, removal order id or tracking number,
 * the item, how many, in what condition), and the warehouse writes the partner's receipt
 * document by its own layout (a 944 for reno-wms, receipts XML for cascade-csv) into its outbox
 * like its other files. Sellable units go on hand, so the warehouse's next full count has them;
 * damaged or unknown ones do not.
 */
import { DateTime } from 'luxon';
import type { Mappings } from '../../mapping/load.ts';
import { skuIndex } from '../../mapping/resolve.ts';
import type { PartnerFile } from '../../mapping/schema.ts';
import { translator, writePartner } from '../../mapping/translate.ts';
import type { Receipt } from '../../model/receipt.ts';
import { WarehouseSetupError } from './carriers.ts';
import { stateControlNumbers, type OutboxFile, type WarehouseState } from './state.ts';

/** One received line, as the dock tells it. */
export interface ArrivalReceived {
  seller: string;
  /** The item: a seller SKU (put away as its warehouse item) or the warehouse item itself. */
  sellerSku?: string;
  warehouseItem?: string;
  /** Units of the seller SKU (a pack SKU: packs; the receipt counts warehouse units). */
  quantity: number;
  condition: Receipt['lines'][number]['condition'];
  lpn?: string;
  removalOrderId?: string;
  trackingNumber?: string;
}

export interface ReceivingResult {
  /** The receipt written (one per seller), and the file it went in. */
  receipts: Array<{ receiptId: string; seller: string; file: string; lines: number }>;
  files: OutboxFile[];
}

/** What receiving needs of the simulator: its mappings, partner and state (control numbers, file numbers, stock). */
export interface Dock {
  mappings: Mappings;
  partner: PartnerFile;
  state: WarehouseState;
  stockOf(seller: string): Record<string, { onHand: number; allocated: number }>;
}

/**
 * Build the receipt files for what arrived (one receipt per seller, numbered from the state's
 * file sequence) and put the sellable units on hand. The caller queues the files and saves.
 */
export function receiveArrivals(dock: Dock, arrivals: ArrivalReceived[], now: Date): ReceivingResult {
  const { partner, mappings, state } = dock;
  if (partner.documents.receipt?.direction !== 'in') throw new WarehouseSetupError(`partner ${partner.id} sends no receipts (documents.receipt with direction in)`);
  if (arrivals.length === 0) return { receipts: [], files: [] };
  const t = translator(mappings, partner.id, 'receipt');
  const bySeller = new Map<string, ArrivalReceived[]>();
  for (const a of arrivals) {
    if (!partner.sellers.includes(a.seller)) throw new WarehouseSetupError(`partner ${partner.id} does not hold stock of seller ${a.seller}`);
    bySeller.set(a.seller, [...(bySeller.get(a.seller) ?? []), a]);
  }
  const receivedAt = DateTime.fromJSDate(now, { zone: partner.timeZone }).startOf('minute').toISO({ suppressMilliseconds: true })!;
  const out: ReceivingResult = { receipts: [], files: [] };
  for (const [seller, lines] of bySeller) {
    const index = skuIndex(mappings, seller);
    const stock = dock.stockOf(seller);
    const receiptLines: Receipt['lines'] = lines.map((a, i) => {
      const item = a.sellerSku ? index.bySellerSku.get(a.sellerSku) : a.warehouseItem ? index.find({ warehouseItem: a.warehouseItem }) : undefined;
      const warehouseItem = a.warehouseItem ?? item?.warehouseItem;
      if (!warehouseItem) throw new WarehouseSetupError(`arrival ${i + 1}: ${a.sellerSku ?? '(no item)'} has no warehouse item in ${seller}'s SKU table`);
      if (!Number.isInteger(a.quantity) || a.quantity <= 0) throw new WarehouseSetupError(`arrival ${i + 1}: quantity ${a.quantity} is not a whole number of at least 1`);
      const units = a.quantity * (item?.packSize ?? 1);
      if (a.condition === 'sellable') {
        const s = (stock[warehouseItem] ??= { onHand: 0, allocated: 0 });
        s.onHand += units;
      }
      return {
        warehouseItem,
        quantity: units,
        condition: a.condition,
        ...(a.lpn && { lpn: a.lpn }),
        ...(a.removalOrderId && { removalOrderId: a.removalOrderId }),
        ...(a.trackingNumber && { trackingNumber: a.trackingNumber }),
      };
    });
    state.fileSeq++;
    const receiptId = `RCV${String(state.fileSeq).padStart(6, '0')}`;
    const receipt: Receipt = { kind: 'Receipt', warehouse: partner.id.toUpperCase(), receiptId, receivedAt, lines: receiptLines };
    const w = writePartner(t, [receipt], { controlNumbers: stateControlNumbers(state), now });
    const refused = w.documents.filter((d) => d.status !== 'ok');
    if (refused.length || !w.bytes) {
      // The simulator builds receipts from the mappings it plays by: one they refuse is a bug here.
      const why = refused.flatMap((d) => [...d.problems.map((p) => p.message), ...d.exceptions.map((x) => x.message)]).join('; ');
      throw new Error(`the ${t.layout.id} layout refused the receipt the simulator wrote: ${why}`);
    }
    const name = t.layout.format === 'x12' ? `${partner.id.toUpperCase()}_${t.layout.set}_${String(w.isa13).padStart(9, '0')}.edi` : `receipts_${String(state.fileSeq).padStart(6, '0')}.${t.layout.format}`;
    out.files.push({ name, kind: 'receipt', bytes: w.bytes.toString('base64') });
    out.receipts.push({ receiptId, seller, file: name, lines: receiptLines.length });
  }
  return out;
}
