/**
 * Results of reading + validating a file, organised by envelope. This is what the CLI prints,
 * what acknowledgements are built from, and what the message store records.
 */
import type { Diagnostic, DiagnosticCounts } from './diagnostics.ts';
import type { GroupHeader, InterchangeHeader } from './envelope.ts';
import type { Segment } from './segment.ts';

/*
 * Each level keeps at most MAX_DIAGNOSTICS_KEPT diagnostics of its own (plus the first of each
 * code); `omitted` counts, by level, those found beyond that and not kept.
 */

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
  omitted: DiagnosticCounts;
  /** Schema version actually used ('' when none), e.g. '004010' for a 004060 set. */
  schemaVersion: string;
}

export interface GroupResult {
  header: GroupHeader;
  /** Group-level diagnostics (GS fields, GE count / control number, missing GE). */
  diagnostics: Diagnostic[];
  omitted: DiagnosticCounts;
  sets: SetResult[];
  /** The GE trailer; absent when it was missing. */
  ge?: Segment;
}

export interface InterchangeResult {
  header: InterchangeHeader;
  /** Interchange-level diagnostics (ISA separators and fields, IEA, duplicates). */
  diagnostics: Diagnostic[];
  omitted: DiagnosticCounts;
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
  omitted: DiagnosticCounts;
  interchanges: InterchangeResult[];
  /** Sets found outside any ISA/GS envelope. */
  unenveloped: SetResult[];
}

/** Every level of a file result that carries diagnostics, in envelope order. */
export function* levels(r: FileResult): Generator<FileResult | InterchangeResult | GroupResult | SetResult> {
  yield r;
  for (const ic of r.interchanges) {
    yield ic;
    for (const g of ic.groups) {
      yield g;
      yield* g.sets;
    }
  }
  yield* r.unenveloped;
}

/** Every diagnostic kept in a file result, in envelope order. */
export function allDiagnostics(r: FileResult): Diagnostic[] {
  const out: Diagnostic[] = [];
  // One push per diagnostic: spreading a list as arguments overflows the stack at ~10^5.
  for (const level of levels(r)) for (const d of level.diagnostics) out.push(d);
  return out;
}

/** Diagnostics found in a file result by level, those not kept included. */
export function diagnosticTotals(r: FileResult): DiagnosticCounts {
  const totals: DiagnosticCounts = { error: 0, warning: 0, info: 0 };
  for (const level of levels(r)) {
    for (const d of level.diagnostics) totals[d.level]++;
    totals.error += level.omitted.error;
    totals.warning += level.omitted.warning;
    totals.info += level.omitted.info;
  }
  return totals;
}
