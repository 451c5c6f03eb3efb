/**
 * Inbound: every file a partner leaves in its inbound directory, taken once for all of the
 * partner's sellers, recognised, and each document in it handed to exactly one route.
 *
 *   from:  the partner's inbound directory (a poll per partner, on its schedule)
 *   ->     complete? (the partner's rule: two looks a few seconds apart, a done-marker, a temporary name)
 *   ->     bytes streamed into the blob store
 *   ->     recorded: X12 validated with its envelope tree (readReceivedX12); a flat file as one file message
 *   ->     only then archived (or deleted) on the partner's server
 *   ->     recognised: X12 by its ISA and sets; CSV by its header against each layout's columns; XML by its root
 *   ->     X12: our 997s (answerReceivedGroups), their 997 / 999 / TA1 settled (settleAcknowledgements)
 *   to:    each document to its route: 945 / shipments CSV -> shipmentAdviceRoute (src/flows/shipment-to-amazon.ts),
 *          846 / inventory CSV -> inventoryRoute (src/flows/inventory-to-amazon.ts)
 *   else:  invalid -> file 'rejected' + partner-data-rejected; nothing reads it -> file 'held' + unknown-document;
 *          a thrown error -> file 'failed' + file-failed (reprocessFile, or the exception's retry, takes it again)
 *
 * Every document gets an inbound_documents row with what became of it; a document already
 * 'processed' is never handed to its route again (a reprocess after a crash or a fix handles the
 * rest only). Files left 'received' by a crash are taken up first on the next poll.
 */
import type { Readable } from 'node:stream';
import { documentsCarryBuyerData } from '../store/buyer-data.ts';
import { skuIndex, type MappingException } from '../mapping/resolve.ts';
import { translator, readPartnerDocuments, type DocumentName, type InboundDocument, type Translator } from '../mapping/translate.ts';
import type { LayoutFile, PartnerFile } from '../mapping/schema.ts';
import type { InboundDocumentRecord, InboundDocumentState, InboundFileState, ExceptionRecord, RaiseException } from '../store/work.ts';
import { answerReceivedGroups, readReceivedX12, settleAcknowledgements, type ReceivedX12 } from '../tracking/acknowledgements.ts';
import { InboundDirectory, type Completeness, type CompleteFile } from '../transport/inbound.ts';
import { TransportError } from '../transport/transport.ts';
import { formatDiagnostic, type Diagnostic } from '../x12/diagnostics.ts';
import type { FileResult } from '../x12/result.ts';
import { nowIso, type DocumentRoute, type ExceptionRetries, type FlowRunSummary, type GatewayContext, type ReceivedFile } from './context.ts';
import { inboundAsnRoute } from './fba-replenishment.ts';
import { inventoryRoute } from './inventory-to-amazon.ts';
import { receiptRoute } from './removals.ts';
import { shipmentAdviceRoute } from './shipment-to-amazon.ts';

const FLOW = 'inbound';

/**
 * A file whose processing threw is taken up again by the next polls, this many times in all
 * (its file-failed exception counts the failures); after that only `exceptions retry` does, so
 * a file that fails every time does not fail every minute.
 */
export const FAILED_FILE_ATTEMPTS = 3;

/** Where each document a partner sends goes. A function, not a table: the route modules import this one back (retries). */
function routeFor(document: DocumentName): DocumentRoute | undefined {
  if (document === 'shipment-advice') return shipmentAdviceRoute;
  if (document === 'inventory') return inventoryRoute;
  if (document === 'inbound-asn') return inboundAsnRoute;
  if (document === 'receipt') return receiptRoute;
  return undefined;
}

/** Acknowledgement sets: settled against what we sent, never routed as business documents. */
const ACK_SETS = new Set(['997', '999']);

/** The exception ref naming a received file (retries reprocess the files in an exception's refs). */
export const fileRef = (messageId: number): string => `file:${messageId}`;
export const fileOfRef = (ref: string): number | null => (/^file:(\d+)$/.test(ref) ? Number(ref.slice(5)) : null);

/** A received file as an exception names it. */
export const fileContext = (file: ReceivedFile) => ({ name: file.name, messageId: file.messageId });

/**
 * The exception a held received document raises for each thing its mapping does not know (the
 * inventory and receipt routes): an unknown item or SKU is unmapped-sku naming the partner's
 * sellers' SKU tables, anything else a mapping-problem at the key to fix.
 */
