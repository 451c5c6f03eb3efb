/**
 * Receive-and-track, shared by the CLI (`x12 validate --record`, `x12 ack`) and the flows:
 * reading a received X12 file once (validated and stored, its envelope tree recorded, the
 * acknowledgements in it collected), settling what a received 997 / 999 / TA1 says about the
 * groups and sets we sent, and building the 997 / 999 / TA1 we answer with.
 *
 * The CLI uses the MessageStore half (statuses only); the flows add the acknowledgement axis,
 * the orders the sets carried and the exceptions, each received acknowledgement in one
 * transaction, and queue our answers through the outbox.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { nowIso, type GatewayContext, type ReceivedFile } from '../flows/context.ts';
import { queueOutboundFile } from '../flows/outbox-delivery.ts';
import type { PartnerFile } from '../mapping/schema.ts';
import { x12CarriesBuyerData } from '../store/buyer-data.ts';
import { receivedNodes, summary, verdict } from '../store/envelope-nodes.ts';
import { DuplicateInterchangeError, type HeldInterchange, type MessageNode, type MessageRow, type MessageStore } from '../store/index.ts';
import type { AckState, OrderRecord, Work } from '../store/work.ts';
import { fileName as patternName } from '../transport/outbound.ts';
import { buildAcknowledgements, parseAcknowledgement, parseTa1, type AckPlan, type AckReport, type AckSetReport, type Ta1Report } from '../x12/ack/index.ts';
import { diagnostic } from '../x12/diagnostics.ts';
import type { TransactionSet } from '../x12/envelope.ts';
import type { ControlNumberKind, ControlNumberSource, OutboundInterchange } from '../x12/outbound.ts';
import { allDiagnostics, diagnosticTotals, type FileResult, type SetResult } from '../x12/result.ts';
import { validateFile, type ValidateFileOptions } from '../x12/validate-file.ts';
import { sendInterchange, type SentInterchange } from '../x12/writer.ts';

/**
 * The message log as settling writes and reads it: the MessageStore's own (CLI) or a
 * transaction's at the flow's time (flows). `children` reads the statuses just written, so in a
 * transaction it reads on its connection (store.trace may read on another, PostgreSQL's).
 */
interface StatusWriter {
  setStatus(id: number, status: string, reason?: string, completed?: boolean): Promise<void>;
  children(id: number): Promise<MessageRow[]>;
}
const writerIn = (w: Work, now: string): StatusWriter => ({
  setStatus: (id, status, reason, completed) => w.messages.setStatus(id, status, reason, completed, now),
  children: (id) => w.messages.children(id),
});
const writerOf = (store: MessageStore): StatusWriter => ({
  setStatus: (id, status, reason, completed) => store.setStatus(id, status, reason, completed),
  children: async (id) => store.trace(id)?.children ?? [],
});

// ------------------------------------------------------------------ reading what we receive

/** Read a file once: validate it and store its raw bytes at the same time. */
export async function validateAndStore(
  store: MessageStore,
  file: string,
  options: Omit<ValidateFileOptions, 'file'>,
): Promise<{ result: FileResult; blob: { sha256: string; size: number } }> {
  const source = createReadStream(file, { highWaterMark: 1 << 18 });
  const toValidate = new PassThrough({ highWaterMark: 1 << 18 });
  const toStore = new PassThrough({ highWaterMark: 1 << 18 });
  source.on('error', (err) => {
    toValidate.destroy(err);
    toStore.destroy(err);
  });
  source.pipe(toValidate);
  source.pipe(toStore);
  const [result, blob] = await Promise.all([validateFile(toValidate, { ...options, file }), store.blobs.putStream(toStore)]);
  return { result, blob };
}

/** Another receipt recorded these interchanges first: in this file they are duplicates, as validation says of a resend. */
function markDuplicates(result: FileResult, held: HeldInterchange[], file: string): number {
  let marked = 0;
  for (const ic of result.interchanges) {
    const h = ic.header;
    const control = h.control.trim();
    if (!held.some((x) => x.sender === `${h.senderQualifier}:${h.senderId}` && x.control === control)) continue;
    if (ic.diagnostics.some((d) => d.code === 'isa.duplicate')) continue;
    ic.diagnostics.push(
      diagnostic('isa.duplicate', `Interchange ${control} from ${h.senderQualifier}/${h.senderId} was already received`, {
        file,
        line: h.isa.line,
        interchange: control,
        segmentId: 'ISA',
        element: 13,
      }, { found: h.control, expected: 'a control number not used before by this sender' }),
    );
    marked++;
  }
  return marked;
}

/** Said on a duplicate interchange's row by the flows, so that reading the file again knows it without the claim. */
const DUPLICATE_REASON = 'duplicate: this interchange was already received';

