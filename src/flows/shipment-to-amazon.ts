/**
 * Shipment advice -> Amazon.
 *
 *   from:  a shipment advice the inbound step read (a 945 set, a shipments CSV document) — src/flows/inbound.ts
 *   ->     held by a mapping (unknown carrier, SKU, seller)? an exception naming the value and the file to fix;
 *          the retry reprocesses the files it lists
 *   ->     each package recorded with OUR stable id (the warehouse's LX-01 kept beside it); a package
 *          already recorded (same order and tracking number, a resent advice) adds nothing
 *   ->     shipped quantities summed per order line across every advice (partial shipments):
 *          short lines stay open, over-shipment is an exception
 *   ->     one 'confirm-package' job per new package, in the same transaction
 *   to:    Amazon confirmShipment per package (handlers['confirm-package']), packageReferenceId = our id;
 *          the tracking lag (warehouse ship time -> Amazon accepted) recorded per package
 */
import { AmazonApiError } from '../amazon/errors.ts';
import type { ConfirmShipmentPackage } from '../amazon/types.ts';
import type { ExceptionCode, MappingException } from '../mapping/resolve.ts';
import type { InboundDocument } from '../mapping/translate.ts';
import type { ShipmentAdvice } from '../model/index.ts';
import type { ExceptionKind, OrderRecord, PackageRecord, Work } from '../store/work.ts';
import { nowIso, PermanentError, type DocumentRoute, type ExceptionRetries, type GatewayContext, type JobHandler, type JobHandlers, type ReceivedFile } from './context.ts';
import { fbaShipmentFor, flagRejectedAdvice, takeAdvice } from './fba-shipped.ts';
import { fileRef, reprocessRefs } from './inbound.ts';

const FLOW = 'shipment-to-amazon';

/** The exception a mapping gap of each kind is. */
const KIND_OF: Record<ExceptionCode, ExceptionKind> = {
  'unknown-carrier': 'unmapped-carrier',
  'unknown-sku': 'unmapped-sku',
  'unknown-item': 'unmapped-sku',
  'kit-incomplete': 'unmapped-sku',
  'unit-mismatch': 'unmapped-sku',
  'unknown-seller': 'mapping-problem',
  'unknown-stock-state': 'mapping-problem',
  'unsendable-text': 'mapping-problem',
};

/** The seller of an advice the translation could not place: the one of the partner's sellers we sent the order for. */
async function sellerOfOrder(ctx: GatewayContext, partner: string, orderId: string | undefined): Promise<string | undefined> {
  if (!orderId) return undefined;
  for (const s of ctx.mappings.partners.get(partner)?.sellers ?? []) if (await ctx.store.work.orders.get(s, orderId)) return s;
  return undefined;
}

/** A held advice: one exception per mapping gap (one per value, listing the files it holds). */
async function hold(ctx: GatewayContext, file: ReceivedFile, doc: InboundDocument): Promise<{ state: 'held'; reason: string }> {
  const read = (doc.read ?? {}) as Record<string, unknown>;
  const orderId = typeof read.orderId === 'string' ? read.orderId : undefined;
  const seller = (typeof read.seller === 'string' ? read.seller : undefined) ?? (await sellerOfOrder(ctx, file.partner, orderId));
  const now = nowIso(ctx);
  const raise = (x: MappingException) =>
    ctx.store.work.exceptions.raise({
      kind: KIND_OF[x.code] ?? 'mapping-problem',
      severity: 'error',
      ...(seller && { seller }),
      partner: file.partner,
      key: x.value || x.code,
      message: `${x.message} (shipment advice for order ${orderId ?? '?'} in ${file.name} is held)`,
      context: {
        file: { name: file.name, messageId: file.messageId },
        where: doc.where,
        ...(x.file && { mappingFile: x.file }),
        ...(x.field && { mappingKey: x.field }),
        excerpt: x.value,
        details: { code: x.code, ...(orderId && { orderId }) },
      },
      ref: fileRef(file.messageId),
      now,
    });
  for (const x of doc.exceptions) await raise(x);
  ctx.log.warn({ flow: FLOW, event: 'advice.held', partner: file.partner, seller, file: file.name, where: doc.where, orderId, codes: doc.exceptions.map((x) => x.code) }, 'a shipment advice is held by a mapping gap');
  return { state: 'held', reason: doc.exceptions.map((x) => x.message).join('; ') || 'held by the translation' };
}