export function heldDocumentException(ctx: GatewayContext, file: ReceivedFile, doc: InboundDocument, e: MappingException, now: string, document: DocumentName): RaiseException {
  const partner = ctx.mappings.partners.get(file.partner);
  const where = e.field ? `${doc.where}, ${e.field}` : doc.where;
  const context = { file: fileContext(file), where, details: { document, fileMessageId: file.messageId } };
  if (e.code === 'unknown-item' || e.code === 'unknown-sku') {
    const tables = (partner?.sellers ?? []).map((s) => ctx.mappings.sellers.get(s)).filter((s) => s !== undefined).map((s) => skuIndex(ctx.mappings, s.id).file);
    return { kind: 'unmapped-sku', severity: 'error', partner: file.partner, key: e.value, message: e.message, context: { ...context, mappingFile: e.file ?? tables.join(', '), mappingKey: 'items' }, ref: fileRef(file.messageId), now };
  }
  const isState = e.code === 'unknown-stock-state';
  return {
    kind: 'mapping-problem',
    severity: 'error',
    partner: file.partner,
    key: `${e.code}:${e.value}`,
    message: e.message,
    context: { ...context, ...(e.file && { mappingFile: e.file }), mappingKey: isState ? 'stockStates' : (e.field ?? e.code) },
    ref: fileRef(file.messageId),
    now,
  };
}

/** A file's processing failed in a way that says something about the file, not about us (wrapped for the log). */
class InboundFileError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'InboundFileError';
  }
}

// ------------------------------------------------------------------ completeness

/**
 * The partner's completeness rule (transport.completeness in the partner file): a done-marker,
 * a temporary name, or by default two looks of size and modification time.
 */
function completenessOf(partner: PartnerFile): Completeness {
  return partner.transport.completeness ?? { mode: 'stable' };
}

function inboundDirectory(partner: PartnerFile, transport: Awaited<ReturnType<GatewayContext['transport']>>): InboundDirectory {
  const dirs = partner.transport.directories;
  return new InboundDirectory(transport, { dir: dirs.inbound, completeness: completenessOf(partner), after: dirs.archive ? { archive: dirs.archive } : { delete: true } });
}

// ------------------------------------------------------------------ recognising a file

const head = async (stream: Readable, max: number): Promise<Buffer> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of stream as AsyncIterable<Buffer>) {
    chunks.push(c);
    size += c.length;
    if (size >= max) break;
  }
  stream.destroy();
  return Buffer.concat(chunks).subarray(0, max);
};

/** A stored file's size, counted as it streams (not held whole); 0 when its bytes cannot be read (processing then says why). */
async function blobSize(ctx: GatewayContext, sha256: string): Promise<number> {
  let size = 0;
  try {
    for await (const c of (await ctx.store.blobs.open(sha256)) as AsyncIterable<Buffer>) size += c.length;
  } catch {
    return 0;
  }
  return size;
}

/** X12 by its envelope: ISA first (after a BOM and blanks), then the element separator it declares (not a letter or digit). */
export function looksLikeX12(start: Buffer): boolean {
  const text = start.toString('latin1').replace(/^\uFEFF|^\xEF\xBB\xBF/, '').replace(/^[\s]+/, '');
  return text.startsWith('ISA') && text.length > 3 && !/[A-Za-z0-9\s]/.test(text[3]);
}

/** The cells of a CSV file's first record (enough of it to compare with a layout's columns). */
function firstRecord(text: string, delimiter: string, quote: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === quote && text[i + 1] === quote) {
        cell += quote;
        i++;
      } else if (ch === quote) quoted = false;
      else cell += ch;
    } else if (ch === quote && cell.trim() === '') quoted = true;
    else if (ch === delimiter) {
      cells.push(cell.trim());
      cell = '';
    } else if (ch === '\n' || ch === '\r') break;
    else cell += ch;
  }
  cells.push(cell.trim());
  return cells;
}

/** The name of an XML file's root element (past the declaration, comments and a doctype). */
function xmlRoot(text: string): string | null {
  const body = text.replace(/^\uFEFF/, '').replace(/<\?[\s\S]*?\?>/g, '').replace(/<!--[\s\S]*?-->/g, '').replace(/<![^>]*>/g, '');
  return /<([A-Za-z_][\w.:-]*)[\s/>]/.exec(body)?.[1] ?? null;
}

interface FlatMatch {
  document: DocumentName;
  layout: LayoutFile;
}

/**
 * Which of the partner's inbound flat-file layouts reads this file: CSV by the header row
 * holding every column of the layout (a layout without a header row: the one whose column
 * count the first row has, when only one does); XML by the root element. Null: none does.
 */
function recogniseFlat(ctx: GatewayContext, partner: PartnerFile, start: Buffer): FlatMatch | null {
  const candidates: Array<FlatMatch & { score: number }> = [];
  const headerless: FlatMatch[] = [];
  for (const [document, d] of Object.entries(partner.documents) as Array<[DocumentName | 'acknowledgement', PartnerFile['documents'][keyof PartnerFile['documents']]]>) {
    if (!d || d.direction !== 'in' || !d.layout || document === 'acknowledgement') continue;
    const layout = ctx.mappings.layouts.get(d.layout);
    if (!layout) continue;
    if (layout.format === 'csv') {
      // Header names are plain ASCII in every layout; latin1 reads them whatever the file's encoding.
      const cells = firstRecord(start.toString('latin1').replace(/^\xEF\xBB\xBF/, ''), layout.csv.delimiter, layout.csv.quote);
      if (layout.csv.header) {
        if (layout.columns.every((c) => cells.includes(c))) candidates.push({ document, layout, score: layout.columns.length });
      } else if (cells.length === layout.columns.length) headerless.push({ document, layout });
    } else if (layout.format === 'xml') {
      if (xmlRoot(start.toString('utf8')) === layout.xml.root) candidates.push({ document, layout, score: 1 });
    }
  }
  candidates.sort((a, b) => b.score - a.score);
  if (candidates[0]) return candidates[0];
  return headerless.length === 1 ? headerless[0] : null;
}

