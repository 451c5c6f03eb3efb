/**
 * Removals and customer returns coming back to the 3PL (issue 12 section 2).
 *
 *   from:  Amazon, per seller every settings.removalReportHours: the removal shipment report
 *          (GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA: removal order id, SKU, shipped
 *          quantity, carrier, tracking) and the customer returns report
 *          (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA: Amazon order id, SKU, license plate number)
 *   ->     each row an expected arrival (RemovalsRepo.upsertExpected); a row that does not read is
 *          a partner-data-rejected exception naming the report, row and column, the others stored
 *   from:  the warehouse's receipts (944 / receipts XML), one Receipt per document (receiptRoute)
 *   ->     each line matched: by LPN where present, else removal order id + SKU, else tracking
 *          number + SKU (the SKU as the seller's SKU table resolves it: seller SKU, warehouse item,
 *          FNSKU)
 *   ->     matched: the quantity posted (partial arrivals fine; more than expected ->
 *          over-receipt, the excess named); the line's condition -> a disposition by the seller's
 *          returns.dispositions; sellable units added to the partner's stored stock (when the
 *          receipt is newer than its last count) and the seller's MFN quantities planned and
 *          published again through the inventory flow; damaged / quarantine units recorded only
 *   ->     unmatched: a receipt-unmatched exception per line listing the best candidates, ranked;
 *          `dockgate exceptions resolve ID --match REF` or POST /api/v1/removals/postings/{id}/match
 *          posts it by hand (matchByHand)
 *   check: removal-overdue: a removal Amazon shipped more than returns.overdueDays (else
 *          settings.removalOverdueDays) ago and not fully received; resolved when it is.
 *
 * Why sellable units go to the stored stock: the next inventory publication reads the partner's
 * stored stock (planQuantities). Adding the received units there, in the partner's first sellable
 * state, as a change 846 would, makes them count at once; the warehouse's next full count replaces
 * the stored stock and with it this addition, so nothing is counted twice once the warehouse
 * counts them itself. A receipt not newer than the last applied count is in that count already:
 * nothing is added. Damaged and quarantined units never reach the stock.
 */
import { AmazonApiError, AmazonConfigError } from '../amazon/index.ts';
import { parseCustomerReturns, parseRemovalShipments, REPORT_TYPES, ReportRowError, type CustomerReturnRow, type RemovalShipmentRow } from '../amazon/reports.ts';
import type { CheckTask, SellerTask } from '../gateway/gateway.ts';
import { skuIndex, type SkuIndex } from '../mapping/resolve.ts';
import type { SellerFile } from '../mapping/schema.ts';
import type { Receipt } from '../model/receipt.ts';
import type { ArrivalState, ExpectedArrival, ReceiptDisposition, ReceiptPosting } from '../store/removals.ts';
import type { RaiseException, Work } from '../store/work.ts';
import { nowIso, type DocumentRoute, type ExceptionRetries, type FlowRunSummary, type GatewayContext, type JobHandlers, type ReceivedFile } from './context.ts';
import { fileContext, fileRef, heldDocumentException } from './inbound.ts';
import { fulfilmentPartners, publishSellerQuantities, readChannelsBeforePublishing } from './inventory-to-amazon.ts';

const FLOW = 'removals';

export const REMOVAL_REPORT = REPORT_TYPES.removalShipments;
export const RETURNS_REPORT = REPORT_TYPES.customerReturns;

/** Arrivals still waiting for units. */
export const OPEN_STATES: ArrivalState[] = ['expected', 'partially-received'];
/** Arrivals a receipt line can still be posted against (a fully received one takes an over-receipt). */
const POSTABLE_STATES: ArrivalState[] = ['expected', 'partially-received', 'received', 'over-received'];

/** How many candidates an unmatched line's exception lists. */
const MAX_CANDIDATES = 5;
/** Tracking numbers, LPNs and removal order ids at most this many edits away are "close". */
const CLOSE_EDITS = 3;

// ------------------------------------------------------------------ reports -> expected arrivals

/** A cell of a report row that does not read: the report, the row (1: the first after the header) and the column. */
export interface RowProblem {
  report: string;
  row: number;
  column: string;
  expected: string;
  value: string | undefined;
}

type Arrival = Omit<ExpectedArrival, 'id' | 'received' | 'state' | 'createdAt' | 'updatedAt'>;

const orNull = (v: string): string | null => (v.trim() === '' ? null : v.trim());
const utcOrNull = (v: string): string | null => (v.trim() === '' || Number.isNaN(Date.parse(v)) ? null : new Date(Date.parse(v)).toISOString());

/** A removal shipment row as an expected arrival; null: nothing shipped on it. */
export function removalArrival(seller: string, r: RemovalShipmentRow): Arrival | null {
  if (r.shippedQuantity <= 0) return null;
  return {
    seller,
    source: 'removal',
    reference: r.removalOrderId,
    sellerSku: r.sellerSku,
    fnsku: orNull(r.fnsku),
    lpn: null,
    carrier: orNull(r.carrier),
    trackingNumber: orNull(r.trackingNumber),
    disposition: orNull(r.disposition),
    expected: r.shippedQuantity,
    shippedAt: utcOrNull(r.shipmentDate),
  };
}

