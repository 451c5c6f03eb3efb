/**
 * The outbox's way out to partners, as a route:
 *   from   a state change that produced a file (a ship order, our 997): `queueOutboundFile`, inside
 *          the caller's transaction, fixes the file's name and bytes (blob store), records it with
 *          its envelope tree and enqueues one `deliver-file` job keyed `deliver:<messageId>`
 *   steps  the job's handler puts the bytes under the fixed name in the partner's directory
 *   to     the partner's server; the message marked delivered, its acknowledgement awaited (or not
 *          expected) and the orders it carried delivered, in one transaction
 *
 * Idempotent at the edge: a retry after a crash puts the same name and bytes again; a final name
 * already holding the same bytes is our earlier put (its answer was lost) and counts as delivered.
 * Retrying is the runner's: the handler throws (TransportError for the network: retried;
 * PermanentError for a refusal: the job goes dead with a delivery-failed exception).
 */
import type { Readable } from 'node:stream';
import type { MessageNode } from '../store/store.ts';
import type { JobRecord, Work } from '../store/work.ts';
import { TransportError } from '../transport/transport.ts';
import { nowIso, PermanentError, type ExceptionRetries, type ExceptionRetry, type GatewayContext, type JobHandlers } from './context.ts';

export interface OutboundFile {
  partner: string;
  /** The mapping document it holds (ship-order, acknowledgement, ...). */
  document: string;
  fileName: string;
  bytes: Buffer;
  containsPii: boolean;
  /** The envelope tree (X12: sentNodes of the file read back), so that acknowledgements find its groups and sets. */
  children: MessageNode[];
  /** X12 to a partner whose acks are required: its 997 completes the file, not its delivery. */
  awaitsAcknowledgement: boolean;
  /**
   * Outbound files that must reach the partner first (the new order before its change or cancel):
   * while one of them is still pending, this delivery waits (is retried later).
   */
  after?: number[];
}

/** The deliver-file job's payload. */
export interface DeliverFilePayload {
  messageId: number;
  partner: string;
  document: string;
  fileName: string;
  sha256: string;
  size: number;
  awaitsAcknowledgement: boolean;
  after?: number[];
}

/** The status of an outbound file's message row while its delivery job waits. */
export const READY_STATUS = 'ready';

/**
 * Fix an outbound file: bytes into the blob store, the file message (validation valid, delivery
 * pending) with its envelope tree, and its deliver-file job — all in the caller's transaction `w`,
 * with the state change that produced the file.
 */
export async function queueOutboundFile(w: Work, ctx: GatewayContext, f: OutboundFile): Promise<{ messageId: number; jobId: number }> {
  const now = nowIso(ctx);
  // Content-addressed: a rolled-back transaction leaves at most an unreferenced blob, never a row without bytes.
  const blob = await ctx.store.blobs.putBuffer(f.bytes);
  const messageId = await w.messages.recordFile({
    direction: 'out',
    partner: f.partner,
    fileName: f.fileName,
    sha256: blob.sha256,
    size: blob.size,
    status: READY_STATUS,
    statusReason: `${f.document} file queued for delivery`,
    containsPii: f.containsPii,
    children: f.children,
  });
  await w.messages.setValidation(messageId, 'valid', now);
  await w.messages.setDelivery(messageId, 'pending', now);
  const payload: DeliverFilePayload = {
    messageId,
    partner: f.partner,
    document: f.document,
    fileName: f.fileName,
    sha256: blob.sha256,
    size: blob.size,
    awaitsAcknowledgement: f.awaitsAcknowledgement,
    ...(f.after?.length && { after: f.after }),
  };
  const { job } = await w.jobs.enqueue({ kind: 'deliver-file', key: `deliver:${messageId}`, partner: f.partner, payload: payload as unknown as Record<string, unknown> }, now);
  return { messageId, jobId: job.id };
}

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as string));
  return Buffer.concat(chunks);
}

function payloadOf(job: JobRecord): DeliverFilePayload {
  const p = job.payload as Partial<DeliverFilePayload>;
  if (typeof p.messageId !== 'number' || typeof p.partner !== 'string' || typeof p.fileName !== 'string' || typeof p.sha256 !== 'string') {
    throw new PermanentError(`deliver-file job ${job.id}: its payload names no message, partner, file name and bytes`, { kind: 'delivery-failed', key: job.key, ...(job.partner && { partner: job.partner }) });
  }
  return p as DeliverFilePayload;
}

