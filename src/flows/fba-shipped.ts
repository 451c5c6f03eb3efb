/**
 * FBA replenishment, the ship side: the warehouse says an FBA inbound shipment left.
 *
 *   from:  a shipment advice (945, shipments CSV) whose order is an FBA shipment (an
 *          FbaShipmentRecord for its seller and orderId FBA...) — src/flows/shipment-to-amazon.ts
 *          hands it here — or the warehouse's 856 (inboundAsnRoute, inbound-asn documents)
 *   ->     what shipped recorded on the FBA shipment (cartons with box id / SSCC / LPN / tracking,
 *          BOL, PRO), the ship order (OrderRecord) moved to shipped, fba-not-shipped resolved
 *   ->     the cartons checked against Amazon's boxes (src/fba/cartons.ts)
 *   match: state shipped; one `fba-tracking` job (key: shipment + the tracking set) and, where the
 *          seller's mapping names fba.asn.partner, our 856 ASN queued for delivery — one transaction
 *   else:  state mismatched + fba-carton-mismatch naming boxes and SKUs; NO tracking is sent: the
 *          FC receives against the box labels and contents Amazon holds, so a carrier arriving with
 *          cartons Amazon does not expect (a missing or foreign box, a bad SSCC, other units) is
 *          received as a problem shipment; telling Amazon it is on its way first would only make
 *          the wrong boxes look right. The retry (`exceptions retry`) reads Amazon's boxes again
 *          (they may have been corrected there); a corrected file from the warehouse re-checks by itself.
 *   to:    Amazon updateShipmentTrackingDetails (handlers['fba-tracking']): per-box tracking for
 *          small parcel, BOL + PRO for LTL; state tracking-accepted, or tracking-refused + amazon-refused
 *
 * A document the translation rejected (a bad SSCC check digit refused by the canonical model)
 * is partner-data-rejected at the inbound step, located at its segment; `rejected` here also
 * flags the FBA shipment, with the finding naming the box and the digit it should have.
 */
import { createHash } from 'node:crypto';
import { AmazonApiError } from '../amazon/errors.ts';
import type { InboundTracking } from '../amazon/types.ts';
import { checkCartons, boxIdOf, type CartonFinding, type CartonMatch } from '../fba/cartons.ts';
import { readDocument } from '../mapping/engine.ts';
import { X12Adapter } from '../mapping/formats/x12.ts';
import { translator, writePartner, type DocumentName, type InboundDocument } from '../mapping/translate.ts';
import type { InboundAsn, ShipmentAdvice } from '../model/index.ts';
import { documentsCarryBuyerData } from '../store/buyer-data.ts';
import { sentNodes } from '../store/envelope-nodes.ts';
import type { FbaBox, FbaShipmentRecord, FbaShippedCarton } from '../store/fba.ts';
import type { Work } from '../store/work.ts';
import { fileName } from '../transport/outbound.ts';
import { readX12Sync } from '../x12/reader.ts';
import { loadSetSchema } from '../x12/schema/load.ts';
import { validateSet } from '../x12/validate/index.ts';
import { validateFile } from '../x12/validate-file.ts';
import type { CheckTask } from '../gateway/gateway.ts';
import { nowIso, PermanentError, type DocumentRoute, type ExceptionRetries, type FlowRunSummary, type GatewayContext, type JobHandler, type JobHandlers, type ReceivedFile } from './context.ts';
import { queueOutboundFile, READY_STATUS } from './outbox-delivery.ts';

const FLOW = 'fba-shipped';

/** An Amazon Shipment ID (FBA...): only such an order id can be an FBA shipment (MFN ids are 3-7-7 digits). */
const FBA_ID = /^FBA[0-9A-Z]{6,12}$/;

/** The exception ref naming a received file (as src/flows/inbound.ts fileRef: not imported, inbound imports this module's route). */
const fileRef = (messageId: number): string => `file:${messageId}`;

/** States in which what the warehouse says shipped is taken (re)checked; later ones only log a repeat. */
const OPEN: ReadonlyArray<FbaShipmentRecord['state']> = ['sent', 'held', 'shipped', 'mismatched', 'tracking-refused'];

type Shipped = NonNullable<FbaShipmentRecord['shipped']>;

/** The FBA shipment record an advice is for, if its order is one. */
export async function fbaShipmentFor(ctx: GatewayContext, seller: string, orderId: string): Promise<FbaShipmentRecord | null> {
  if (!FBA_ID.test(orderId)) return null;
  return ctx.store.work.fba.get(seller, orderId);
}

// ------------------------------------------------------------------ what shipped, from each document

export function shippedFromAdvice(advice: ShipmentAdvice, messageId: number): Shipped {
  return {
    cartons: advice.packages.map((p) => ({
      ...(boxIdOf({ lpn: p.lpn }) && { boxId: boxIdOf({ lpn: p.lpn }) }),
      ...(p.sscc && { sscc: p.sscc }),
      ...(p.lpn && { lpn: p.lpn }),
      trackingNumber: p.trackingNumber,
      contents: p.lines.map((l) => ({ sellerSku: l.sellerSku, ...(l.fnsku && { fnsku: l.fnsku }), quantity: l.quantity })),
    })),
    // A 945's N9*BM is the bill of lading number; the Amazon Shipment ID echoed there is a reference, not a BOL.
    ...(advice.shipmentId && advice.shipmentId !== advice.orderId && { bol: advice.shipmentId }),
    ...(advice.packages[0]?.carrierScac && { carrierScac: advice.packages[0].carrierScac }),
    fileMessageId: messageId,
  };
}