/** A customer return row as an expected arrival, by its license plate number where Amazon gives one. */
export function returnArrival(seller: string, r: CustomerReturnRow): Arrival | null {
  if (r.quantity <= 0) return null;
  return {
    seller,
    source: 'return',
    reference: r.orderId,
    sellerSku: r.sellerSku,
    fnsku: orNull(r.fnsku),
    lpn: orNull(r.licensePlateNumber),
    carrier: null,
    trackingNumber: null,
    disposition: orNull(r.detailedDisposition),
    expected: r.quantity,
    shippedAt: utcOrNull(r.returnDate),
  };
}

/**
 * Each raw row read by the adapter's typed parser on its own: the parser refuses a whole report
 * at its first bad row, and one bad row must not keep the others from being expected.
 */
export function readRows<T>(report: string, rows: Array<Record<string, string>>, parse: (rows: Array<Record<string, string>>) => T[]): { rows: Array<{ n: number; row: T }>; problems: RowProblem[] } {
  const out: Array<{ n: number; row: T }> = [];
  const problems: RowProblem[] = [];
  rows.forEach((raw, i) => {
    try {
      out.push({ n: i + 1, row: parse([raw])[0] });
    } catch (e) {
      if (!(e instanceof ReportRowError)) throw e;
      problems.push({ report, row: i + 1, column: e.column, expected: e.expected, value: e.value });
    }
  });
  return { rows: out, problems };
}

/** Pull both reports for one seller and store what they expect back. */
export async function pullRemovalReports(ctx: GatewayContext, seller: string): Promise<FlowRunSummary> {
  const counts = { removalRows: 0, returnRows: 0, created: 0, refreshed: 0, skipped: 0, problems: 0 };
  const log = ctx.log.child({ flow: FLOW, seller });
  let failed = 0;
  const reports = [
    { report: REMOVAL_REPORT, read: (raw: Array<Record<string, string>>) => readRows(REMOVAL_REPORT, raw, parseRemovalShipments), arrival: (r: unknown) => removalArrival(seller, r as RemovalShipmentRow), count: 'removalRows' as const },
    { report: RETURNS_REPORT, read: (raw: Array<Record<string, string>>) => readRows(RETURNS_REPORT, raw, parseCustomerReturns), arrival: (r: unknown) => returnArrival(seller, r as CustomerReturnRow), count: 'returnRows' as const },
  ];
  for (const { report, read, arrival, count } of reports) {
    let raw: Array<Record<string, string>>;
    try {
      raw = await ctx.amazon(seller).report(report);
    } catch (e) {
      if (!(e instanceof AmazonApiError) && !(e instanceof AmazonConfigError)) throw e;
      if (e instanceof AmazonApiError && e.code === 'CANCELLED') {
        // Amazon cancels a report by itself when it has no data to return (Reports API 2021-06-30,
        // processingStatus CANCELLED): nothing shipped back in the window, not a failure.
        log.info({ report }, 'removal report cancelled by Amazon: no data');
        continue;
      }
      failed++;
      log.warn({ report, error: e.message }, 'removal report not read: tried again next run');
      if (e instanceof AmazonConfigError || e.kind === 'auth') {
        await ctx.store.work.exceptions.raise({ kind: 'seller-unavailable', severity: 'error', seller, key: 'amazon', message: `${report} not read for ${seller}: ${e.message}`, now: nowIso(ctx) });
      }
      continue;
    }
    const { rows, problems } = read(raw);
    counts[count] += raw.length;
    counts.problems += problems.length;
    const now = nowIso(ctx);
    await ctx.store.transaction(async (w) => {
      for (const p of problems) await w.exceptions.raise(rowException(seller, p, now));
      for (const { row } of rows) {
        const a = arrival(row);
        if (!a) {
          counts.skipped++;
          continue;
        }
        const { created } = await w.removals.upsertExpected(a, now);
        if (created) counts.created++;
        else counts.refreshed++;
      }
    });
    if (problems.length) log.warn({ report, problems: problems.map((p) => ({ row: p.row, column: p.column })) }, 'report rows not read: the others stored');
  }
  // Lines received before Amazon reported them: matched now that it has.
  const rematched = await rematchUnmatched(ctx, seller);
  log.info({ ...counts, rematched: rematched.length }, 'expected arrivals stored');
  return { flow: FLOW, scope: seller, counts: { ...counts, rematched: rematched.length }, failed };
}

function rowException(seller: string, p: RowProblem, now: string): RaiseException {
  return {
    kind: 'partner-data-rejected',
    severity: 'warning',
    seller,
    key: `${p.report}:row ${p.row}:${p.column}`,
    message: `${p.report} row ${p.row}, column ${p.column}: expected ${p.expected}, got ${p.value === undefined ? 'no such column' : JSON.stringify(p.value.slice(0, 40))}; the row is not stored as an expected arrival (the other rows are)`,
    // The cell alone: the customer returns report carries free-text customer comments, never quoted.
    context: { where: `${p.report} row ${p.row}, column ${p.column}`, ...(p.value && { excerpt: p.value.slice(0, 60) }), details: { report: p.report, row: p.row, column: p.column, expected: p.expected } },
    ref: p.report,
    now,
  };
}