const isDuplicate = (ic: FileResult['interchanges'][number]) => ic.diagnostics.some((d) => d.code === 'isa.duplicate');

/**
 * Record a received file with its envelope tree, marking as duplicates the interchanges another
 * receipt holds (the store decides, in the transaction that records the file).
 */
async function recordReceived(
  store: MessageStore,
  r: { fileName: string; result: FileResult; partner?: string; blob: { sha256: string; size: number }; status?: string; completedAt?: string; markDuplicateRows?: boolean },
): Promise<number> {
  for (;;) {
    const all = allDiagnostics(r.result);
    const totals = diagnosticTotals(r.result);
    const children = receivedNodes(r.result);
    if (r.markDuplicateRows) r.result.interchanges.forEach((ic, i) => isDuplicate(ic) && (children[i].statusReason = DUPLICATE_REASON));
    try {
      return await store.recordFile({
        direction: 'in',
        partner: r.partner,
        fileName: r.fileName,
        sha256: r.blob.sha256,
        size: r.blob.size,
        status: r.status ?? verdict(all),
        statusReason: all.find((d) => d.level === 'error')?.message,
        containsPii: x12CarriesBuyerData(r.result),
        completedAt: r.completedAt,
        diagnostics: { ...summary(all), errors: totals.error, warnings: totals.warning },
        children,
      });
    } catch (e) {
      // Each round marks at least one interchange, which then claims nothing: this ends.
      if (!(e instanceof DuplicateInterchangeError) || markDuplicates(r.result, e.interchanges, r.fileName) === 0) throw e;
    }
  }
}

/**
 * Log a received file and its envelope tree (the CLI's --record). `blob` is the file already
 * stored while it was validated (one read of the file); without it the file is stored here.
 *
 * When another receipt holds an interchange (two receipts at the same moment), its interchanges
 * get the `isa.duplicate` diagnostic in `result` and the file is recorded as that duplicate.
 * Report `result` after this, so that what is printed is what was recorded.
 */
export async function recordReceivedFile(
  store: MessageStore,
  file: string,
  result: FileResult,
  partner?: string,
  stored?: { sha256: string; size: number },
): Promise<number> {
  const blob = stored ?? (await store.blobs.putStream(createReadStream(file)));
  // Nothing else waits on a file that was only validated: retention counts from now.
  return recordReceived(store, { fileName: file, result, partner, blob, completedAt: new Date().toISOString() });
}

/** Some interchange of the file was received before (a resend): what is in it is not settled a second time. */
export const isDuplicateReceipt = (result: FileResult): boolean => result.interchanges.some(isDuplicate);
/** The TA1s a file carries, read. */
export const ta1sOf = (result: FileResult): Ta1Report[] => result.interchanges.flatMap((ic) => ic.ta1.map(parseTa1));

/** Collects the valid 997 / 999 sets while validation streams them (segments are not kept after). */
function ackCollector(acks: AckReport[]) {
  return (set: TransactionSet, r: SetResult) => {
    if ((set.id === '997' || set.id === '999') && !r.diagnostics.some((d) => d.level === 'error')) acks.push(parseAcknowledgement(set));
  };
}

/**
 * A local file validated for the CLI, with the acknowledgements in it read. With a store it is
 * read once: validated and stored as it streams, checked against the interchanges received before.
 */
export async function validateLocalX12(store: MessageStore | null, file: string): Promise<{ result: FileResult; blob?: { sha256: string; size: number }; acks: AckReport[] }> {
  const acks: AckReport[] = [];
  const options = {
    isDuplicateInterchange: store ? (q: string, id: string, control: string) => store.hasInterchange(q, id, control) : undefined,
    onSet: ackCollector(acks),
  };
  if (!store) return { result: await validateFile(file, { ...options, file }), acks };
  const { result, blob } = await validateAndStore(store, file, options);
  return { result, blob, acks };
}

/** Control numbers compared as the store does: digits without their leading zeros. */
const controlKey = (control: string) => {
  const c = control.trim();
  return /^\d+$/.test(c) ? String(Number(c)) : c;
};

export interface ReceivedX12 {
  messageId: number;
  result: FileResult;
  /** The 997 / 999 sets in it that are themselves valid, read. */
  acks: AckReport[];
  ta1s: Ta1Report[];
  /** Some interchange of it was received before (a resend): settle nothing from it a second time. */
  duplicate: boolean;
  /** This file (partner, name and bytes) was recorded before: read again after a crash or for a reprocess, not recorded twice. */
  alreadyRecorded: boolean;
}

