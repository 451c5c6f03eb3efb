/**
 * Acknowledgements Dockgate sends for what it received: a 997 (or, when asked, a 999 for
 * 005010 groups) per functional group, and a TA1 per interchange whose envelope is broken
 * or that asked for one (ISA14 = 1). Built as OutboundInterchanges; the send-mode writer
 * adds envelopes and control numbers.
 *
 * What is built is always valid X12 by the acknowledgement's own schema: anything of the
 * received data that cannot be quoted in an element of the acknowledgement (an empty GS02, an
 * ST02 of two characters, an element position over 99) is left out and said in the notes, and
 * an interchange too broken to read its groups is answered with a TA1 only.
 *
 * Acknowledgements are never acknowledged (FA groups get no 997): the field's convention, and
 * the only way two gateways do not answer each other forever.
 */
import { DEFAULT_SEPARATORS } from '../dialect.ts';
import type { Diagnostic } from '../diagnostics.ts';
import type { OutboundInterchange, OutboundSegment, OutboundSet } from '../outbound.ts';
import type { FileResult, GroupResult, InterchangeResult, SetResult } from '../result.ts';

export interface AckOptions {
  /** Answer 005010 groups with a 999 instead of a 997. */
  use999?: boolean;
}

export interface AckPlan {
  interchanges: OutboundInterchange[];
  /** Why something was not acknowledged, or was left out or truncated. */
  notes: string[];
}

const MAX_AK4_PER_AK3 = 99;
/** AK302 / IK302 and the AK9 counts are N0 1-6. */
const MAX_N6 = 999_999;
const DELIMITERS = new Set([DEFAULT_SEPARATORS.element, DEFAULT_SEPARATORS.component, DEFAULT_SEPARATORS.segment, DEFAULT_SEPARATORS.repetition ?? 0]);

/**
 * Interchange problems that leave its segments unreadable: separators that cannot be used, an
 * ISA cut short, no terminator after it. Its groups and sets are guesses, so it gets a TA1 only.
 */
const UNREADABLE_INTERCHANGE = new Set(['isa.separator-invalid', 'isa.truncated', 'isa.terminator-not-found']);

/** TA105 024: invalid interchange content (e.g. an invalid GS segment). */
const INVALID_CONTENT = '024';

/**
 * AK403 codes the 997 of 004010 and earlier does not have (12 too many repetitions, 13 too
 * many components arrived with 005010): the nearest it has, 3 too many data elements.
 */
const AK403_BEFORE_5010: Record<string, string> = { '12': '3', '13': '3' };

/** A copy of received data fit to send: delimiters and control characters dropped, at most `max` characters. */
function copied(value: string | undefined, max = 99): string {
  if (!value) return '';
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || DELIMITERS.has(c)) continue;
    out += ch;
  }
  return out.replace(/…$/, '').slice(0, max);
}

/** A copied envelope field: padding dropped too (X12 compares envelope fields trimmed). */
const field = (value: string, max: number) => copied(value.trim(), max).trim();

const isError = (d: Diagnostic) => d.level === 'error';
const digits = (text: string, min: number, max: number) => text.length >= min && text.length <= max && /^\d+$/.test(text);
const version5010 = (version: string) => /^\d{6}/.test(version) && Number(version.slice(0, 6)) >= 5010;

