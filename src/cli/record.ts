/**
 * Recording in the message store from the CLI (--record): raw bytes first (content-addressed,
 * fsynced), then the message rows of the file and its envelope tree in one transaction.
 */
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { LoadedConfig } from '../config/config.ts';
import { x12CarriesBuyerData } from '../store/buyer-data.ts';
import { receivedNodes, summary, verdict } from '../store/envelope-nodes.ts';
import { DuplicateInterchangeError, openStore, type HeldInterchange, type MessageRow, type MessageStore } from '../store/index.ts';
import { diagnostic } from '../x12/diagnostics.ts';
import type { AckReport, Ta1Report } from '../x12/ack/index.ts';
import type { OutboundInterchange } from '../x12/outbound.ts';
import type { FileResult } from '../x12/result.ts';
import { allDiagnostics, diagnosticTotals } from '../x12/result.ts';
import { validateFile, type ValidateFileOptions } from '../x12/validate-file.ts';
import type { SentInterchange } from '../x12/writer.ts';
import { requireDataDir } from './user-paths.ts';

let warnedUnencrypted = false;

/**
 * Open the configured store. Read-only creates nothing (a missing data directory reads as an
 * empty store). Opened to record without a store key, it says once per process, on stderr, that
 * raw files (buyer names and addresses among them) are kept in clear.
 */
export async function openConfiguredStore(loaded: LoadedConfig, options: { readOnly?: boolean; recording?: boolean } = {}): Promise<MessageStore> {
  const store = openStore({ dataDir: requireDataDir(loaded.dataDir), encryptionKey: loaded.storeKey, retentionDays: loaded.config.store.retentionDays, readOnly: options.readOnly });
  if (!options.readOnly && (options.recording ?? true) && !loaded.storeKey && !warnedUnencrypted) {
    warnedUnencrypted = true;
    process.stderr.write(
      `dockgate: warning: ${loaded.config.store.encryptionKeyEnv} is not set: raw files (buyer names and addresses among them) are stored unencrypted in ${join(loaded.dataDir, 'raw')}; set it to a 32-byte key to encrypt them (README: Security)\n`,
    );
  }
  return store;
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

/**
 * Log a received file and its envelope tree. `blob` is the file already stored while it was
 * validated (one read of the file); without it the file is stored here.
 *
 * The store decides which receipt of an interchange is the first, in the transaction that records
 * the file: when another receipt holds it (two receipts at the same moment), its interchanges get
 * the `isa.duplicate` diagnostic in `result` and the file is recorded as that duplicate. Report
 * `result` after this, so that what is printed is what was recorded.
 */
export async function recordReceivedFile(
  store: MessageStore,
  file: string,
  result: FileResult,
  partner?: string,
  stored?: { sha256: string; size: number },
): Promise<number> {
  const blob = stored ?? (await store.blobs.putStream(createReadStream(file)));
  for (;;) {
    const all = allDiagnostics(result);
    const totals = diagnosticTotals(result);
    try {
      return await store.recordFile({
        direction: 'in',
        partner,
        fileName: file,
        sha256: blob.sha256,
        size: blob.size,
        status: verdict(all),
        statusReason: all.find((d) => d.level === 'error')?.message,
        containsPii: x12CarriesBuyerData(result),
        // Nothing else waits on a file that was only validated: retention counts from now.
        completedAt: new Date().toISOString(),
        diagnostics: { ...summary(all), errors: totals.error, warnings: totals.warning },
        children: receivedNodes(result),
      });
    } catch (e) {
      // Each round marks at least one interchange, which then claims nothing: this ends.
      if (!(e instanceof DuplicateInterchangeError) || markDuplicates(result, e.interchanges, file) === 0) throw e;
    }
  }
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
    children: [
      {
        kind: 'interchange',
        control: String(sent.controlNumbers.isa13).padStart(9, '0'),
        version: ic.version,
        sender: `${ic.sender.qualifier}:${ic.sender.id}`,
        receiver: `${ic.receiver.qualifier}:${ic.receiver.id}`,
        status: 'sent',
        children: ic.groups.map((g, i) => ({
          kind: 'group',
          control: String(sent.controlNumbers.groups[i].gs06),
          docType: g.functionalId,
          version: g.version,
          sender: g.senderId,
          receiver: g.receiverId,
          status: 'sent',
          children: g.sets.map((s, k) => ({ kind: 'set', control: sent.controlNumbers.groups[i].sets[k], docType: s.id, status: 'sent' })),
        })),
      },
    ],
  });
}

