/**
 * Recording in the message store from the CLI (--record): raw bytes first (content-addressed,
 * fsynced), then the message rows of the file and its envelope tree in one transaction.
 */
import { createReadStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import type { LoadedConfig } from '../config/config.ts';
import { openStore, type DiagnosticsSummary, type MessageNode, type MessageStore } from '../store/index.ts';
import { formatDiagnostic, type Diagnostic } from '../x12/diagnostics.ts';
import type { AckReport, Ta1Report } from '../x12/ack/index.ts';
import type { OutboundInterchange } from '../x12/outbound.ts';
import type { FileResult } from '../x12/result.ts';
import { allDiagnostics } from '../x12/result.ts';
import { validateFile, type ValidateFileOptions } from '../x12/validate-file.ts';
import type { SentInterchange } from '../x12/writer.ts';

/** Sets that carry buyer names and addresses (purged after the retention period). */
const PII_SETS = new Set(['940', '945', '856']);

export async function openConfiguredStore(loaded: LoadedConfig, options: { readOnly?: boolean } = {}): Promise<MessageStore> {
  return openStore({ dataDir: loaded.dataDir, encryptionKey: loaded.storeKey, retentionDays: loaded.config.store.retentionDays, readOnly: options.readOnly });
}

function summary(diagnostics: Diagnostic[]): DiagnosticsSummary {
  return {
    errors: diagnostics.filter((d) => d.level === 'error').length,
    warnings: diagnostics.filter((d) => d.level === 'warning').length,
    first: diagnostics.filter((d) => d.level !== 'info').slice(0, 5).map(formatDiagnostic),
  };
}

const verdict = (d: Diagnostic[]) => (d.some((x) => x.level === 'error') ? 'invalid' : 'valid');

/**
 * Log a received file and its envelope tree. `blob` is the file already stored while it was
 * validated (one read of the file); without it the file is stored here.
 */
export async function recordReceivedFile(
  store: MessageStore,
  file: string,
  result: FileResult,
  partner?: string,
  stored?: { sha256: string; size: number },
): Promise<number> {
  const blob = stored ?? (await store.blobs.putStream(createReadStream(file)));
  const all = allDiagnostics(result);
  const children: MessageNode[] = result.interchanges.map((ic) => {
    const groupsDiag = ic.groups.flatMap((g) => [...g.diagnostics, ...g.sets.flatMap((s) => s.diagnostics)]);
    return {
      kind: 'interchange',
      control: ic.header.control.trim(),
      version: ic.header.version,
      sender: `${ic.header.senderQualifier}:${ic.header.senderId}`,
      receiver: `${ic.header.receiverQualifier}:${ic.header.receiverId}`,
      status: verdict([...ic.diagnostics, ...groupsDiag]),
      diagnostics: summary(ic.diagnostics),
      children: ic.groups.map((g) => ({
        kind: 'group',
        control: g.header.control,
        docType: g.header.functionalId,
        version: g.header.version,
        sender: g.header.senderId,
        receiver: g.header.receiverId,
        status: verdict([...g.diagnostics, ...g.sets.flatMap((s) => s.diagnostics)]),
        diagnostics: summary(g.diagnostics),
        children: g.sets.map((s) => ({ kind: 'set', control: s.control, docType: s.id, version: s.schemaVersion || undefined, status: verdict(s.diagnostics), diagnostics: summary(s.diagnostics) })),
      })),
    } satisfies MessageNode;
  });
  const sets = result.interchanges.flatMap((ic) => ic.groups.flatMap((g) => g.sets));
  return store.recordFile({
    direction: 'in',
    partner,
    fileName: file,
    sha256: blob.sha256,
    size: blob.size,
    status: verdict(all),
    statusReason: all.find((d) => d.level === 'error')?.message,
    containsPii: sets.some((s) => PII_SETS.has(s.id)) || result.unenveloped.some((s) => PII_SETS.has(s.id)),
    // Nothing else waits on a file that was only validated: retention counts from now.
    completedAt: new Date().toISOString(),
    diagnostics: summary(all),
    children,
  });
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
  return lines;
}

/** Apply a received TA1 to the interchange we sent with that control number. */
export async function recordTa1Result(store: MessageStore, partner: string, ta1: Ta1Report): Promise<string> {
  const sent = store.findSentInterchange(partner, ta1.control);
  if (!sent) return `TA1 from ${partner} for interchange ${ta1.control}, which was not sent to this partner`;
  const status = STATUS_OF[ta1.status] ?? 'acknowledged';
  await store.setStatus(sent.id, status, `TA1: ${ta1.code} ${ta1.meaning}`, ta1.status !== 'R');
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