/** Which order line a shipped item is: by Amazon order item id, else by SKU (the first still open). */
function lineFor(order: OrderRecord, lines: OrderRecord['lines'], item: { orderItemId: string; sellerSku: string }): OrderRecord['lines'][number] | undefined {
  return (
    (item.orderItemId ? lines.find((l) => l.orderItemId === item.orderItemId) : undefined) ??
    lines.find((l) => l.sellerSku === item.sellerSku && l.shipped < l.ordered) ??
    lines.find((l) => l.sellerSku === item.sellerSku)
  );
}

interface Recorded {
  created: PackageRecord[];
  repeated: PackageRecord[];
  orderKnown: boolean;
  orderState?: OrderRecord['state'];
}

/** The packages of an ok advice, the order lines summed, the confirmations queued: one transaction. */
async function record(ctx: GatewayContext, w: Work, file: ReceivedFile, advice: ShipmentAdvice, where: string, now: string): Promise<Recorded> {
  const order = await w.orders.get(advice.seller, advice.orderId);
  const out: Recorded = { created: [], repeated: [], orderKnown: !!order };
  const common = { seller: advice.seller, partner: file.partner, now, context: { file: { name: file.name, messageId: file.messageId }, where } };
  for (const p of advice.packages) {
    const items = p.lines.map((l) => ({
      // An advice without the order item id (a warehouse that does not echo it) takes it from the order we sent.
      orderItemId: l.orderItemId ?? (order && lineFor(order, order.lines, { orderItemId: '', sellerSku: l.sellerSku })?.orderItemId) ?? '',
      sellerSku: l.sellerSku,
      quantity: l.quantity,
    }));
    const missing = items.filter((i) => !i.orderItemId).map((i) => i.sellerSku);
    const r = await w.packages.add(
      {
        seller: advice.seller,
        orderId: advice.orderId,
        marketplaceId: order?.marketplaceId ?? advice.marketplaceId,
        partner: file.partner,
        fileMessageId: file.messageId,
        warehousePackageId: p.packageId ?? null,
        trackingNumber: p.trackingNumber,
        carrierCode: p.amazonCarrier?.carrierCode ?? null,
        carrierName: p.amazonCarrier?.carrierName ?? null,
        shippingMethod: p.amazonCarrier?.shippingMethod ?? null,
        items,
        shippedAt: advice.shippedAt,
        state: missing.length || !p.amazonCarrier ? 'held' : 'pending',
      },
      now,
    );
    if (!r.created) {
      out.repeated.push(r.record);
      continue;
    }
    out.created.push(r.record);
    if (r.record.state === 'pending') {
      await w.jobs.enqueue({ kind: 'confirm-package', key: `confirm:${r.record.id}`, seller: advice.seller, partner: file.partner, payload: { packageId: r.record.id } }, now);
    } else {
      await w.exceptions.raise({
        ...common,
        kind: 'mapping-problem',
        severity: 'error',
        key: `${advice.orderId} package ${r.record.id}`,
        message: `order ${advice.orderId}, package ${r.record.id} (tracking ${p.trackingNumber}): ${missing.length ? `${missing.join(', ')} without an Amazon order item id` : 'no Amazon carrier code'}: Amazon confirms per order item and carrier; it is not confirmed`,
        ref: advice.orderId,
      });
    }
  }
  // Shorts the warehouse gave a reason for: it says the rest will not come; someone decides.
  for (const l of advice.lines) {
    if (l.shipped < l.ordered && l.shortReason) {
      await w.exceptions.raise({
        ...common,
        kind: 'short-ship',
        severity: 'warning',
        key: advice.orderId,
        message: `order ${advice.orderId}: ${l.sellerSku} shipped ${l.shipped} of ${l.ordered} (${l.shortReason}); the line stays open`,
        context: { ...common.context, details: { sellerSku: l.sellerSku, ordered: l.ordered, shipped: l.shipped, reason: l.shortReason } },
        ref: advice.orderId,
      });
    }
  }
  if (!order || out.created.length === 0) return out;
  if (order.state === 'cancelled' || order.state === 'cancel-sent') {
    await w.exceptions.raise({
      ...common,
      kind: 'order-cancel-after-ship',
      severity: 'error',
      key: advice.orderId,
      message: `order ${advice.orderId} was cancelled on Amazon (${order.state}) and the warehouse shipped it anyway (${file.name})`,
      ref: advice.orderId,
    });
  }
  const lines = order.lines.map((l) => ({ ...l }));
  const unordered: string[] = [];
  for (const p of out.created) {
    for (const i of p.items) {
      const line = lineFor(order, lines, i);
      if (line) line.shipped += i.quantity;
      else unordered.push(`${i.quantity} x ${i.sellerSku}`);
    }
  }
  const over = lines.filter((l) => l.shipped > l.ordered);
  if (over.length || unordered.length) {
    await w.exceptions.raise({
      ...common,
      kind: 'over-ship',
      severity: 'error',
      key: advice.orderId,
      message: `order ${advice.orderId}: shipped more than ordered: ${[...over.map((l) => `${l.sellerSku} ${l.shipped} of ${l.ordered}`), ...unordered.map((u) => `${u} not on the order`)].join(', ')}`,
      context: { ...common.context, details: { lines: over.map((l) => ({ sellerSku: l.sellerSku, ordered: l.ordered, shipped: l.shipped })), unordered } },
      ref: advice.orderId,
    });
  }
  const all = lines.every((l) => l.shipped >= l.ordered);
  const state: OrderRecord['state'] = all ? 'shipped' : lines.some((l) => l.shipped > 0) ? 'partially-shipped' : order.state;
  out.orderState = state;
  await w.orders.put({ ...order, lines, state, updatedAt: now });
  return out;
}