// ------------------------------------------------------------------ the poll

interface Counts {
  recovered: number;
  taken: number;
  again: number;
  waiting: number;
  refused: number;
  processed: number;
  held: number;
  rejected: number;
  failed: number;
  documents: number;
}

/**
 * One poll of a partner's inbound directory. First the files a crash left 'received' (taken,
 * not processed) are processed from their stored bytes; then every complete file is taken,
 * recorded, archived and processed, one file's failure never stopping the others.
 */
export async function pollPartnerFiles(ctx: GatewayContext, partnerId: string): Promise<FlowRunSummary> {
  const counts: Counts = { recovered: 0, taken: 0, again: 0, waiting: 0, refused: 0, processed: 0, held: 0, rejected: 0, failed: 0, documents: 0 };
  const summary = (): FlowRunSummary => ({ flow: FLOW, scope: partnerId, counts: { ...counts }, failed: counts.failed });
  const partner = ctx.mappings.partners.get(partnerId);
  if (!partner) throw new Error(`inbound poll: no partner '${partnerId}' in the mappings`);
  const log = ctx.log.child({ flow: FLOW, partner: partnerId });

  // Files that failed in an earlier poll (a passing cause: a disk, a lock): again, up to FAILED_FILE_ATTEMPTS in all.
  for (const x of await ctx.store.work.exceptions.list({ kind: 'file-failed', partner: partnerId, states: ['open', 'acknowledged'] })) {
    if (x.count >= FAILED_FILE_ATTEMPTS) continue;
    for (const ref of x.refs) {
      const id = fileOfRef(ref);
      const m = id === null ? null : ctx.store.get(id);
      if (!m || m.status !== 'failed' || !m.blobSha256) continue;
      counts.recovered++;
      log.info({ event: 'inbound.retry-failed', messageId: m.id, file: m.fileName, failures: x.count }, 'processing a file that failed before, again');
      const size = await blobSize(ctx, m.blobSha256);
      count(counts, await processSafely(ctx, partner, { messageId: m.id, partner: partnerId, name: m.fileName ?? `file-${m.id}`, sha256: m.blobSha256, size }, counts));
    }
  }

  // A crash between taking a file and processing it left it 'received': its bytes are in the store.
  for (const left of await ctx.store.work.messages.unprocessedReceived(partnerId)) {
    counts.recovered++;
    log.info({ event: 'inbound.recover', messageId: left.id, file: left.fileName }, 'processing a file taken before a crash');
    const size = await blobSize(ctx, left.sha256);
    const state = await processSafely(ctx, partner, { messageId: left.id, partner: partnerId, name: left.fileName, sha256: left.sha256, size }, counts);
    count(counts, state);
  }

  let dir: InboundDirectory;
  let look;
  try {
    dir = inboundDirectory(partner, await ctx.transport(partnerId));
    look = await dir.look({ sleep: (ms) => ctx.clock.sleep(ms), ms: ctx.settings.secondLookMs });
  } catch (e) {
    await partnerUnavailable(ctx, partnerId, e);
    counts.failed++;
    return summary();
  }
  await ctx.store.work.exceptions.resolveCause('partner-unavailable', partnerId, null, partnerId, 'its server answered a poll again', nowIso(ctx));
  counts.waiting = look.waiting.length;
  counts.refused = look.refused.length;
  for (const r of look.refused) log.warn({ event: 'inbound.refused-name', file: r.name, reason: r.reason }, 'a file name on the partner server is refused; it is left there');

  for (const remote of look.complete) {
    let taken: Taken | null;
    try {
      taken = await take(ctx, partner, dir, remote);
    } catch (e) {
      counts.failed++;
      log.error({ event: 'inbound.take-failed', file: remote.name, err: (e as Error).message }, 'a file could not be taken; it stays on the server for the next poll');
      if (e instanceof TransportError && e.kind === 'network') {
        await partnerUnavailable(ctx, partnerId, e);
        break;
      }
      continue;
    }
    if (!taken) {
      counts.again++;
      continue;
    }
    counts.taken++;
    count(counts, await processSafely(ctx, partner, taken.file, counts, taken.x12));
  }
  log.info({ event: 'inbound.polled', ...counts }, `inbound poll of ${partnerId}: ${counts.taken} taken, ${counts.recovered} recovered, ${counts.failed} failed`);
  return summary();
}

function count(counts: Counts, state: InboundFileState): void {
  if (state === 'processed' || state === 'held' || state === 'rejected' || state === 'failed') counts[state]++;
}