/**
 * A received X12 file whose bytes are in the blob store: validated from the blob, the 997 / 999
 * sets collected as they stream by, recorded with its envelope tree as 'received' (the inbound
 * flow moves it on). The same partner, name and bytes read again (a crash between taking and
 * processing, a reprocess) reuse the first record, so that what keys on it (our answer, the
 * documents) is not done twice.
 */
export async function readReceivedX12(store: MessageStore, partner: string, fileName: string, blob: { sha256: string; size: number }): Promise<ReceivedX12> {
  const existing = store.receivedFiles(partner, fileName).find((m) => m.blobSha256 === blob.sha256) ?? null;
  // Read again, the file's own claim would make its interchanges look like resends: its rows say which were.
  const recordedDuplicates = new Set<string>();
  if (existing) {
    for (const row of store.trace(existing.id)?.children ?? []) {
      if (row.kind === 'interchange' && row.statusReason === DUPLICATE_REASON) recordedDuplicates.add(`${row.sender}|${controlKey(row.control ?? '')}`);
    }
  }
  const acks: AckReport[] = [];
  const result = await validateFile(await store.blobs.open(blob.sha256), {
    file: fileName,
    isDuplicateInterchange: existing
      ? (q, id, control) => recordedDuplicates.has(`${q}:${id}|${controlKey(control)}`)
      : (q, id, control) => store.hasInterchange(q, id, control),
    // An invalid acknowledgement settles nothing.
    onSet: ackCollector(acks),
  });
  const messageId = existing?.id ?? (await recordReceived(store, { fileName, result, partner, blob, status: 'received', markDuplicateRows: true }));
  return {
    messageId,
    result,
    acks,
    ta1s: ta1sOf(result),
    duplicate: isDuplicateReceipt(result),
    alreadyRecorded: existing !== null,
  };
}

// ------------------------------------------------------------------ settling what the partner answered

const STATUS_OF: Record<string, string> = { A: 'accepted', E: 'accepted-with-errors', P: 'partially-accepted', R: 'rejected' };
const ANSWERED = new Set([...Object.values(STATUS_OF), 'acknowledged']);

/** The acknowledgement axis a 997 / 999 / TA1 code gives: M, W, X (and any code we do not know) are rejections. */
function ackStateOf(code: string): AckState {
  if (code === 'A') return 'accepted';
  if (code === 'E') return 'accepted-with-errors';
  if (code === 'P') return 'partially-accepted';
  return 'rejected';
}
const ANSWERED_STATES = new Set<AckState>(['accepted', 'accepted-with-errors', 'partially-accepted', 'rejected']);
const WAITING_STATES = new Set<AckState | null>(['awaiting', 'overdue']);

/**
 * A file we sent needs nothing more once the partner has answered all of it: every group
 * acknowledged (997 / 999, whatever the verdict) or its interchange rejected by a TA1. Retention
 * counts from then; a rejected order goes again in a new file, retained on its own.
 */
async function completeWhenAnswered(store: MessageStore, writes: StatusWriter, answered: MessageRow): Promise<void> {
  const t = store.trace(answered.id);
  const file = t && [t.message, ...t.parents].find((m) => m.kind === 'file');
  if (!file || file.completedAt) return;
  const interchanges = (await writes.children(file.id)).filter((c) => c.kind === 'interchange');
  const groups: MessageRow[] = [];
  for (const ic of interchanges) {
    if (ic.status === 'rejected') continue;
    const these = (await writes.children(ic.id)).filter((c) => c.kind === 'group');
    if (these.length === 0) return;
    groups.push(...these);
  }
  if (interchanges.length === 0 || !groups.every((g) => ANSWERED.has(g.status))) return;
  const rejected = interchanges.filter((ic) => ic.status === 'rejected').map((ic) => `interchange ${ic.control} rejected`);
  await writes.setStatus(file.id, 'acknowledged', `answered: ${[...rejected, ...groups.map((g) => `group ${g.control} ${g.status}`)].join(', ')}`, true);
}

/** Why a set was not simply accepted: its AK5 / IK5 codes, then each AK3 / IK3 segment with its AK4 / IK4 elements. */
export function setReasons(s: AckSetReport): string[] {
  const out = s.errors.map((e) => `${e.code} ${e.meaning}`);
  for (const n of s.segments) {
    out.push(`${n.segmentId} at ${n.position}${n.meaning ? `: ${n.meaning}` : ''}`);
    for (const e of n.elements) {
      const where = `${n.segmentId}${String(e.position).padStart(2, '0')}${e.component ? `-${e.component}` : ''}${e.ref ? ` (${e.ref})` : ''}`;
      out.push(`  ${where}: ${e.code} ${e.meaning}${e.badData ? ` ('${e.badData}')` : ''}`);
    }
  }
  return out;
}

interface AppliedSet {
  row: MessageRow;
  code: string;
  reasons: string[];
}

