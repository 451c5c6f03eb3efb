/**
 * Diagnostics: how problems in partner data are reported. Bad data is never thrown; it
 * becomes a Diagnostic with a level, a Dockgate code, the X12 standard code where one exists
 * (the value an acknowledgement carries), a message, and a precise location.
 *
 * Exceptions are for bugs and bad configuration only (see X12ConfigError).
 */

export type Level = 'error' | 'warning' | 'info';

/** Which acknowledgement element carries the standard code. */
export type StandardCodeKind = 'TA105' | 'AK905' | 'AK502' | 'AK304' | 'AK403';

export interface Location {
  file?: string;
  /** 1-based line where the segment starts. */
  line?: number;
  /** 0-based byte offset of the segment in the file. */
  offset?: number;
  /** ISA13 of the interchange. */
  interchange?: string;
  /** GS06 of the group. */
  group?: string;
  /** ST02 of the transaction set. */
  set?: string;
  /** ST01 (transaction set identifier code). */
  setId?: string;
  segmentId?: string;
  /** Segment position counted from ST = 1 (the AK302 / IK302 value). */
  segmentPosition?: number;
  /** Loop identifier where the segment sits (AK303), e.g. "0200" or "HL". */
  loopId?: string;
  /** 1-based element position (AK401 / IK401 position). */
  element?: number;
  /** 1-based component position inside a composite. */
  component?: number;
  /** 1-based repetition. */
  repetition?: number;
  /** Data element reference number (AK402 / IK403), e.g. "67". */
  elementRef?: string;
}

export interface Diagnostic {
  level: Level;
  code: DiagnosticCode;
  /** The X12 standard code (e.g. { kind: 'AK403', value: '7' }) where the standard has one. */
  standard?: { kind: StandardCodeKind; value: string };
  message: string;
  location: Location;
  /** What was found (a short excerpt, never more than ~60 characters). */
  found?: string;
  /** What was expected, in words or as a list of codes. */
  expected?: string;
}

interface CodeInfo {
  level: Level;
  /** Default standard code; individual diagnostics may carry a more specific one (TA105 per ISA field). */
  standard?: { kind: StandardCodeKind; value: string };
  summary: string;
}

/**
 * Every diagnostic code Dockgate emits. Adding a code here is the only way to add one; tests
 * check that each code is exercised by a real or constructed file.
 */
