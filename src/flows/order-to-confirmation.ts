/**
 * The main path, end to end (the demo runs it; the flows will schedule its parts): unshipped
 * MFN orders from Amazon become the warehouse's ship orders, delivered to the directory it reads;
 * the files it writes back are taken, recorded and translated: shipment advices are confirmed
 * to Amazon per package, inventory reports become MFN quantities.
 */
import { AmazonAdapter, AmazonApiError } from '../amazon/index.ts';
import { AmazonTranslationError, confirmationsFromAdvice, shipOrderFromAmazon } from '../amazon/codec.ts';
import type { Mappings } from '../mapping/load.ts';
import { mfnQuantities, skuIndex } from '../mapping/resolve.ts';
import { readPartner, translator, writePartner, type DocumentName } from '../mapping/translate.ts';
import type { InventorySnapshot, ShipmentAdvice, ShipOrder } from '../model/index.ts';
import { documentsCarryBuyerData } from '../store/buyer-data.ts';
import { sentNodes } from '../store/envelope-nodes.ts';
import type { MessageStore } from '../store/store.ts';
import { InboundPoller } from '../transport/inbound.ts';
import { deliver, fileName } from '../transport/outbound.ts';
import type { Transport } from '../transport/transport.ts';
import { validateFile } from '../x12/validate-file.ts';

export interface RoundTripReport {
  ordersSent: string[];
  orderFile?: string;
  filesTaken: string[];
  confirmed: Array<{ orderId: string; packageId: string; trackingNumber: string; outcome: string }>;
  quantities: Array<{ sellerSku: string; quantity: number; outcome: string }>;
  problems: string[];
}

export interface RoundTripContext {
  mappings: Mappings;
  partnerId: string;
  sellerId: string;
  amazon: AmazonAdapter;
  transport: Transport;
  store: MessageStore;
  since: Date;
}

export const emptyReport = (): RoundTripReport => ({ ordersSent: [], filesTaken: [], confirmed: [], quantities: [], problems: [] });

const why = (d: { exceptions: Array<{ message: string }>; problems: Array<{ message: string }> }) => [...d.exceptions.map((x) => x.message), ...d.problems.map((x) => x.message)].join('; ');

/** Orders out: Amazon -> canonical -> the partner's format -> the directory it reads. */
export async function sendOrders(ctx: RoundTripContext, report: RoundTripReport): Promise<void> {
  const partner = ctx.mappings.partners.get(ctx.partnerId)!;
  const seller = ctx.mappings.sellers.get(ctx.sellerId)!;
  const orders: ShipOrder[] = [];
  for await (const o of ctx.amazon.searchMfnOrders({ lastUpdatedAfter: ctx.since })) {
    try {
      orders.push(shipOrderFromAmazon(o, seller));
    } catch (e) {
      if (!(e instanceof AmazonTranslationError)) throw e;
      report.problems.push(e.message);
    }
  }
  if (orders.length === 0) return;
  const t = translator(ctx.mappings, ctx.partnerId, 'ship-order');
  const w = writePartner(t, orders, { controlNumbers: ctx.store.controlNumbers });
  for (const d of w.documents) {
    if (d.status !== 'ok') report.problems.push(`order ${orders[d.index].orderId}: ${d.status}: ${why(d)}`);
    else report.ordersSent.push(orders[d.index].orderId);
  }
  if (!w.bytes) return;
  const name = fileName(partner.transport.fileNames['ship-order'] ?? '{partner}_{document}_{timestamp}.dat', { partner: ctx.partnerId, document: 'ship-order', control: w.isa13 ?? '' });
  const blob = await ctx.store.blobs.putBuffer(w.bytes);
  const x12 = t.layout.format === 'x12';
  // X12 with its envelope tree, so that the partner's 997 finds the groups and sets it answers.
  const children = x12 ? sentNodes(await validateFile(w.bytes, { file: name }), 'ready') : [];
  const id = await ctx.store.recordFile({ direction: 'out', partner: ctx.partnerId, fileName: name, sha256: blob.sha256, size: blob.size, status: 'ready', containsPii: documentsCarryBuyerData(['ship-order']), children });
  // A partner that acknowledges (acks.required, X12 only) completes the file with its 997; otherwise delivery does.
  await deliver(ctx.transport, partner.transport.directories.outbound, name, w.bytes, { store: ctx.store, messageId: id, awaitsAcknowledgement: x12 && (partner.acks?.required ?? false) });
  report.orderFile = name;
}