interface AppliedAck {
  lines: string[];
  group: MessageRow | null;
  sets: AppliedSet[];
}

/** The statuses a 997 / 999 gives our group and the sets it lists, as the message log has always kept them. */
async function applyAckReport(store: MessageStore, writes: StatusWriter, partner: string, report: AckReport): Promise<AppliedAck> {
  const lines: string[] = [];
  const group = store.findSent(partner, report.group.control);
  if (!group) {
    lines.push(`${report.kind} from ${partner} acknowledges group ${report.group.functionalId} ${report.group.control}, which was not sent to this partner`);
    return { lines, group: null, sets: [] };
  }
  const groupStatus = STATUS_OF[report.group.status] ?? 'acknowledged';
  const groupReason = report.group.errors.map((e) => `${e.code} ${e.meaning}`).join('; ') || report.group.statusMeaning;
  await writes.setStatus(group.id, groupStatus, `${report.kind}: ${groupReason}`, report.group.status === 'A' || report.group.status === 'E');
  lines.push(`group ${report.group.functionalId} ${report.group.control} -> ${groupStatus}`);
  const sets: AppliedSet[] = [];
  for (const s of report.sets) {
    const sent = store.findSent(partner, report.group.control, s.control);
    if (!sent) {
      lines.push(`  set ${s.setId} ${s.control}: not among the sets sent in group ${report.group.control}`);
      continue;
    }
    const status = STATUS_OF[s.status] ?? 'acknowledged';
    const why = [...s.errors.map((e) => `${e.code} ${e.meaning}`), ...s.segments.map((n) => `${n.segmentId} at ${n.position}${n.meaning ? `: ${n.meaning}` : ''}`)].join('; ');
    await writes.setStatus(sent.id, status, `${report.kind}: ${why || s.statusMeaning}`, s.status === 'A' || s.status === 'E');
    lines.push(`  set ${s.setId} ${s.control} -> ${status}${why ? ` (${why})` : ''}`);
    sets.push({ row: sent, code: s.status, reasons: setReasons(s) });
  }
  await completeWhenAnswered(store, writes, group);
  return { lines, group, sets };
}

/**
 * Apply a received 997/999 to what we sent that partner: the acknowledged group and each
 * acknowledged set get the status the acknowledgement gives them, with the reason. Returns one
 * line per group or set, saying what was updated or what could not be matched.
 */
export async function recordAcknowledgementResults(store: MessageStore, partner: string, report: AckReport): Promise<string[]> {
  return (await applyAckReport(store, writerOf(store), partner, report)).lines;
}

async function applyTa1(store: MessageStore, writes: StatusWriter, partner: string, ta1: Ta1Report): Promise<{ line: string; interchange: MessageRow | null }> {
  const sent = store.findSentInterchange(partner, ta1.control);
  if (!sent) return { line: `TA1 from ${partner} for interchange ${ta1.control}, which was not sent to this partner`, interchange: null };
  const status = STATUS_OF[ta1.status] ?? 'acknowledged';
  await writes.setStatus(sent.id, status, `TA1: ${ta1.code} ${ta1.meaning}`, ta1.status !== 'R');
  await completeWhenAnswered(store, writes, sent);
  return { line: `interchange ${ta1.control} -> ${status} (${ta1.code} ${ta1.meaning})`, interchange: sent };
}

/** Apply a received TA1 to the interchange we sent with that control number. */
export async function recordTa1Result(store: MessageStore, partner: string, ta1: Ta1Report): Promise<string> {
  return (await applyTa1(store, writerOf(store), partner, ta1)).line;
}

/** The exception key of an overdue acknowledgement: the sent group or interchange, in its file. */
export const overdueKey = (fileName: string, kind: string, control: string | null): string => `${fileName} ${kind} ${control ?? '?'}`;
/** The exception key of a rejected set. */
export const rejectedKey = (fileName: string, groupControl: string | null, setControl: string | null): string => `${fileName} group ${groupControl ?? '?'} set ${setControl ?? '?'}`;
/** The seller an acknowledgement exception is filed under: the one seller of its orders, else none. */
export const sellerOf = (orders: OrderRecord[]): string | null => {
  const sellers = new Set(orders.map((o) => o.seller));
  return sellers.size === 1 ? [...sellers][0] : null;
};

/** The file a sent message is in, and its groups' sets (the orders hang on them). */
function fileOf(store: MessageStore, id: number): MessageRow | null {
  const t = store.trace(id);
  return t ? ([t.message, ...t.parents].find((m) => m.kind === 'file') ?? null) : null;
}
const childrenOf = (store: MessageStore, id: number, kind: MessageRow['kind']) => store.trace(id)?.children.filter((c) => c.kind === kind) ?? [];

