/**
 * What the API shows of the message log: files with their flow and status axes, one file's
 * history, envelope tree, acknowledgement and orders, its raw bytes split into segments, and its
 * parsed form with diagnostics. Pure functions over the store (no HTTP): the routes in
 * src/server/routes/messages.ts call them with the caller's right to see buyer data.
 *
 * Segment numbering: `rawView` numbers the segments the X12 tokenizer hands out, 1-based, in file
 * order; `parsedView` maps each diagnostic to a segment by the byte offset the reader recorded for
 * it, through the same tokenizer pass (`segmentsOf`). Both views number by one function, so a
 * failing segment N in the parsed view is segment N in the raw view.
 */
import { messageSubtree, summarize, summaryMatches, x12JsonForm, type FlowName, type MessageSummary } from '../../gateway/messages.ts';
import { readPartner, translator, type DocumentName } from '../../mapping/translate.ts';
import type { MessageRow } from '../../store/store.ts';
import type { AckState, GatewayStore, MessageAxes } from '../../store/work.ts';
import { parseAcknowledgement, type AckReport } from '../../x12/ack/parse.ts';
import type { Diagnostic } from '../../x12/diagnostics.ts';
import { readX12Sync } from '../../x12/reader.ts';
import { allDiagnostics } from '../../x12/result.ts';
import type { Segment } from '../../x12/segment.ts';
import { Tokenizer } from '../../x12/tokenizer.ts';
import { validateFile } from '../../x12/validate-file.ts';
import { redactDocument, redactQuoted, redactSegment, spliceSegments, type SegmentReplacement } from '../redact.ts';

/** Raw and parsed views read at most this much of a file (the rest is reported, not sent). */
export const RAW_LIMIT_BYTES = 2 * 1024 * 1024;
/** Listing with a filter reads at most this many recent files (the message log has no index by flow or seller). */
export const LIST_SCAN_LIMIT = 100_000;

export type MessageFormat = 'x12' | 'csv' | 'xml' | 'json' | 'text';

/** A file as the API lists it. */
export interface ApiMessageSummary {
  id: number;
  direction: 'in' | 'out';
  kind: 'file';
  flow: FlowName;
  partner: string | null;
  seller: string | null;
  fileName: string | null;
  /** The first interchange's ISA13 (X12), else null. */
  control: string | null;
  /** The transaction sets in it, by type. */
  sets: string[];
  status: string;
  statusReason: string | null;
  validation: string | null;
  delivery: string | null;
  deliveredAt: string | null;
  acknowledgement: string | null;
  acknowledgedAt: string | null;
  ackDueAt: string | null;
  orderIds: string[];
  /** May carry buyer data (names, addresses): its raw and parsed views are redacted for tokens without buyerData. */
  containsPii: boolean;
  /** Retention removed its raw bytes. */
  purged: boolean;
  createdAt: string;
  updatedAt: string;
}

/** Who is looking: only `buyerData` changes what is shown. */
export interface Viewer {
  buyerData: boolean;
}

const hidesBuyerData = (row: Pick<MessageRow, 'containsPii'>, viewer: Viewer) => row.containsPii && !viewer.buyerData;

function interchangeControl(store: GatewayStore, fileId: number): string | null {
  return store.trace(fileId)?.children.find((c) => c.kind === 'interchange')?.control ?? null;
}

function toApiSummary(store: GatewayStore, row: MessageRow, s: MessageSummary, viewer: Viewer): ApiMessageSummary {
  const sellers = new Set<string>([...s.orders.map((o) => o.seller), ...s.documents.map((d) => d.seller).filter((x): x is string => x !== null)]);
  // A rejected advice's key is where it was (its set control number), not an order: left out.
  const orderIds = [...new Set([...s.orders.map((o) => o.orderId), ...s.documents.filter((d) => d.document === 'shipment-advice' && d.state !== 'rejected' && d.key).map((d) => d.key!)])];
  return {
    id: s.id,
    direction: s.direction,
    kind: 'file',
    flow: s.flow,
    partner: s.partner,
    seller: sellers.size === 1 ? [...sellers][0] : null,
    fileName: s.fileName,
    control: interchangeControl(store, row.id),
    sets: s.sets,
    status: s.status,
    // A reason recorded with the file may quote its content.
    statusReason: s.statusReason === null ? null : hidesBuyerData(row, viewer) ? redactQuoted(s.statusReason) : s.statusReason,
    validation: s.axes?.validation ?? null,
    delivery: s.axes?.delivery ?? null,
    deliveredAt: s.axes?.deliveredAt ?? null,
    acknowledgement: s.axes?.acknowledgement ?? null,
    acknowledgedAt: s.axes?.acknowledgedAt ?? null,
    ackDueAt: s.axes?.ackDueAt ?? null,
    orderIds,
    containsPii: row.containsPii,
    purged: s.purged,
    createdAt: s.createdAt,
    updatedAt: s.updatedAt,
  };
}