/** AK3/AK4 (or IK3/IK4) loops for one set, from its segment and element diagnostics. */
function segmentNotes(set: SetResult, use999: boolean, is5010: boolean, notes: string[]): OutboundSegment[] {
  const out: OutboundSegment[] = [];
  // Group by segment position, keeping file order.
  const bySegment = new Map<string, { segment?: Diagnostic; elements: Diagnostic[] }>();
  for (const d of set.diagnostics) {
    if (!isError(d) || !d.standard || d.location.segmentPosition === undefined) continue;
    if (d.standard.kind !== 'AK304' && d.standard.kind !== 'AK403') continue;
    const key = `${d.location.segmentPosition}\u0000${d.location.segmentId ?? ''}`;
    let entry = bySegment.get(key);
    if (!entry) bySegment.set(key, (entry = { elements: [] }));
    if (d.standard.kind === 'AK304') entry.segment ??= d;
    else entry.elements.push(d);
  }
  let unquotable = 0;
  for (const [key, entry] of bySegment) {
    const [position, rawId] = key.split('\u0000');
    const segmentId = copied(rawId, 3);
    if (!/^[A-Z0-9]{2,3}$/.test(segmentId) || Number(position) < 1 || Number(position) > MAX_N6) {
      unquotable++;
      continue;
    }
    const code = entry.segment?.standard?.value ?? '8';
    const loopId = copied(entry.segment?.location.loopId ?? entry.elements[0]?.location.loopId ?? '', 6);
    out.push({ id: use999 ? 'IK3' : 'AK3', elements: [segmentId, position, loopId, code] });
    const elements = entry.elements.filter((d) => (d.location.element ?? 0) >= 1 && (d.location.element ?? 0) <= 99);
    if (elements.length < entry.elements.length) notes.push(`set ${set.control} segment ${segmentId} at ${position}: ${entry.elements.length - elements.length} error(s) beyond element 99 cannot be given an AK4 position`);
    if (elements.length > MAX_AK4_PER_AK3) notes.push(`set ${set.control} segment ${segmentId} at ${position}: ${elements.length} element errors, only the first ${MAX_AK4_PER_AK3} are acknowledged`);
    for (const d of elements.slice(0, MAX_AK4_PER_AK3)) {
      const l = d.location;
      const position: string[] = [String(l.element)];
      if (l.component && l.component <= 99) position.push(String(l.component));
      if (use999 && l.repetition && l.repetition <= 9999) {
        if (position.length === 1) position.push('');
        position.push(String(l.repetition));
      }
      const ref = l.elementRef && /^\d{1,4}$/.test(l.elementRef) ? l.elementRef : '';
      const value = d.standard!.value;
      const code = is5010 ? value : (AK403_BEFORE_5010[value] ?? value);
      out.push({ id: use999 ? 'IK4' : 'AK4', elements: [position.length > 1 ? position : position[0], ref, code, copied(d.found)] });
    }
  }
  if (unquotable > 0) notes.push(`set ${set.control}: ${unquotable} segment(s) in error have an id or position an AK3 cannot carry; the set's status says it is in error`);
  return out;
}

function setStatus(set: SetResult): { status: 'A' | 'R'; codes: string[] } {
  const errors = set.diagnostics.filter(isError);
  // A set no schema checked is not accepted: AK502 1, transaction set not supported.
  if (errors.length === 0 && !set.diagnostics.some((d) => d.code === 'st.unsupported')) return { status: 'A', codes: [] };
  const codes = new Set<string>();
  for (const d of set.diagnostics) if ((isError(d) || d.code === 'st.unsupported') && d.standard?.kind === 'AK502') codes.add(d.standard.value);
  if (codes.size === 0) codes.add('5');
  return { status: 'R', codes: [...codes].slice(0, 5) };
}

/** Why a received group cannot be answered with a valid 997, or null. */
function unanswerableGroup(group: GroupResult): string | null {
  const h = group.header;
  if (!/^[A-Za-z0-9]{2}$/.test(h.functionalId)) return `its GS01 '${copied(h.functionalId)}' is not a functional identifier`;
  if (!digits(h.control, 1, 9)) return `its GS06 '${copied(h.control)}' is not a group control number`;
  if (field(h.senderId, 15).length < 2 || field(h.receiverId, 15).length < 2) return 'its GS02 / GS03 do not name both applications (2-15 characters each)';
  if (field(h.version, 12).length === 0) return 'its GS08 gives no version';
  return null;
}

/** Can a set be quoted in an AK2 (ST01 three characters, ST02 4-9)? */
const quotable = (set: SetResult) => /^[A-Za-z0-9]{3}$/.test(set.id) && copied(set.control, 9).length >= 4 && copied(set.control, 9) === set.control;

function ackSet(group: GroupResult, notes: string[], use999: boolean): OutboundSet {
  const is5010 = version5010(group.header.version);
  const body: OutboundSegment[] = [{ id: 'AK1', elements: [group.header.functionalId, group.header.control, ...(is5010 ? [field(group.header.version, 12)] : [])] }];
  let accepted = 0;
  for (const set of group.sets) {
    const { status, codes } = setStatus(set);
    if (status === 'A') accepted++;
    if (!quotable(set)) {
      notes.push(`group ${group.header.control}: the set at line ${set.line} has an ST01 / ST02 an AK2 cannot quote ('${copied(set.id)}' / '${copied(set.control)}'); it is counted as received, not accepted`);
      continue;
    }
    body.push({ id: 'AK2', elements: [set.id, set.control, ...(is5010 && set.implementation ? [copied(set.implementation, 35)] : [])] });
    for (const segment of segmentNotes(set, use999, is5010, notes)) body.push(segment);
    body.push({ id: use999 ? 'IK5' : 'AK5', elements: [status, ...codes] });
  }
  const groupCodes = new Set<string>();
  let groupErrors = 0;
  for (const d of group.diagnostics) {
    if (!isError(d)) continue;
    groupErrors++;
    if (d.standard?.kind === 'AK905') groupCodes.add(d.standard.value);
  }
  const received = group.sets.length;
  let status: 'A' | 'P' | 'R';
  if (groupErrors > 0 || accepted === 0) status = 'R';
  else if (accepted < received) status = 'P';
  else status = 'A';
  const ge01 = group.ge?.element(1).trim() ?? '';
  const included = digits(ge01, 1, 6) ? ge01 : String(Math.min(received, MAX_N6));
  body.push({ id: 'AK9', elements: [status, included, String(Math.min(received, MAX_N6)), String(Math.min(accepted, MAX_N6)), ...[...groupCodes].slice(0, 5)] });
  return {
    id: use999 ? '999' : '997',
    ...(use999 ? { implementation: field(group.header.version, 35) } : {}),
    segments: body,
  };
}