export const shipmentAdviceRoute: DocumentRoute = {
  document: 'shipment-advice',
  async handle(ctx, file, doc) {
    if (doc.status === 'held') return hold(ctx, file, doc);
    if (doc.status !== 'ok' || !doc.document || doc.document.kind !== 'ShipmentAdvice') {
      return { state: 'rejected', reason: doc.problems.map((p) => `${p.where}: ${p.message}`).join('; ') || 'not a shipment advice' };
    }
    const advice = doc.document as ShipmentAdvice;
    // An FBA replenishment shipped (its order id is the Amazon Shipment ID): its cartons are checked
    // against Amazon's boxes and the tracking goes to the inbound shipment, not to confirmShipment.
    const fba = await fbaShipmentFor(ctx, advice.seller, advice.orderId);
    if (fba) return takeAdvice(ctx, file, doc, fba);
    const now = nowIso(ctx);
    const r = await ctx.store.transaction((w) => record(ctx, w, file, advice, doc.where, now));
    const fields = { flow: FLOW, partner: file.partner, seller: advice.seller, orderId: advice.orderId, file: file.name, where: doc.where };
    if (!r.orderKnown) ctx.log.info({ ...fields, event: 'advice.order-not-sent-by-us' }, 'a shipment advice for an order this gateway did not send: its packages are confirmed all the same');
    ctx.log.info(
      { ...fields, event: 'advice.recorded', packages: r.created.map((p) => ({ id: p.id, warehouse: p.warehousePackageId, state: p.state })), repeated: r.repeated.map((p) => p.id), orderState: r.orderState },
      `${r.created.length} new package(s), ${r.repeated.length} already known`,
    );
    return {
      state: 'processed',
      reason: `${r.created.length} new package(s) ${r.created.map((p) => p.id).join(', ')}${r.repeated.length ? `; ${r.repeated.length} already recorded (${r.repeated.map((p) => p.id).join(', ')})` : ''}`,
    };
  },
  // A rejected advice for an FBA shipment (a bad SSCC check digit) flags the shipment too.
  rejected: flagRejectedAdvice,
};