export async function messageSummary(store: GatewayStore, row: MessageRow, viewer: Viewer): Promise<ApiMessageSummary> {
  return toApiSummary(store, row, await summarize(store, row), viewer);
}

export interface MessageListFilter {
  partner?: string;
  seller?: string;
  flow?: string;
  /** A status or a value of any axis (delivered, awaiting, overdue, rejected, accepted, invalid, ...). */
  state?: string;
  direction?: 'in' | 'out';
  orderId?: string;
  /** createdAt bounds, ISO: since inclusive, until exclusive. */
  since?: string;
  until?: string;
  limit: number;
  /** Only files with an id below this one (the paging cursor). */
  beforeId?: number;
}

/**
 * Files matching the filter, newest first; `nextBeforeId` continues the list (null: no more).
 * The log is read newest first in growing batches (a page, then four times more each time, up to
 * LIST_SCAN_LIMIT files), so an unfiltered first page reads a page of rows, not the whole log.
 */
export async function listMessageSummaries(store: GatewayStore, filter: MessageListFilter, viewer: Viewer): Promise<{ items: ApiMessageSummary[]; nextBeforeId: number | null }> {
  const sinceMs = filter.since ? Date.parse(filter.since) : null;
  const untilMs = filter.until ? Date.parse(filter.until) : null;
  /** Rows already judged in an earlier batch: their summary when they matched, null when not. */
  const judged = new Map<number, ApiMessageSummary | null>();
  for (let batch = Math.min(LIST_SCAN_LIMIT, filter.limit + 1); ; batch = Math.min(LIST_SCAN_LIMIT, batch * 4)) {
    const rows = store.list({ kind: 'file', limit: batch });
    const items: ApiMessageSummary[] = [];
    let exhausted = rows.length < batch || batch === LIST_SCAN_LIMIT;
    for (const row of rows) {
      if (filter.beforeId !== undefined && row.id >= filter.beforeId) continue;
      const at = Date.parse(row.createdAt);
      // Newest first: every file after this one is older still.
      if (sinceMs !== null && at < sinceMs) {
        exhausted = true;
        break;
      }
      let item = judged.get(row.id);
      if (item === undefined) {
        item = null;
        const cheap = (!filter.partner || row.partner === filter.partner) && (!filter.direction || row.direction === filter.direction) && (untilMs === null || at < untilMs);
        if (cheap) {
          const s = await summarize(store, row);
          if (summaryMatches(s, { flow: filter.flow, seller: filter.seller, order: filter.orderId, state: filter.state })) item = toApiSummary(store, row, s, viewer);
        }
        judged.set(row.id, item);
      }
      if (!item) continue;
      if (items.length === filter.limit) return { items, nextBeforeId: items[items.length - 1].id };
      items.push(item);
    }
    if (exhausted) return { items, nextBeforeId: null };
  }
}

// ------------------------------------------------------------------ one message

/** The file a message row is in (the row itself when it is a file). */
export function fileRowOf(store: GatewayStore, id: number): MessageRow | null {
  const t = store.trace(id);
  if (!t) return null;
  return t.message.kind === 'file' ? t.message : (t.parents.find((p) => p.kind === 'file') ?? null);
}