export const DIAGNOSTIC_CODES = {
  // --- file / tokenizer ---
  'file.empty': { level: 'error', summary: 'The file is empty or holds only whitespace' },
  'file.not-x12': { level: 'error', summary: 'No ISA or ST segment found: the data is not X12' },
  'file.bom': { level: 'info', summary: 'A UTF-8 byte-order mark preceded the data and was skipped' },
  'file.trailing-data': { level: 'error', standard: { kind: 'TA105', value: '024' }, summary: 'Data after the last interchange trailer (IEA)' },
  'file.set-without-envelope': { level: 'error', summary: 'Transaction set(s) found without an ISA/GS envelope' },
  'file.data-between-segments': { level: 'warning', summary: 'Unexpected bytes (blank lines, spaces) between segments were skipped' },

  // --- interchange (ISA / IEA), answered with TA1 ---
  'isa.truncated': { level: 'error', standard: { kind: 'TA105', value: '023' }, summary: 'The ISA segment is incomplete (fewer than 16 elements or the data ends inside it)' },
  'isa.not-fixed-width': { level: 'warning', summary: 'The ISA is not the standard fixed width of 106 characters' },
  'isa.terminator-not-found': { level: 'error', standard: { kind: 'TA105', value: '004' }, summary: 'No segment terminator of the kind the ISA declares follows the ISA (within the 1 MiB segment limit or by the end of the data): the interchange cannot be split into segments' },
  'isa.separator-invalid': { level: 'error', standard: { kind: 'TA105', value: '026' }, summary: 'The separators declared by the ISA are unusable (equal to each other, alphanumeric, or ambiguous)' },
  'isa.field-invalid': { level: 'error', standard: { kind: 'TA105', value: '024' }, summary: 'An ISA field has the wrong length, format or code' },
  'isa.control-number-mismatch': { level: 'error', standard: { kind: 'TA105', value: '001' }, summary: 'ISA13 and IEA02 differ' },
  'isa.group-count-mismatch': { level: 'error', standard: { kind: 'TA105', value: '021' }, summary: 'IEA01 does not equal the number of functional groups' },
  'isa.trailer-missing': { level: 'error', standard: { kind: 'TA105', value: '023' }, summary: 'The interchange has no IEA trailer (premature end of file)' },
  'isa.duplicate': { level: 'error', standard: { kind: 'TA105', value: '025' }, summary: 'An interchange with this sender and ISA13 was already received' },
  'isa.unexpected-segment': { level: 'error', standard: { kind: 'TA105', value: '024' }, summary: 'A segment appears at interchange level where GS, TA1, ISB/ISE or IEA was expected' },
  'isa.ack-requested': { level: 'info', summary: 'ISA14 = 1: the sender asked for an interchange acknowledgement (TA1)' },
  'ta1.received': { level: 'info', summary: 'An interchange acknowledgement (TA1) segment was received' },

  // --- functional group (GS / GE), AK905 ---
  'gs.field-invalid': { level: 'error', standard: { kind: 'AK905', value: '6' }, summary: 'A GS field has the wrong length, format or code' },
  'gs.functional-id-mismatch': { level: 'error', standard: { kind: 'AK905', value: '1' }, summary: 'GS01 does not fit the transaction sets in the group (940 needs OW, 945 SW, ...)' },
  'gs.control-number-mismatch': { level: 'error', standard: { kind: 'AK905', value: '4' }, summary: 'GS06 and GE02 differ' },
  'gs.set-count-mismatch': { level: 'error', standard: { kind: 'AK905', value: '5' }, summary: 'GE01 does not equal the number of transaction sets' },
  'gs.trailer-missing': { level: 'error', standard: { kind: 'AK905', value: '3' }, summary: 'The functional group has no GE trailer' },
  'gs.unexpected-segment': { level: 'error', standard: { kind: 'AK905', value: '3' }, summary: 'A segment appears inside a group where ST or GE was expected' },

  // --- transaction set (ST / SE), AK502 ---
  'st.unsupported': { level: 'warning', standard: { kind: 'AK502', value: '1' }, summary: 'No schema for this transaction set: only envelope checks were made' },
  'st.trailer-missing': { level: 'error', standard: { kind: 'AK502', value: '2' }, summary: 'The transaction set has no SE trailer' },
  'st.control-number-mismatch': { level: 'error', standard: { kind: 'AK502', value: '3' }, summary: 'ST02 and SE02 differ' },
  'st.segment-count-mismatch': { level: 'error', standard: { kind: 'AK502', value: '4' }, summary: 'SE01 does not equal the number of segments from ST to SE' },
  'st.segments-in-error': { level: 'error', standard: { kind: 'AK502', value: '5' }, summary: 'One or more segments are in error' },
  'st.id-invalid': { level: 'error', standard: { kind: 'AK502', value: '6' }, summary: 'ST01 is missing or not a transaction set identifier' },
  'st.control-number-invalid': { level: 'error', standard: { kind: 'AK502', value: '7' }, summary: 'ST02 is missing or malformed' },
  'st.control-number-duplicate': { level: 'error', standard: { kind: 'AK502', value: '23' }, summary: 'ST02 is not unique within the functional group' },
  'st.version-fallback': { level: 'info', summary: 'The set was validated against the schema of a lower version (no schema of its own)' },

  // --- segment (AK304 / IK304) ---
  'segment.unrecognized': { level: 'error', standard: { kind: 'AK304', value: '1' }, summary: 'Unrecognized segment id' },
  'segment.unexpected': { level: 'error', standard: { kind: 'AK304', value: '2' }, summary: 'Segment not expected at this position' },
  'segment.mandatory-missing': { level: 'error', standard: { kind: 'AK304', value: '3' }, summary: 'A mandatory segment is missing' },
  'segment.loop-over-max': { level: 'error', standard: { kind: 'AK304', value: '4' }, summary: 'A loop occurs more often than allowed' },
  'segment.over-max-use': { level: 'error', standard: { kind: 'AK304', value: '5' }, summary: 'A segment occurs more often than allowed' },
  'segment.not-in-set': { level: 'error', standard: { kind: 'AK304', value: '6' }, summary: 'Segment not defined in this transaction set' },
  'segment.out-of-sequence': { level: 'error', standard: { kind: 'AK304', value: '7' }, summary: 'Segment out of sequence' },
  'segment.has-element-errors': { level: 'error', standard: { kind: 'AK304', value: '8' }, summary: 'Segment has data element errors' },
  'segment.too-long': { level: 'error', standard: { kind: 'AK304', value: '8' }, summary: 'A segment runs past the 1 MiB limit without a terminator: its first 1 MiB is kept, the rest up to the next terminator (or ISA) skipped' },
  'segment.hierarchy-invalid': { level: 'error', standard: { kind: 'AK304', value: '8' }, summary: 'HL hierarchy broken: HL01 not sequential, HL02 names no earlier HL, or the level may not nest under its parent' },

  // --- element (AK403 / IK403) ---
  'element.mandatory-missing': { level: 'error', standard: { kind: 'AK403', value: '1' }, summary: 'A mandatory data element is missing' },
  'element.conditional-missing': { level: 'error', standard: { kind: 'AK403', value: '2' }, summary: 'A conditionally required data element is missing (syntax rule)' },
  'element.too-many': { level: 'error', standard: { kind: 'AK403', value: '3' }, summary: 'Too many data elements' },
  'element.too-short': { level: 'error', standard: { kind: 'AK403', value: '4' }, summary: 'Data element too short' },
  'element.too-long': { level: 'error', standard: { kind: 'AK403', value: '5' }, summary: 'Data element too long' },
  'element.invalid-character': { level: 'error', standard: { kind: 'AK403', value: '6' }, summary: 'Invalid character in data element (wrong type: numeric, decimal, identifier)' },
  'element.invalid-code': { level: 'error', standard: { kind: 'AK403', value: '7' }, summary: 'Invalid code value' },
  'element.invalid-date': { level: 'error', standard: { kind: 'AK403', value: '8' }, summary: 'Invalid date' },
  'element.invalid-time': { level: 'error', standard: { kind: 'AK403', value: '9' }, summary: 'Invalid time' },
  'element.exclusion-violated': { level: 'error', standard: { kind: 'AK403', value: '10' }, summary: 'Exclusion condition violated (syntax rule)' },
  'element.too-many-repetitions': { level: 'error', standard: { kind: 'AK403', value: '12' }, summary: 'Too many repetitions' },
  'element.too-many-components': { level: 'error', standard: { kind: 'AK403', value: '13' }, summary: 'Too many components' },
  'element.check-digit': { level: 'error', standard: { kind: 'AK403', value: '7' }, summary: 'SSCC-18 check digit or length wrong (MAN*GM)' },
} as const satisfies Record<string, CodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Build a diagnostic with the catalogue's level and standard code unless overridden. */
export function diagnostic(
  code: DiagnosticCode,
  message: string,
  location: Location,
  extra: { found?: string; expected?: string; level?: Level; standard?: Diagnostic['standard'] | null } = {},
): Diagnostic {
  const info: CodeInfo = DIAGNOSTIC_CODES[code];
  const d: Diagnostic = {
    level: extra.level ?? info.level,
    code,
    message,
    location,
  };
  // standard: null means "no standard code fits this case" (e.g. a bad GS04 date has no AK905 code).
  const standard = extra.standard === null ? undefined : extra.standard ?? info.standard;
  if (standard) d.standard = standard;
  if (extra.found !== undefined) d.found = excerpt(extra.found);
  if (extra.expected !== undefined) d.expected = extra.expected;
  return d;
}