/** The orders a sent message carried: a set's, or every set's under a group, interchange or file. */
export async function ordersUnder(store: MessageStore, w: Work, row: MessageRow): Promise<OrderRecord[]> {
  if (row.kind === 'set') return w.orders.bySetMessage(row.id);
  if (row.kind === 'file') return w.orders.byFileMessage(row.id);
  const out = new Map<string, OrderRecord>();
  const sets = row.kind === 'group' ? childrenOf(store, row.id, 'set') : childrenOf(store, row.id, 'group').flatMap((g) => childrenOf(store, g.id, 'set'));
  for (const s of sets) for (const o of await w.orders.bySetMessage(s.id)) out.set(`${o.seller}\u0000${o.orderId}`, o);
  return [...out.values()];
}

/** Orders in these states move on an acknowledgement; later ones (shipped, cancelled...) are not moved back. */
const SETTLED_FROM = new Set<OrderRecord['state']>(['queued', 'delivered', 'acknowledged', 'rejected']);

/** One rejected set: its axis, its orders rejected, an ack-rejected exception naming them with the reasons. */
async function rejectSet(
  ctx: GatewayContext,
  w: Work,
  partner: string,
  file: MessageRow,
  group: MessageRow,
  set: MessageRow,
  reason: string,
  details: Record<string, unknown>,
  now: string,
): Promise<string[]> {
  await w.messages.setAcknowledgement(set.id, 'rejected', now, reason);
  const orders = await w.orders.bySetMessage(set.id);
  for (const o of orders) if (SETTLED_FROM.has(o.state)) await w.orders.put({ ...o, state: 'rejected', updatedAt: now });
  const key = rejectedKey(file.fileName ?? `file ${file.id}`, group.control, set.control);
  const base = {
    kind: 'ack-rejected' as const,
    partner,
    key,
    message: `${partner} rejected set ${set.docType ?? ''} ${set.control ?? ''} of group ${group.control ?? ''} in ${file.fileName}: ${reason}`,
    context: { file: { name: file.fileName ?? '', messageId: file.id }, where: `group ${group.control} set ${set.control}`, details },
    now,
  };
  const seller = sellerOf(orders) ?? undefined;
  if (orders.length === 0) await w.exceptions.raise(base);
  for (const o of orders) await w.exceptions.raise({ ...base, seller, ref: o.orderId });
  ctx.log.warn({ event: 'ack.rejected', partner, file: file.fileName, group: group.control, set: set.control, orders: orders.length }, 'a sent set was rejected');
  return orders.map((o) => o.orderId);
}

/** An answered group or interchange: its acknowledgement-overdue exception, if one was raised, is resolved. */
async function resolveOverdue(ctx: GatewayContext, w: Work, partner: string, file: MessageRow, row: MessageRow, now: string): Promise<void> {
  const orders = await ordersUnder(ctx.store, w, row);
  const resolved = await w.exceptions.resolveCause('ack-overdue', overdueKey(file.fileName ?? `file ${file.id}`, row.kind, row.control), sellerOf(orders), partner, 'the acknowledgement arrived', now);
  if (resolved) ctx.log.info({ event: 'ack.overdue-resolved', partner, file: file.fileName, kind: row.kind, control: row.control }, 'a late acknowledgement arrived');
}

/** The acknowledgement of a whole (interchange, file) from its groups' axes, once every group is answered. */
async function rollUp(ctx: GatewayContext, w: Work, partner: string, file: MessageRow, row: MessageRow, groups: MessageRow[], now: string): Promise<void> {
  const axes = await w.messages.axes(row.id);
  if (!axes || !WAITING_STATES.has(axes.acknowledgement)) return;
  const states: AckState[] = [];
  for (const g of groups) {
    const a = (await w.messages.axes(g.id))?.acknowledgement ?? null;
    if (!a || !ANSWERED_STATES.has(a)) return;
    states.push(a);
  }
  if (states.length === 0) return;
  const all = (s: AckState) => states.every((x) => x === s);
  const state: AckState = all('accepted') ? 'accepted' : all('rejected') ? 'rejected' : states.some((x) => x === 'rejected' || x === 'partially-accepted') ? 'partially-accepted' : 'accepted-with-errors';
  await w.messages.setAcknowledgement(row.id, state, now, `groups: ${groups.map((g, i) => `${g.control} ${states[i]}`).join(', ')}`);
  await resolveOverdue(ctx, w, partner, file, row, now);
}