export interface EnvelopeRow {
  id: number;
  parentId: number | null;
  kind: 'interchange' | 'group' | 'set';
  control: string | null;
  docType: string | null;
  status: string;
  statusReason: string | null;
  validation: string | null;
  delivery: string | null;
  acknowledgement: string | null;
  acknowledgedAt: string | null;
}

export interface MessageEventView {
  at: string;
  /** The row the event is about: the file or an interchange, group or set in it. */
  messageId: number;
  kind: string;
  /** "received", "delivery: pending -> delivered". */
  what: string;
  detail: string | null;
}

export interface AckReason {
  /** The set (ST02) it concerns; null: the group as a whole (AK9 / IK9 codes). */
  set: string | null;
  /** The segment id (AK3 / IK3) and its position counted from ST; null for set-level codes (AK5 / IK5). */
  segment: string | null;
  position: number | null;
  /** The element reference ("N102"), for AK4 / IK4 notes. */
  element: string | null;
  code: string;
  text: string;
}

export interface GroupAcknowledgement {
  groupId: number;
  control: string | null;
  state: string | null;
  at: string | null;
  /** The received file whose 997 / 999 settled it, when found. */
  ackMessageId: number | null;
  ackKind: '997' | '999' | null;
  reasons: AckReason[];
}

export interface AcknowledgementView {
  state: string;
  at: string | null;
  dueAt: string | null;
  /** The first answering file found (groups have their own). */
  ackMessageId: number | null;
  /** Reasons of every group (rejections and errors), set by set. */
  reasons: AckReason[];
  groups: GroupAcknowledgement[];
}

export interface MessageDetailView {
  message: ApiMessageSummary;
  /** The row asked for, when it is an interchange, group or set inside the file. */
  selected: EnvelopeRow | null;
  events: MessageEventView[];
  children: EnvelopeRow[];
  acknowledgement: AcknowledgementView | null;
  orders: Array<{ seller: string; orderId: string; state: string }>;
  redacted: boolean;
}

const ANSWERED: ReadonlySet<AckState | null> = new Set<AckState | null>(['accepted', 'accepted-with-errors', 'partially-accepted', 'rejected']);
const controlKey = (c: string | null) => {
  const t = (c ?? '').trim();
  return /^\d+$/.test(t) ? String(Number(t)) : t;
};

async function envelopeRow(store: GatewayStore, row: MessageRow, hide: boolean): Promise<EnvelopeRow> {
  const axes = await store.work.messages.axes(row.id);
  return {
    id: row.id,
    parentId: row.parentId,
    kind: row.kind as EnvelopeRow['kind'],
    control: row.control,
    docType: row.docType,
    status: row.status,
    statusReason: row.statusReason === null ? null : hide ? redactQuoted(row.statusReason) : row.statusReason,
    validation: axes?.validation ?? null,
    delivery: axes?.delivery ?? null,
    acknowledgement: axes?.acknowledgement ?? null,
    acknowledgedAt: axes?.acknowledgedAt ?? null,
  };
}

/** The reasons of one 997 / 999 for the sets it lists, the AK3 / AK4 (IK3 / IK4) notes spelled out. */
export function ackReasons(report: AckReport, hide: boolean): AckReason[] {
  const out: AckReason[] = report.group.errors.map((e) => ({ set: null, segment: null, position: null, element: null, code: e.code, text: e.meaning }));
  for (const s of report.sets) {
    for (const e of s.errors) out.push({ set: s.control, segment: null, position: null, element: null, code: e.code, text: e.meaning });
    for (const n of s.segments) {
      if (n.code) out.push({ set: s.control, segment: n.segmentId, position: n.position, element: null, code: n.code, text: n.meaning ?? '' });
      for (const e of n.elements) {
        const element = `${n.segmentId}${String(e.position).padStart(2, '0')}${e.component ? `-${e.component}` : ''}`;
        // The bad data an AK4 quotes may be the buyer's name or address.
        const bad = e.badData === undefined ? '' : ` ('${hide ? '[redacted]' : e.badData}')`;
        out.push({ set: s.control, segment: n.segmentId, position: n.position, element, code: e.code, text: `${e.meaning}${e.ref ? ` (element ${e.ref})` : ''}${bad}` });
      }
    }
  }
  return out;
}