/** Put one queued file on the partner's server under its fixed name. */
async function deliverFile(job: JobRecord, ctx: GatewayContext): Promise<void> {
  const p = payloadOf(job);
  const fail = async (why: string): Promise<never> => {
    // The message says it too: `messages show` needs no job table to explain an undelivered file.
    await ctx.store.transaction(async (w) => {
      await w.messages.setDelivery(p.messageId, 'failed', nowIso(ctx), why);
      await w.messages.setStatus(p.messageId, 'delivery-failed', why, false, nowIso(ctx));
    });
    throw new PermanentError(`${p.fileName} to ${p.partner}: ${why}`, { kind: 'delivery-failed', key: p.fileName, partner: p.partner });
  };
  const axes = await ctx.store.work.messages.axes(p.messageId);
  if (!axes) throw new PermanentError(`deliver-file job ${job.id}: no message ${p.messageId}`, { kind: 'delivery-failed', key: p.fileName, partner: p.partner });
  // Delivered by an earlier attempt whose job was not marked done (a crash in between): nothing to do.
  if (axes.delivery === 'delivered' || axes.delivery === 'picked-up') return;
  for (const earlier of p.after ?? []) {
    const a = await ctx.store.work.messages.axes(earlier);
    // Retried (not failed): the file it must follow is on its way; one that failed for good does not hold it.
    if (a?.delivery === 'pending') throw new Error(`${p.fileName} waits for file message ${earlier} to be delivered first`);
  }
  const partner = ctx.mappings.partners.get(p.partner);
  if (!partner) return fail(`partner ${p.partner} is no longer in the mappings`);
  const dir = partner.transport.directories.outbound;
  const bytes = await ctx.store.blobs.read(p.sha256);
  const transport = await ctx.transport(p.partner);
  try {
    await transport.put(dir, p.fileName, bytes);
  } catch (e) {
    if (!(e instanceof TransportError)) throw e;
    if (e.retryable) throw e;
    if (e.kind !== 'exists') return fail(`${e.kind}: ${e.message}`);
    // An earlier put whose answer was lost: the final name with our bytes is our delivery.
    const there = await collect(await transport.read(dir, p.fileName)).catch((r: unknown) => {
      if (r instanceof TransportError && r.retryable) throw r;
      return null;
    });
    if (!there || !there.equals(bytes)) return fail(`${dir}/${p.fileName} is already on the server with other bytes: the file was not overwritten`);
    ctx.log.info({ event: 'delivery-already-there', partner: p.partner, messageId: p.messageId, file: p.fileName }, 'the file was already on the server with the same bytes');
  }
  const now = nowIso(ctx);
  const x12 = /^\s*ISA/.test(bytes.subarray(0, 16).toString('latin1'));
  const awaiting = p.awaitsAcknowledgement && x12 && partner.acks?.required === true;
  const due = awaiting ? new Date(ctx.clock.now().getTime() + partner.acks!.withinMinutes * 60_000).toISOString() : undefined;
  const where = `${transport.describe} ${dir}`;
  const delivered = await ctx.store.transaction(async (w) => {
    await w.messages.setDelivery(p.messageId, 'delivered', now, `${where}/${p.fileName}`, dir);
    await setAcknowledgementTree(w, p.messageId, awaiting, now, due);
    await w.messages.setStatus(p.messageId, 'delivered', `${where}/${p.fileName}`, !awaiting, now);
    // The orders whose latest set is in this file reached the warehouse (a later change or cancel in another file keeps its own state).
    let n = 0;
    for (const o of await w.orders.byFileMessage(p.messageId)) {
      if (o.state !== 'queued') continue;
      const revisions = await w.orders.revisions(o.seller, o.orderId);
      if (revisions[revisions.length - 1]?.fileMessageId !== p.messageId) continue;
      await w.orders.put({ ...o, state: 'delivered', updatedAt: now });
      n++;
    }
    return n;
  });
  ctx.log.info({ event: 'file-delivered', partner: p.partner, messageId: p.messageId, file: p.fileName, dir, orders: delivered, acknowledgement: awaiting ? 'awaiting' : 'not-expected', ...(due && { ackDueAt: due }) }, 'file delivered');
}

/**
 * The acknowledgement axis of a delivered file and of its functional groups (what a 997 / 999
 * answers): awaiting with its due time, or not expected.
 */
async function setAcknowledgementTree(w: Work, fileId: number, awaiting: boolean, now: string, due: string | undefined): Promise<void> {
  const state = awaiting ? 'awaiting' : 'not-expected';
  await w.messages.setAcknowledgement(fileId, state, now, undefined, due);
  if (!awaiting) return;
  for (const ic of await w.messages.children(fileId)) {
    if (ic.kind !== 'interchange') continue;
    for (const g of await w.messages.children(ic.id)) if (g.kind === 'group') await w.messages.setAcknowledgement(g.id, state, now, undefined, due);
  }
}

export const handlers: JobHandlers = { 'deliver-file': deliverFile };

/**
 * `exceptions retry` of a delivery-failed: once its cause is fixed (the clashing file moved away
 * on the server, the partner back in the mappings), each dead delivery it names is taken again:
 * the same name and bytes, fixed before the first attempt, so a partner never gets a second
 * version of a file. The message's delivery goes back to pending; the exception is resolved (a
 * delivery that fails again raises it again).
 */
const redeliver: ExceptionRetry = async (ctx, x) => {
  const now = nowIso(ctx);
  const revived: string[] = [];
  for (const key of new Set([x.key, ...x.refs])) {
    const job = await ctx.store.work.jobs.byKey(key);
    if (job?.kind !== 'deliver-file' || job.state !== 'dead') continue;
    const p = job.payload as Partial<DeliverFilePayload>;
    await ctx.store.transaction(async (w) => {
      if (!(await w.jobs.revive(job.id, now))) return;
      if (typeof p.messageId === 'number' && (await w.messages.axes(p.messageId))) {
        await w.messages.setDelivery(p.messageId, 'pending', now, 'delivery taken again (exceptions retry)');
        await w.messages.setStatus(p.messageId, READY_STATUS, 'delivery taken again (exceptions retry)', false, now);
      }
      revived.push(p.fileName ?? key);
    });
  }
  if (revived.length === 0) return `exception ${x.id}: no dead delivery left to take again (resolve it if the file went another way)`;
  await ctx.store.work.exceptions.resolve(x.id, `${revived.length} delivery(ies) taken again (exceptions retry)`, now);
  ctx.log.info({ event: 'deliveries-revived', exception: x.id, files: revived }, `${revived.length} deliveries taken again`);
  return `${revived.join(', ')}: taken again, the outbox delivers ${revived.length === 1 ? 'it' : 'them'} next under the same name`;
};

export const retries: ExceptionRetries = { 'delivery-failed': redeliver };