async function settleOneAck(ctx: GatewayContext, w: Work, partner: string, report: AckReport, now: string): Promise<string[]> {
  const store = ctx.store;
  const applied = await applyAckReport(store, writerIn(w, now), partner, report);
  const group = applied.group;
  if (!group) return applied.lines;
  const file = fileOf(store, group.id);
  if (!file) return applied.lines;
  const groupState = ackStateOf(report.group.status);
  const groupReasons = report.group.errors.map((e) => `${e.code} ${e.meaning}`);
  await w.messages.setAcknowledgement(group.id, groupState, now, `${report.kind}: ${groupReasons.join('; ') || report.group.statusMeaning}`);
  await resolveOverdue(ctx, w, partner, file, group, now);
  // Sets the acknowledgement does not list take the group's verdict: a 997 may leave accepted sets out.
  const listed = new Map(applied.sets.map((s) => [s.row.id, s]));
  const implied = groupState === 'rejected' ? 'R' : 'A';
  for (const row of childrenOf(store, group.id, 'set')) {
    const s = listed.get(row.id) ?? { row, code: implied, reasons: groupReasons };
    const state = ackStateOf(s.code);
    if (state === 'rejected') {
      const reason = `${report.kind}: ${s.reasons.join('; ') || 'rejected'}`;
      const orders = await rejectSet(ctx, w, partner, file, group, row, reason, { acknowledgement: report.kind, groupStatus: report.group.status, setStatus: s.code, reasons: s.reasons, groupErrors: groupReasons }, now);
      if (!listed.has(row.id)) applied.lines.push(`  set ${row.docType} ${row.control} -> rejected with its group`);
      if (orders.length) applied.lines.push(`    orders rejected: ${orders.join(', ')}`);
      continue;
    }
    await w.messages.setAcknowledgement(row.id, state, now, `${report.kind}: ${s.reasons.join('; ') || (listed.has(row.id) ? 'accepted' : 'accepted with its group')}`);
    for (const o of await w.orders.bySetMessage(row.id)) if (SETTLED_FROM.has(o.state)) await w.orders.put({ ...o, state: 'acknowledged', updatedAt: now });
  }
  const ic = store.trace(group.id)?.parents.find((p) => p.kind === 'interchange');
  if (ic) await rollUp(ctx, w, partner, file, ic, childrenOf(store, ic.id, 'group'), now);
  await rollUp(ctx, w, partner, file, file, childrenOf(store, file.id, 'interchange').flatMap((i) => childrenOf(store, i.id, 'group')), now);
  ctx.log.info({ event: 'ack.settled', partner, file: file.fileName, group: group.control, acknowledgement: groupState, kind: report.kind }, 'a sent group was acknowledged');
  return applied.lines;
}

async function settleOneTa1(ctx: GatewayContext, w: Work, partner: string, ta1: Ta1Report, now: string): Promise<string[]> {
  const store = ctx.store;
  const applied = await applyTa1(store, writerIn(w, now), partner, ta1);
  const ic = applied.interchange;
  if (!ic) return [applied.line];
  const file = fileOf(store, ic.id);
  if (!file) return [applied.line];
  const lines = [applied.line];
  const reason = `TA1: ${ta1.code} ${ta1.meaning}`;
  if (ta1.status === 'R') {
    // The envelope was refused: nothing in it was read, so every group and set in it is rejected.
    await w.messages.setAcknowledgement(ic.id, 'rejected', now, reason);
    await resolveOverdue(ctx, w, partner, file, ic, now);
    for (const group of childrenOf(store, ic.id, 'group')) {
      await w.messages.setAcknowledgement(group.id, 'rejected', now, reason);
      await resolveOverdue(ctx, w, partner, file, group, now);
      for (const set of childrenOf(store, group.id, 'set')) {
        const orders = await rejectSet(ctx, w, partner, file, group, set, reason, { acknowledgement: 'TA1', status: ta1.status, code: ta1.code, meaning: ta1.meaning }, now);
        if (orders.length) lines.push(`  orders rejected: ${orders.join(', ')}`);
      }
    }
    await rollUp(ctx, w, partner, file, file, childrenOf(store, file.id, 'interchange').flatMap((i) => childrenOf(store, i.id, 'group')), now);
    ctx.log.warn({ event: 'ack.ta1-rejected', partner, file: file.fileName, interchange: ic.control, code: ta1.code }, 'a sent interchange was rejected');
  } else {
    // An accepted envelope says nothing of its groups: their 997s settle them. Awaited for itself (no groups), it is answered.
    const axes = await w.messages.axes(ic.id);
    if (axes && WAITING_STATES.has(axes.acknowledgement) && childrenOf(store, ic.id, 'group').length === 0) {
      await w.messages.setAcknowledgement(ic.id, ackStateOf(ta1.status), now, reason);
      await resolveOverdue(ctx, w, partner, file, ic, now);
    }
    ctx.log.info({ event: 'ack.ta1', partner, file: file.fileName, interchange: ic.control, status: ta1.status }, 'a TA1 for a sent interchange');
  }
  return lines;
}