/**
 * The received 997 / 999 that answered a group we sent: among the partner's files received after
 * ours, the first whose acknowledgement names the group's control number (a later copy of it was
 * a resend, settled nothing). Read from the stored bytes. Rows are ordered by id: their recorded
 * times come from the system clock, the axes' from the flows' clock, so times are not compared.
 */
async function answeringAck(store: GatewayStore, file: MessageRow, group: MessageRow): Promise<{ id: number; report: AckReport } | null> {
  let found: { id: number; report: AckReport } | null = null;
  for (const row of store.list({ kind: 'file', limit: LIST_SCAN_LIMIT })) {
    if (row.id <= file.id) break;
    if (row.direction !== 'in' || row.partner !== file.partner) continue;
    if (!messageSubtree(store, row.id).some((r) => r.kind === 'set' && (r.docType === '997' || r.docType === '999'))) continue;
    if (!row.blobSha256 || row.purgedAt || !store.blobs.has(row.blobSha256)) continue;
    const bytes = await store.blobs.read(row.blobSha256);
    for (const e of readX12Sync(bytes)) {
      if (e.type !== 'set' || (e.set.id !== '997' && e.set.id !== '999')) continue;
      const report = parseAcknowledgement(e.set);
      if (controlKey(report.group.control) === controlKey(group.control)) found = { id: row.id, report };
    }
  }
  return found;
}

async function acknowledgementOf(store: GatewayStore, file: MessageRow, axes: MessageAxes | null, hide: boolean): Promise<AcknowledgementView | null> {
  if (!axes?.acknowledgement) return null;
  const groups: GroupAcknowledgement[] = [];
  for (const g of messageSubtree(store, file.id).filter((r) => r.kind === 'group')) {
    const ga = await store.work.messages.axes(g.id);
    const state = ga?.acknowledgement ?? null;
    const found = state && ANSWERED.has(state) ? await answeringAck(store, file, g) : null;
    groups.push({
      groupId: g.id,
      control: g.control,
      state,
      at: ga?.acknowledgedAt ?? null,
      ackMessageId: found?.id ?? null,
      ackKind: found?.report.kind ?? null,
      reasons: found ? ackReasons(found.report, hide) : [],
    });
  }
  return {
    state: axes.acknowledgement,
    at: axes.acknowledgedAt,
    dueAt: axes.ackDueAt,
    ackMessageId: groups.find((g) => g.ackMessageId !== null)?.ackMessageId ?? null,
    reasons: groups.flatMap((g) => g.reasons),
    groups,
  };
}

/** One message's whole story, or null when there is no such message. */
export async function messageDetail(store: GatewayStore, id: number, viewer: Viewer): Promise<MessageDetailView | null> {
  const t = store.trace(id);
  if (!t) return null;
  const file = fileRowOf(store, id);
  if (!file) return null;
  const hide = hidesBuyerData(file, viewer);
  const below = messageSubtree(store, file.id);
  const events: MessageEventView[] = [];
  for (const row of [file, ...below]) {
    for (const e of store.trace(row.id)?.events ?? []) {
      const from = e.fromStatus;
      // Axis events are "delivery: pending" -> "delivery: delivered": said once as "delivery: pending -> delivered".
      const axis = /^(\w+): /.exec(e.toStatus)?.[1];
      const what = from === null ? e.toStatus : axis && from.startsWith(`${axis}: `) ? `${from} -> ${e.toStatus.slice(axis.length + 2)}` : `${from} -> ${e.toStatus}`;
      events.push({ at: e.at, messageId: row.id, kind: row.kind, what, detail: e.reason === null ? null : hide ? redactQuoted(e.reason) : e.reason });
    }
  }
  events.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.messageId - b.messageId));
  const s = await summarize(store, file);
  return {
    message: toApiSummary(store, file, s, viewer),
    selected: t.message.kind === 'file' ? null : await envelopeRow(store, t.message, hide),
    events,
    children: await Promise.all(below.map((r) => envelopeRow(store, r, hide))),
    acknowledgement: await acknowledgementOf(store, file, s.axes, hide),
    orders: s.orders,
    redacted: hide,
  };
}

// ------------------------------------------------------------------ raw and parsed

