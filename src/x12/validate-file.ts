/**
 * Read and validate a whole file: envelope checks from the reader, schema validation of every
 * set, duplicate-interchange detection, all gathered by envelope into a FileResult.
 *
 * Segments are not kept (memory stays bounded by the largest set) unless trees are asked for.
 */
import type { Readable } from 'node:stream';
import { meaning } from './ack/parse.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import type { TransactionSet } from './envelope.ts';
import { readX12 } from './reader.ts';
import type { FileResult, GroupResult, InterchangeResult, SetResult } from './result.ts';
import { validateSet } from './validate/index.ts';

export interface ValidateFileOptions {
  /** File name for diagnostics. */
  file?: string;
  /** Keep each set's loop tree in the result (for to-json and translation). */
  buildTrees?: boolean;
  /**
   * Has an interchange with this sender and control number been received before? (The
   * message store answers this when recording.) Duplicates inside one file are always found.
   */
  isDuplicateInterchange?: (senderQualifier: string, senderId: string, control: string) => boolean | Promise<boolean>;
  /** Root of the schema files (tests); default src/x12/schemas. */
  schemaRoot?: string;
  /** Called with each set before its segments are dropped (e.g. to translate it). */
  onSet?: (set: TransactionSet, result: SetResult) => void | Promise<void>;
}

export async function validateFile(source: string | Buffer | Readable, options: ValidateFileOptions = {}): Promise<FileResult> {
  const result: FileResult = { file: options.file, diagnostics: [], interchanges: [], unenveloped: [] };
  let interchange: InterchangeResult | null = null;
  let group: GroupResult | null = null;
  const seenInFile = new Set<string>();

  for await (const event of readX12(source, { file: options.file })) {
    switch (event.type) {
      case 'diagnostic':
        result.diagnostics.push(event.diagnostic);
        break;
      case 'interchange-start': {
        const h = event.interchange;
        interchange = { header: h, diagnostics: [...event.diagnostics], groups: [], ta1: [], service: [] };
        result.interchanges.push(interchange);
        const key = `${h.senderQualifier}\u0000${h.senderId}\u0000${Number(h.control.trim()) || h.control.trim()}`;
        const duplicate =
          seenInFile.has(key) || (options.isDuplicateInterchange ? await options.isDuplicateInterchange(h.senderQualifier, h.senderId, h.control.trim()) : false);
        seenInFile.add(key);
        if (duplicate && h.isa.elementCount >= 16) {
          interchange.diagnostics.push(
            diagnostic('isa.duplicate', `Interchange ${h.control.trim()} from ${h.senderQualifier}/${h.senderId} was already received`, {
              file: options.file,
              line: h.isa.line,
              interchange: h.control.trim(),
              segmentId: 'ISA',
              element: 13,
            }, { found: h.control, expected: 'a control number not used before by this sender' }),
          );
        }
        break;
      }
      case 'service-segment':
        interchange?.service.push(event.segment);
        break;
      case 'ta1': {
        // An interchange acknowledgement from the partner: say what it says (TA104 / TA105).
        const seg = event.segment;
        const d = diagnostic('ta1.received', `TA1 for interchange ${seg.element(1)}: ${meaning('TA104', seg.element(4))} (${seg.element(5)}: ${meaning('TA105', seg.element(5))})`, {
          file: options.file,
          line: seg.line,
          interchange: interchange?.header.control.trim(),
          segmentId: 'TA1',
        });
        if (interchange) {
          interchange.ta1.push(seg);
          interchange.diagnostics.push(d);
        } else result.diagnostics.push(d);
        break;
      }
      case 'group-start':
        group = { header: event.group, diagnostics: [...event.diagnostics], sets: [] };
        if (interchange) interchange.groups.push(group);
        break;
      case 'set': {
        const set = event.set;
        const validation = validateSet(set, { buildTree: options.buildTrees ?? false, root: options.schemaRoot });
        const st = set.segments[0];
        const setResult: SetResult = {
          id: set.id,
          control: set.control,
          implementation: set.implementation,
          line: st.line,
          segmentCount: set.segments.length,
          diagnostics: mergeSetDiagnostics(set.diagnostics, validation.diagnostics, options.file),
          schemaVersion: validation.schemaVersion,
        };
        if (validation.tree) setResult.tree = validation.tree;
        if (options.onSet) await options.onSet(set, setResult);
        if (set.group && group) group.sets.push(setResult);
        else result.unenveloped.push(setResult);
        break;
      }
      case 'group-end':
        if (group) {
          group.diagnostics.push(...event.trailer.diagnostics);
          if (event.trailer.ge) group.ge = event.trailer.ge;
        }
        group = null;
        break;
      case 'interchange-end':
        if (interchange) {
          interchange.diagnostics.push(...event.trailer.diagnostics);
          if (event.trailer.iea) interchange.iea = event.trailer.iea;
        }
        interchange = null;
        break;
    }
  }
  return result;
}

/**
 * Envelope diagnostics of a set (SE count, control numbers) and its schema diagnostics, in
 * segment order; an envelope error also makes the set "in error" for the acknowledgement.
 */
function mergeSetDiagnostics(envelope: Diagnostic[], schema: Diagnostic[], file: string | undefined): Diagnostic[] {
  if (file !== undefined) for (const d of schema) d.location.file ??= file;
  const all = [...envelope, ...schema];
  const pos = (d: Diagnostic) => d.location.segmentPosition ?? d.location.line ?? 0;
  // Stable sort by segment position; set-level summaries without a position go last.
  return all
    .map((d, i) => ({ d, i }))
    .sort((a, b) => {
      const sa = a.d.code === 'st.segments-in-error' ? Infinity : pos(a.d);
      const sb = b.d.code === 'st.segments-in-error' ? Infinity : pos(b.d);
      return sa - sb || a.i - b.i;
    })
    .map((x) => x.d);
}
