/**
 * The cartons a warehouse shipped for an FBA inbound shipment against Amazon's boxes for it:
 * data in, findings out (no store, no Amazon). Used by src/flows/fba-shipped.ts when a 945,
 * shipments CSV or 856 says an FBA shipment left, and by its retry after a fix.
 *
 * Why it matters: each carton carries Amazon's FBA box label (FBA...U000001) and, where the
 * seller registered one, an SSCC-18. The fulfilment centre receives by those labels against the
 * box contents the seller declared; a carton Amazon does not know, a box that never came or a
 * box holding other units than declared is received as a problem shipment (units stranded,
 * reconciliation claims). So the gateway checks before telling Amazon the shipment is on its way.
 */
import type { FbaBox, FbaShippedCarton } from '../store/fba.ts';
import { gs1CheckDigit, ssccProblem } from '../x12/validate/sscc.ts';

export type CartonFindingCode =
  | 'count'
  | 'box-missing'
  | 'box-unknown'
  | 'box-other-shipment'
  | 'box-repeated'
  | 'carton-unidentified'
  | 'sscc-check-digit'
  | 'sscc-invalid'
  | 'sscc-differs'
  | 'box-contents'
  | 'sku-total';

/** One difference, said so that whoever fixes it knows which box and SKU. */
export interface CartonFinding {
  code: CartonFindingCode;
  message: string;
  box?: string;
  sku?: string;
  sscc?: string;
  expected?: number;
  shipped?: number;
}

/** A shipped carton paired with the Amazon box it is (by box id, else by SSCC). */
export interface CartonMatch {
  box: FbaBox;
  carton: FbaShippedCarton;
  /** Index of the carton in what the warehouse sent (file order). */
  index: number;
}

export interface CartonCheck {
  findings: CartonFinding[];
  matches: CartonMatch[];
}

/** An FBA box id: the Amazon Shipment ID, U, six digits. */
const BOX_ID = /^(FBA[0-9A-Z]{6,12})U\d{6}$/;

/** The box id a carton carries: its own, else its LPN when the warehouse scanned the FBA label as the license plate. */
export function boxIdOf(c: Pick<FbaShippedCarton, 'boxId' | 'lpn'>): string | undefined {
  if (c.boxId) return c.boxId.trim().toUpperCase();
  const lpn = c.lpn?.trim().toUpperCase();
  return lpn && BOX_ID.test(lpn) ? lpn : undefined;
}

/** The 18 digits of an SSCC given as 18, or as 20 with the application identifier 00 in front. */
export function sscc18(value: string): string {
  const v = value.trim();
  return v.length === 20 && v.startsWith('00') ? v.slice(2) : v;
}

/** What is wrong with an SSCC, said with the digit it should have; null when valid. */
export function ssccFinding(value: string, box?: string): CartonFinding | null {
  const problem = ssccProblem(value.trim());
  if (!problem) return null;
  const where = box ? ` (box ${box})` : '';
  if (problem === 'check-digit') {
    const digits = sscc18(value);
    const should = gs1CheckDigit(digits.slice(0, 17));
    return { code: 'sscc-check-digit', sscc: value, ...(box && { box }), message: `SSCC ${value}${where}: check digit should be ${should}` };
  }
  const why = problem === 'length' ? '18 digits, or 20 with 00 in front' : 'digits only';
  return { code: 'sscc-invalid', sscc: value, ...(box && { box }), message: `SSCC ${value}${where}: not an SSCC-18 (${why})` };
}

const label = (c: FbaShippedCarton, index: number): string => {
  const ids = [c.boxId && `box id ${c.boxId}`, c.lpn && `LPN ${c.lpn}`, c.sscc && `SSCC ${c.sscc}`, c.trackingNumber && `tracking ${c.trackingNumber}`].filter(Boolean);
  return `carton ${index + 1}${ids.length ? ` (${ids.join(', ')})` : ''}`;
};

function sumBy<T>(rows: T[], key: (r: T) => string, qty: (r: T) => number): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + qty(r));
  return m;
}

/** Differences between expected and shipped quantities per SKU, in SKU order. */
function quantityFindings(expected: Map<string, number>, shipped: Map<string, number>, code: 'box-contents' | 'sku-total', box?: string): CartonFinding[] {
  const out: CartonFinding[] = [];
  for (const sku of [...new Set([...expected.keys(), ...shipped.keys()])].sort()) {
    const e = expected.get(sku) ?? 0;
    const s = shipped.get(sku) ?? 0;
    if (e === s) continue;
    const where = box ? `box ${box}: ` : '';
    out.push({ code, sku, expected: e, shipped: s, ...(box && { box }), message: `${where}${sku}: ${e} expected, ${s} shipped` });
  }
  return out;
}