export function shippedFromAsn(asn: InboundAsn, messageId: number): Shipped {
  return {
    cartons: asn.cartons.map((c) => ({
      ...(c.boxId && { boxId: c.boxId }),
      ...(c.sscc && { sscc: c.sscc }),
      ...(c.lpn && { lpn: c.lpn }),
      contents: c.contents.map((l) => ({ sellerSku: l.sellerSku, ...(l.fnsku && { fnsku: l.fnsku }), quantity: l.quantity })),
    })),
    ...(asn.bol && { bol: asn.bol }),
    ...(asn.proNumber && { proNumber: asn.proNumber }),
    ...(asn.carrier?.scac && { carrierScac: asn.carrier.scac }),
    fileMessageId: messageId,
  };
}

/**
 * The 945 and the 856 of one shipment tell the same cartons: what the new file lacks (the 856 has
 * no per-carton tracking, the 945 no PRO) is kept from the earlier one, carton by box id.
 */
export function mergeShipped(earlier: Shipped | null, next: Shipped): Shipped {
  if (!earlier) return next;
  const before = new Map(earlier.cartons.map((c) => [boxIdOf(c) ?? c.sscc ?? c.lpn ?? '', c]));
  return {
    ...next,
    cartons: next.cartons.map((c) => {
      const e = before.get(boxIdOf(c) ?? c.sscc ?? c.lpn ?? '');
      return e?.trackingNumber && !c.trackingNumber ? { ...c, trackingNumber: e.trackingNumber } : c;
    }),
    ...(!next.bol && earlier.bol && { bol: earlier.bol }),
    ...(!next.proNumber && earlier.proNumber && { proNumber: earlier.proNumber }),
    ...(!next.carrierScac && earlier.carrierScac && { carrierScac: earlier.carrierScac }),
  };
}

// ------------------------------------------------------------------ tracking

/**
 * What Amazon is told. LTL when the shipment has a PRO number and no per-carton tracking (or
 * every carton carries that same number, as 945s of freight shipments do in MAN*CP); small
 * parcel when every carton has its own tracking number: each Amazon box with the tracking of
 * the carton that carried it.
 */
export function trackingOf(shipped: Shipped, matches: CartonMatch[]): { tracking: InboundTracking } | { problem: string } {
  const numbers = matches.map((m) => m.carton.trackingNumber);
  const distinct = new Set(numbers.filter(Boolean));
  const freight = shipped.proNumber ?? (matches.length > 1 && distinct.size === 1 && numbers.every(Boolean) ? [...distinct][0] : undefined);
  const perCarton = numbers.every(Boolean) && !(freight && distinct.size === 1 && distinct.has(freight));
  if (!perCarton && freight) {
    // Amazon's LtlTrackingDetailInput takes one freight bill number (maxItems 1) and the BOL.
    if (!shipped.bol) return { problem: `LTL (PRO ${freight}) without a bill of lading number: Amazon's LTL tracking takes the BOL with the PRO` };
    return { tracking: { kind: 'ltl', billOfLadingNumber: shipped.bol, freightBillNumbers: [freight] } };
  }
  if (numbers.every(Boolean)) return { tracking: { kind: 'small-parcel', boxes: matches.map((m) => ({ boxId: m.box.boxId, trackingId: m.carton.trackingNumber! })) } };
  const without = matches.filter((m) => !m.carton.trackingNumber).map((m) => m.box.boxId);
  return { problem: `no tracking number for box(es) ${without.join(', ')} and no PRO number: nothing to tell Amazon yet` };
}

/** The outbox key of one tracking set: the same set for the same shipment is one job, a changed set another. */
export function trackingKey(seller: string, shipmentId: string, tracking: InboundTracking): string {
  const digest = createHash('sha256').update(JSON.stringify(tracking)).digest('hex').slice(0, 16);
  return `fba-tracking:${seller}:${shipmentId}:${digest}`;
}

// ------------------------------------------------------------------ the ASN

/** Our 856 for the shipment: one carton per Amazon box, its SSCC, box id and contents. */
export function asnOf(record: FbaShipmentRecord, shipped: Shipped, matches: CartonMatch[], shippedAt: string): InboundAsn {
  return {
    kind: 'InboundAsn',
    seller: record.seller,
    marketplaceId: record.marketplaceId,
    shipmentId: record.shipmentId,
    ...(record.amazonReferenceId && { referenceId: record.amazonReferenceId }),
    ...(shipped.bol && { bol: shipped.bol }),
    ...(shipped.proNumber && { proNumber: shipped.proNumber }),
    ...(shipped.carrierScac && { carrier: { scac: shipped.carrierScac } }),
    shippedAt,
    cartons: matches.map((m) => {
      const sscc = m.carton.sscc ?? m.box.sscc;
      const lpn = m.carton.lpn && m.carton.lpn.toUpperCase() !== m.box.boxId ? m.carton.lpn : undefined;
      return {
        boxId: m.box.boxId,
        // Amazon and most receivers want the 20-digit form (00 + SSCC-18) in MAN02.
        ...(sscc && { sscc: sscc.length === 18 ? `00${sscc}` : sscc }),
        ...(lpn && { lpn }),
        contents: m.carton.contents.map((c) => ({ sellerSku: c.sellerSku, ...(c.fnsku && { fnsku: c.fnsku }), quantity: c.quantity })),
      };
    }),
  };
}