/**
 * What a partner's 997s / 999s / TA1s say about what we sent it, applied: the statuses the
 * message log has always kept, the acknowledgement axis of each group, set and (once all of it is
 * answered) interchange and file, the orders the sets carried (acknowledged or rejected), an
 * ack-rejected exception per rejected set with the reasons, and the ack-overdue exception of a
 * late answer resolved. One transaction per acknowledgement. Returns one line per group or set.
 */
export async function settleAcknowledgements(ctx: GatewayContext, partner: string, acks: AckReport[], ta1s: Ta1Report[]): Promise<string[]> {
  const now = nowIso(ctx);
  const lines: string[] = [];
  for (const report of acks) lines.push(...(await ctx.store.transaction((w) => settleOneAck(ctx, w, partner, report, now))));
  for (const ta1 of ta1s) lines.push(...(await ctx.store.transaction((w) => settleOneTa1(ctx, w, partner, ta1, now))));
  return lines;
}

// ------------------------------------------------------------------ our answers

/** The envelope tree of an acknowledgement interchange we send, as the writer numbered it. */
export function sentAcknowledgementNodes(sent: SentInterchange, ic: OutboundInterchange, status: string): MessageNode[] {
  return [
    {
      kind: 'interchange',
      control: String(sent.controlNumbers.isa13).padStart(9, '0'),
      version: ic.version,
      sender: `${ic.sender.qualifier}:${ic.sender.id}`,
      receiver: `${ic.receiver.qualifier}:${ic.receiver.id}`,
      status,
      children: ic.groups.map((g, i) => ({
        kind: 'group',
        control: String(sent.controlNumbers.groups[i].gs06),
        docType: g.functionalId,
        version: g.version,
        sender: g.senderId,
        receiver: g.receiverId,
        status,
        children: g.sets.map((s, k) => ({ kind: 'set', control: sent.controlNumbers.groups[i].sets[k], docType: s.id, status })),
      })),
    },
  ];
}

export async function recordSentAcknowledgement(store: MessageStore, partner: string, sent: SentInterchange, ic: OutboundInterchange): Promise<number> {
  const blob = await store.blobs.putBuffer(sent.bytes);
  return store.recordFile({
    direction: 'out',
    partner,
    fileName: `${partner}-ack-${String(sent.controlNumbers.isa13).padStart(9, '0')}.x12`,
    sha256: blob.sha256,
    size: blob.size,
    status: 'sent',
    children: sentAcknowledgementNodes(sent, ic, 'sent'),
  });
}

/**
 * The store's next control numbers, peeked, not consumed: each kind advances locally so that
 * several interchanges in one preview do not repeat a number.
 */
export function peekedControlNumbers(store: MessageStore): ControlNumberSource {
  const peeked = new Map<ControlNumberKind, number>();
  return {
    next(partner, kind) {
      const n = peeked.has(kind) ? peeked.get(kind)! + 1 : store.peekControlNumber(partner, kind);
      peeked.set(kind, n);
      return n;
    },
  };
}

/**
 * Write the acknowledgements of a plan (the CLI's `x12 ack`): each interchange to the partner
 * `partnerOf` names, numbered from `controlNumbers`, recorded as sent when `record` is given.
 * Returns the bytes as sent, concatenated.
 */
export async function writeAcknowledgements(
  plan: AckPlan,
  o: { controlNumbers: ControlNumberSource; partnerOf: (ic: OutboundInterchange) => string; now?: Date; record?: MessageStore },
): Promise<string> {
  const parts: string[] = [];
  for (const ic of plan.interchanges) {
    const partner = o.partnerOf(ic);
    const sent = sendInterchange(ic, { partner, controlNumbers: o.controlNumbers, now: o.now ?? new Date() });
    if (o.record) await recordSentAcknowledgement(o.record, partner, sent, ic);
    parts.push(sent.bytes.toString('utf8'));
  }
  return parts.join('');
}

/**
 * Whether a partner gets 999s for its 005010 groups. The partner file has no switch for it, so
 * a partner asks by trading an 005010 implementation guide (x12.gsVersion 005010X...): the 999
 * is that guide's implementation acknowledgement. Everyone else gets 997s.
 */
export const answersWith999 = (partner: PartnerFile): boolean => /^005010X/i.test(partner.x12?.gsVersion ?? '');