export interface CheckOptions {
  /** Compare contents per SKU (false when the warehouse's file could not be read through the SKU table: a rejected file). */
  contents?: boolean;
}

/**
 * Check the warehouse's cartons against Amazon's boxes for shipment `shipmentId` (FBA...):
 * count, box ids (this shipment's, each once), SSCC-18 check digits and agreement with the
 * SSCC Amazon has for the box, contents per SKU per box (where Amazon has them) and in total.
 */
export function checkCartons(shipmentId: string, boxes: FbaBox[], cartons: FbaShippedCarton[], options: CheckOptions = {}): CartonCheck {
  const findings: CartonFinding[] = [];
  const matches: CartonMatch[] = [];
  const byId = new Map(boxes.map((b) => [b.boxId.toUpperCase(), b]));
  const bySscc = new Map(boxes.filter((b) => b.sscc).map((b) => [sscc18(b.sscc!), b]));
  const taken = new Set<string>();

  if (cartons.length !== boxes.length) {
    findings.push({ code: 'count', expected: boxes.length, shipped: cartons.length, message: `${cartons.length} carton(s) shipped, Amazon has ${boxes.length} box(es) for ${shipmentId}` });
  }

  cartons.forEach((c, index) => {
    const id = boxIdOf(c);
    const bad = c.sscc ? ssccFinding(c.sscc, id) : null;
    if (bad) findings.push(bad);
    let box: FbaBox | undefined;
    if (id) {
      const of = BOX_ID.exec(id)?.[1];
      if (of && of !== shipmentId) {
        findings.push({ code: 'box-other-shipment', box: id, message: `box ${id}: belongs to shipment ${of}, not ${shipmentId}` });
        return;
      }
      box = byId.get(id);
      if (!box) {
        findings.push({ code: 'box-unknown', box: id, message: `box ${id}: not one of Amazon's boxes for ${shipmentId}` });
        return;
      }
    } else if (c.sscc && !bad) {
      box = bySscc.get(sscc18(c.sscc));
      if (!box) {
        findings.push({ code: 'box-unknown', sscc: c.sscc, message: `${label(c, index)}: SSCC ${c.sscc} is not on any of Amazon's boxes for ${shipmentId}` });
        return;
      }
    } else if (!bad) {
      findings.push({ code: 'carton-unidentified', message: `${label(c, index)}: carries no FBA box id or SSCC Amazon knows` });
      return;
    } else return;
    if (taken.has(box.boxId)) {
      findings.push({ code: 'box-repeated', box: box.boxId, message: `box ${box.boxId}: shipped twice (${label(c, index)} is the second)` });
      return;
    }
    taken.add(box.boxId);
    if (c.sscc && !bad && box.sscc && sscc18(box.sscc) !== sscc18(c.sscc)) {
      findings.push({ code: 'sscc-differs', box: box.boxId, sscc: c.sscc, message: `box ${box.boxId}: SSCC ${c.sscc} shipped, Amazon has ${box.sscc}` });
    }
    matches.push({ box, carton: c, index });
  });

  for (const b of boxes) if (!taken.has(b.boxId)) findings.push({ code: 'box-missing', box: b.boxId, message: `box ${b.boxId}: missing` });

  if (options.contents !== false) {
    for (const m of matches) {
      // Amazon knows a box's contents only when the seller gave them per box (not for a plan packed "later").
      if (m.box.items.length === 0) continue;
      findings.push(
        ...quantityFindings(
          sumBy(m.box.items, (i) => i.msku, (i) => i.quantity),
          sumBy(m.carton.contents, (i) => i.sellerSku, (i) => i.quantity),
          'box-contents',
          m.box.boxId,
        ),
      );
    }
    // Totals only where Amazon has the contents of every box (without them there is nothing to add up).
    if (boxes.every((b) => b.items.length > 0)) findings.push(
      ...quantityFindings(
        sumBy(boxes.flatMap((b) => b.items), (i) => i.msku, (i) => i.quantity),
        sumBy(cartons.flatMap((c) => c.contents), (i) => i.sellerSku, (i) => i.quantity),
        'sku-total',
      ),
    );
  }
  return { findings, matches };
}