/**
 * Inside the caller's transaction: write the ASN with the ASN partner's inbound-asn layout and
 * queue its delivery. Returns the file message, or why it was not written (the caller raises it).
 */
async function queueAsn(ctx: GatewayContext, w: Work, partnerId: string, asn: InboundAsn): Promise<{ messageId: number; name: string } | { problem: string; mappingFile?: string }> {
  const partner = ctx.mappings.partners.get(partnerId);
  if (!partner) return { problem: `fba.asn.partner ${partnerId} is not a partner in the mappings` };
  const mappingFile = ctx.mappings.files.get(partner);
  const d = partner.documents['inbound-asn'];
  // Written with a layout marked `in`, the envelope would say the partner sent it to us (writePartner writes inbound documents as theirs, for audits and tests).
  if (d?.direction !== 'out') return { problem: `partner ${partnerId} takes no 856 from us: documents.inbound-asn needs direction: out (it is ${d ? d.direction : 'not there'})`, ...(mappingFile && { mappingFile }) };
  let t;
  try {
    t = translator(ctx.mappings, partnerId, 'inbound-asn');
  } catch (e) {
    return { problem: (e as Error).message, ...(mappingFile && { mappingFile }) };
  }
  const written = writePartner(t, [asn], { controlNumbers: ctx.store.controlNumbers, now: ctx.clock.now() });
  const r = written.documents[0];
  if (!written.bytes || r.status !== 'ok') {
    return { problem: [...r.problems.map((p) => `${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`), ...r.exceptions.map((x) => x.message)].join('; ') || 'the layout wrote nothing', ...(mappingFile && { mappingFile }) };
  }
  const x12 = t.layout.format === 'x12';
  const pattern = partner.transport.fileNames['inbound-asn'] ?? (x12 ? '{partner}_856_{control}_{timestamp}.edi' : '{partner}_{document}_{timestamp}.dat');
  const name = fileName(pattern, { partner: partnerId, document: 'inbound-asn', control: written.isa13, at: new Date(Math.floor(ctx.clock.now().getTime() / 1000) * 1000) });
  const read = x12 ? await validateFile(written.bytes, { file: name }) : null;
  const { messageId } = await queueOutboundFile(w, ctx, {
    partner: partnerId,
    document: 'inbound-asn',
    fileName: name,
    bytes: written.bytes,
    containsPii: documentsCarryBuyerData(['inbound-asn']),
    children: read ? sentNodes(read, READY_STATUS) : [],
    awaitsAcknowledgement: x12 && (partner.acks?.required ?? false),
  });
  return { messageId, name };
}

// ------------------------------------------------------------------ the check and what follows

interface Source {
  partner: string;
  file?: { name: string; messageId: number };
  where?: string;
  /** Problems of a rejected document (kept in the exception's details). */
  problems?: unknown[];
  /** The warehouse document it came in: an 856 may come before the 945 that carries the tracking. */
  document?: 'shipment-advice' | 'inbound-asn';
}

export interface Outcome {
  state: FbaShipmentRecord['state'];
  findings: CartonFinding[];
  trackingJob?: string;
  asnMessageId?: number;
  note?: string;
}

/**
 * Check `shipped` against the record's boxes and write what follows, in transaction `w`: the
 * record, the ship order, the exceptions, the tracking job and the ASN.
 */
