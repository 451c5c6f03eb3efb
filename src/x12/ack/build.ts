/**
 * Acknowledgements Dockgate sends for what it received: a 997 (or, when asked, a 999 for
 * 005010 groups) per functional group, and a TA1 per interchange whose envelope is broken
 * or that asked for one (ISA14 = 1). Built as OutboundInterchanges; the send-mode writer
 * adds envelopes and control numbers.
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
  /** Why something was not acknowledged, or was truncated. */
  notes: string[];
}

const MAX_AK4_PER_AK3 = 99;
const DELIMITERS = new Set([DEFAULT_SEPARATORS.element, DEFAULT_SEPARATORS.component, DEFAULT_SEPARATORS.segment, DEFAULT_SEPARATORS.repetition ?? 0]);

/** A copy of bad data fit to send: delimiters and control characters dropped, at most 99 characters. */
function badData(found: string | undefined): string {
  if (!found) return '';
  let out = '';
  for (const ch of found) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || DELIMITERS.has(c)) continue;
    out += ch;
  }
  return out.replace(/…$/, '').slice(0, 99);
}

const isError = (d: Diagnostic) => d.level === 'error';

/** A value copied from the received envelope into the acknowledgement: delimiters and control characters dropped. */
function copied(value: string, max = 99): string {
  return badData(value).slice(0, max);
}

/** AK3/AK4 (or IK3/IK4) loops for one set, from its segment and element diagnostics. */
function segmentNotes(set: SetResult, use999: boolean, notes: string[]): OutboundSegment[] {
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
  for (const [key, entry] of bySegment) {
    const [position, segmentId] = key.split('\u0000');
    const code = entry.segment?.standard?.value ?? '8';
    const loopId = entry.segment?.location.loopId ?? entry.elements[0]?.location.loopId ?? '';
    out.push({ id: use999 ? 'IK3' : 'AK3', elements: [copied(segmentId, 3), position, copied(loopId, 6), code] });
    const elements = entry.elements.slice(0, MAX_AK4_PER_AK3);
    if (entry.elements.length > MAX_AK4_PER_AK3) notes.push(`set ${set.control} segment ${segmentId} at ${position}: ${entry.elements.length} element errors, only the first ${MAX_AK4_PER_AK3} are acknowledged`);
    for (const d of elements) {
      const l = d.location;
      const position: string[] = [String(l.element ?? 0)];
      if (l.component) position.push(String(l.component));
      if (use999 && l.repetition) {
        if (!l.component) position.push('');
        position.push(String(l.repetition));
      }
      const ref = l.elementRef && /^\d{1,4}$/.test(l.elementRef) ? l.elementRef : '';
      out.push({ id: use999 ? 'IK4' : 'AK4', elements: [position.length > 1 ? position : position[0], ref, d.standard!.value, badData(d.found)] });
    }
  }
  return out;
}

function setStatus(set: SetResult): { status: 'A' | 'E' | 'R'; codes: string[] } {
  const errors = set.diagnostics.filter(isError);
  if (errors.length === 0) return { status: 'A', codes: [] };
  const codes = [...new Set(errors.filter((d) => d.standard?.kind === 'AK502').map((d) => d.standard!.value))];
  if (codes.length === 0) codes.push('5');
  return { status: 'R', codes: codes.slice(0, 5) };
}

function ackSet(group: GroupResult, notes: string[], use999: boolean): OutboundSet {
  const is5010 = group.header.version.startsWith('005');
  const body: OutboundSegment[] = [{ id: 'AK1', elements: [copied(group.header.functionalId, 2), copied(group.header.control, 9), ...(is5010 ? [copied(group.header.version, 12)] : [])] }];
  let accepted = 0;
  let withErrors = 0;
  for (const set of group.sets) {
    body.push({ id: 'AK2', elements: [copied(set.id, 3), copied(set.control, 9), ...(is5010 && set.implementation ? [copied(set.implementation, 35)] : [])] });
    body.push(...segmentNotes(set, use999, notes));
    const { status, codes } = setStatus(set);
    if (status !== 'R') accepted++;
    if (status === 'E') withErrors++;
    body.push({ id: use999 ? 'IK5' : 'AK5', elements: [status, ...codes] });
  }
  const groupErrors = group.diagnostics.filter((d) => isError(d));
  const groupCodes = [...new Set(groupErrors.filter((d) => d.standard?.kind === 'AK905').map((d) => d.standard!.value))].slice(0, 5);
  const received = group.sets.length;
  let status: 'A' | 'E' | 'P' | 'R';
  if (groupErrors.length > 0 || accepted === 0) status = 'R';
  else if (accepted < received) status = 'P';
  else status = withErrors > 0 ? 'E' : 'A';
  const ge01 = group.ge?.element(1).trim() ?? '';
  const included = /^\d+$/.test(ge01) ? ge01 : String(received);
  body.push({ id: 'AK9', elements: [status, included, String(received), String(accepted), ...groupCodes] });
  return {
    id: use999 ? '999' : '997',
    ...(use999 ? { implementation: group.header.version } : {}),
    segments: body,
  };
}

/** The TA1 an interchange earns, or null. */
export function ta1For(ic: InterchangeResult): OutboundSegment | null {
  const h = ic.header;
  const broken = ic.diagnostics.find((d) => isError(d) && d.standard?.kind === 'TA105');
  if (!broken && !h.ackRequested) return null;
  return { id: 'TA1', elements: [copied(h.control.trim(), 9).padStart(9, '0'), copied(h.date, 6), copied(h.time, 4), broken ? 'R' : 'A', broken ? broken.standard!.value : '000'] };
}

export function buildAcknowledgements(result: FileResult, options: AckOptions = {}): AckPlan {
  const notes: string[] = [];
  const interchanges: OutboundInterchange[] = [];
  for (const ic of result.interchanges) {
    const h = ic.header;
    if (h.isa.elementCount < 16 || !/^\d{1,9}$/.test(h.control.trim())) {
      notes.push(`interchange at line ${h.isa.line}: its ISA is unreadable, so there is no sender to answer`);
      continue;
    }
    const ta1 = ta1For(ic);
    const groups = ic.groups
      .filter((g) => {
        if (g.header.functionalId === 'FA') notes.push(`group ${g.header.control} is itself an acknowledgement (FA): not acknowledged`);
        return g.header.functionalId !== 'FA';
      })
      .map((g) => {
        const use999 = (options.use999 ?? false) && g.header.version.startsWith('005010');
        return {
          functionalId: 'FA',
          senderId: copied(g.header.receiverId, 15),
          receiverId: copied(g.header.senderId, 15),
          version: copied(g.header.version, 12),
          sets: [ackSet(g, notes, use999)],
        };
      });
    if (groups.length === 0 && !ta1) continue;
    interchanges.push({
      sender: { qualifier: copied(h.receiverQualifier, 2), id: copied(h.receiverId, 15) },
      receiver: { qualifier: copied(h.senderQualifier, 2), id: copied(h.senderId, 15) },
      version: /^\d{5}$/.test(h.version) ? h.version : '00401',
      usage: h.usage === 'P' || h.usage === 'I' ? h.usage : 'T',
      groups,
      ...(ta1 ? { service: [ta1] } : {}),
    });
  }
  if (result.unenveloped.length > 0) notes.push(`${result.unenveloped.length} transaction set(s) without an envelope: no sender to acknowledge`);
  return { interchanges, notes };
}