// ------------------------------------------------------------------ dispositions

const DEFAULT_DISPOSITION = (condition: string): ReceiptDisposition => (condition === 'sellable' ? 'sellable' : condition === 'unknown' ? 'quarantine' : 'damaged');

/** What received units of this condition become, by the seller's returns.dispositions (defaults: sellable stays sellable, unknown is quarantined, the rest damaged). */
export function dispositionOf(seller: SellerFile | undefined, condition: string): ReceiptDisposition {
  const rules = seller?.returns?.dispositions as Partial<Record<string, ReceiptDisposition>> | undefined;
  return rules?.[condition] ?? DEFAULT_DISPOSITION(condition);
}

// ------------------------------------------------------------------ matching

type Line = Receipt['lines'][number];

/** Whether a receipt line and an arrival are the same item, through the seller's SKU table (seller SKU, warehouse item or FNSKU). */
export function sameSku(index: SkuIndex, line: Pick<Line, 'sellerSku' | 'warehouseItem' | 'fnsku'>, a: Pick<ExpectedArrival, 'sellerSku' | 'fnsku'>): boolean {
  if (line.sellerSku && line.sellerSku === a.sellerSku) return true;
  const item = index.bySellerSku.get(a.sellerSku);
  const fnskus = new Set([a.fnsku, item?.fnsku].filter((f): f is string => !!f));
  if (line.fnsku && fnskus.has(line.fnsku)) return true;
  return !!line.warehouseItem && !!item?.warehouseItem && item.warehouseItem === line.warehouseItem;
}

export interface Match {
  arrival: ExpectedArrival;
  by: NonNullable<ReceiptPosting['matchedBy']>;
}

/** Of several arrivals, the one to post to: open before full, the line's tracking number first, then the oldest. */
function pick(arrivals: ExpectedArrival[], line: Line): ExpectedArrival | undefined {
  const rank = (a: ExpectedArrival) => (OPEN_STATES.includes(a.state) ? 0 : 2) + (line.trackingNumber && a.trackingNumber === line.trackingNumber ? 0 : 1);
  return [...arrivals].filter((a) => POSTABLE_STATES.includes(a.state)).sort((x, y) => rank(x) - rank(y) || x.id - y.id)[0];
}

/**
 * The arrival a receipt line is: by its LPN where it has one (an LPN names one unit's return:
 * the SKU is not asked), else its removal order id and SKU, else its tracking number and SKU.
 */
export async function matchLine(w: Work, index: SkuIndex, seller: string, line: Line): Promise<Match | null> {
  if (line.lpn) {
    const hit = pick(await w.removals.listExpected({ seller, lpn: line.lpn }), line);
    if (hit) return { arrival: hit, by: 'lpn' };
  }
  if (line.removalOrderId) {
    const hit = pick((await w.removals.listExpected({ seller, reference: line.removalOrderId })).filter((a) => sameSku(index, line, a)), line);
    if (hit) return { arrival: hit, by: 'removal-order' };
  }
  if (line.trackingNumber) {
    const hit = pick((await w.removals.listExpected({ seller, trackingNumber: line.trackingNumber })).filter((a) => sameSku(index, line, a)), line);
    if (hit) return { arrival: hit, by: 'tracking-sku' };
  }
  return null;
}

/** Levenshtein distance, stopping early past `max` (the caller only wants "close"). */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      best = Math.min(best, cur[j]);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[b.length];
}

export interface Candidate {
  arrivalId: number;
  source: ExpectedArrival['source'];
  /** What `--match` takes: the removal order id, or the Amazon order id of a return. */
  reference: string;
  lpn: string | null;
  sellerSku: string;
  trackingNumber: string | null;
  /** Units still expected. */
  open: number;
  score: number;
  why: string[];
}

/**
 * The open arrivals an unmatched line may be, best first: the same SKU, a removal order id, LPN
 * or tracking number a few edits from the line's, an open removal order at all; the remaining
 * quantity covering the line breaks ties.
 */