async function settle(ctx: GatewayContext, w: Work, record: FbaShipmentRecord, shipped: Shipped, src: Source, now: string, options: { contents?: boolean; shippedAt?: string } = {}): Promise<Outcome> {
  const check = checkCartons(record.shipmentId, record.boxes, shipped.cartons, { contents: options.contents });
  const base = { seller: record.seller, partner: src.partner, now };
  const context = { ...(src.file && { file: src.file }), ...(src.where && { where: src.where }) };
  const shippedAt = record.shippedAt ?? options.shippedAt ?? now;
  let next: FbaShipmentRecord = { ...record, shipped, shippedAt, updatedAt: now, problems: check.findings.map((f) => f.message) };
  const out: Outcome = { state: next.state, findings: check.findings };

  // The warehouse did ship, whatever the check says: the ship order is shipped, the overdue rule is over.
  await shipOrder(w, record, shipped, now);
  await w.exceptions.resolveCause('fba-not-shipped', record.shipmentId, record.seller, record.partner, `the warehouse shipped it${src.file ? ` (${src.file.name})` : ''}`, now);

  if (check.findings.length) {
    const shown = check.findings.slice(0, 6).map((f) => f.message);
    const x = await w.exceptions.raise({
      ...base,
      kind: 'fba-carton-mismatch',
      severity: 'error',
      key: record.shipmentId,
      message: `FBA shipment ${record.shipmentId} as shipped by ${src.partner} does not match Amazon's boxes: ${shown.join('; ')}${check.findings.length > shown.length ? `; and ${check.findings.length - shown.length} more` : ''}. The tracking is not sent to Amazon`,
      context: { ...context, details: { shipmentId: record.shipmentId, findings: check.findings, ...(src.problems && { problems: src.problems }) } },
      ref: src.file ? fileRef(src.file.messageId) : record.shipmentId,
    });
    next = { ...next, state: 'mismatched', exceptionId: x.id };
    out.state = 'mismatched';
    await w.fba.put(next);
    return out;
  }

  await w.exceptions.resolveCause('fba-carton-mismatch', record.shipmentId, record.seller, src.partner, `the cartons match Amazon's boxes${src.file ? ` (${src.file.name})` : ''}`, now);
  next = { ...next, state: 'shipped', exceptionId: null };
  out.state = 'shipped';
  const t = trackingOf(shipped, check.matches);
  const advises = ctx.mappings.partners.get(src.partner)?.documents['shipment-advice']?.direction === 'in';
  if ('problem' in t && src.document === 'inbound-asn' && advises) {
    // Reno-style warehouses send the 856 (cartons) and the 945 (tracking) for one shipment, in
    // either order: an 856 without tracking waits for the 945; checkTrackingNeverCame raises it
    // should the tracking not come within the shipment's window.
    out.note = `${t.problem} (waiting for ${src.partner}'s shipment advice)`;
  } else if ('problem' in t) {
    const x = await w.exceptions.raise({
      ...base,
      kind: 'fba-shipment-problem',
      severity: 'error',
      key: record.shipmentId,
      message: `FBA shipment ${record.shipmentId}: ${t.problem}`,
      context: { ...context, details: { shipmentId: record.shipmentId } },
      ref: record.shipmentId,
    });
    next.exceptionId = x.id;
    out.note = t.problem;
  } else {
    const key = trackingKey(record.seller, record.shipmentId, t.tracking);
    await w.jobs.enqueue({ kind: 'fba-tracking', key, seller: record.seller, partner: src.partner, payload: { seller: record.seller, shipmentId: record.shipmentId, tracking: t.tracking } }, now);
    out.trackingJob = key;
    // An earlier file that left nothing to tell Amazon (no tracking for a box, LTL without a BOL) is answered by this one.
    await w.exceptions.resolveCause('fba-shipment-problem', record.shipmentId, record.seller, src.partner, 'the tracking is queued for Amazon', now);
  }

  const asnPartner = ctx.mappings.sellers.get(record.seller)?.fba?.asn?.partner;
  if (asnPartner && record.asnMessageId === null) {
    const q = await queueAsn(ctx, w, asnPartner, asnOf(record, shipped, check.matches, shippedAt));
    if ('problem' in q) {
      await w.exceptions.raise({
        ...base,
        partner: asnPartner,
        kind: 'mapping-problem',
        severity: 'error',
        key: `${record.shipmentId} asn`,
        message: `FBA shipment ${record.shipmentId}: the 856 ASN for ${asnPartner} (the seller's fba.asn.partner) was not written: ${q.problem}`,
        context: { ...(q.mappingFile && { mappingFile: q.mappingFile }), mappingKey: 'fba.asn.partner', details: { shipmentId: record.shipmentId } },
        ref: record.shipmentId,
      });
    } else {
      next.asnMessageId = q.messageId;
      out.asnMessageId = q.messageId;
    }
  }
  await w.fba.put(next);
  return out;
}

/** The ship order (OrderRecord FBA...) shipped: quantities summed per SKU line. */
async function shipOrder(w: Work, record: FbaShipmentRecord, shipped: Shipped, now: string): Promise<void> {
  const order = await w.orders.get(record.seller, record.shipmentId);
  if (!order || order.state === 'confirmed') return;
  const totals = new Map<string, number>();
  for (const c of shipped.cartons) for (const i of c.contents) totals.set(i.sellerSku, (totals.get(i.sellerSku) ?? 0) + i.quantity);
  // One file tells the whole shipment (a resend replaces it): shipped is what it says, not added to before.
  const lines = order.lines.map((l) => ({ ...l, shipped: totals.get(l.sellerSku) ?? 0 }));
  const state = lines.every((l) => l.shipped >= l.ordered) ? 'shipped' : lines.some((l) => l.shipped > 0) ? 'partially-shipped' : order.state;
  await w.orders.put({ ...order, lines, state, updatedAt: now });
}