// ------------------------------------------------------------------ the outbox: confirm at Amazon

/** What Amazon is sent for a package: our id as packageReferenceId, the items per Amazon order item. */
function confirmationOf(p: PackageRecord): ConfirmShipmentPackage {
  const items = new Map<string, number>();
  for (const i of p.items) items.set(i.orderItemId, (items.get(i.orderItemId) ?? 0) + i.quantity);
  return {
    packageReferenceId: String(p.id),
    carrierCode: p.carrierCode!,
    ...(p.carrierName && { carrierName: p.carrierName }),
    ...(p.shippingMethod && { shippingMethod: p.shippingMethod }),
    trackingNumber: p.trackingNumber,
    shipDate: new Date(p.shippedAt).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    orderItems: [...items].map(([orderItemId, quantity]) => ({ orderItemId, quantity })),
  };
}

const confirmPackage: JobHandler = async (job, ctx) => {
  const id = Number(job.payload.packageId);
  const p = await ctx.store.work.packages.get(id);
  if (!p) throw new PermanentError(`confirm-package: there is no package ${String(job.payload.packageId)}`);
  if (p.state === 'confirmed') return;
  const fields = { flow: FLOW, event: 'package.confirm', seller: p.seller, partner: p.partner, orderId: p.orderId, packageId: p.id, job: job.id };
  if (!p.carrierCode || p.items.some((i) => !i.orderItemId)) {
    throw new PermanentError(`package ${p.id} of order ${p.orderId} cannot be confirmed: ${!p.carrierCode ? 'no Amazon carrier code' : 'an item without its Amazon order item id'}`, { kind: 'mapping-problem', key: `${p.orderId} package ${p.id}`, seller: p.seller, partner: p.partner });
  }
  let outcome;
  try {
    // The adapter reads the order back when Amazon says the package is already there (an
    // earlier attempt whose answer was lost): our tracking number there counts as confirmed.
    outcome = await ctx.amazon(p.seller).confirmShipment(p.orderId, p.marketplaceId, confirmationOf(p));
  } catch (e) {
    // A refusal no retry changes: the request itself is wrong (a login failure is not: it is fixed outside).
    if (e instanceof AmazonApiError && !e.retryable && e.kind !== 'auth') {
      await ctx.store.work.packages.setState(p.id, 'refused', nowIso(ctx));
      ctx.log.error({ ...fields, event: 'package.refused', code: e.code, status: e.status }, `Amazon refused package ${p.id}: ${e.code}`);
      throw new PermanentError(`Amazon refused package ${p.id} (tracking ${p.trackingNumber}) of order ${p.orderId}: ${e.code}: ${e.message}`, { kind: 'amazon-refused', key: p.orderId, seller: p.seller, partner: p.partner });
    }
    throw e;
  }
  const now = nowIso(ctx);
  const orderState = await ctx.store.transaction(async (w) => {
    await w.packages.setState(p.id, 'confirmed', now, now);
    const order = await w.orders.get(p.seller, p.orderId);
    if (!order) return null;
    const packages = await w.packages.forOrder(p.seller, p.orderId);
    const everyUnit = order.lines.every((l) => l.shipped >= l.ordered);
    if (everyUnit && packages.every((x) => x.id === p.id || x.state === 'confirmed') && order.state !== 'confirmed') {
      await w.orders.put({ ...order, state: 'confirmed', updatedAt: now });
      return 'confirmed';
    }
    return order.state;
  });
  const lagSeconds = Math.round((Date.parse(now) - Date.parse(p.shippedAt)) / 1000);
  ctx.log.info({ ...fields, event: 'package.confirmed', outcome: outcome.outcome, lagSeconds, orderState }, `package ${p.id} confirmed at Amazon (${outcome.outcome})`);
};

export const handlers: JobHandlers = { 'confirm-package': confirmPackage };

/** An unmapped carrier fixed in the carrier table: the files it held are processed again. */
export const retries: ExceptionRetries = {
  'unmapped-carrier': reprocessRefs,
};