export function candidatesFor(index: SkuIndex, line: Line, open: ExpectedArrival[]): Candidate[] {
  const out: Candidate[] = [];
  for (const a of open) {
    const why: string[] = [];
    let score = 0;
    if (sameSku(index, line, a)) {
      score += 4;
      why.push(`same SKU ${a.sellerSku}`);
    }
    const close = (label: string, mine: string | undefined, theirs: string | null, weight: number) => {
      if (!mine || !theirs) return;
      const d = editDistance(mine.toUpperCase(), theirs.toUpperCase(), CLOSE_EDITS);
      if (d <= CLOSE_EDITS) {
        score += weight * (CLOSE_EDITS + 1 - d);
        why.push(d === 0 ? `same ${label}` : `${label} ${theirs} is ${d} edit${d === 1 ? '' : 's'} from ${mine}`);
      }
    };
    close('tracking number', line.trackingNumber, a.trackingNumber, 1);
    close('LPN', line.lpn, a.lpn, 1);
    close('removal order id', line.removalOrderId, a.source === 'removal' ? a.reference : null, 1);
    const remaining = a.expected - a.received;
    if (a.source === 'removal') {
      score += 1;
      why.push(`open removal order ${a.reference}`);
    }
    if (remaining >= line.quantity) score += 1;
    out.push({ arrivalId: a.id, source: a.source, reference: a.reference, lpn: a.lpn, sellerSku: a.sellerSku, trackingNumber: a.trackingNumber, open: remaining, score, why });
  }
  return out.sort((x, y) => y.score - x.score || x.arrivalId - y.arrivalId).slice(0, MAX_CANDIDATES);
}

// ------------------------------------------------------------------ posting

const arrivalKey = (a: Pick<ExpectedArrival, 'reference' | 'sellerSku'>) => `${a.reference}:${a.sellerSku}`;
export const unmatchedKey = (partner: string, receiptId: string, line: number) => `${partner}:${receiptId}:${line}`;

interface Posted {
  arrival: ExpectedArrival;
  over: number;
  sellableUnits: Array<{ warehouseItem: string; quantity: number }>;
}

/**
 * Post `quantity` against an arrival inside `w`: received units counted, over-receipt raised with
 * the excess, the overdue exception resolved once all is in.
 */
async function postToArrival(w: Work, a: ExpectedArrival, p: { partner: string; receiptId: string; line: number; quantity: number; file?: ReceivedFile; now: string }): Promise<{ arrival: ExpectedArrival; over: number }> {
  const before = a.received;
  const after = await w.removals.receive(a.id, p.quantity, p.now);
  const over = Math.max(0, after.received - after.expected) - Math.max(0, before - after.expected);
  if (over > 0) {
    await w.exceptions.raise({
      kind: 'over-receipt',
      severity: 'warning',
      seller: a.seller,
      partner: p.partner,
      key: arrivalKey(a),
      message: `${p.partner} received ${after.received} of ${a.sellerSku} against ${a.source === 'removal' ? 'removal order' : 'return of order'} ${a.reference}; Amazon shipped ${a.expected}: ${over} more than expected (receipt ${p.receiptId} line ${p.line + 1})`,
      context: {
        ...(p.file && { file: { name: p.file.name, messageId: p.file.messageId } }),
        where: `receipt ${p.receiptId} line ${p.line + 1}`,
        details: { arrivalId: a.id, reference: a.reference, sellerSku: a.sellerSku, expected: a.expected, receivedBefore: before, thisReceipt: p.quantity, received: after.received, excess: over },
      },
      ref: p.file ? fileRef(p.file.messageId) : a.reference,
      now: p.now,
    });
  }
  if (after.received >= after.expected) {
    await w.exceptions.resolveCause('removal-overdue', arrivalKey(a), a.seller, null, `received: ${after.received} of ${after.expected}`, p.now);
  }
  return { arrival: after, over };
}

/** Warehouse units of a received line (a pack SKU's line is in packs), by warehouse item; kits are not stocked as such. */
function unitsOf(index: SkuIndex, sellerSku: string | null, warehouseItem: string | null, quantity: number): Array<{ warehouseItem: string; quantity: number }> {
  const item = sellerSku ? index.bySellerSku.get(sellerSku) : undefined;
  if (item?.kit) return item.kit.map((k) => ({ warehouseItem: k.warehouseItem, quantity: k.quantity * quantity }));
  const wi = warehouseItem ?? item?.warehouseItem;
  if (!wi) return [];
  return [{ warehouseItem: wi, quantity: quantity * (item?.packSize ?? 1) }];
}

/**
 * Sellable units into the partner's stored stock, in its first sellable state, when the receipt
 * is newer than the last count applied (an older one is in that count). False: not added.
 */
async function addToStock(ctx: GatewayContext, w: Work, partner: string, seller: string, receivedAt: string, units: Array<{ warehouseItem: string; quantity: number }>): Promise<boolean> {
  const p = ctx.mappings.partners.get(partner);
  const state = p?.stockStates.sellable[0];
  if (!p || !state || units.length === 0) return false;
  const last = await w.inventory.lastSnapshot(partner, seller);
  if (!last || Date.parse(receivedAt) <= Date.parse(last.asOf)) return false;
  const stock = await w.inventory.stock(partner, seller);
  for (const u of units) {
    const hit = stock.find((l) => l.warehouseItem === u.warehouseItem && l.state === state);
    if (hit) hit.quantity += u.quantity;
    else stock.push({ warehouseItem: u.warehouseItem, state, quantity: u.quantity });
  }
  await w.inventory.setStock(partner, seller, stock);
  return true;
}

/** Whether sellable stock of this partner feeds the seller's MFN quantities (and so a publication follows). */
const publishesFor = (ctx: GatewayContext, partner: string, seller: string) => fulfilmentPartners(ctx, seller).some((p) => p.id === partner);

