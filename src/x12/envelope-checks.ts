/**
 * Field checks of the envelope segments (ISA, GS, ST) and trailer agreement (IEA, GE, SE).
 * The transaction-set schemas cover ST..SE content; envelopes are fixed by X12.5 / X12.6 and
 * checked here, each failure with the TA1 / AK9 / AK5 code an acknowledgement would carry.
 */
import { usesRepetitionSeparator } from './dialect.ts';
import { diagnostic, type Diagnostic, type Location, type StandardCodeKind } from './diagnostics.ts';
import type { GroupHeader, InterchangeHeader } from './envelope.ts';
import functionalGroups from './functional-groups.json' with { type: 'json' };
import type { Segment } from './segment.ts';

const FUNCTIONAL_GROUP_OF_SET = functionalGroups as Record<string, string>;

/** GS01 a transaction set must travel under, when known. */
export function functionalGroupFor(setId: string): string | undefined {
  return setId.startsWith('_') ? undefined : FUNCTIONAL_GROUP_OF_SET[setId];
}

export function isValidDate(text: string): boolean {
  let y: number, m: number, d: number;
  if (/^\d{8}$/.test(text)) {
    y = +text.slice(0, 4);
    m = +text.slice(4, 6);
    d = +text.slice(6, 8);
  } else if (/^\d{6}$/.test(text)) {
    const yy = +text.slice(0, 2);
    y = yy < 50 ? 2000 + yy : 1900 + yy;
    m = +text.slice(2, 4);
    d = +text.slice(4, 6);
  } else return false;
  if (m < 1 || m > 12 || d < 1) return false;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return d <= days;
}

/** HHMM, HHMMSS, HHMMSSD, HHMMSSDD (X12 TM). */
export function isValidTime(text: string): boolean {
  if (!/^\d{4}(\d{2}(\d{1,2})?)?$/.test(text)) return false;
  const h = +text.slice(0, 2);
  const mi = +text.slice(2, 4);
  const s = text.length >= 6 ? +text.slice(4, 6) : 0;
  return h <= 23 && mi <= 59 && s <= 59;
}

interface FieldRule {
  element: number;
  name: string;
  /** TA105 / AK905 value for a failure of this field. */
  code: string | null;
  check: (value: string, raw: string) => string | null;
}

const digits = (min: number, max: number) => (v: string) =>
  new RegExp(`^\\d{${min},${max}}$`).test(v) ? null : `${min === max ? min : `${min}-${max}`} digits`;
const oneOf = (codes: string[]) => (v: string) => (codes.includes(v) ? null : `one of ${codes.join(', ')}`);
const alnumCode = (len: number) => (v: string) => (new RegExp(`^[A-Za-z0-9]{${len}}$`).test(v) ? null : `a ${len}-character code`);
const text = (min: number, max: number) => (v: string) =>
  v.length < min ? `at least ${min} character(s)` : v.length > max ? `at most ${max} characters` : null;

/** ISA01..ISA15 (ISA16 is the component separator, checked with the other separators). */
const ISA_FIELDS: FieldRule[] = [
  { element: 1, name: 'authorization information qualifier', code: '010', check: oneOf(['00', '01', '02', '03', '04', '05', '06']) },
  { element: 2, name: 'authorization information', code: '011', check: (_v, raw) => (raw.length <= 10 ? null : 'at most 10 characters') },
  { element: 3, name: 'security information qualifier', code: '012', check: oneOf(['00', '01']) },
  { element: 4, name: 'security information', code: '013', check: (_v, raw) => (raw.length <= 10 ? null : 'at most 10 characters') },
  { element: 5, name: 'sender id qualifier', code: '005', check: alnumCode(2) },
  { element: 6, name: 'sender id', code: '006', check: text(1, 15) },
  { element: 7, name: 'receiver id qualifier', code: '007', check: alnumCode(2) },
  { element: 8, name: 'receiver id', code: '008', check: text(1, 15) },
  { element: 9, name: 'interchange date (YYMMDD)', code: '014', check: (v) => (/^\d{6}$/.test(v) && isValidDate(v) ? null : 'a valid YYMMDD date') },
  { element: 10, name: 'interchange time (HHMM)', code: '015', check: (v) => (/^\d{4}$/.test(v) && isValidTime(v) ? null : 'a valid HHMM time') },
  { element: 12, name: 'interchange control version number', code: '017', check: digits(5, 5) },
  { element: 13, name: 'interchange control number', code: '018', check: digits(1, 9) },
  { element: 14, name: 'acknowledgment requested', code: '019', check: oneOf(['0', '1']) },
  { element: 15, name: 'usage indicator', code: '020', check: oneOf(['P', 'T', 'I']) },
];

const GS_FIELDS: FieldRule[] = [
  { element: 1, name: 'functional identifier code', code: '1', check: alnumCode(2) },
  { element: 2, name: "application sender's code", code: null, check: text(2, 15) },
  { element: 3, name: "application receiver's code", code: null, check: text(2, 15) },
  { element: 4, name: 'date (CCYYMMDD)', code: null, check: (v) => (/^\d{6}(\d{2})?$/.test(v) && isValidDate(v) ? null : 'a valid CCYYMMDD date') },
  { element: 5, name: 'time (HHMM[SS[dd]])', code: null, check: (v) => (isValidTime(v) ? null : 'a valid HHMM, HHMMSS or HHMMSSdd time') },
  { element: 6, name: 'group control number', code: '6', check: digits(1, 9) },
  { element: 7, name: 'responsible agency code', code: null, check: oneOf(['X', 'T']) },
  { element: 8, name: 'version / release / industry identifier', code: '2', check: text(1, 12) },
];

