/**
 * Which stored files may carry buyer personal data (names, addresses, phone numbers), decided by
 * the documents they hold. Such files are purged after the retention period. The rule leans to
 * caution: a file carries buyer data unless every document in it is known not to, so a file
 * whose documents are unknown (not read yet, not X12, a set nobody listed here) is purged too.
 */
import type { FileResult } from '../x12/result.ts';

/**
 * X12 sets that never name a buyer: inventory (846), stock receipts (944) and adjustments (947),
 * acknowledgements (997, 999). Ship orders (940), shipment advices (945, 856), orders (850) and
 * everything else may carry a ship-to.
 */
const SETS_WITHOUT_BUYER_DATA = new Set(['846', '944', '947', '997', '999']);

/** Mapping documents that never name a buyer; ship orders, shipment advices and ASNs may. */
const DOCUMENTS_WITHOUT_BUYER_DATA = new Set(['inventory', 'receipt', 'acknowledgement']);

/** A partner file read as these mapping documents (none known: it may carry anything). */
export function documentsCarryBuyerData(documents: readonly string[]): boolean {
  return documents.length === 0 || documents.some((d) => !DOCUMENTS_WITHOUT_BUYER_DATA.has(d));
}

/** An X12 file as read: bytes not read as interchanges could be anything. */
export function x12CarriesBuyerData(result: FileResult): boolean {
  if (result.interchanges.length === 0 || result.diagnostics.some((d) => d.level === 'error')) return true;
  const sets = [...result.unenveloped, ...result.interchanges.flatMap((ic) => ic.groups.flatMap((g) => g.sets))];
  return sets.some((s) => !SETS_WITHOUT_BUYER_DATA.has(s.id));
}