async function partnerUnavailable(ctx: GatewayContext, partnerId: string, e: unknown): Promise<void> {
  const message = e instanceof Error ? e.message : String(e);
  ctx.log.error({ flow: FLOW, event: 'inbound.partner-unavailable', partner: partnerId, err: message }, 'the partner server could not be read');
  await ctx.store.work.exceptions.raise({
    kind: 'partner-unavailable',
    severity: 'error',
    partner: partnerId,
    key: partnerId,
    message: `${partnerId}: its inbound directory could not be read: ${message}`,
    context: { details: { error: message, ...(e instanceof TransportError && { transportFailure: e.kind }) } },
    now: nowIso(ctx),
  });
}

/**
 * Take one complete file: its bytes into the blob store, recorded, and only then archived. A
 * file already recorded under this name with these bytes (archiving failed after recording) is
 * only archived again: null.
 */
interface Taken {
  file: ReceivedFile;
  /** X12: read and recorded as it was taken (not validated a second time to process it). */
  x12?: ReceivedX12;
}

async function take(ctx: GatewayContext, partner: PartnerFile, dir: InboundDirectory, remote: CompleteFile): Promise<Taken | null> {
  const blob = await dir.take(remote.name, (bytes) => ctx.store.blobs.putStream(bytes));
  const earlier = ctx.store.receivedFiles(partner.id, remote.name);
  const same = earlier.find((m) => m.blobSha256 === blob.sha256);
  if (same) {
    await dir.finish(remote, ctx.clock.now());
    ctx.log.info({ flow: FLOW, event: 'inbound.taken-again', partner: partner.id, file: remote.name, messageId: same.id }, 'a file already recorded was archived again');
    return null;
  }
  if (earlier.length) {
    ctx.log.warn({ flow: FLOW, event: 'inbound.name-reused', partner: partner.id, file: remote.name, earlier: earlier.map((m) => m.id) }, 'the partner sent a name it used before, with other bytes: taken as a new file');
  }
  const x12 = looksLikeX12(await head(await ctx.store.blobs.open(blob.sha256), 128)) ? await readReceivedX12(ctx.store, partner.id, remote.name, blob) : undefined;
  const messageId = x12
    ? x12.messageId
    : await ctx.store.work.messages.recordFile({
        direction: 'in',
        partner: partner.id,
        fileName: remote.name,
        sha256: blob.sha256,
        size: blob.size,
        status: 'received',
        // What the file holds is known once it is read: until then it may carry buyer data.
        containsPii: true,
        children: [],
      });
  await dir.finish(remote, ctx.clock.now());
  ctx.log.info({ flow: FLOW, event: 'inbound.taken', partner: partner.id, file: remote.name, messageId, size: blob.size, x12: !!x12 }, 'file taken and recorded');
  return { file: { messageId, partner: partner.id, name: remote.name, sha256: blob.sha256, size: blob.size }, x12 };
}

// ------------------------------------------------------------------ processing one recorded file

/** What one file held, as its processing went. */
interface Outcome {
  documents: string[];
  states: InboundDocumentState[];
  /** Problems with the file as a whole: it is rejected. */
  fileProblems: string[];
  notes: string[];
}

/** Process one recorded file; a thrown error leaves it 'failed' with a file-failed exception. */
async function processSafely(ctx: GatewayContext, partner: PartnerFile, file: ReceivedFile, counts: Counts, pre?: ReceivedX12): Promise<InboundFileState> {
  try {
    const r = await processFile(ctx, partner, file, pre);
    counts.documents += r.documents;
    return r.state;
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    const now = nowIso(ctx);
    ctx.log.error({ flow: FLOW, event: 'inbound.file-failed', partner: partner.id, file: file.name, messageId: file.messageId, err: message }, 'processing a received file failed; it is kept for a retry');
    await ctx.store.transaction(async (w) => {
      await w.messages.setStatus(file.messageId, 'failed', message.slice(0, 500), false, now);
      await w.exceptions.raise({
        kind: 'file-failed',
        severity: 'error',
        partner: partner.id,
        key: fileRef(file.messageId),
        message: `${file.name} from ${partner.id} could not be processed: ${message}`,
        context: { file: { name: file.name, messageId: file.messageId }, details: { error: message, ...(e instanceof Error && { errorName: e.name }) } },
        ref: fileRef(file.messageId),
        now,
      });
    });
    return 'failed';
  }
}

/**
 * Recognise a recorded file and hand its documents to their routes. Documents already
 * 'processed' (an earlier run, before a crash or a failure) are not handed over again.
 */