/** A warehouse document for the FBA shipment `record`: recorded, checked, followed up. */
export async function takeShipped(ctx: GatewayContext, file: ReceivedFile, where: string, record: FbaShipmentRecord, shipped: Shipped, shippedAt: string, document: Source['document'] = 'shipment-advice'): Promise<{ state: 'processed'; reason: string }> {
  const now = nowIso(ctx);
  const fields = { flow: FLOW, seller: record.seller, partner: file.partner, shipmentId: record.shipmentId, file: file.name, where };
  const r = await ctx.store.transaction(async (w) => {
    const current = (await w.fba.get(record.seller, record.shipmentId)) ?? record;
    if (current.state === 'cancelled') {
      // Cancelled (at Amazon, or by hand) and shipped anyway: the FC will not take it; someone must get the cartons back.
      await w.exceptions.raise({
        kind: 'fba-shipment-problem',
        severity: 'error',
        seller: current.seller,
        partner: file.partner,
        key: current.shipmentId,
        message: `FBA shipment ${current.shipmentId} was cancelled and ${file.partner} shipped it anyway (${file.name}): the fulfilment centre will refuse it; no tracking is sent`,
        context: { file: { name: file.name, messageId: file.messageId }, where },
        ref: fileRef(file.messageId),
        now,
      });
    }
    if (!OPEN.includes(current.state)) return { repeat: current.state };
    const merged = mergeShipped(current.shipped, shipped);
    return settle(ctx, w, current, merged, { partner: file.partner, file: { name: file.name, messageId: file.messageId }, where, document }, now, { shippedAt });
  });
  if ('repeat' in r) {
    ctx.log.info({ ...fields, event: 'fba.shipped.repeat', state: r.repeat }, 'the FBA shipment is already past shipping: the file changes nothing');
    return { state: 'processed', reason: `FBA shipment ${record.shipmentId} is already ${r.repeat}: nothing changed` };
  }
  const event = r.state === 'mismatched' ? 'fba.shipped.mismatch' : 'fba.shipped';
  (r.state === 'mismatched' ? ctx.log.warn.bind(ctx.log) : ctx.log.info.bind(ctx.log))(
    { ...fields, event, state: r.state, findings: r.findings.map((f) => f.code), trackingJob: r.trackingJob, asnMessageId: r.asnMessageId },
    r.state === 'mismatched' ? `FBA shipment ${record.shipmentId}: ${r.findings.length} carton finding(s), tracking held` : `FBA shipment ${record.shipmentId} shipped; cartons match`,
  );
  return {
    state: 'processed',
    reason: `FBA shipment ${record.shipmentId} ${r.state}${r.findings.length ? `: ${r.findings.map((f) => f.message).join('; ')}` : ''}${r.trackingJob ? '; tracking queued' : ''}${r.asnMessageId ? `; ASN queued (message ${r.asnMessageId})` : ''}${r.note ? `; ${r.note}` : ''}`,
  };
}

/** shipment-to-amazon.ts hands an ok advice for an FBA shipment here (instead of confirmShipment). */
export async function takeAdvice(ctx: GatewayContext, file: ReceivedFile, doc: InboundDocument, record: FbaShipmentRecord): Promise<{ state: 'processed'; reason: string }> {
  const advice = doc.document as ShipmentAdvice;
  return takeShipped(ctx, file, doc.where, record, shippedFromAdvice(advice, file.messageId), advice.shippedAt);
}

// ------------------------------------------------------------------ rejected documents

type Obj = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The cartons of a document as the layout read it (before the SKU table): ids and tracking, no contents. */
function rawCartons(read: Obj): FbaShippedCarton[] {
  const list = ((read.cartons ?? read.packages) as Obj[] | undefined) ?? [];
  return list.map((c) => ({
    ...(str(c.boxId) && { boxId: str(c.boxId) }),
    ...(!str(c.boxId) && boxIdOf({ lpn: str(c.lpn) }) && { boxId: boxIdOf({ lpn: str(c.lpn) }) }),
    ...(str(c.sscc) && { sscc: str(c.sscc) }),
    ...(str(c.lpn) && { lpn: str(c.lpn) }),
    ...(str(c.trackingNumber) && { trackingNumber: str(c.trackingNumber) }),
    contents: [],
  }));
}

/**
 * A rejected 945 / 856 for an FBA shipment: the inbound step raised partner-data-rejected at its
 * segment; the shipment is flagged too (fba-carton-mismatch naming the box), so the FBA view
 * shows why tracking has not gone. Contents are not compared: the file was not read through the
 * SKU table. The ship order is not moved: nothing of the file was accepted.
 */