const utc = (iso: string) => new Date(Date.parse(iso)).toISOString();

export const receiptRoute: DocumentRoute = {
  document: 'receipt',
  async handle(ctx, file, doc, docIndex) {
    const now = nowIso(ctx);
    const log = ctx.log.child({ flow: FLOW, partner: file.partner, file: file.name, fileMessageId: file.messageId, where: doc.where });
    if (doc.status === 'held') {
      await ctx.store.transaction(async (w) => {
        for (const e of doc.exceptions) await w.exceptions.raise(heldDocumentException(ctx, file, doc, e, now, 'receipt'));
      });
      log.warn({ exceptions: doc.exceptions.map((e) => ({ code: e.code, value: e.value })) }, 'receipt held: its mapping does not know every item');
      return { state: 'held', reason: doc.exceptions.map((e) => e.message).join('; ') };
    }
    if (!doc.document || doc.document.kind !== 'Receipt') return { state: 'rejected', reason: 'not a receipt' };
    const receipt = doc.document as Receipt;
    const seller = receipt.seller;
    if (!seller || !ctx.mappings.sellers.has(seller)) return { state: 'held', reason: `the receipt names no seller of the mappings (${seller ?? 'none'})` };
    const sellerFile = ctx.mappings.sellers.get(seller);
    const index = skuIndex(ctx.mappings, seller);
    const receivedAt = utc(receipt.receivedAt);
    const slog = log.child({ seller, receiptId: receipt.receiptId });

    // Channels first (network, outside any transaction), so the publication below finds them cached.
    const publishes = publishesFor(ctx, file.partner, seller);
    if (publishes && receipt.lines.some((l) => dispositionOf(sellerFile, l.condition) === 'sellable')) await readChannelsBeforePublishing(ctx, seller);

    const outcome = await ctx.store.transaction(async (w) => {
      const counts = { posted: 0, unmatched: 0, over: 0, sellable: 0, notSellable: 0, already: 0, stocked: 0 };
      // A document processed in part before a crash: its lines posted then are not posted again.
      const done = new Set((await w.removals.postings({ fileMessageId: file.messageId })).filter((p) => p.receiptId === receipt.receiptId).map((p) => p.line));
      const stocked: Array<{ warehouseItem: string; quantity: number }> = [];
      for (const [i, line] of receipt.lines.entries()) {
        if (done.has(i)) {
          counts.already++;
          continue;
        }
        const disposition = dispositionOf(sellerFile, line.condition);
        const base = {
          seller,
          partner: file.partner,
          fileMessageId: file.messageId,
          receiptId: receipt.receiptId,
          line: i,
          sellerSku: line.sellerSku ?? null,
          warehouseItem: line.warehouseItem ?? null,
          quantity: line.quantity,
          condition: line.condition,
          disposition,
          // When the warehouse received it: a match by hand later compares it with the last count.
          at: receivedAt,
        };
        const m = await matchLine(w, index, seller, line);
        if (!m) {
          counts.unmatched++;
          // The line as posted, without who and when: what a match by hand finds the posting by.
          const { seller: _seller, partner: _partner, at: _at, ...lineFields } = base;
          const open = await w.removals.listExpected({ seller, states: OPEN_STATES });
          const candidates = candidatesFor(index, line, open);
          const key = unmatchedKey(file.partner, receipt.receiptId, i);
          const said = [line.lpn && `LPN ${line.lpn}`, line.removalOrderId && `removal order ${line.removalOrderId}`, line.trackingNumber && `tracking ${line.trackingNumber}`].filter(Boolean).join(', ') || 'no LPN, removal order id or tracking number';
          const x = await w.exceptions.raise({
            kind: 'receipt-unmatched',
            severity: 'warning',
            seller,
            partner: file.partner,
            key,
            message: `receipt ${receipt.receiptId} line ${i + 1} from ${file.partner}: ${line.quantity} ${line.sellerSku ?? line.warehouseItem ?? line.fnsku} (${said}) matches no expected removal or return; ${candidates.length ? `best candidate ${candidates[0].reference}` : 'no open arrival to offer'}: dockgate exceptions resolve ID --match REF`,
            context: {
              file: fileContext(file),
              where: `${doc.where}, lines[${i}]`,
              details: {
                ...lineFields,
                lpn: line.lpn ?? null,
                removalOrderId: line.removalOrderId ?? null,
                trackingNumber: line.trackingNumber ?? null,
                candidates,
              },
            },
            ref: fileRef(file.messageId),
            now,
          });
          await w.removals.addPosting({ ...base, arrivalId: null, matchedBy: null, state: 'unmatched', exceptionId: x.id });
          continue;
        }
        const r = await postToArrival(w, m.arrival, { partner: file.partner, receiptId: receipt.receiptId, line: i, quantity: line.quantity, file, now });
        await w.removals.addPosting({ ...base, arrivalId: m.arrival.id, matchedBy: m.by, state: 'posted', exceptionId: null });
        counts.posted++;
        if (r.over) counts.over++;
        if (disposition === 'sellable') {
          counts.sellable += line.quantity;
          stocked.push(...unitsOf(index, line.sellerSku ?? null, line.warehouseItem ?? null, line.quantity));
        } else counts.notSellable += line.quantity;
      }
      let published: Awaited<ReturnType<typeof publishSellerQuantities>> = null;
      if (stocked.length && (await addToStock(ctx, w, file.partner, seller, receivedAt, stocked))) {
        counts.stocked = stocked.reduce((s, u) => s + u.quantity, 0);
        if (publishes) published = await publishSellerQuantities(ctx, w, seller, `receipt:${file.messageId}:${docIndex}`);
      }
      return { counts, published };
    });
    slog.info({ ...outcome.counts, published: outcome.published?.changes.length ?? 0, jobs: outcome.published?.jobs ?? [] }, 'receipt posted');
    const c = outcome.counts;
    return {
      state: 'processed',
      reason: `${c.posted} line(s) posted, ${c.unmatched} unmatched${c.over ? `, ${c.over} over-received` : ''}; ${c.sellable} sellable unit(s)${c.stocked ? ` added to stock (${c.stocked} warehouse units)` : ''}, ${c.notSellable} damaged or quarantined`,
    };
  },
};