async function processFile(ctx: GatewayContext, partner: PartnerFile, file: ReceivedFile, pre?: ReceivedX12): Promise<{ state: InboundFileState; documents: number }> {
  const start = await head(await ctx.store.blobs.open(file.sha256), 64 * 1024);
  const ledger = await Ledger.of(ctx, file.messageId);
  const outcome: Outcome = { documents: [], states: [], fileProblems: [], notes: [] };
  if (looksLikeX12(start)) await processX12(ctx, partner, file, ledger, outcome, pre);
  else await processFlat(ctx, partner, file, start, ledger, outcome);

  // The file's final state: the worst of what its documents became.
  const state: InboundFileState = outcome.fileProblems.length || outcome.states.includes('rejected') ? 'rejected' : outcome.states.some((s) => s === 'held' || s === 'unknown') ? 'held' : 'processed';
  const tally = (s: InboundDocumentState) => outcome.states.filter((x) => x === s).length;
  const reason = [
    `${outcome.states.length} document(s): ${tally('processed')} processed, ${tally('held')} held, ${tally('rejected')} rejected, ${tally('unknown')} unknown`,
    ...outcome.fileProblems.slice(0, 3),
    ...outcome.notes.slice(0, 3),
  ].join('; ');
  const now = nowIso(ctx);
  await ctx.store.transaction(async (w) => {
    // Nothing more waits on a processed or rejected file (the partner must send a rejected one again);
    // a held one waits for its fix and retry.
    await w.messages.setStatus(file.messageId, state, reason, state !== 'held', now);
    if (outcome.documents.length && !documentsCarryBuyerData(outcome.documents)) await w.messages.setContainsPii(file.messageId, false);
    await w.exceptions.resolveCause('file-failed', fileRef(file.messageId), null, partner.id, `processed again: ${state}`, now);
  });
  ctx.log.info({ flow: FLOW, event: 'inbound.file-done', partner: partner.id, file: file.name, messageId: file.messageId, state, documents: outcome.states.length }, `file ${state}`);
  return { state, documents: outcome.states.length };
}

/**
 * The inbound_documents rows of one file. A document is known again (a reprocess) by its
 * document name, where it is in the file, and its place among the documents read from there
 * (an 846 set yields one snapshot per seller): file positions shift when a fix makes a route read
 * what was unknown, these do not.
 */
class Ledger {
  private readonly rows: InboundDocumentRecord[];
  private next: number;
  private readonly seen = new Map<string, number>();

  private constructor(
    private readonly ctx: GatewayContext,
    private readonly fileMessageId: number,
    rows: InboundDocumentRecord[],
  ) {
    this.rows = [...rows].sort((a, b) => a.index - b.index);
    this.next = this.rows.reduce((n, r) => Math.max(n, r.index + 1), 0);
  }

  static async of(ctx: GatewayContext, fileMessageId: number): Promise<Ledger> {
    return new Ledger(ctx, fileMessageId, await ctx.store.work.inbound.forFile(fileMessageId));
  }

  /** The row this document had in an earlier run, if any; each call moves to the next document read from `where`. */
  claim(document: string, where: string): { row: InboundDocumentRecord | undefined; slot: string } {
    const id = `${document}\u0000${where}`;
    const k = this.seen.get(id) ?? 0;
    this.seen.set(id, k + 1);
    return { row: this.rows.filter((r) => r.document === document && r.where === where)[k], slot: id };
  }

  async write(claimed: { row: InboundDocumentRecord | undefined }, d: Omit<InboundDocumentRecord, 'at' | 'index' | 'fileMessageId'>): Promise<void> {
    const at = nowIso(this.ctx);
    if (claimed.row) {
      await this.ctx.store.work.inbound.setState(this.fileMessageId, claimed.row.index, d.state, d.reason, at);
      Object.assign(claimed.row, { state: d.state, reason: d.reason, at });
      return;
    }
    const row: InboundDocumentRecord = { ...d, fileMessageId: this.fileMessageId, index: this.next++, at };
    await this.ctx.store.work.inbound.add(row);
    this.rows.push(row);
    claimed.row = row;
  }
}

const describeProblems = (doc: InboundDocument): string =>
  [...doc.problems.map((p) => `${p.where}${p.field ? ` ${p.field}` : ''}: ${p.message}`), ...doc.exceptions.map((x) => x.message)].join('; ');

/** A document's seller and business key, as far as the translation got. */
function identify(doc: InboundDocument): { seller: string | null; key: string | null } {
  const d = (doc.document ?? doc.read ?? {}) as Record<string, unknown>;
  const seller = typeof d.seller === 'string' ? d.seller : null;
  if (typeof d.orderId === 'string') return { seller, key: d.orderId };
  if (typeof d.asOf === 'string' || typeof d.warehouse === 'string') return { seller, key: `${String(d.warehouse ?? '?')} as of ${String(d.asOf ?? '?')}` };
  if (typeof d.receiptId === 'string') return { seller, key: d.receiptId };
  return { seller, key: null };
}

/** The partner data is wrong: one exception per file, listing where. */
async function rejectData(ctx: GatewayContext, file: ReceivedFile, where: string, message: string, details: Record<string, unknown>, seller?: string | null): Promise<void> {
  await ctx.store.work.exceptions.raise({
    kind: 'partner-data-rejected',
    severity: 'error',
    partner: file.partner,
    ...(seller && { seller }),
    key: fileRef(file.messageId),
    message: `${file.name} from ${file.partner}: ${where}: ${message}`,
    context: { file: { name: file.name, messageId: file.messageId }, where, details },
    ref: fileRef(file.messageId),
    now: nowIso(ctx),
  });
}