function checkFields(
  seg: Segment,
  rules: FieldRule[],
  code: 'isa.field-invalid' | 'gs.field-invalid',
  kind: StandardCodeKind,
  where: Location,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const rule of rules) {
    const raw = seg.element(rule.element);
    const value = raw.trim();
    const problem = seg.elementCount < rule.element ? 'present' : rule.check(value, raw);
    if (problem) {
      out.push(
        diagnostic(code, `${seg.id}${String(rule.element).padStart(2, '0')} (${rule.name}) is invalid`, { ...where, segmentId: seg.id, element: rule.element }, {
          found: raw,
          expected: problem,
          standard: rule.code === null ? null : { kind, value: rule.code },
        }),
      );
    }
  }
  return out;
}

export function checkIsa(isa: Segment, file?: string): Diagnostic[] {
  const where: Location = { file, line: isa.line, offset: isa.offset, interchange: isa.element(13).trim() };
  if (isa.elementCount < 16) return []; // already reported as isa.truncated by the tokenizer
  const out = checkFields(isa, ISA_FIELDS, 'isa.field-invalid', 'TA105', where);
  const version = isa.element(12);
  if (!usesRepetitionSeparator(version) && isa.element(11) !== 'U') {
    out.push(
      diagnostic('isa.field-invalid', `ISA11 must be the standards identifier 'U' for version ${version} (a repetition separator only from 00402 on)`, { ...where, segmentId: 'ISA', element: 11 }, {
        found: isa.element(11),
        expected: "'U'",
        standard: { kind: 'TA105', value: '016' },
      }),
    );
  }
  if (isa.elementCount > 16) {
    out.push(
      diagnostic('isa.field-invalid', `The ISA has ${isa.elementCount} elements`, { ...where, segmentId: 'ISA', element: 17 }, {
        expected: '16 elements',
        standard: { kind: 'TA105', value: '024' },
      }),
    );
  }
  if (isa.element(14) === '1') {
    out.push(diagnostic('isa.ack-requested', 'ISA14 = 1: an interchange acknowledgement (TA1) is due', { ...where, segmentId: 'ISA', element: 14 }));
  }
  return out;
}

export function interchangeHeader(isa: Segment, index: number): InterchangeHeader {
  return {
    isa,
    separators: isa.separators!,
    index,
    control: isa.element(13),
    senderQualifier: isa.element(5).trim(),
    senderId: isa.element(6).trim(),
    receiverQualifier: isa.element(7).trim(),
    receiverId: isa.element(8).trim(),
    date: isa.element(9),
    time: isa.element(10),
    version: isa.element(12),
    ackRequested: isa.element(14) === '1',
    usage: isa.element(15),
  };
}

export function checkGs(gs: Segment, where: Location): Diagnostic[] {
  return checkFields(gs, GS_FIELDS, 'gs.field-invalid', 'AK905', { ...where, line: gs.line, offset: gs.offset, segmentId: 'GS' });
}

export function groupHeader(gs: Segment, index: number): GroupHeader {
  return {
    gs,
    index,
    functionalId: gs.element(1),
    senderId: gs.element(2),
    receiverId: gs.element(3),
    control: gs.element(6),
    agency: gs.element(7),
    version: gs.element(8),
  };
}

/** Control numbers compare as numbers when both are numeric (an unpadded 3438 is 000003438). */
export function sameControlNumber(a: string, b: string): boolean {
  const x = a.trim();
  const y = b.trim();
  if (/^\d+$/.test(x) && /^\d+$/.test(y)) return BigInt(x) === BigInt(y);
  return x === y;
}

/** Does a count element (SE01, GE01, IEA01) equal the actual count? */
export function countMatches(text: string, actual: number): boolean {
  const t = text.length > 0 && (text.charCodeAt(0) === 32 || text.charCodeAt(text.length - 1) === 32) ? text.trim() : text;
  if (t.length === 0) return false;
  let n = 0;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
    n = n * 10 + (c - 48);
  }
  return n === actual;
}

/**
 * A group or interchange trailer against what was read: element 01 must count the groups
 * (IEA) or sets (GE) actually read, element 02 must repeat the header's control number.
 * `control` is null when the header's control number cannot be trusted (a truncated ISA).
 */
export function checkTrailer(
  trailer: Segment,
  at: Location,
  rule: {
    countCode: 'isa.group-count-mismatch' | 'gs.set-count-mismatch';
    controlCode: 'isa.control-number-mismatch' | 'gs.control-number-mismatch';
    counted: string;
    header: string;
    count: number;
    control: string | null;
  },
): Diagnostic[] {
  const out: Diagnostic[] = [];
  const where: Location = { ...at, line: trailer.line, offset: trailer.offset, segmentId: trailer.id };
  if (!countMatches(trailer.element(1), rule.count)) {
    out.push(
      diagnostic(rule.countCode, `${trailer.id}01 says ${trailer.element(1)} ${rule.counted}, there are ${rule.count}`, { ...where, element: 1 }, {
        found: trailer.element(1),
        expected: String(rule.count),
      }),
    );
  }
  if (rule.control !== null && !sameControlNumber(trailer.element(2), rule.control)) {
    out.push(
      diagnostic(rule.controlCode, `${trailer.id}02 does not match ${rule.header} ${rule.control}`, { ...where, element: 2 }, { found: trailer.element(2), expected: rule.control }),
    );
  }
  return out;
}