// ------------------------------------------------------------------ a match by hand

/** Why a match by hand was refused: 'usage' (the reference fits nothing: exit 2 / 400), 'not-found', 'conflict' (resolved already). */
export class MatchError extends Error {
  constructor(
    readonly code: 'usage' | 'not-found' | 'conflict',
    message: string,
  ) {
    super(message);
    this.name = 'MatchError';
  }
}

/** The receipt-unmatched exception of a posting. */
async function postingException(ctx: GatewayContext, posting: ReceiptPosting) {
  return posting.exceptionId ? ctx.store.work.exceptions.get(posting.exceptionId) : null;
}

/** The posting a receipt-unmatched exception holds. */
async function exceptionPosting(ctx: GatewayContext, exceptionId: number): Promise<{ x: NonNullable<Awaited<ReturnType<GatewayContext['store']['work']['exceptions']['get']>>>; posting: ReceiptPosting }> {
  const x = await ctx.store.work.exceptions.get(exceptionId);
  if (!x) throw new MatchError('not-found', `no exception ${exceptionId} (dockgate exceptions list shows them)`);
  if (x.kind !== 'receipt-unmatched') throw new MatchError('usage', `--match is for receipt-unmatched exceptions; exception ${exceptionId} is ${x.kind}`);
  // The exception's file and receipt line name its posting (the posting is written after the exception, carrying its id).
  const d = x.context.details ?? {};
  const posting =
    typeof d.fileMessageId === 'number'
      ? (await ctx.store.work.removals.postings({ fileMessageId: d.fileMessageId })).find((p) => p.exceptionId === x.id || (p.receiptId === d.receiptId && p.line === d.line))
      : undefined;
  if (!posting) throw new MatchError('not-found', `exception ${exceptionId} names no stored receipt posting`);
  return { x, posting };
}

export interface HandMatch {
  exceptionId: number;
  posting: ReceiptPosting;
  arrival: ExpectedArrival;
  over: number;
  stocked: number;
  published: number;
  line: string;
}

/** The open arrivals a reference means for this posting: by reference (removal order id, Amazon order id), LPN or tracking number; the posting's SKU first. */
async function arrivalsFor(ctx: GatewayContext, seller: string, reference: string): Promise<ExpectedArrival[]> {
  const r = ctx.store.work.removals;
  const seen = new Map<number, ExpectedArrival>();
  for (const list of [await r.listExpected({ seller, reference }), await r.listExpected({ seller, lpn: reference }), await r.listExpected({ seller, trackingNumber: reference })]) {
    for (const a of list) seen.set(a.id, a);
  }
  return [...seen.values()].filter((a) => OPEN_STATES.includes(a.state));
}

const describeCandidates = (x: { context: { details?: Record<string, unknown> } }) => {
  const c = (x.context.details?.candidates as Candidate[] | undefined) ?? [];
  return c.length ? `candidates: ${c.map((k) => `${k.reference}${k.lpn ? ` (LPN ${k.lpn})` : ''} ${k.sellerSku}, ${k.open} open`).join('; ')}` : 'the exception lists no candidates';
};

/**
 * Post an unmatched receipt line by hand against the open arrival `reference` names (a removal
 * order id, an LPN or an Amazon order id), then resolve its exception with a note. A reference
 * that fits no open arrival of the seller is refused naming what exists.
 */
