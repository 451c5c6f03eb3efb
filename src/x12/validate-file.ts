/**
 * Read and validate a whole file: envelope checks from the reader, schema validation of every
 * set, duplicate-interchange detection, all gathered by envelope into a FileResult.
 *
 * Segments are not kept: memory stays bounded by the largest set, and each envelope keeps at
 * most MAX_DIAGNOSTICS_KEPT diagnostics (the rest are counted).
 */
import type { Readable } from 'node:stream';
import { meaning } from './ack/parse.ts';
import { diagnostic, DiagnosticList, type Diagnostic, type DiagnosticCounts } from './diagnostics.ts';
import type { TransactionSet } from './envelope.ts';
import { readX12 } from './reader.ts';
import type { FileResult, GroupResult, InterchangeResult, SetResult } from './result.ts';
import { validateSet } from './validate/index.ts';

export interface ValidateFileOptions {
  /** File name for diagnostics. */
  file?: string;
  /**
   * Has an interchange with this sender and control number been received before? (The
   * message store answers this when recording.) Duplicates inside one file are always found.
   */
  isDuplicateInterchange?: (senderQualifier: string, senderId: string, control: string) => boolean | Promise<boolean>;
  /** Root of the schema files (tests); default src/x12/schemas. */
  schemaRoot?: string;
  /** Called with each set before its segments are dropped (e.g. to translate it). */
  onSet?: (set: TransactionSet, result: SetResult) => void | Promise<void>;
  /**
   * false: set results go to onSet only, not into the result, so that memory does not grow with
   * the number of sets (to-json's first pass). Default true.
   */
  keepSets?: boolean;
}

/** What the tokenizer finds in an ISA (before the reader opens the interchange) belongs to that interchange. */
const ISA_DIAGNOSTICS = new Set(['isa.truncated', 'isa.not-fixed-width', 'isa.separator-invalid']);

/** A level of the result under construction: its diagnostics capped as they arrive. */
interface Building<T> {
  result: T;
  list: DiagnosticList;
}

function building<T extends { diagnostics: Diagnostic[]; omitted: DiagnosticCounts }>(make: (list: DiagnosticList) => T): Building<T> {
  const list = new DiagnosticList();
  return { result: make(list), list };
}

export async function validateFile(source: string | Buffer | Readable, options: ValidateFileOptions = {}): Promise<FileResult> {
  const file = building<FileResult>((l) => ({ file: options.file, diagnostics: l.kept, omitted: l.omitted, interchanges: [], unenveloped: [] }));
  let interchange: Building<InterchangeResult> | null = null;
  let group: Building<GroupResult> | null = null;
  /** ISA diagnostics waiting for the interchange-start that follows them. */
  let pendingIsa: Diagnostic[] = [];
  const seenInFile = new Set<string>();

  for await (const event of readX12(source, { file: options.file })) {
    switch (event.type) {
      case 'diagnostic': {
        const d = event.diagnostic;
        if (ISA_DIAGNOSTICS.has(d.code)) pendingIsa.push(d);
        else if (d.code === 'isa.unexpected-segment' && interchange) interchange.list.add(d);
        else file.list.add(d);
        break;
      }
      case 'interchange-start': {
        const h = event.interchange;
        const ic = building<InterchangeResult>((l) => ({ header: h, diagnostics: l.kept, omitted: l.omitted, groups: [], ta1: [], service: [] }));
        interchange = ic;
        for (const d of pendingIsa) {
          d.location.interchange ??= h.control.trim();
          ic.list.add(d);
        }
        pendingIsa = [];
        ic.list.addAll(event.diagnostics);
        file.result.interchanges.push(ic.result);
        const key = `${h.senderQualifier}\u0000${h.senderId}\u0000${Number(h.control.trim()) || h.control.trim()}`;
        const duplicate =
          seenInFile.has(key) || (options.isDuplicateInterchange ? await options.isDuplicateInterchange(h.senderQualifier, h.senderId, h.control.trim()) : false);
        seenInFile.add(key);
        if (duplicate && h.isa.elementCount >= 16) {
          ic.list.add(
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
        interchange?.result.service.push(event.segment);
        break;
      case 'ta1': {
        // An interchange acknowledgement from the partner: say what it says (TA104 / TA105).
        const seg = event.segment;
        const d = diagnostic('ta1.received', `TA1 for interchange ${seg.element(1)}: ${meaning('TA104', seg.element(4))} (${seg.element(5)}: ${meaning('TA105', seg.element(5))})`, {
          file: options.file,
          line: seg.line,
          interchange: interchange?.result.header.control.trim(),
          segmentId: 'TA1',
        });
        if (interchange) {
          interchange.result.ta1.push(seg);
          interchange.list.add(d);
        } else file.list.add(d);
        break;
      }
      case 'group-start': {
        const g = building<GroupResult>((l) => ({ header: event.group, diagnostics: l.kept, omitted: l.omitted, sets: [] }));
        g.list.addAll(event.diagnostics);
        group = g;
        if (interchange) interchange.result.groups.push(g.result);
        break;
      }
      case 'set': {
        const set = event.set;
        const validation = validateSet(set, { root: options.schemaRoot });
        const st = set.segments[0];
        const list = mergeSetDiagnostics(set.diagnostics, validation.diagnostics, options.file);
        list.addOmitted(validation.omitted);
        const setResult: SetResult = {
          id: set.id,
          control: set.control,
          implementation: set.implementation,
          line: st.line,
          segmentCount: set.segments.length,
          diagnostics: list.kept,
          omitted: list.omitted,
          schemaVersion: validation.schemaVersion,
        };
        if (options.onSet) await options.onSet(set, setResult);
        if (options.keepSets === false) break;
        if (set.group && group) group.result.sets.push(setResult);
        else file.result.unenveloped.push(setResult);
        break;
      }
      case 'group-end':
        if (group) {
          group.list.addAll(event.trailer.diagnostics);
          if (event.trailer.ge) group.result.ge = event.trailer.ge;
        }
        group = null;
        break;
      case 'interchange-end':
        if (interchange) {
          interchange.list.addAll(event.trailer.diagnostics);
          if (event.trailer.iea) interchange.result.iea = event.trailer.iea;
        }
        interchange = null;
        break;
    }
  }
  file.list.addAll(pendingIsa);
  return file.result;
}

/**
 * Envelope diagnostics of a set (SE count, control numbers) and its schema diagnostics, in
 * segment order; an envelope error also makes the set "in error" for the acknowledgement.
 */
function mergeSetDiagnostics(envelope: Diagnostic[], schema: Diagnostic[], file: string | undefined): DiagnosticList {
  if (file !== undefined) for (const d of schema) d.location.file ??= file;
  const pos = (d: Diagnostic) => (d.code === 'st.segments-in-error' ? Infinity : (d.location.segmentPosition ?? d.location.line ?? 0));
  // Stable sort by segment position, set-level summaries without a position last.
  const all = envelope.concat(schema);
  const order = all.map((d, i) => ({ d, i, p: pos(d) })).sort((a, b) => a.p - b.p || a.i - b.i);
  const list = new DiagnosticList();
  for (const x of order) list.add(x.d);
  return list;
}
