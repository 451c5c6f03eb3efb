/**
 * Reading acknowledgements we receive: a 997 / 999 set, or a TA1 segment, becomes "which of
 * our groups and sets were accepted or rejected, and why", with the code meanings spelled out.
 * A malformed acknowledgement yields problems in the report, never an exception.
 */
import type { TransactionSet } from '../envelope.ts';
import type { Segment } from '../segment.ts';
import codes from './codes.json' with { type: 'json' };

type Table = keyof Omit<typeof codes, '_source'>;

export function meaning(table: Table, code: string): string {
  return (codes[table] as Record<string, string>)[code] ?? `unknown code '${code}'`;
}

export interface AckElementNote {
  position: number;
  component?: number;
  repetition?: number;
  ref?: string;
  code: string;
  meaning: string;
  badData?: string;
}

export interface AckSegmentNote {
  segmentId: string;
  position: number;
  loopId?: string;
  code?: string;
  meaning?: string;
  elements: AckElementNote[];
}

export interface AckSetReport {
  setId: string;
  control: string;
  status: string;
  statusMeaning: string;
  errors: Array<{ code: string; meaning: string }>;
  segments: AckSegmentNote[];
}

export interface AckReport {
  kind: '997' | '999';
  group: {
    functionalId: string;
    control: string;
    version?: string;
    status: string;
    statusMeaning: string;
    included: number | null;
    received: number | null;
    accepted: number | null;
    errors: Array<{ code: string; meaning: string }>;
  };
  sets: AckSetReport[];
  /** Problems reading the acknowledgement itself. */
  problems: string[];
}

export interface Ta1Report {
  control: string;
  date: string;
  time: string;
  status: string;
  statusMeaning: string;
  code: string;
  meaning: string;
}

const int = (s: string): number | null => (/^\d+$/.test(s) ? Number(s) : null);

export function parseTa1(seg: Segment): Ta1Report {
  return {
    control: seg.element(1),
    date: seg.element(2),
    time: seg.element(3),
    status: seg.element(4),
    statusMeaning: meaning('TA104', seg.element(4)),
    code: seg.element(5),
    meaning: meaning('TA105', seg.element(5)),
  };
}

/** Parse a 997 or 999 transaction set. */
export function parseAcknowledgement(set: TransactionSet): AckReport {
  const kind = set.id === '999' ? '999' : '997';
  const report: AckReport = {
    kind,
    group: { functionalId: '', control: '', status: '', statusMeaning: '', included: null, received: null, accepted: null, errors: [] },
    sets: [],
    problems: [],
  };
  if (set.id !== '997' && set.id !== '999') report.problems.push(`transaction set ${set.id} is not an acknowledgement`);
  let current: AckSetReport | null = null;
  let segmentNote: AckSegmentNote | null = null;
  let sawAk1 = false;
  let sawAk9 = false;
  for (const seg of set.segments) {
    switch (seg.id) {
      case 'AK1':
        sawAk1 = true;
        report.group.functionalId = seg.element(1);
        report.group.control = seg.element(2);
        if (seg.has(3)) report.group.version = seg.element(3);
        break;
      case 'AK2':
        current = { setId: seg.element(1), control: seg.element(2), status: '', statusMeaning: '', errors: [], segments: [] };
        report.sets.push(current);
        segmentNote = null;
        break;
      case 'AK3':
      case 'IK3': {
        if (!current) {
          report.problems.push(`${seg.id} at line ${seg.line} outside an AK2 loop`);
          break;
        }
        const code = seg.element(4);
        segmentNote = { segmentId: seg.element(1), position: int(seg.element(2)) ?? 0, elements: [] };
        if (seg.has(3)) segmentNote.loopId = seg.element(3);
        if (code) {
          segmentNote.code = code;
          segmentNote.meaning = meaning('AK304', code);
        }
        current.segments.push(segmentNote);
        break;
      }
      case 'AK4':
      case 'IK4': {
        if (!segmentNote) {
          report.problems.push(`${seg.id} at line ${seg.line} without a preceding ${kind === '999' ? 'IK3' : 'AK3'}`);
          break;
        }
        const [position, component, repetition] = seg.components(1);
        const note: AckElementNote = { position: int(position) ?? 0, code: seg.element(3), meaning: meaning('AK403', seg.element(3)) };
        if (component) note.component = int(component) ?? undefined;
        if (repetition) note.repetition = int(repetition) ?? undefined;
        if (seg.has(2)) note.ref = seg.element(2);
        if (seg.has(4)) note.badData = seg.element(4);
        segmentNote.elements.push(note);
        break;
      }
      case 'AK5':
      case 'IK5':
        if (!current) {
          report.problems.push(`${seg.id} at line ${seg.line} without an AK2`);
          break;
        }
        current.status = seg.element(1);
        current.statusMeaning = meaning('AK501', seg.element(1));
        for (let i = 2; i <= seg.elementCount; i++) if (seg.has(i)) current.errors.push({ code: seg.element(i), meaning: meaning('AK502', seg.element(i)) });
        current = null;
        segmentNote = null;
        break;
      case 'AK9':
        sawAk9 = true;
        report.group.status = seg.element(1);
        report.group.statusMeaning = meaning('AK901', seg.element(1));
        report.group.included = int(seg.element(2));
        report.group.received = int(seg.element(3));
        report.group.accepted = int(seg.element(4));
        for (let i = 5; i <= seg.elementCount; i++) if (seg.has(i)) report.group.errors.push({ code: seg.element(i), meaning: meaning('AK905', seg.element(i)) });
        break;
    }
  }
  if (!sawAk1) report.problems.push('no AK1: the acknowledged group is unknown');
  if (!sawAk9) report.problems.push('no AK9: the group status is unknown');
  for (const s of report.sets) if (!s.status) report.problems.push(`AK2 ${s.setId} ${s.control} has no ${kind === '999' ? 'IK5' : 'AK5'}`);
  return report;
}

/** One line per set: "our 940 0001 in group 1001: rejected (...)". */
export function summarizeAck(report: AckReport): string[] {
  const g = report.group;
  const lines = [`group ${g.functionalId} ${g.control}: ${g.statusMeaning || 'no status'}${g.errors.length ? ` — ${g.errors.map((e) => e.meaning).join('; ')}` : ''}`];
  for (const s of report.sets) {
    const why = [
      ...s.errors.map((e) => e.meaning),
      ...s.segments.map(
        (n) =>
          `${n.segmentId} at position ${n.position}${n.meaning ? `: ${n.meaning}` : ''}${n.elements.length ? ` (${n.elements.map((e) => `element ${String(e.position).padStart(2, '0')}${e.component ? `-${String(e.component).padStart(2, '0')}` : ''}: ${e.meaning}${e.badData ? ` '${e.badData}'` : ''}`).join('; ')})` : ''}`,
      ),
    ];
    lines.push(`  ${s.setId} ${s.control}: ${s.statusMeaning || 'no status'}${why.length ? ` — ${why.join('; ')}` : ''}`);
  }
  return lines;
}