/** The first interchange error with a TA105 code: the one validate reports first. */
function firstInterchangeError(ic: InterchangeResult): string | null {
  for (const d of ic.diagnostics) if (isError(d) && d.standard?.kind === 'TA105') return d.standard.value;
  return null;
}

/** The TA1 an interchange earns, or null. `contentCode` is TA105 for content that could not be answered (a group). */
function ta1For(ic: InterchangeResult, contentCode: string | null = null): OutboundSegment | null {
  const h = ic.header;
  const code = firstInterchangeError(ic) ?? contentCode;
  if (!code && !h.ackRequested) return null;
  const date = digits(h.date, 6, 6) ? h.date : '000000';
  const time = digits(h.time, 4, 4) ? h.time : '0000';
  return { id: 'TA1', elements: [h.control.trim().padStart(9, '0'), date, time, code ? 'R' : 'A', code ?? '000'] };
}

/** Why an interchange cannot be answered at all (no sender to address), or null. */
function unaddressable(ic: InterchangeResult): string | null {
  const h = ic.header;
  if (h.isa.elementCount < 16 || !digits(h.control.trim(), 1, 9)) return 'its ISA is unreadable, so there is no sender to answer';
  const parties = [h.senderQualifier, h.receiverQualifier].every((q) => /^[A-Za-z0-9]{2}$/.test(q)) && [h.senderId, h.receiverId].every((id) => field(id, 15).length > 0);
  return parties ? null : 'its ISA05-ISA08 do not name a sender and a receiver to answer';
}

export function buildAcknowledgements(result: FileResult, options: AckOptions = {}): AckPlan {
  const notes: string[] = [];
  const interchanges: OutboundInterchange[] = [];
  for (const ic of result.interchanges) {
    const h = ic.header;
    const where = `interchange ${copied(h.control.trim()) || '?'} at line ${h.isa.line}`;
    const noSender = unaddressable(ic);
    if (noSender) {
      notes.push(`${where}: ${noSender}`);
      continue;
    }
    const unreadable = ic.diagnostics.find((d) => isError(d) && UNREADABLE_INTERCHANGE.has(d.code));
    let contentCode: string | null = null;
    const groups: OutboundInterchange['groups'] = [];
    if (unreadable) {
      notes.push(`${where}: ${unreadable.message}; its groups cannot be read, so it is answered with a TA1 only`);
    } else {
      for (const g of ic.groups) {
        if (g.header.functionalId === 'FA') {
          notes.push(`group ${copied(g.header.control)} is itself an acknowledgement (FA): not acknowledged`);
          continue;
        }
        const why = unanswerableGroup(g);
        if (why) {
          notes.push(`group at line ${g.header.gs.line} cannot be answered with a 997: ${why}; the TA1 says so (TA105 ${INVALID_CONTENT})`);
          contentCode = INVALID_CONTENT;
          continue;
        }
        const use999 = (options.use999 ?? false) && g.header.version.startsWith('005010');
        groups.push({
          functionalId: 'FA',
          senderId: field(g.header.receiverId, 15),
          receiverId: field(g.header.senderId, 15),
          version: field(g.header.version, 12),
          sets: [ackSet(g, notes, use999)],
        });
      }
    }
    const ta1 = ta1For(ic, unreadable ? null : contentCode);
    if (groups.length === 0 && !ta1) continue;
    interchanges.push({
      sender: { qualifier: h.receiverQualifier, id: field(h.receiverId, 15) },
      receiver: { qualifier: h.senderQualifier, id: field(h.senderId, 15) },
      version: /^\d{5}$/.test(h.version) ? h.version : '00401',
      usage: h.usage === 'P' || h.usage === 'I' ? h.usage : 'T',
      groups,
      ...(ta1 ? { service: [ta1] } : {}),
    });
  }
  if (result.unenveloped.length > 0) notes.push(`${result.unenveloped.length} transaction set(s) without an envelope: no sender to acknowledge`);
  return { interchanges, notes };
}