export async function matchByHand(ctx: GatewayContext, target: { exceptionId: number } | { postingId: number }, reference: string, note?: string): Promise<HandMatch> {
  let x;
  let posting: ReceiptPosting;
  if ('exceptionId' in target) ({ x, posting } = await exceptionPosting(ctx, target.exceptionId));
  else {
    const p = await ctx.store.work.removals.getPosting(target.postingId);
    if (!p) throw new MatchError('not-found', `no receipt posting ${target.postingId}`);
    posting = p;
    x = await postingException(ctx, posting);
    if (!x && posting.state === 'unmatched') throw new MatchError('not-found', `receipt posting ${posting.id} has no receipt-unmatched exception`);
  }
  if (posting.state !== 'unmatched' || x?.state === 'resolved') throw new MatchError('conflict', `receipt ${posting.receiptId} line ${posting.line + 1} is matched already${posting.arrivalId ? ` (arrival ${posting.arrivalId})` : ''}`);
  const seller = posting.seller;
  if (!seller || !ctx.mappings.sellers.has(seller)) throw new MatchError('usage', `receipt posting ${posting.id} has no seller of the mappings: it cannot be matched`);
  const ref = reference.trim();
  const index = skuIndex(ctx.mappings, seller);
  let arrivals = await arrivalsFor(ctx, seller, ref);
  if (arrivals.length === 0) {
    throw new MatchError('usage', `${ref} is no open removal or return of ${seller} (no open arrival has it as removal order id, Amazon order id, LPN or tracking number); ${x ? describeCandidates(x) : ''}`);
  }
  const sameItem = arrivals.filter((a) => sameSku(index, { sellerSku: posting.sellerSku ?? undefined, warehouseItem: posting.warehouseItem ?? undefined }, a));
  if (sameItem.length) arrivals = sameItem;
  if (arrivals.length > 1) {
    throw new MatchError('usage', `${ref} fits ${arrivals.length} open arrivals of ${seller}, none of them ${posting.sellerSku ?? posting.warehouseItem}: ${arrivals.map((a) => `${a.reference} ${a.sellerSku}${a.lpn ? ` LPN ${a.lpn}` : ''}`).join('; ')}: match by the LPN`);
  }
  return postUnmatched(ctx, posting, x, arrivals[0], 'manual', note);
}

type ExceptionOf = Awaited<ReturnType<typeof postingException>>;

/**
 * Post an unmatched posting against `arrival` in one transaction (matchPosting, receive,
 * over-receipt, stock and publication when sellable) and resolve its exception with a note.
 */
async function postUnmatched(ctx: GatewayContext, posting: ReceiptPosting, x: ExceptionOf, arrival: ExpectedArrival, by: NonNullable<ReceiptPosting['matchedBy']>, note?: string): Promise<HandMatch> {
  const seller = posting.seller!;
  const index = skuIndex(ctx.mappings, seller);
  const now = nowIso(ctx);
  const sellable = posting.disposition === 'sellable';
  const publishes = publishesFor(ctx, posting.partner, seller);
  if (sellable && publishes) await readChannelsBeforePublishing(ctx, seller);
  const r = await ctx.store.transaction(async (w) => {
    const fresh = await w.removals.getPosting(posting.id);
    if (!fresh || fresh.state !== 'unmatched') throw new MatchError('conflict', `receipt ${posting.receiptId} line ${posting.line + 1} was matched meanwhile`);
    // Read again inside the transaction: a receipt posted meanwhile changes what is over.
    const current = (await w.removals.getExpected(arrival.id)) ?? arrival;
    await w.removals.matchPosting(posting.id, arrival.id, by, now);
    const posted = await postToArrival(w, current, { partner: posting.partner, receiptId: posting.receiptId, line: posting.line, quantity: posting.quantity, now });
    let stocked = 0;
    let published = 0;
    if (sellable) {
      const units = unitsOf(index, posting.sellerSku, posting.warehouseItem, posting.quantity);
      // posting.at is when the warehouse received it (read before matchPosting stamped the match time).
      if (await addToStock(ctx, w, posting.partner, seller, posting.at, units)) {
        stocked = units.reduce((s, u) => s + u.quantity, 0);
        if (publishes) published = (await publishSellerQuantities(ctx, w, seller, `receipt-match:${posting.id}`))?.changes.length ?? 0;
      }
    }
    const how = by === 'manual' ? 'matched by hand' : `matched by ${by === 'lpn' ? 'LPN' : by === 'removal-order' ? 'removal order id' : 'tracking number and SKU'} once Amazon reported it`;
    const line = `receipt ${posting.receiptId} line ${posting.line + 1} (${posting.quantity} ${posting.sellerSku ?? posting.warehouseItem}, ${posting.disposition}) ${how} to ${arrival.source === 'removal' ? 'removal order' : 'the return of order'} ${arrival.reference}${arrival.lpn ? ` LPN ${arrival.lpn}` : ''} (arrival ${arrival.id}): ${posted.arrival.received} of ${posted.arrival.expected} received${posted.over ? `, ${posted.over} over` : ''}${stocked ? `; ${stocked} units added to stock` : ''}`;
    if (x) await w.exceptions.resolve(x.id, note?.trim() ? `${line}. ${note.trim()}` : line, now);
    return { ...posted, stocked, published, line };
  });
  ctx.log.info({ flow: FLOW, seller, postingId: posting.id, arrivalId: arrival.id, reference: arrival.reference, by, over: r.over, stocked: r.stocked, published: r.published }, 'unmatched receipt line posted');
  return { exceptionId: x?.id ?? 0, posting: (await ctx.store.work.removals.getPosting(posting.id))!, arrival: r.arrival, over: r.over, stocked: r.stocked, published: r.published, line: r.line };
}