async function flagRejected(ctx: GatewayContext, file: ReceivedFile, doc: InboundDocument, document: DocumentName): Promise<void> {
  const read = (doc.read ?? (await readInvalidSet(ctx, file, doc.where, document)) ?? {}) as Obj;
  const id = str(read.shipmentId) && FBA_ID.test(str(read.shipmentId)!) ? str(read.shipmentId)! : str(read.orderId);
  if (!id || !FBA_ID.test(id)) return;
  const now = nowIso(ctx);
  for (const seller of ctx.mappings.partners.get(file.partner)?.sellers ?? []) {
    const record = await ctx.store.work.fba.get(seller, id);
    if (!record) continue;
    const cartons = rawCartons(read);
    const check = checkCartons(record.shipmentId, record.boxes, cartons, { contents: false });
    const findings = check.findings.length ? check.findings : [{ code: 'count' as const, message: `the warehouse's file for ${id} was rejected (${doc.problems.map((p) => `${p.field ?? p.where}: ${p.message}`).join('; ')})` }];
    await ctx.store.transaction(async (w) => {
      const current = (await w.fba.get(seller, id)) ?? record;
      const x = await w.exceptions.raise({
        kind: 'fba-carton-mismatch',
        severity: 'error',
        seller,
        partner: file.partner,
        key: id,
        message: `FBA shipment ${id}: the warehouse's file ${file.name} was rejected (partner-data-rejected) and its cartons do not match Amazon's boxes: ${findings.slice(0, 6).map((f) => f.message).join('; ')}. The tracking is not sent to Amazon`,
        context: { file: { name: file.name, messageId: file.messageId }, where: doc.where, details: { shipmentId: id, findings, problems: doc.problems } },
        ref: fileRef(file.messageId),
        now,
      });
      if (OPEN.includes(current.state) && current.state !== 'shipped') {
        await w.fba.put({ ...current, state: 'mismatched', problems: findings.map((f) => f.message), exceptionId: x.id, updatedAt: now });
      }
    });
    ctx.log.warn({ flow: FLOW, event: 'fba.shipped.rejected', seller, partner: file.partner, shipmentId: id, file: file.name, where: doc.where, findings: findings.map((f) => f.code) }, `the warehouse's file for FBA shipment ${id} was rejected`);
    return;
  }
}

/**
 * An X12 set the validator refused (an SSCC with a wrong check digit in MAN*GM is an element
 * error: the set is rejected before translation, its 997 says so) read through the partner's
 * layout all the same, leniently: only to tell which FBA shipment and cartons it was about.
 * Nothing read this way is recorded as shipped.
 */
/** The events of a file being processed, for its refused sets (keyed by the inbound step's file object: gone with it). */
const readFiles = new WeakMap<ReceivedFile, ReturnType<typeof readX12Sync>>();

async function readInvalidSet(ctx: GatewayContext, file: ReceivedFile, where: string, document: DocumentName): Promise<Obj | null> {
  let t;
  try {
    t = translator(ctx.mappings, file.partner, document, 'x12');
  } catch {
    return null;
  }
  // Only while some FBA shipment waits on this warehouse: an MFN 945 refused by validation costs no second read.
  if ((await ctx.store.work.fba.list({ partner: file.partner, states: [...OPEN], limit: 1 })).length === 0) return null;
  // A file with many refused sets is read once, not once per set (the hook is called per set, in file order).
  let events = readFiles.get(file);
  if (!events) readFiles.set(file, (events = readX12Sync(await ctx.store.blobs.read(file.sha256), { file: file.name })));
  for (const e of events) {
    if (e.type !== 'set' || `set ${e.set.id} ${e.set.control} (line ${e.set.segments[0]?.line ?? '?'})` !== where) continue;
    const v = validateSet(e.set, { buildTree: true });
    if (!v.tree) return null;
    const layout = t.layout as Extract<typeof t.layout, { format: 'x12' }>;
    const lookup = loadSetSchema(layout.set, layout.version);
    if (!lookup) return null;
    const adapter = new X12Adapter(lookup.schema);
    return readDocument(t.compiled, adapter, adapter.rootScope(v.tree), { zone: t.partner.timeZone, problems: [] });
  }
  return null;
}

// ------------------------------------------------------------------ the warehouse's 856

export const inboundAsnRoute: DocumentRoute = {
  document: 'inbound-asn',
  async handle(ctx, file, doc) {
    if (doc.status === 'held') {
      // An unmapped SKU in the 856: the same mapping gaps the advice route raises.
      return { state: 'held', reason: doc.exceptions.map((x) => x.message).join('; ') || 'held by the translation' };
    }
    if (doc.status !== 'ok' || doc.document?.kind !== 'InboundAsn') return { state: 'rejected', reason: 'not an inbound ASN' };
    const asn = doc.document as InboundAsn;
    const record = await ctx.store.work.fba.get(asn.seller, asn.shipmentId);
    if (!record) {
      await ctx.store.work.exceptions.raise({
        kind: 'fba-shipment-problem',
        severity: 'warning',
        seller: asn.seller,
        partner: file.partner,
        key: asn.shipmentId,
        message: `${file.partner} sent an 856 for FBA shipment ${asn.shipmentId}, which this gateway did not send it (${file.name}): nothing is told to Amazon`,
        context: { file: { name: file.name, messageId: file.messageId }, where: doc.where },
        ref: fileRef(file.messageId),
        now: nowIso(ctx),
      });
      return { state: 'held', reason: `no FBA shipment ${asn.shipmentId} for seller ${asn.seller}` };
    }
    return takeShipped(ctx, file, doc.where, record, shippedFromAsn(asn, file.messageId), asn.shippedAt, 'inbound-asn');
  },
  rejected: (ctx, file, doc) => flagRejected(ctx, file, doc, 'inbound-asn'),
};

/** shipment-to-amazon.ts's rejected hook: an advice for an FBA shipment is flagged on it. */
export const flagRejectedAdvice: NonNullable<DocumentRoute['rejected']> = (ctx, file, doc) => flagRejected(ctx, file, doc, 'shipment-advice');

// ------------------------------------------------------------------ the outbox: tracking at Amazon