/** Why the bytes of a file cannot be shown: not stored, or retention purged them. */
export class RawUnavailableError extends Error {
  constructor(
    message: string,
    readonly messageId: number,
  ) {
    super(message);
    this.name = 'RawUnavailableError';
  }
}

/** What the first bytes say the file is: X12 by its ISA, XML by '<', JSON by '{' or '[', CSV when its first line has a delimiter. */
export function detectFormat(bytes: Buffer): MessageFormat {
  const head = bytes.subarray(0, 4096).toString('latin1').replace(/^\xEF\xBB\xBF/, '').replace(/^\s+/, '');
  if (head.startsWith('ISA') && head.length > 3 && !/[A-Za-z0-9\s]/.test(head[3])) return 'x12';
  if (head.startsWith('<')) return 'xml';
  if (head.startsWith('{') || head.startsWith('[')) return 'json';
  const first = head.split(/\r?\n/, 1)[0];
  return /[,;\t|]/.test(first) ? 'csv' : 'text';
}

/** UTF-8 when the bytes are, else Latin-1 (a windows-1252 export): one character per byte. */
function decode(bytes: Buffer): { text: string; encoding: 'utf-8' | 'latin1' } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: bytes.toString('latin1'), encoding: 'latin1' };
  }
}

/** One X12 segment as the tokenizer handed it out: 1-based index in the file, line, byte offset. */
export interface RawSegment {
  index: number;
  line: number;
  offset: number;
  length: number;
  tag: string;
  text: string;
}

/**
 * The file's segments in file order, numbered 1-based, with the separators each interchange's
 * ISA declares (the project's tokenizer; nothing is split by hand). With `redact`, the buyer
 * elements of each segment are replaced (the segment keeps its index and line).
 */
export function segmentsOf(bytes: Buffer, redact: boolean): { segments: RawSegment[]; replacements: SegmentReplacement[] } {
  const segments: RawSegment[] = [];
  const replacements: SegmentReplacement[] = [];
  const take = (seg: Segment) => {
    const length = seg.end - seg.start;
    const replaced = redact ? redactSegment(seg) : null;
    if (replaced !== null) replacements.push({ offset: seg.offset, length, text: replaced });
    segments.push({ index: segments.length + 1, line: seg.line, offset: seg.offset, length, tag: seg.id, text: replaced ?? seg.raw() });
  };
  const tokenizer = new Tokenizer({ segment: take, diagnostic: () => {}, interchangeDiagnostic: () => {} });
  tokenizer.push(bytes);
  tokenizer.end();
  return { segments, replacements };
}

export interface RawView {
  id: number;
  fileName: string | null;
  format: MessageFormat;
  encoding: 'utf-8' | 'latin1';
  size: number;
  truncated: boolean;
  redacted: boolean;
  /** Null when withheld (a flat file with buyer data for a token without buyerData): `withheld` says why. */
  text: string | null;
  withheld: string | null;
  lines: number;
  segments?: Array<{ index: number; line: number; tag: string; text: string }>;
}

/**
 * The first RAW_LIMIT_BYTES of a file and its whole size, streamed from the blob store: a file of
 * any size takes at most the cap in memory.
 */
async function fileBytes(store: GatewayStore, id: number): Promise<{ file: MessageRow; bytes: Buffer; size: number; truncated: boolean }> {
  const file = fileRowOf(store, id);
  if (!file) throw new RawUnavailableError(`message ${id} is not in a file`, id);
  if (file.purgedAt) throw new RawUnavailableError(`the raw bytes of ${file.fileName ?? `message ${file.id}`} were purged by retention at ${file.purgedAt}`, file.id);
  if (!file.blobSha256 || !store.blobs.has(file.blobSha256)) throw new RawUnavailableError(`the raw bytes of ${file.fileName ?? `message ${file.id}`} are not in the blob store`, file.id);
  const chunks: Buffer[] = [];
  let kept = 0;
  let size = 0;
  for await (const chunk of (await store.blobs.open(file.blobSha256)) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (kept < RAW_LIMIT_BYTES) {
      const part = chunk.subarray(0, RAW_LIMIT_BYTES - kept);
      chunks.push(part);
      kept += part.length;
    }
  }
  return { file, bytes: Buffer.concat(chunks), size, truncated: size > RAW_LIMIT_BYTES };
}

