/**
 * The acknowledgement checks, on the gateway's schedule:
 *
 *   schedule -> sent groups / interchanges awaiting an answer past their due time -> overdue + ack-overdue exception
 *   schedule -> the partner's directory (what we delivered, is it still there?)  -> not-picked-up exception | picked-up
 *   `messages resend ID` / exceptions retry -> the same orders again, under new control numbers
 *
 * Answering what we receive (our 997 / 999) and settling what the partner answers are in
 * src/tracking/acknowledgements.ts, shared with the CLI; the inbound flow calls them per file.
 */
import { TransportError } from '../transport/transport.ts';
import { ordersUnder, overdueKey, sellerOf } from '../tracking/acknowledgements.ts';
import type { MessageRow } from '../store/store.ts';
import type { OrderRecord, Work } from '../store/work.ts';
import { nowIso, type ExceptionRetries, type FlowRunSummary, type GatewayContext } from './context.ts';
import { sendOrdersAgain } from './orders-to-warehouse.ts';

/** A message `messages resend` cannot send again, and why. */
export class ResendRefusedError extends Error {
  constructor(
    message: string,
    readonly messageId: number | null,
  ) {
    super(message);
    this.name = 'ResendRefusedError';
  }
}

const MINUTE = 60_000;

const childrenOf = (ctx: GatewayContext, id: number, kind: MessageRow['kind']) => ctx.store.trace(id)?.children.filter((c) => c.kind === kind) ?? [];

function fileRowOf(ctx: GatewayContext, id: number): MessageRow | null {
  const t = ctx.store.trace(id);
  return t ? ([t.message, ...t.parents].find((m) => m.kind === 'file') ?? null) : null;
}

/**
 * Sent groups and interchanges still awaiting their acknowledgement after the partner's
 * acks.withinMinutes (their due time, set when the file was delivered): each becomes overdue,
 * with an ack-overdue exception naming the file, the orders it carried and the due time. A late
 * acknowledgement still settles it and resolves the exception.
 */
export async function checkOverdue(ctx: GatewayContext): Promise<FlowRunSummary> {
  const now = nowIso(ctx);
  const counts = { overdue: 0, exceptions: 0 };
  const due = await ctx.store.work.messages.ackOverdue(now);
  for (const d of due) {
    await ctx.store.transaction(async (w) => {
      // Answered since it was listed (another instance, a 997 just taken): nothing to do.
      const axes = await w.messages.axes(d.id);
      if (axes?.acknowledgement !== 'awaiting') return;
      const row = ctx.store.get(d.id);
      const file = fileRowOf(ctx, d.id);
      if (!row || !file) return;
      const orders = await ordersUnder(ctx.store, w, row);
      const fileName = file.fileName ?? `file ${file.id}`;
      await w.messages.setAcknowledgement(d.id, 'overdue', now, `no acknowledgement by ${d.dueAt}`);
      counts.overdue++;
      // A file awaits with its groups: their exceptions say it, one per group the partner did not answer.
      if (row.kind === 'file' && childrenOf(ctx, row.id, 'interchange').length > 0) return;
      await w.exceptions.raise({
        kind: 'ack-overdue',
        seller: sellerOf(orders) ?? undefined,
        partner: d.partner ?? undefined,
        key: overdueKey(fileName, d.kind, d.control),
        message: `${d.partner ?? 'the partner'} has not acknowledged ${d.kind} ${d.control ?? ''} of ${fileName} (due ${d.dueAt})`,
        context: {
          file: { name: fileName, messageId: file.id },
          where: `${d.kind} ${d.control ?? ''}`,
          details: { messageId: d.id, dueAt: d.dueAt, orders: orders.map((o) => o.orderId) },
        },
        now,
      });
      counts.exceptions++;
      ctx.log.warn({ event: 'ack.overdue', partner: d.partner, file: fileName, kind: d.kind, control: d.control, dueAt: d.dueAt, orders: orders.length }, 'an acknowledgement is overdue');
    });
  }
  return { flow: 'acknowledgements.overdue', counts, failed: 0 };
}