/** Which document a received file holds: X12 by its sets, flat files by what their layout reads. */
function documentsOf(bytes: Buffer, ctx: RoundTripContext): DocumentName[] {
  const partner = ctx.mappings.partners.get(ctx.partnerId)!;
  const out: DocumentName[] = [];
  for (const doc of ['shipment-advice', 'inventory'] as const) {
    const d = partner.documents[doc];
    if (!d || d.direction !== 'in') continue;
    const t = translator(ctx.mappings, ctx.partnerId, doc);
    if (t.layout.format === 'x12') {
      if (new RegExp(`(^|[~\\n])\\s*ST.${t.layout.set}.`).test(bytes.toString('latin1'))) out.push(doc);
    } else out.push(doc);
  }
  return out;
}

/** Files in: the directory the partner writes -> recorded -> canonical -> Amazon. */
export async function receiveAndConfirm(ctx: RoundTripContext, report: RoundTripReport): Promise<void> {
  const partner = ctx.mappings.partners.get(ctx.partnerId)!;
  const dirs = partner.transport.directories;
  const poller = new InboundPoller(ctx.transport, ctx.store, { partner: ctx.partnerId, dir: dirs.inbound, completeness: { mode: 'stable' }, after: dirs.archive ? { archive: dirs.archive } : { delete: true } });
  await poller.poll();
  const taken = (await poller.poll()).taken;
  for (const file of taken) {
    report.filesTaken.push(file.name);
    const bytes = await ctx.store.blobs.read(file.sha256);
    const docs = documentsOf(bytes, ctx);
    const count = { ok: 0, other: 0, fileProblems: 0 };
    for (const doc of docs) {
      const r = await readPartner(translator(ctx.mappings, ctx.partnerId, doc), bytes, { file: file.name });
      count.fileProblems += r.fileProblems.length;
      for (const p of r.fileProblems) report.problems.push(`${file.name}: ${p.where}: ${p.message}`);
      for (const d of r.documents) {
        if (d.status !== 'ok') {
          count.other++;
          report.problems.push(`${file.name}: ${d.where}: ${d.status}: ${why(d)}`);
          continue;
        }
        count.ok++;
        if (doc === 'shipment-advice') await confirm(ctx, d.document as ShipmentAdvice, report);
        else if ((d.document as InventorySnapshot).seller === ctx.sellerId) await publish(ctx, d.document as InventorySnapshot, report);
      }
    }
    // Translated: nothing more waits on the file, whatever its documents' outcome (the report
    // says it; counts only in the log, which outlives the bytes). Now its documents are known.
    if (!documentsCarryBuyerData(docs)) await ctx.store.setContainsPii(file.messageId, false);
    const outcome = `read as ${docs.join(', ') || 'no document this partner sends'}: ${count.ok} document(s) ok, ${count.other} held or rejected, ${count.fileProblems} file problem(s)`;
    await ctx.store.setStatus(file.messageId, count.other || count.fileProblems ? 'processed-with-problems' : 'processed', outcome, true);
  }
}

async function confirm(ctx: RoundTripContext, advice: ShipmentAdvice, report: RoundTripReport): Promise<void> {
  if (advice.seller !== ctx.sellerId) return;
  let confirmations;
  try {
    confirmations = confirmationsFromAdvice(advice);
  } catch (e) {
    if (!(e instanceof AmazonTranslationError)) throw e;
    report.problems.push(e.message);
    return;
  }
  for (const c of confirmations) {
    try {
      const r = await ctx.amazon.confirmShipment(c.orderId, c.marketplaceId, c.package);
      report.confirmed.push({ orderId: c.orderId, packageId: c.package.packageReferenceId, trackingNumber: c.package.trackingNumber, outcome: r.outcome });
    } catch (e) {
      if (!(e instanceof AmazonApiError)) throw e;
      report.problems.push(`confirm ${c.orderId} package ${c.package.packageReferenceId}: ${e.message}`);
    }
  }
}

async function publish(ctx: RoundTripContext, snapshot: InventorySnapshot, report: RoundTripReport): Promise<void> {
  const q = mfnQuantities(snapshot, skuIndex(ctx.mappings, ctx.sellerId), ctx.mappings.partners.get(ctx.partnerId)!);
  for (const x of q) {
    try {
      await ctx.amazon.setMfnQuantity(x.sellerSku, x.quantity);
      report.quantities.push({ sellerSku: x.sellerSku, quantity: x.quantity, outcome: 'set' });
    } catch (e) {
      if (!(e instanceof AmazonApiError)) throw e;
      report.quantities.push({ sellerSku: x.sellerSku, quantity: x.quantity, outcome: `not set (${e.code})` });
    }
  }
}