const STATUS_OF: Record<string, string> = { A: 'accepted', E: 'accepted-with-errors', P: 'partially-accepted', R: 'rejected' };
const ANSWERED = new Set([...Object.values(STATUS_OF), 'acknowledged']);

/**
 * A file we sent needs nothing more once the partner has answered all of it: every group
 * acknowledged (997 / 999, whatever the verdict) or its interchange rejected by a TA1. Retention
 * counts from then; a rejected order goes again in a new file, retained on its own.
 */
async function completeWhenAnswered(store: MessageStore, answered: MessageRow): Promise<void> {
  const t = store.trace(answered.id);
  const file = t && [t.message, ...t.parents].find((m) => m.kind === 'file');
  if (!file || file.completedAt) return;
  const interchanges = store.trace(file.id)!.children.filter((c) => c.kind === 'interchange');
  const groups: MessageRow[] = [];
  for (const ic of interchanges) {
    if (ic.status === 'rejected') continue;
    const these = store.trace(ic.id)!.children.filter((c) => c.kind === 'group');
    if (these.length === 0) return;
    groups.push(...these);
  }
  if (interchanges.length === 0 || !groups.every((g) => ANSWERED.has(g.status))) return;
  const rejected = interchanges.filter((ic) => ic.status === 'rejected').map((ic) => `interchange ${ic.control} rejected`);
  await store.setStatus(file.id, 'acknowledged', `answered: ${[...rejected, ...groups.map((g) => `group ${g.control} ${g.status}`)].join(', ')}`, true);
}

/**
 * Apply a received 997/999 to what we sent that partner: the acknowledged group and each
 * acknowledged set get the status the acknowledgement gives them, with the reason. Returns one
 * line per group or set, saying what was updated or what could not be matched.
 */
export async function recordAcknowledgementResults(store: MessageStore, partner: string, report: AckReport): Promise<string[]> {
  const lines: string[] = [];
  const group = store.findSent(partner, report.group.control);
  if (!group) {
    lines.push(`${report.kind} from ${partner} acknowledges group ${report.group.functionalId} ${report.group.control}, which was not sent to this partner`);
    return lines;
  }
  const groupStatus = STATUS_OF[report.group.status] ?? 'acknowledged';
  const groupReason = report.group.errors.map((e) => `${e.code} ${e.meaning}`).join('; ') || report.group.statusMeaning;
  await store.setStatus(group.id, groupStatus, `${report.kind}: ${groupReason}`, report.group.status === 'A' || report.group.status === 'E');
  lines.push(`group ${report.group.functionalId} ${report.group.control} -> ${groupStatus}`);
  for (const s of report.sets) {
    const sent = store.findSent(partner, report.group.control, s.control);
    if (!sent) {
      lines.push(`  set ${s.setId} ${s.control}: not among the sets sent in group ${report.group.control}`);
      continue;
    }
    const status = STATUS_OF[s.status] ?? 'acknowledged';
    const why = [...s.errors.map((e) => `${e.code} ${e.meaning}`), ...s.segments.map((n) => `${n.segmentId} at ${n.position}${n.meaning ? `: ${n.meaning}` : ''}`)].join('; ');
    await store.setStatus(sent.id, status, `${report.kind}: ${why || s.statusMeaning}`, s.status === 'A' || s.status === 'E');
    lines.push(`  set ${s.setId} ${s.control} -> ${status}${why ? ` (${why})` : ''}`);
  }
  await completeWhenAnswered(store, group);
  return lines;
}

/** Apply a received TA1 to the interchange we sent with that control number. */
export async function recordTa1Result(store: MessageStore, partner: string, ta1: Ta1Report): Promise<string> {
  const sent = store.findSentInterchange(partner, ta1.control);
  if (!sent) return `TA1 from ${partner} for interchange ${ta1.control}, which was not sent to this partner`;
  const status = STATUS_OF[ta1.status] ?? 'acknowledged';
  await store.setStatus(sent.id, status, `TA1: ${ta1.code} ${ta1.meaning}`, ta1.status !== 'R');
  await completeWhenAnswered(store, sent);
  return `interchange ${ta1.control} -> ${status} (${ta1.code} ${ta1.meaning})`;
}

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