/**
 * A receipt often reaches the warehouse before Amazon's report lists it: the seller's unmatched
 * lines are matched again (by their LPN, removal order id, tracking number as the receipt gave
 * them) after each report pull and by `dockgate exceptions retry`. Returns one line per match.
 */
export async function rematchUnmatched(ctx: GatewayContext, seller: string, only?: number): Promise<string[]> {
  const out: string[] = [];
  const index = skuIndex(ctx.mappings, seller);
  for (const posting of await ctx.store.work.removals.postings({ seller, state: 'unmatched' })) {
    if (only !== undefined && posting.exceptionId !== only) continue;
    const x = await postingException(ctx, posting);
    if (!x || x.state === 'resolved') continue;
    const d = x.context.details ?? {};
    const str = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : undefined);
    const line = {
      sellerSku: posting.sellerSku ?? undefined,
      warehouseItem: posting.warehouseItem ?? undefined,
      lpn: str('lpn'),
      removalOrderId: str('removalOrderId'),
      trackingNumber: str('trackingNumber'),
      quantity: posting.quantity,
      condition: posting.condition as Line['condition'],
    } as Line;
    const m = await matchLine(ctx.store.work, index, seller, line);
    if (!m) continue;
    try {
      out.push((await postUnmatched(ctx, posting, x, m.arrival, m.by)).line);
    } catch (e) {
      if (!(e instanceof MatchError && e.code === 'conflict')) throw e;
    }
  }
  return out;
}

/** `dockgate exceptions retry` of a receipt-unmatched exception: its line matched again against what Amazon reported since. */
async function retryUnmatched(ctx: GatewayContext, x: { id: number; seller: string | null }): Promise<string> {
  if (!x.seller || !ctx.mappings.sellers.has(x.seller)) return `exception ${x.id} names no seller of the mappings: match it by hand (dockgate exceptions resolve ${x.id} --match REF)`;
  const [done] = await rematchUnmatched(ctx, x.seller, x.id);
  return done ?? `still no expected arrival fits: match it by hand (dockgate exceptions resolve ${x.id} --match REF; dockgate exceptions show ${x.id} lists the candidates)`;
}

// ------------------------------------------------------------------ overdue

/**
 * Every removal Amazon shipped longer ago than the seller's returns.overdueDays (else
 * settings.removalOverdueDays) and not fully received: removal-overdue, keyed by removal order id
 * and SKU. Those received since are resolved when their units are posted (postToArrival).
 */
export async function checkRemovalsOverdue(ctx: GatewayContext): Promise<FlowRunSummary> {
  const now = nowIso(ctx);
  const counts = { open: 0, overdue: 0 };
  for (const seller of ctx.mappings.sellers.values()) {
    const days = seller.returns?.overdueDays ?? ctx.settings.removalOverdueDays;
    for (const a of await ctx.store.work.removals.listExpected({ seller: seller.id, states: OPEN_STATES })) {
      if (a.source !== 'removal' || !a.shippedAt) continue;
      counts.open++;
      const ageDays = (Date.parse(now) - Date.parse(a.shippedAt)) / 86_400_000;
      if (ageDays <= days) continue;
      counts.overdue++;
      await ctx.store.work.exceptions.raise({
        kind: 'removal-overdue',
        severity: 'warning',
        seller: seller.id,
        key: arrivalKey(a),
        message: `removal order ${a.reference}: ${a.expected - a.received} of ${a.expected} ${a.sellerSku} not received ${Math.floor(ageDays)} days after Amazon shipped it (${a.shippedAt}${a.carrier ? `, ${a.carrier}` : ''}${a.trackingNumber ? ` ${a.trackingNumber}` : ''}); the window is ${days} days`,
        context: {
          ...(ctx.mappings.files.get(seller) && { mappingFile: ctx.mappings.files.get(seller) }),
          mappingKey: 'returns.overdueDays',
          details: { arrivalId: a.id, reference: a.reference, sellerSku: a.sellerSku, expected: a.expected, received: a.received, shippedAt: a.shippedAt, trackingNumber: a.trackingNumber, windowDays: days },
        },
        ref: a.reference,
        now,
      });
    }
  }
  return { flow: 'removal-overdue', counts, failed: 0 };
}

// ------------------------------------------------------------------ registry

export const sellerTasks: SellerTask[] = [
  {
    name: 'removals',
    everySeconds: (ctx) => ctx.settings.removalReportHours * 3600,
    inOnce: true,
    run: pullRemovalReports,
  },
];
export const checks: CheckTask[] = [{ flow: 'removal-overdue', run: checkRemovalsOverdue }];
export const handlers: JobHandlers = {};
export const retries: ExceptionRetries = { 'receipt-unmatched': retryUnmatched };
/** inbound.ts routeFor sends 'receipt' documents to receiptRoute; documentRoutes lists it too. */
export const routes: DocumentRoute[] = [receiptRoute];