/** Short, printable excerpt of partner data for a message. */
export function excerpt(text: string, max = 60): string {
  const printable = text.replace(/[\r\n\t]/g, (c) => (c === '\n' ? '\\n' : c === '\r' ? '\\r' : '\\t'));
  return printable.length > max ? `${printable.slice(0, max - 1)}…` : printable;
}

/**
 * How many diagnostics one envelope (the file, an interchange, a group, a transaction set)
 * keeps. A hostile or badly broken set can carry one problem per segment: hundreds of
 * thousands would cost gigabytes and say nothing the first thousand do not. Past the limit
 * diagnostics are counted by level, not kept; the first of each code and level is kept
 * whatever the count, so the acknowledgement codes (AK502, AK905, TA105) stay complete.
 */
export const MAX_DIAGNOSTICS_KEPT = 1000;

export interface DiagnosticCounts {
  error: number;
  warning: number;
  info: number;
}

export const noDiagnosticCounts = (): DiagnosticCounts => ({ error: 0, warning: 0, info: 0 });

/** The diagnostics of one envelope: the first MAX_DIAGNOSTICS_KEPT kept, the rest counted. */
export class DiagnosticList {
  readonly kept: Diagnostic[] = [];
  readonly omitted: DiagnosticCounts = noDiagnosticCounts();
  private readonly codes = new Set<string>();