/** A file we sent has been answered (some group or the file acknowledged): the partner read it, wherever it lies now. */
async function answered(ctx: GatewayContext, w: Work, fileId: number): Promise<boolean> {
  const verdict = (s: string | null | undefined) => s === 'accepted' || s === 'accepted-with-errors' || s === 'partially-accepted' || s === 'rejected';
  if (verdict((await w.messages.axes(fileId))?.acknowledgement)) return true;
  for (const ic of childrenOf(ctx, fileId, 'interchange')) {
    if (verdict((await w.messages.axes(ic.id))?.acknowledgement)) return true;
    for (const g of childrenOf(ctx, ic.id, 'group')) if (verdict((await w.messages.axes(g.id))?.acknowledgement)) return true;
  }
  return false;
}

/**
 * Files we delivered to a partner that are still on its server after the window
 * (settings.notPickedUpMinutes, else the partner's acks.withinMinutes, else 60) and were not
 * answered: the warehouse's import stopped. Each is not-picked-up with an exception; once it is
 * gone (or answered) it is picked-up and the exception resolved. X12 and flat files alike.
 */
export async function checkNotPickedUp(ctx: GatewayContext, partner: string): Promise<FlowRunSummary> {
  const counts = { checked: 0, pickedUp: 0, notPickedUp: 0 };
  const summary = (failed: number): FlowRunSummary => ({ flow: 'acknowledgements.not-picked-up', scope: partner, counts, failed });
  const p = ctx.mappings.partners.get(partner);
  if (!p) throw new Error(`checking files not picked up: no partner ${partner} in the mappings`);
  const windowMs = (ctx.settings.notPickedUpMinutes ?? p.acks?.withinMinutes ?? 60) * MINUTE;
  const delivered = await ctx.store.work.messages.deliveredUnconfirmed(partner);
  // Files already found not picked up are looked at again through their open exceptions, so
  // that one the partner takes late is seen picked up.
  const listed = new Set(delivered.map((f) => f.id));
  for (const x of await ctx.store.work.exceptions.list({ kind: 'not-picked-up', partner, states: ['open', 'acknowledged'] })) {
    const id = x.context.file?.messageId;
    if (id === undefined || listed.has(id)) continue;
    const axes = await ctx.store.work.messages.axes(id);
    const row = ctx.store.get(id);
    if (!axes || !row?.fileName || axes.delivery !== 'not-picked-up' || !axes.deliveredAt) continue;
    listed.add(id);
    delivered.push({ id, fileName: row.fileName, deliveredAt: axes.deliveredAt, remoteDir: typeof x.context.where === 'string' ? x.context.where : null });
  }
  if (delivered.length === 0) return summary(0);
  const now = nowIso(ctx);
  const listings = new Map<string, Set<string>>();
  let failed = 0;
  for (const f of delivered) {
    const dir = f.remoteDir ?? p.transport.directories.outbound;
    let names = listings.get(dir);
    if (!names) {
      try {
        names = new Set((await (await ctx.transport(partner)).list(dir)).map((r) => r.name));
      } catch (e) {
        if (!(e instanceof TransportError)) throw e;
        // Not knowing is not "picked up": the files keep their state and the next run looks again.
        ctx.log.warn({ event: 'ack.not-picked-up-check-failed', partner, dir, kind: e.kind, error: e.message }, 'could not list the partner directory');
        failed++;
        continue;
      }
      listings.set(dir, names);
    }
    counts.checked++;
    await ctx.store.transaction(async (w) => {
      const axes = await w.messages.axes(f.id);
      const orders = await w.orders.byFileMessage(f.id);
      const key = `${f.fileName}`;
      const seller = sellerOf(orders);
      if (!names.has(f.fileName) || (await answered(ctx, w, f.id))) {
        await w.messages.setDelivery(f.id, 'picked-up', now, names.has(f.fileName) ? 'answered by the partner' : `gone from ${dir}`);
        await w.exceptions.resolveCause('not-picked-up', key, seller, partner, 'the partner took the file', now);
        counts.pickedUp++;
        ctx.log.info({ event: 'delivery.picked-up', partner, file: f.fileName }, 'the partner took a delivered file');
        return;
      }
      if (axes?.delivery === 'not-picked-up') return;
      if (Date.parse(now) - Date.parse(f.deliveredAt) < windowMs) return;
      await w.messages.setDelivery(f.id, 'not-picked-up', now, `still in ${dir} ${Math.round((Date.parse(now) - Date.parse(f.deliveredAt)) / MINUTE)} min after delivery`);
      await raiseNotPickedUp(w, { partner, seller, key, fileName: f.fileName, fileId: f.id, dir, deliveredAt: f.deliveredAt, windowMinutes: windowMs / MINUTE, orders, now });
      counts.notPickedUp++;
      ctx.log.warn({ event: 'delivery.not-picked-up', partner, file: f.fileName, deliveredAt: f.deliveredAt, orders: orders.length }, 'a delivered file was not picked up');
    });
  }
  return summary(failed);
}