/** Nothing reads this document: kept (the file is held), reported once per partner and kind, listing the files. */
async function unknownDocument(ctx: GatewayContext, file: ReceivedFile, what: string, where: string, hint: string): Promise<void> {
  await ctx.store.work.exceptions.raise({
    kind: 'unknown-document',
    severity: 'warning',
    partner: file.partner,
    key: what,
    message: `${file.partner} sent ${what}, which no route of this gateway reads (${hint}): the file ${file.name} is kept, not processed`,
    context: { file: { name: file.name, messageId: file.messageId }, where, mappingFile: ctx.mappings.files.get(ctx.mappings.partners.get(file.partner)!) },
    ref: fileRef(file.messageId),
    now: nowIso(ctx),
  });
}

/** Hand one translated document to its route (rejected ones are the inbound step's: one exception per file). */
async function route(ctx: GatewayContext, file: ReceivedFile, document: DocumentName, r: DocumentRoute, doc: InboundDocument, index: number, ledger: Ledger, outcome: Outcome): Promise<void> {
  outcome.documents.push(document);
  const { seller, key } = identify(doc);
  const claimed = ledger.claim(document, doc.where);
  if (claimed.row?.state === 'processed') {
    outcome.states.push('processed');
    return;
  }
  let state: InboundDocumentState;
  let reason: string | null;
  if (doc.status === 'rejected') {
    state = 'rejected';
    reason = describeProblems(doc);
    await rejectData(ctx, file, doc.where, reason, { document, problems: doc.problems }, seller);
    await r.rejected?.(ctx, file, doc, index);
  } else {
    const handled = await r.handle(ctx, file, doc, index);
    state = handled.state;
    reason = handled.reason ?? (doc.status === 'held' ? describeProblems(doc) : null);
  }
  if (doc.notes?.length) outcome.notes.push(...doc.notes.map((n) => `${doc.where}: ${n}`));
  await ledger.write(claimed, { where: doc.where, document, seller, key, state, reason });
  outcome.states.push(state);
}

/**
 * A diagnostic as an exception tells it: without the excerpt it found (the exception queue
 * outlives the file's retention, and the excerpt may quote a ship-to).
 */
const told = (d: Diagnostic): string => formatDiagnostic({ ...d, found: undefined });

/** Where a located diagnostic points: line, segment and element. */
function located(d: Diagnostic): string {
  const l = d.location;
  const element = l.element ? `-${String(l.element).padStart(2, '0')}${l.component ? `-${l.component}` : ''}` : '';
  return [l.line ? `line ${l.line}` : null, l.segmentId ? `${l.segmentId}${element}` : null].filter(Boolean).join(' ') || 'file';
}

