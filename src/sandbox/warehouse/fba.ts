/**
 * The simulated warehouse's FBA replenishments: an fba-inbound ship order is packed into the
 * cartons Amazon expects and shipped like any order, each carton one package of the shipment
 * advice (945 LX loop / Cascade shipments rows) with its box label id as the LPN and an SSCC-18
 * the warehouse generates.
 *
 * What the warehouse knows is what the ship order told it: the Amazon Shipment ID and the box
 * count (reno-940 N9*ZZ, Cascade BoxCount). Box label ids follow Amazon's rule — the Shipment ID
 * + U + a 6-digit index, 1 to the box count — which is what the labels it prints carry; nothing
 * else is derived. Neither layout carries Amazon's per-box contents, so the warehouse packs the
 * lines into the boxes itself, as evenly as whole units allow (each SKU's units shared out box
 * by box); a shipment Amazon planned unevenly comes back with other contents per box, and the
 * gateway's carton check says so.
 *
 * For a partner that lists `inbound-asn: in` (Reno's 856), the same cartons also go as an 856
 * (one HL per carton with its SSCC and box id): a WMS sends its 945 to close the order and its
 * 856 for carton detail, so both are written.
 *
 * Faults for tests (WarehouseOptions.fbaFaults): `dropBox` leaves the last carton out of the
 * paperwork (it is not in the advice or the 856), `badSsccCheckDigit` writes the first carton's
 * SSCC with a wrong GS1 check digit (the files are corrupted after writing, since the model
 * itself refuses such an SSCC).
 */
import type { InboundAsn, ShipmentAdvice, ShipOrder } from '../../model/index.ts';
import { gs1CheckDigit } from '../../x12/validate/sscc.ts';

export interface FbaFaults {
  /** Leave the last carton out of the shipment advice (and the 856). */
  dropBox?: true;
  /** Write the first carton's SSCC with a wrong check digit. */
  badSsccCheckDigit?: true;
}

/** What a held order keeps of its FBA replenishment (saved with the simulator's state). */
export interface HeldFba {
  shipmentId: string;
  boxCount: number;
  referenceId?: string;
}

/** The FBA part of a received ship order, or undefined for an MFN order. */
export function fbaOf(order: ShipOrder): HeldFba | undefined {
  const f = order.fbaInbound;
  if (order.type !== 'fba-inbound' || !f) return undefined;
  return { shipmentId: f.shipmentId, boxCount: Math.max(1, f.boxCount ?? 1), ...(f.referenceId && { referenceId: f.referenceId }) };
}

/**
 * A GS1 company prefix of the simulated warehouse: GS1's documentation example prefix, so that
 * no real company's SSCCs are made.
 */
export const SIMULATOR_GS1_PREFIX = '0614141';

/** An SSCC-18: extension digit 0, the company prefix, a serial reference, the GS1 mod-10 check digit. */
export function makeSscc(serial: number, prefix = SIMULATOR_GS1_PREFIX): string {
  const body = `0${prefix}${String(serial % 10 ** (16 - prefix.length)).padStart(16 - prefix.length, '0')}`;
  return `${body}${gs1CheckDigit(body)}`;
}

/** The same SSCC with its check digit wrong (for the badSsccCheckDigit fault). */
export function withBadCheckDigit(sscc: string): string {
  return `${sscc.slice(0, 17)}${(Number(sscc[17]) + 1) % 10}`;
}

export const boxId = (shipmentId: string, index: number): string => `${shipmentId}U${String(index).padStart(6, '0')}`;

/** One seller SKU's units going now, and what one unit is in warehouse items (a pack, a kit). */
export interface FbaUnits {
  sellerSku: string;
  orderItemId?: string;
  units: number;
  components: Array<{ warehouseItem: string; per: number }>;
}

/**
 * The cartons of an FBA shipment as shipment-advice packages: box i gets its share of each SKU's
 * units (the first units % boxes boxes one more), each carton with its label id (LPN), an SSCC
 * from `serial()` and a tracking number of its own (small parcel: Amazon takes one per box).
 * Boxes that get no unit are not shipped. The dropBox fault leaves the last one out.
 */
export function fbaCartons(
  fba: HeldFba,
  going: FbaUnits[],
  carrier: { scac: string; service?: string },
  next: () => { serial: number; trackingNumber: string },
  faults: FbaFaults = {},
): { packages: ShipmentAdvice['packages']; dropped: string[] } {
  const packages: ShipmentAdvice['packages'] = [];
  const boxes = fba.boxCount;
  for (let i = 0; i < boxes; i++) {
    const lines = going.flatMap((g) => {
      const share = Math.floor(g.units / boxes) + (i < g.units % boxes ? 1 : 0);
      if (share <= 0) return [];
      return g.components.map((p) => ({ sellerSku: g.sellerSku, warehouseItem: p.warehouseItem, ...(g.orderItemId && { orderItemId: g.orderItemId }), quantity: share * p.per }));
    });
    if (lines.length === 0) continue;
    const n = next();
    packages.push({
      packageId: String(packages.length + 1),
      carrierScac: carrier.scac,
      ...(carrier.service && { carrierService: carrier.service }),
      trackingNumber: n.trackingNumber,
      lpn: boxId(fba.shipmentId, i + 1),
      sscc: makeSscc(n.serial),
      lines,
    });
  }
  const dropped: string[] = [];
  if (faults.dropBox && packages.length > 1) dropped.push(packages.pop()!.lpn!);
  return { packages, dropped };
}

/** The 856 of the same cartons (one carton per package, its label id and SSCC, its contents). */
export function fbaAsn(fba: HeldFba, advice: ShipmentAdvice): InboundAsn {
  return {
    kind: 'InboundAsn',
    seller: advice.seller,
    marketplaceId: advice.marketplaceId,
    shipmentId: fba.shipmentId,
    ...(fba.referenceId && { referenceId: fba.referenceId }),
    ...(advice.packages[0]?.carrierScac && { carrier: { scac: advice.packages[0].carrierScac } }),
    shippedAt: advice.shippedAt,
    cartons: advice.packages.map((p) => ({
      ...(p.lpn && { boxId: p.lpn }),
      ...(p.sscc && { sscc: p.sscc }),
      contents: p.lines.map((l) => ({ sellerSku: l.sellerSku, ...(l.warehouseItem && { warehouseItem: l.warehouseItem }), quantity: l.quantity })),
    })),
  };
}

/** The written file with each listed SSCC's check digit made wrong (18-digit form; a 20-digit 00 form contains it). */
export function corruptSsccs(bytes: Buffer, ssccs: string[]): Buffer {
  let text = bytes.toString('latin1');
  for (const s of ssccs) text = text.split(s).join(withBadCheckDigit(s));
  return Buffer.from(text, 'latin1');
}