/** The answer to one received interchange, as our own identity sends it (the partner file's x12.us to x12.them). */
function ourAnswer(plan: AckPlan, partner: PartnerFile): OutboundInterchange | null {
  const ic = plan.interchanges[0];
  if (!ic) return null;
  const x12 = partner.x12;
  if (!x12) return ic;
  return {
    ...ic,
    sender: { qualifier: x12.us.qualifier, id: x12.us.id },
    receiver: { qualifier: x12.them.qualifier, id: x12.them.id },
    usage: partner.usage === 'production' ? 'P' : 'T',
    groups: ic.groups.map((g) => ({ ...g, senderId: x12.us.gsId, receiverId: x12.them.gsId })),
  };
}

/** The cursor that says one received group (or the TA1 of an interchange) was answered, and by which of our files. */
const answeredMarker = (file: ReceivedFile, interchange: string, group: string) => `answered:${file.messageId}:${controlKey(interchange)}:${group}`;

/**
 * Our 997 (999 for 005010 groups of a partner that trades an 005010 guide) for every group of a
 * received file, valid or not (errors in AK3/AK4/AK5/AK9), and a TA1 where the envelope earns
 * one; acknowledgements themselves are not answered. Built with the x12 acknowledgement builder,
 * sent as the partner file's x12.us, queued through the outbox in one transaction with its
 * control numbers (drawn inside it). Each group answered is marked in that transaction (keyed
 * on the received file and the group), so reading the same file again answers nothing twice.
 * Returns the number of groups answered now.
 */
export async function answerReceivedGroups(ctx: GatewayContext, file: ReceivedFile, result: FileResult): Promise<number> {
  const partner = ctx.mappings.partners.get(file.partner);
  if (!partner) throw new Error(`answering ${file.name}: no partner ${file.partner} in the mappings`);
  const use999 = answersWith999(partner);
  const notes: string[] = [];
  // One plan per received interchange, so that each answer is known to be that interchange's.
  const answers = result.interchanges.map((ic) => {
    const plan = buildAcknowledgements({ ...result, interchanges: [ic], unenveloped: [] }, { use999 });
    notes.push(...plan.notes);
    return { control: ic.header.control, answer: ourAnswer(plan, partner) };
  });
  const groups = await ctx.store.transaction(async (w) => {
    const todo: Array<{ ic: OutboundInterchange; markers: string[] }> = [];
    for (const { control, answer } of answers) {
      if (!answer) continue;
      const markers: string[] = [];
      const groupsLeft = [];
      for (const g of answer.groups) {
        // AK1-02: the received group's control number.
        const m = answeredMarker(file, control, String(g.sets[0]?.segments[0]?.elements[1] ?? '?'));
        if ((await w.cursors.get(m)) !== null) continue;
        markers.push(m);
        groupsLeft.push(g);
      }
      let service = answer.service;
      if (service?.length) {
        const m = answeredMarker(file, control, 'TA1');
        if ((await w.cursors.get(m)) !== null) service = undefined;
        else markers.push(m);
      }
      if (groupsLeft.length === 0 && !service?.length) continue;
      todo.push({ ic: { ...answer, groups: groupsLeft, service }, markers });
    }
    if (todo.length === 0) return 0;
    const now = ctx.clock.now();
    // Numbered inside the transaction: a rollback gives the numbers back with everything else.
    const sent = todo.map((t) => sendInterchange(t.ic, { partner: file.partner, controlNumbers: ctx.store.controlNumbers, now }));
    const document = todo.some((t) => t.ic.groups.some((g) => g.sets.some((s) => s.id === '999'))) ? '999' : todo.some((t) => t.ic.groups.length) ? '997' : 'TA1';
    const name = patternName(partner.transport.fileNames['acknowledgement'] ?? '{partner}_{document}_{control}_{timestamp}.edi', {
      partner: file.partner,
      document,
      control: String(sent[0].controlNumbers.isa13).padStart(9, '0'),
      at: now,
    });
    const queued = await queueOutboundFile(w, ctx, {
      partner: file.partner,
      document: 'acknowledgement',
      fileName: name,
      bytes: Buffer.concat(sent.map((s) => s.bytes)),
      // Acknowledgements quote control numbers and segment ids, never a buyer's name or address.
      containsPii: false,
      children: todo.flatMap((t, i) => sentAcknowledgementNodes(sent[i], t.ic, 'queued')),
      awaitsAcknowledgement: false,
    });
    const at = nowIso(ctx);
    for (const t of todo) for (const m of t.markers) await w.cursors.set(m, String(queued.messageId), at);
    const count = todo.reduce((n, t) => n + t.ic.groups.length, 0);
    ctx.log.info({ event: 'ack.queued', partner: file.partner, received: file.name, file: name, messageId: queued.messageId, groups: count, document }, 'our acknowledgement is queued');
    return count;
  });
  for (const note of notes) ctx.log.info({ event: 'ack.note', partner: file.partner, received: file.name, note }, 'acknowledgement note');
  return groups;
}