interface TrackingPayload {
  seller: string;
  shipmentId: string;
  tracking: InboundTracking;
}

const sendTracking: JobHandler = async (job, ctx) => {
  const p = job.payload as unknown as TrackingPayload;
  if (typeof p.seller !== 'string' || typeof p.shipmentId !== 'string' || !p.tracking) throw new PermanentError(`fba-tracking job ${job.id}: its payload names no seller, shipment and tracking`);
  const record = await ctx.store.work.fba.get(p.seller, p.shipmentId);
  if (!record) throw new PermanentError(`fba-tracking: there is no FBA shipment ${p.shipmentId} of seller ${p.seller}`);
  const fields = { flow: FLOW, event: 'fba.tracking', seller: p.seller, partner: record.partner, shipmentId: p.shipmentId, job: job.id, kind: p.tracking.kind };
  // A re-run of a job whose state change committed (the worker died before marking it done) sends nothing.
  if (record.state === 'tracking-accepted' && record.trackingAt && Date.parse(record.trackingAt) >= Date.parse(job.createdAt)) {
    ctx.log.info({ ...fields, event: 'fba.tracking.already' }, 'tracking already accepted for this job');
    return;
  }
  // A newer file found the cartons wrong after this job was queued: the tracking waits for the fix.
  if (record.state !== 'shipped' && record.state !== 'tracking-accepted') {
    ctx.log.warn({ ...fields, event: 'fba.tracking.skipped', state: record.state }, `FBA shipment ${p.shipmentId} is ${record.state}: its tracking is not sent`);
    return;
  }
  let operationId: string;
  try {
    // Amazon's trackingDetails is a PUT of the shipment's whole tracking: sending the same set again
    // (an attempt whose answer was lost) replaces it with itself, so a retry is harmless.
    ({ operationId } = await ctx.amazon(p.seller).updateShipmentTrackingDetails({ inboundPlanId: record.inboundPlanId, shipmentId: record.amazonShipmentId }, p.tracking));
    // The 202 only says Amazon took the request: the operation's status says whether it applied it.
    // Read once; IN_PROGRESS counts as accepted (Amazon validates carrier tracking later anyway).
    const op = await ctx.amazon(p.seller).inboundOperationStatus(operationId);
    if (op.operationStatus === 'FAILED') {
      const why = op.operationProblems.map((x) => `${x.code}: ${x.message}`).join('; ') || 'no problem given';
      throw new AmazonApiError(`updateShipmentTrackingDetails operation ${operationId} FAILED: ${why}`, 'getInboundOperationStatus', 'client', 200, op.operationProblems[0]?.code ?? 'OperationFailed');
    }
  } catch (e) {
    if (e instanceof AmazonApiError && !e.retryable && e.kind !== 'auth') {
      const now = nowIso(ctx);
      await ctx.store.transaction(async (w) => {
        const current = (await w.fba.get(p.seller, p.shipmentId)) ?? record;
        await w.fba.put({ ...current, state: 'tracking-refused', problems: [...current.problems, `Amazon refused the tracking: ${e.code}: ${e.message}`], updatedAt: now });
      });
      ctx.log.error({ ...fields, event: 'fba.tracking.refused', code: e.code, status: e.status }, `Amazon refused the tracking of ${p.shipmentId}: ${e.code}`);
      throw new PermanentError(`Amazon refused the tracking of FBA shipment ${p.shipmentId}: ${e.code}: ${e.message}`, { kind: 'amazon-refused', key: p.shipmentId, seller: p.seller, partner: record.partner });
    }
    throw e;
  }
  const now = nowIso(ctx);
  await ctx.store.transaction(async (w) => {
    const current = (await w.fba.get(p.seller, p.shipmentId)) ?? record;
    await w.fba.put({ ...current, state: 'tracking-accepted', trackingAt: now, updatedAt: now });
    const order = await w.orders.get(p.seller, p.shipmentId);
    if (order && order.state === 'shipped') await w.orders.put({ ...order, state: 'confirmed', updatedAt: now });
    await w.exceptions.resolveCause('amazon-refused', p.shipmentId, p.seller, record.partner, 'Amazon accepted the tracking', now);
  });
  ctx.log.info({ ...fields, event: 'fba.tracking.accepted', operationId }, `Amazon took the tracking of ${p.shipmentId} (operation ${operationId})`);
};

export const handlers: JobHandlers = { 'fba-tracking': sendTracking };

// ------------------------------------------------------------------ tracking that never came

/**
 * Late tracking is what Amazon measures: a shipment whose cartons came (an 856) and whose
 * tracking has not, this long after it shipped, is an exception even though each file alone
 * was fine. A day: the 945 of a warehouse that sends both follows its 856 within hours.
 */
export const TRACKING_WAIT_MS = 24 * 3600_000;