const withheldMessage = (format: MessageFormat) =>
  `this ${format.toUpperCase()} file may name the buyer (name, address, phone) and cannot be redacted field by field: a token with buyerData: true may see it`;

/** The file's bytes as text (capped at RAW_LIMIT_BYTES), X12 split into numbered segments, redacted for the viewer. */
export async function rawView(store: GatewayStore, id: number, viewer: Viewer): Promise<RawView> {
  const { file, bytes, size, truncated } = await fileBytes(store, id);
  const format = detectFormat(bytes);
  const hide = hidesBuyerData(file, viewer);
  const base = { id: file.id, fileName: file.fileName, format, size, truncated };
  if (format !== 'x12') {
    const { text, encoding } = decode(bytes);
    const lines = text.length === 0 ? 0 : text.split(/\r\n|\r|\n/).length;
    if (hide) return { ...base, encoding, redacted: true, text: null, withheld: withheldMessage(format), lines };
    return { ...base, encoding, redacted: false, text, withheld: null, lines };
  }
  const { segments, replacements } = segmentsOf(bytes, hide);
  const shown = replacements.length ? spliceSegments(bytes, replacements) : bytes;
  const { text, encoding } = decode(shown);
  return {
    ...base,
    encoding,
    redacted: hide,
    text,
    withheld: null,
    lines: text.length === 0 ? 0 : text.split(/\r\n|\r|\n/).length,
    segments: segments.map((s) => ({ index: s.index, line: s.line, tag: s.tag, text: s.text })),
  };
}

export interface ParsedDiagnostic {
  level: 'error' | 'warning' | 'info';
  code: string;
  message: string;
  /** The segment (raw view numbering), null when the problem is not at one segment. */
  segmentIndex: number | null;
  line: number | null;
  /** The segment id ("N1"), when known. */
  segment: string | null;
}

export interface ParsedView {
  id: number;
  format: MessageFormat;
  /** X12: the JSON form (docs/x12-json-form.md); CSV / XML: { document, layout, documents: [...] }; null when not readable or withheld. */
  tree: unknown;
  diagnostics: ParsedDiagnostic[];
  /** Indexes (raw view numbering) of the segments with an error, ascending. */
  failingSegments: number[];
  redacted: boolean;
  withheld: string | null;
  truncated: boolean;
}

/**
 * The segment a diagnostic is about: by the byte offset the reader recorded (exact); without one,
 * the segment with the diagnostic's segment id on its line (several segments may share a line).
 */
function x12Diagnostic(d: Diagnostic, byOffset: Map<number, RawSegment>, byLine: Map<number, RawSegment[]>, hide: boolean): ParsedDiagnostic {
  const { offset, line, segmentId } = d.location;
  const seg = (offset !== undefined ? byOffset.get(offset) : undefined) ?? (line !== undefined && segmentId ? byLine.get(line)?.find((s) => s.tag === segmentId) : undefined);
  return {
    level: d.level,
    code: d.code,
    message: hide ? redactQuoted(d.message) : d.message,
    segmentIndex: seg?.index ?? null,
    line: d.location.line ?? seg?.line ?? null,
    segment: d.location.segmentId ?? seg?.tag ?? null,
  };
}

/** "line 4", "lines 2-4": the first line a translation problem names. */
const lineOf = (where: string): number | null => {
  const m = /\blines? (\d+)/.exec(where);
  return m ? Number(m[1]) : null;
};

/** The partner's documents whose layout reads this format in this direction: the file's own document first. */
function candidateDocuments(store: GatewayStore, file: MessageRow, known: string[], format: MessageFormat, mappings: Parameters<typeof translator>[0]): DocumentName[] {
  const partner = file.partner ? mappings.partners.get(file.partner) : undefined;
  if (!partner) return [];
  const dir = file.direction;
  const out = (Object.entries(partner.documents) as Array<[string, { direction: string; format: string; layout?: string } | undefined]>)
    .filter(([name, d]) => d && d.layout && d.direction === dir && d.format === format && name !== 'acknowledgement')
    .map(([name]) => name as DocumentName);
  return out.sort((a, b) => Number(known.includes(b)) - Number(known.includes(a)));
}