  constructor(private readonly limit = MAX_DIAGNOSTICS_KEPT) {}

  add(d: Diagnostic): void {
    const key = `${d.code}\u0000${d.level}`;
    if (this.kept.length < this.limit || !this.codes.has(key)) {
      this.kept.push(d);
      this.codes.add(key);
    } else this.omitted[d.level]++;
  }

  addAll(list: Iterable<Diagnostic>): void {
    for (const d of list) this.add(d);
  }

  /** Counts omitted elsewhere (by an inner list) carried into this one. */
  addOmitted(counts: DiagnosticCounts): void {
    this.omitted.error += counts.error;
    this.omitted.warning += counts.warning;
    this.omitted.info += counts.info;
  }
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.level === 'error');
}

/** Human one-liner: "file:line ST#3 N1 (pos 5) element 02: message (found 'X', expected Y)". */
export function formatDiagnostic(d: Diagnostic): string {
  const l = d.location;
  const where: string[] = [];
  if (l.file) where.push(l.line ? `${l.file}:${l.line}` : l.file);
  else if (l.line) where.push(`line ${l.line}`);
  if (l.set) where.push(`ST02=${l.set}`);
  if (l.segmentId) where.push(l.segmentPosition ? `${l.segmentId} (segment ${l.segmentPosition} from ST)` : l.segmentId);
  if (l.element) {
    let e = `element ${l.segmentId ?? ''}${String(l.element).padStart(2, '0')}`;
    if (l.component) e += `-${String(l.component).padStart(2, '0')}`;
    if (l.repetition && l.repetition > 1) e += ` repetition ${l.repetition}`;
    where.push(e);
  }
  const std = d.standard ? ` [${d.standard.kind}=${d.standard.value}]` : '';
  const tail: string[] = [];
  if (d.found !== undefined) tail.push(`found '${d.found}'`);
  if (d.expected !== undefined) tail.push(`expected ${d.expected}`);
  return `${d.level.toUpperCase()} ${d.code}${std} ${where.join(' ')}: ${d.message}${tail.length ? ` (${tail.join(', ')})` : ''}`;
}

/** Thrown for bugs and bad configuration (never for partner data). */
export class X12ConfigError extends Error {
  constructor(message: string, readonly context: Record<string, unknown> = {}) {
    super(message);
    this.name = 'X12ConfigError';
  }
}