async function raiseNotPickedUp(
  w: Work,
  x: { partner: string; seller: string | null; key: string; fileName: string; fileId: number; dir: string; deliveredAt: string; windowMinutes: number; orders: OrderRecord[]; now: string },
): Promise<void> {
  await w.exceptions.raise({
    kind: 'not-picked-up',
    seller: x.seller ?? undefined,
    partner: x.partner,
    key: x.key,
    message: `${x.fileName} is still in ${x.partner}'s ${x.dir} ${x.windowMinutes} min after it was delivered (${x.deliveredAt}): is the warehouse's import running?`,
    context: { file: { name: x.fileName, messageId: x.fileId }, where: x.dir, details: { deliveredAt: x.deliveredAt, windowMinutes: x.windowMinutes, orders: x.orders.map((o) => o.orderId) } },
    now: x.now,
  });
}

/**
 * `dockgate messages resend ID`: the same documents again under new control numbers. A
 * ship-order file we sent (or any group or set in it) goes again through the orders flow; other
 * messages cannot be resent, and the error says why.
 */
export async function resendMessage(ctx: GatewayContext, messageId: number): Promise<string> {
  const row = ctx.store.get(messageId);
  if (!row) throw new ResendRefusedError(`no message ${messageId}`, messageId);
  const file = fileRowOf(ctx, messageId);
  if (!file) throw new ResendRefusedError(`message ${messageId} is not in a file`, messageId);
  if (file.direction === 'in') {
    throw new ResendRefusedError(`message ${messageId} is in ${file.fileName}, a file ${file.partner ?? 'a partner'} sent us: only what we sent can be resent (\`dockgate messages reprocess\` reads a received file again)`, messageId);
  }
  const orders = await ctx.store.work.orders.byFileMessage(file.id);
  if (orders.length === 0) {
    throw new ResendRefusedError(
      `${file.fileName} (message ${file.id}) carries no orders: only ship-order files are resent. Our acknowledgements are sent again when the partner sends its file again; a file whose delivery failed is retried from its outbox job.`,
      messageId,
    );
  }
  const line = await sendOrdersAgain(ctx, file.id);
  ctx.log.info({ event: 'message.resent', partner: file.partner, file: file.fileName, messageId: file.id, orders: orders.length }, 'a sent file was resent');
  return line;
}

/** ack-overdue / ack-rejected: send the file again (new control numbers), then the exception is resolved. */
async function resendFor(ctx: GatewayContext, x: { id: number; context: { file?: { messageId?: number } } }): Promise<string> {
  const id = x.context.file?.messageId;
  if (id === undefined) throw new ResendRefusedError(`exception ${x.id} names no file to resend`, null);
  const line = await resendMessage(ctx, id);
  await ctx.store.work.exceptions.resolve(x.id, `resent: ${line}`, nowIso(ctx));
  return line;
}

export const retries: ExceptionRetries = {
  'ack-overdue': resendFor,
  'ack-rejected': resendFor,
};