async function processX12(ctx: GatewayContext, partner: PartnerFile, file: ReceivedFile, ledger: Ledger, outcome: Outcome, pre?: ReceivedX12): Promise<void> {
  // Read again from the blob when not just taken (a crash, a reprocess): the first record is reused.
  const received = pre ?? (await readReceivedX12(ctx.store, partner.id, file.name, { sha256: file.sha256, size: file.size }));
  const result = received.result;
  // Our 997 for every group, errors and all (answered once per group: a reprocess answers nothing twice).
  await answerReceivedGroups(ctx, file, result);
  const settledMarker = `inbound-settled:${file.messageId}`;
  if (!received.duplicate && (await ctx.store.work.cursors.get(settledMarker)) === null && (received.acks.length || received.ta1s.length)) {
    await settleAcknowledgements(ctx, partner.id, received.acks, received.ta1s);
    await ctx.store.work.cursors.set(settledMarker, 'settled', nowIso(ctx));
  }

  // Envelope errors (file, interchange, group) reject the whole file: the 997 / TA1 says so to the partner.
  const envelopeErrors: Diagnostic[] = [...result.diagnostics, ...result.interchanges.flatMap((ic) => [...ic.diagnostics, ...ic.groups.flatMap((g) => g.diagnostics)])].filter((d) => d.level === 'error');
  for (const s of result.unenveloped) envelopeErrors.push(...s.diagnostics.filter((d) => d.level === 'error'));
  if (envelopeErrors.length) {
    const first = envelopeErrors[0];
    outcome.fileProblems.push(...envelopeErrors.slice(0, 3).map((d) => `${located(d)}: ${formatDiagnostic(d)}`));
    await rejectData(ctx, file, located(first), told(first), {
      diagnostics: envelopeErrors.slice(0, 10).map((d) => ({ code: d.code, line: d.location.line, segment: d.location.segmentId, element: d.location.element, message: d.message })),
      errors: envelopeErrors.length,
    });
    return;
  }
  // An interchange from someone else than this partner (a misrouted file, a wrong ISA05/06) is not its data.
  const them = partner.x12?.them;
  const strangers = them ? result.interchanges.filter((ic) => ic.header.senderId.trim() !== them.id || ic.header.senderQualifier.trim() !== them.qualifier) : [];
  if (strangers.length) {
    const h = strangers[0].header;
    const message = `ISA05/06 is ${h.senderQualifier.trim()}/${h.senderId.trim()}, partner ${partner.id} sends as ${them!.qualifier}/${them!.id}: not read as its documents`;
    outcome.fileProblems.push(`line ${h.isa.line} ISA-06: ${message}`);
    await rejectData(ctx, file, `line ${h.isa.line} ISA-06`, message, { sender: `${h.senderQualifier.trim()}:${h.senderId.trim()}`, expected: `${them!.qualifier}:${them!.id}` });
    return;
  }
  if (received.duplicate) {
    // A resend of interchanges already received: their documents went to their routes the first time.
    outcome.notes.push('a resent interchange: its documents were handled when it was first received');
    return;
  }

  // Sets in file order, each with its index in the file and whether validation found errors in it.
  const sets = result.interchanges.flatMap((ic) => ic.groups.flatMap((g) => g.sets));
  const indexOf = new Map(sets.map((s, i) => [`${s.id} ${s.control} ${s.line}`, i]));
  const bySet = new Map<string, DocumentName>();
  for (const [document, d] of Object.entries(partner.documents)) {
    if (!d || d.direction !== 'in' || d.format !== 'x12' || !d.layout) continue;
    const layout = ctx.mappings.layouts.get(d.layout);
    if (layout?.format === 'x12') bySet.set(layout.set, document as DocumentName);
  }

  // Invalid sets: rejected here (their 997 AK5 says so), never handed to a route.
  const invalid = new Set<number>();
  for (const [i, s] of sets.entries()) {
    const errors = s.diagnostics.filter((d) => d.level === 'error');
    if (!errors.length) continue;
    invalid.add(i);
    const where = `set ${s.id} ${s.control} (line ${s.line})`;
    const reason = errors.slice(0, 3).map((d) => `${located(d)}: ${formatDiagnostic(d)}`).join('; ');
    outcome.documents.push(bySet.get(s.id) ?? (ACK_SETS.has(s.id) ? 'acknowledgement' : `x12-${s.id}`));
    outcome.states.push('rejected');
    await rejectData(ctx, file, `${where}, ${located(errors[0])}`, told(errors[0]), {
      set: s.id,
      control: s.control,
      diagnostics: errors.slice(0, 10).map((d) => ({ code: d.code, line: d.location.line, segment: d.location.segmentId, element: d.location.element, message: d.message })),
    });
    const document = bySet.get(s.id) ?? (ACK_SETS.has(s.id) ? 'acknowledgement' : `x12-${s.id}`);
    await ledger.write(ledger.claim(document, where), { where, document, seller: null, key: s.control, state: 'rejected', reason });
    // The route's own records may need to say so too (an FBA shipment's 945 with a bad SSCC: flagged on the shipment).
    const r = bySet.has(s.id) ? routeFor(bySet.get(s.id)!) : undefined;
    if (r?.rejected) await r.rejected(ctx, file, { where, status: 'rejected', problems: errors.map((d) => ({ where: located(d), message: told(d) })), exceptions: [] }, i);
  }

  // Acknowledgements were settled above; sets no route reads are kept and reported.
  const toRead = new Set<DocumentName>();
  for (const [i, s] of sets.entries()) {
    if (invalid.has(i)) continue;
    const where = `set ${s.id} ${s.control} (line ${s.line})`;
    if (ACK_SETS.has(s.id)) {
      outcome.documents.push('acknowledgement');
      outcome.states.push('processed');
      const claimed = ledger.claim('acknowledgement', where);
      if (!claimed.row) await ledger.write(claimed, { where, document: 'acknowledgement', seller: null, key: s.control, state: 'processed', reason: 'settled against what we sent' });
      continue;
    }
    const document = bySet.get(s.id);
    if (document && routeFor(document)) {
      toRead.add(document);
      continue;
    }
    outcome.documents.push(document ?? `x12-${s.id}`);
    outcome.states.push('unknown');
    const hint = document ? `partner ${partner.id} maps it as ${document}, which has no flow yet` : `partner ${partner.id} maps no ${s.id}`;
    await unknownDocument(ctx, file, `X12 ${s.id}`, where, hint);
    await ledger.write(ledger.claim(document ?? `x12-${s.id}`, where), { where, document: document ?? `x12-${s.id}`, seller: null, key: s.control, state: 'unknown', reason: hint });
  }

  for (const document of toRead) {
    const t = translator(ctx.mappings, partner.id, document);
    const layoutSet = (t.layout as Extract<LayoutFile, { format: 'x12' }>).set;
    for await (const e of readPartnerDocuments(t, await ctx.store.blobs.open(file.sha256), { file: file.name })) {
      // Envelope problems were judged above from the validation; the translator repeats them.
      if (e.type === 'file-problem') continue;
      const m = /^set (\S+) (\S+) \(line (\d+)\)/.exec(e.document.where);
      if (!m || m[1] !== layoutSet) continue;
      const index = indexOf.get(`${m[1]} ${m[2]} ${m[3]}`);
      if (index === undefined) throw new InboundFileError(`${e.document.where}: the translator found a set validation did not`, file.name);
      if (invalid.has(index)) continue;
      await route(ctx, file, document, routeFor(document)!, e.document, index, ledger, outcome);
    }
  }
}