/** The parsed form of a file with its diagnostics; flat files through the partner's mapping. */
export async function parsedView(store: GatewayStore, mappings: Parameters<typeof translator>[0], id: number, viewer: Viewer): Promise<ParsedView> {
  const { file, bytes, truncated } = await fileBytes(store, id);
  const format = detectFormat(bytes);
  const hide = hidesBuyerData(file, viewer);
  // A truncated file is read whole from the store for its diagnostics and documents; its segments past the cap are not numbered (the raw view does not show them).
  const whole = async () => (truncated ? await store.blobs.open(file.blobSha256!) : bytes);
  if (format === 'x12') {
    const { segments, replacements } = segmentsOf(bytes, hide);
    const byOffset = new Map(segments.map((s) => [s.offset, s]));
    const byLine = new Map<number, RawSegment[]>();
    for (const s of segments) byLine.set(s.line, [...(byLine.get(s.line) ?? []), s]);
    const result = await validateFile(await whole(), { file: file.fileName ?? undefined });
    const diagnostics = allDiagnostics(result).map((d) => x12Diagnostic(d, byOffset, byLine, hide));
    const failingSegments = [...new Set(diagnostics.filter((d) => d.level === 'error' && d.segmentIndex !== null).map((d) => d.segmentIndex!))].sort((a, b) => a - b);
    // The tree is built from the redacted bytes: every element the raw view hides is hidden here, at the same place.
    const tree = truncated ? null : await x12JsonForm(replacements.length ? spliceSegments(bytes, replacements) : bytes);
    return { id: file.id, format, tree, diagnostics, failingSegments, redacted: hide, withheld: null, truncated };
  }
  if (format !== 'csv' && format !== 'xml') {
    return { id: file.id, format, tree: null, diagnostics: [], failingSegments: [], redacted: hide, withheld: hide ? withheldMessage(format) : null, truncated };
  }
  const known = (await store.work.inbound.forFile(file.id)).map((d) => d.document);
  if ((await store.work.orders.byFileMessage(file.id)).length) known.unshift('ship-order');
  let best: { tree: unknown; diagnostics: ParsedDiagnostic[]; problems: number } | null = null;
  for (const document of candidateDocuments(store, file, known, format, mappings)) {
    const t = translator(mappings, file.partner!, document);
    const r = await readPartner(t, (await whole()) as Buffer | AsyncIterable<Buffer>, { file: file.fileName ?? undefined });
    const diagnostics: ParsedDiagnostic[] = [
      ...r.fileProblems.map((p) => ({ level: 'error' as const, code: 'file-problem', message: p.message, segmentIndex: null, line: lineOf(p.where), segment: null })),
      ...r.documents.flatMap((d) => [
        ...d.problems.map((p) => ({ level: 'error' as const, code: 'translation', message: `${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`, segmentIndex: null, line: lineOf(p.where), segment: null })),
        ...d.exceptions.map((x) => ({ level: 'warning' as const, code: x.code, message: `${d.where}: ${x.message}`, segmentIndex: null, line: lineOf(d.where), segment: null })),
      ]),
    ];
    // What a layout read before resolution is keyed by the layout's own names: not redactable by key, so not shown when hidden.
    const documents = r.documents.map((d) => ({ where: d.where, status: d.status, document: d.document ?? null, read: d.document || hide ? null : (d.read ?? null) }));
    const tree = { document, layout: t.layout.id, documents: hide ? redactDocument(documents) : documents };
    const problems = r.fileProblems.length + (r.documents.length === 0 ? 1 : 0);
    if (!best || problems < best.problems) best = { tree, diagnostics: hide ? diagnostics.map((d) => ({ ...d, message: redactQuoted(d.message) })) : diagnostics, problems };
    if (problems === 0) break;
  }
  return { id: file.id, format, tree: best?.tree ?? null, diagnostics: best?.diagnostics ?? [], failingSegments: [], redacted: hide, withheld: null, truncated };
}
