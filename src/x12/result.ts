/**
 * Results of reading + validating a file, organised by envelope. This is what the CLI prints,
 * what acknowledgements are built from, and what the message store records.
 */
import type { Diagnostic } from './diagnostics.ts';
import type { GroupHeader, InterchangeHeader } from './envelope.ts';
import type { Segment } from './segment.ts';
import type { SetTree } from './tree.ts';

export interface SetResult {
  /** ST01 */
  id: string;
  /** ST02 */
  control: string;
  /** ST03 ('' when absent) */
  implementation: string;
  /** 1-based line of the ST segment. */
  line: number;
  /** Number of segments read ST..SE inclusive. */
  segmentCount: number;
  /** Envelope and schema diagnostics for this set, in file order. */
  diagnostics: Diagnostic[];
  /** Schema version actually used ('' when none), e.g. '004010' for a 004060 set. */
  schemaVersion: string;
  /** Kept only when the caller asked for trees (to-json, translation). */
  tree?: SetTree;
}

export interface GroupResult {
  header: GroupHeader;
  /** Group-level diagnostics (GS fields, GE count / control number, missing GE). */
  diagnostics: Diagnostic[];
  sets: SetResult[];
  /** The GE trailer; absent when it was missing. */
  ge?: Segment;
}

export interface InterchangeResult {
  header: InterchangeHeader;
  /** Interchange-level diagnostics (ISA fields, IEA, duplicates). */
  diagnostics: Diagnostic[];
  groups: GroupResult[];
  /** TA1 segments received inside this interchange. */
  ta1: Segment[];
  /** ISB / ISE and similar service segments. */
  service: Segment[];
  /** The IEA trailer; absent when it was missing. */
  iea?: Segment;
}

export interface FileResult {
  file?: string;
  /** File-level diagnostics (BOM, not X12, trailing data, ...). */
  diagnostics: Diagnostic[];
  interchanges: InterchangeResult[];
  /** Sets found outside any ISA/GS envelope. */
  unenveloped: SetResult[];
}

/** Every diagnostic in a file result, in envelope order. */
export function allDiagnostics(r: FileResult): Diagnostic[] {
  const out: Diagnostic[] = [...r.diagnostics];
  for (const ic of r.interchanges) {
    out.push(...ic.diagnostics);
    for (const g of ic.groups) {
      out.push(...g.diagnostics);
      for (const s of g.sets) out.push(...s.diagnostics);
    }
  }
  for (const s of r.unenveloped) out.push(...s.diagnostics);
  return out;
}