async function checkTrackingNeverCame(ctx: GatewayContext): Promise<FlowRunSummary> {
  const now = nowIso(ctx);
  let raised = 0;
  for (const r of await ctx.store.work.fba.list({ states: ['shipped'] })) {
    if (r.trackingAt || !r.shippedAt || Date.parse(now) - Date.parse(r.shippedAt) < TRACKING_WAIT_MS) continue;
    const jobs = await ctx.store.work.jobs.list({ kind: 'fba-tracking', seller: r.seller });
    if (jobs.some((j) => j.payload.shipmentId === r.shipmentId)) continue;
    await ctx.store.work.exceptions.raise({
      kind: 'fba-shipment-problem',
      severity: 'error',
      seller: r.seller,
      partner: r.partner,
      key: r.shipmentId,
      message: `FBA shipment ${r.shipmentId} shipped at ${r.shippedAt} (its cartons reported by ${r.partner}) and no tracking has come since: Amazon has none; ask the warehouse for the 945 or the PRO`,
      context: { details: { shipmentId: r.shipmentId, shippedAt: r.shippedAt } },
      ref: r.shipmentId,
      now,
    });
    raised++;
  }
  return { flow: 'fba-tracking-overdue', counts: { raised }, failed: 0 };
}

export const checks: CheckTask[] = [{ flow: 'fba-tracking-overdue', run: checkTrackingNeverCame }];

// ------------------------------------------------------------------ retry after a fix

/** Amazon's boxes as the record keeps them, from the adapter's read. */
function boxesFrom(detail: { boxes: Array<{ boxId?: string; sscc?: string; items: Array<{ msku: string; fnsku?: string; asin?: string; quantity: number }> }> }): FbaBox[] {
  return detail.boxes.filter((b) => b.boxId).map((b) => ({ boxId: b.boxId!, ...(b.sscc && { sscc: b.sscc }), items: b.items.map((i) => ({ msku: i.msku, ...(i.fnsku && { fnsku: i.fnsku }), ...(i.asin && { asin: i.asin }), quantity: i.quantity })) }));
}

/**
 * `exceptions retry` of an fba-carton-mismatch: Amazon's boxes read again (the seller may have
 * corrected them in Seller Central or through the API) and what the warehouse last said shipped
 * checked against them. A warehouse's corrected file needs no retry: it is checked when it comes.
 */
const recheck = async (ctx: GatewayContext, x: { key: string; seller: string | null; partner: string | null }): Promise<string> => {
  if (!x.seller || !FBA_ID.test(x.key)) return '';
  const record = await ctx.store.work.fba.get(x.seller, x.key);
  if (!record) return `no FBA shipment ${x.key}`;
  if (record.state !== 'mismatched') return `FBA shipment ${x.key} is ${record.state}: nothing to re-check`;
  const detail = await ctx.amazon(x.seller).inboundShipment(x.key);
  if (!detail) return `FBA shipment ${x.key} is no longer on Amazon`;
  const boxes = boxesFrom(detail);
  if (!record.shipped) return `FBA shipment ${x.key}: the warehouse's file was rejected; waiting for it to send a corrected one`;
  const now = nowIso(ctx);
  const r = await ctx.store.transaction(async (w) => {
    const current = (await w.fba.get(x.seller!, x.key)) ?? record;
    const withBoxes = { ...current, boxes };
    // The settle step writes the new state and raises the mismatch again (counting it) when it still does not match.
    return settle(ctx, w, withBoxes, current.shipped!, { partner: x.partner ?? current.partner }, now);
  });
  return r.state === 'mismatched' ? `FBA shipment ${x.key} still does not match: ${r.findings.map((f) => f.message).join('; ')}` : `FBA shipment ${x.key} now matches Amazon's boxes: ${r.trackingJob ? 'tracking queued' : r.note ?? 'shipped'}${r.asnMessageId ? ', ASN queued' : ''}`;
};

/**
 * `exceptions retry` of an amazon-refused for an FBA shipment's tracking, once its cause is fixed
 * at Amazon (the shipment re-opened, a box id corrected): the refused job runs again with the
 * same tracking set. '' for the other amazon-refused exceptions (other flows' retries say).
 */
const sendAgain = async (ctx: GatewayContext, x: { key: string; seller: string | null }): Promise<string> => {
  if (!x.seller || !FBA_ID.test(x.key)) return '';
  const record = await ctx.store.work.fba.get(x.seller, x.key);
  if (!record || record.state !== 'tracking-refused') return record ? `FBA shipment ${x.key} is ${record.state}: no refused tracking to send again` : '';
  const dead = (await ctx.store.work.jobs.list({ kind: 'fba-tracking', state: 'dead', seller: x.seller })).filter((j) => (j.payload as { shipmentId?: unknown }).shipmentId === x.key);
  const job = dead.sort((a, b) => b.id - a.id)[0];
  if (!job) return `FBA shipment ${x.key}: no refused tracking job to run again`;
  const now = nowIso(ctx);
  const revived = await ctx.store.transaction(async (w) => {
    if (!(await w.jobs.revive(job.id, now))) return false;
    await w.fba.put({ ...record, state: 'shipped', updatedAt: now });
    return true;
  });
  return revived ? `FBA shipment ${x.key}: its tracking goes to Amazon again (job ${job.id})` : `FBA shipment ${x.key}: job ${job.id} could not be revived`;
};

export const retries: ExceptionRetries = { 'fba-carton-mismatch': recheck, 'amazon-refused': sendAgain };