async function processFlat(ctx: GatewayContext, partner: PartnerFile, file: ReceivedFile, start: Buffer, ledger: Ledger, outcome: Outcome): Promise<void> {
  const match = recogniseFlat(ctx, partner, start);
  const r = match && routeFor(match.document);
  if (!match || !r) {
    const what = match ? `a ${match.document} file (layout ${match.layout.id})` : 'a file no layout reads';
    const hint = match ? `${match.document} has no flow yet` : `its first line matches no inbound layout of partner ${partner.id}`;
    outcome.documents.push(match?.document ?? 'unknown');
    outcome.states.push('unknown');
    await unknownDocument(ctx, file, match ? `${match.document} (${match.layout.id})` : 'unrecognised file', 'file', hint);
    const document = match?.document ?? 'unknown';
    await ledger.write(ledger.claim(document, 'file'), { where: 'file', document, seller: null, key: file.name, state: 'unknown', reason: `${what}: ${hint}` });
    return;
  }
  const t: Translator = translator(ctx.mappings, partner.id, match.document);
  let index = 0;
  for await (const e of readPartnerDocuments(t, await ctx.store.blobs.open(file.sha256), { file: file.name })) {
    if (e.type === 'file-problem') {
      outcome.fileProblems.push(`${e.problem.where}: ${e.problem.message}`);
      await rejectData(ctx, file, e.problem.where, e.problem.message, { layout: match.layout.id });
      continue;
    }
    await route(ctx, file, match.document, r, e.document, index++, ledger, outcome);
  }
}

// ------------------------------------------------------------------ again, after a fix

/**
 * Process a received file again from its stored bytes (after a mapping fix, or a failure): its
 * documents not yet processed go to their routes; those processed before are left alone.
 */
export async function reprocessFile(ctx: GatewayContext, fileMessageId: number): Promise<string> {
  const m = ctx.store.get(fileMessageId);
  if (!m || m.kind !== 'file' || m.direction !== 'in') throw new Error(`message ${fileMessageId} is not a received file`);
  if (!m.blobSha256 || m.purgedAt || !ctx.store.blobs.has(m.blobSha256)) throw new Error(`${m.fileName ?? `file ${fileMessageId}`}: its bytes are no longer stored (purged by retention): the partner must send it again`);
  const partner = m.partner ? ctx.mappings.partners.get(m.partner) : undefined;
  if (!partner) throw new Error(`${m.fileName}: partner ${m.partner ?? '(none)'} is not in the mappings`);
  const size = await blobSize(ctx, m.blobSha256);
  const counts: Counts = { recovered: 0, taken: 0, again: 0, waiting: 0, refused: 0, processed: 0, held: 0, rejected: 0, failed: 0, documents: 0 };
  const state = await processSafely(ctx, partner, { messageId: fileMessageId, partner: partner.id, name: m.fileName ?? `file-${fileMessageId}`, sha256: m.blobSha256, size }, counts);
  return `${m.fileName} (message ${fileMessageId}): ${state}`;
}

/**
 * Reprocess every file an exception lists. A file whose reprocess no longer meets the cause
 * (the exception was not raised again for it) is dropped from the exception's refs, which
 * resolves the exception once none is left.
 */
export async function reprocessRefs(ctx: GatewayContext, x: ExceptionRecord): Promise<string> {
  const lines: string[] = [];
  for (const ref of x.refs) {
    const id = fileOfRef(ref);
    if (id === null) continue;
    const before = (await ctx.store.work.exceptions.get(x.id))?.count ?? x.count;
    try {
      lines.push(await reprocessFile(ctx, id));
    } catch (e) {
      lines.push(`${ref}: ${(e as Error).message}`);
      continue;
    }
    const after = await ctx.store.work.exceptions.get(x.id);
    if (after && after.state !== 'resolved' && after.count === before) await ctx.store.work.exceptions.dropRef(x.id, ref, `reprocessed without ${x.kind}`, nowIso(ctx));
  }
  return lines.length ? lines.join('\n') : `exception ${x.id} lists no received file`;
}

/**
 * For kinds raised by orders as well as by received files (unmapped-sku, mapping-problem): the
 * files among the refs are reprocessed, and nothing is said when there are none (the orders'
 * own retry speaks for those).
 */
async function reprocessHeldFiles(ctx: GatewayContext, x: ExceptionRecord): Promise<string> {
  return x.refs.some((r) => fileOfRef(r) !== null) ? reprocessRefs(ctx, x) : '';
}

export const retries: ExceptionRetries = {
  'file-failed': reprocessRefs,
  'unknown-document': reprocessRefs,
  'partner-data-rejected': reprocessRefs,
  'unmapped-sku': reprocessHeldFiles,
  'mapping-problem': reprocessHeldFiles,
};
