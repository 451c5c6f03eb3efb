/**
 * The X12 writer, two modes.
 *
 * reproduce: writes a parsed document back segment for segment, with the delimiters, ISA
 *   padding, empty trailing elements and line-break habit the file had (the round trip).
 * send: writes what Dockgate transmits: fixed-width ISA, trailing empty elements dropped,
 *   counts computed, control numbers drawn from the store's sequences, and any data that
 *   contains a delimiter refused (the mapping layer cleans data before it gets here).
 */
import { DEFAULT_SEPARATORS, describeByte, ISA_WIDTHS, usesRepetitionSeparator, type Separators } from './dialect.ts';
import type { ControlNumberSource, OutboundInterchange, OutboundSegment } from './outbound.ts';
import { isLoopNode, type ElementValue, type SegmentNode, type TreeNode, type X12Document } from './tree.ts';

/** Data that cannot be written (a delimiter inside a value, a value too long for the ISA). */
export class X12DataError extends Error {
  constructor(
    message: string,
    readonly context: { set?: string; segmentId?: string; segmentIndex?: number; element?: number; component?: number; character?: string },
  ) {
    super(message);
    this.name = 'X12DataError';
  }
}

// ---------- reproduce mode ----------

function valueText(v: ElementValue, comp: string, rep: string | null): string {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.join(comp);
  if (rep === null) throw new X12DataError('a repeated element needs a repetition separator', {});
  return v.repeats.map((r) => (Array.isArray(r) ? r.join(comp) : r)).join(rep);
}

/** Write a document back exactly as read (a leading BOM is not reproduced). */
export function writeDocument(doc: X12Document): Buffer {
  const parts: string[] = [];
  for (const ic of doc.interchanges) {
    const d = ic.delimiters;
    const end = d.segment + d.suffix;
    const line = (n: SegmentNode) => {
      parts.push(n.segment);
      for (const e of n.elements) parts.push(d.element, valueText(e, d.component, d.repetition));
      parts.push(end);
    };
    // Nesting (856 HL levels under their parents) may differ from file order: segments carry
    // their position from ST, so they are written back in that order.
    // Depth-first without recursion: loops nest as deep as the data (an 856 HL chain).
    const collect = (nodes: TreeNode[], into: SegmentNode[]) => {
      const stack: Array<{ nodes: TreeNode[]; next: number }> = [{ nodes, next: 0 }];
      while (stack.length > 0) {
        const top = stack[stack.length - 1];
        if (top.next === top.nodes.length) {
          stack.pop();
          continue;
        }
        const n = top.nodes[top.next++];
        if (isLoopNode(n)) stack.push({ nodes: n.children, next: 0 });
        else into.push(n);
      }
      return into;
    };
    const writeSet = (children: TreeNode[]) => {
      const segs = collect(children, []);
      if (segs.every((n) => n.position !== undefined)) segs.sort((a, b) => a.position! - b.position!);
      for (const n of segs) line(n);
    };
    // The ISA is written as stored: its elements keep their padding; ISA16 is the component separator.
    line(ic.ISA);
    // Service segments (ISB, ISE, TA1) go back where they stood relative to the groups.
    const service = [...(ic.service ?? [])];
    const serviceBefore = (lineNo: number | undefined) => {
      while (service.length > 0 && (lineNo === undefined || service[0].line === undefined || service[0].line < lineNo)) line(service.shift()!);
    };
    for (const g of ic.groups) {
      serviceBefore(g.GS.line ?? Number.MAX_SAFE_INTEGER);
      line(g.GS);
      for (const set of g.sets) writeSet(set.children);
      if (g.GE) line(g.GE);
    }
    serviceBefore(undefined);
    if (ic.IEA) {
      line(ic.IEA);
      if (ic.ending !== undefined) parts[parts.length - 1] = ic.ending;
    }
  }
  return Buffer.from(parts.join(''), 'utf8');
}

// ---------- send mode ----------

export interface SendOptions {
  /** Partner id: control numbers are sequenced per partner. */
  partner: string;
  controlNumbers: ControlNumberSource;
  /** Clock for ISA09/ISA10 and GS04/GS05 (UTC). */
  now?: Date;
  separators?: Separators;
}

export interface SentInterchange {
  bytes: Buffer;
  controlNumbers: { isa13: number; groups: Array<{ gs06: number; sets: string[] }> };
}

function checkSeparators(s: Separators): void {
  const list = [s.element, s.component, s.segment, ...(s.repetition === null ? [] : [s.repetition])];
  for (const b of list) {
    if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x20) {
      throw new X12DataError(`separator ${describeByte(b)} is a letter, digit or space`, {});
    }
  }
  if (new Set(list).size !== list.length) throw new X12DataError('the separators must all differ', {});
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** Write one interchange in send mode. */
export function sendInterchange(ic: OutboundInterchange, options: SendOptions): SentInterchange {
  const seps = options.separators ?? DEFAULT_SEPARATORS;
  checkSeparators(seps);
  const el = String.fromCharCode(seps.element);
  const comp = String.fromCharCode(seps.component);
  const repeating = usesRepetitionSeparator(ic.version);
  const rep = repeating && seps.repetition !== null ? String.fromCharCode(seps.repetition) : null;
  const term = String.fromCharCode(seps.segment) + seps.suffix;
  const forbidden = [seps.element, seps.component, seps.segment, ...(seps.repetition === null ? [] : [seps.repetition])];
  const now = options.now ?? new Date();
  const yymmdd = now.toISOString().slice(2, 10).replace(/-/g, '');
  const ccyymmdd = now.toISOString().slice(0, 10).replace(/-/g, '');
  const hhmm = now.toISOString().slice(11, 16).replace(':', '');

  // One native scan per value; the error's context is only built when a delimiter is found.
  const escape = (b: number) => `\\x${b.toString(16).padStart(2, '0')}`;
  const delimiter = new RegExp(`[${forbidden.map(escape).join('')}]`);
  const refuse = (text: string, set: string, segmentId: string, segmentIndex: number, element: number, component?: number): never => {
    const c = text.charCodeAt(text.search(delimiter));
    throw new X12DataError(
      `${segmentId}${element ? String(element).padStart(2, '0') : ''} in set ${set} contains the delimiter ${describeByte(c)}: clean the data before sending`,
      { set, segmentId, segmentIndex, element, component, character: String.fromCharCode(c) },
    );
  };
  const clean = (text: string, set: string, segmentId: string, segmentIndex: number, element: number, component?: number): string =>
    delimiter.test(text) ? refuse(text, set, segmentId, segmentIndex, element, component) : text;
  /** One segment, trailing empty elements and trailing empty components dropped. */
  const segment = (s: OutboundSegment, set: string, index: number): string => {
    const elements = s.elements;
    let last = elements.length - 1;
    while (last >= 0 && elements[last] === '') last--;
    let out = s.id;
    for (let i = 0; i <= last; i++) {
      const v = elements[i];
      out += el;
      if (typeof v === 'string') {
        out += clean(v, set, s.id, index, i + 1);
      } else if (Array.isArray(v)) {
        out += composite(v, set, s.id, index, i + 1);
      } else {
        if (rep === null) throw new X12DataError(`${s.id}${pad(i + 1, 2)} repeats, but version ${ic.version} has no repetition separator`, { set, segmentId: s.id, segmentIndex: index, element: i + 1 });
        out += v.repeats.map((r) => (typeof r === 'string' ? clean(r, set, s.id, index, i + 1) : composite(r, set, s.id, index, i + 1))).join(rep);
      }
    }
    return out + term;
  };
  const composite = (parts: string[], set: string, segmentId: string, index: number, element: number): string => {
    let last = parts.length - 1;
    while (last >= 0 && parts[last] === '') last--;
    let out = '';
    for (let k = 0; k <= last; k++) out += (k > 0 ? comp : '') + clean(parts[k], set, segmentId, index, element, k + 1);
    return out;
  };

  const isa13 = options.controlNumbers.next(options.partner, 'ISA13');
  const isaFields = [
    '00', '', '00', '', ic.sender.qualifier, ic.sender.id, ic.receiver.qualifier, ic.receiver.id,
    yymmdd, hhmm, repeating ? String.fromCharCode(seps.repetition ?? 0x5e) : 'U', ic.version, pad(isa13, 9),
    ic.ackRequested ? '1' : '0', ic.usage, comp,
  ];
  const isa = isaFields
    .map((f, i) => {
      if (i === 15) return f;
      const width = ISA_WIDTHS[i];
      if (f.length > width) throw new X12DataError(`ISA${pad(i + 1, 2)} '${f}' is longer than its fixed ${width} characters`, { segmentId: 'ISA', element: i + 1 });
      if (i !== 10) clean(f, 'interchange', 'ISA', 0, i + 1);
      return f.padEnd(width, ' ');
    })
    .join(el);
  const out: string[] = [`ISA${el}${isa}${term}`];
  for (const s of ic.service ?? []) out.push(segment(s, 'interchange', 0));
  const groups: SentInterchange['controlNumbers']['groups'] = [];
  for (const g of ic.groups) {
    const gs06 = options.controlNumbers.next(options.partner, 'GS06');
    const gsFields = [g.functionalId, g.senderId, g.receiverId, ccyymmdd, hhmm, String(gs06), g.agency ?? 'X', g.version];
    out.push(segment({ id: 'GS', elements: gsFields }, 'group', 0));
    const sets: string[] = [];
    for (const set of g.sets) {
      const st02 = pad(options.controlNumbers.next(options.partner, 'ST02'), 4);
      sets.push(st02);
      const body: string[] = [segment({ id: 'ST', elements: [set.id, st02, ...(set.implementation ? [set.implementation] : [])] }, st02, 1)];
      set.segments.forEach((s, k) => body.push(segment(s, st02, k + 2)));
      body.push(segment({ id: 'SE', elements: [String(set.segments.length + 2), st02] }, st02, set.segments.length + 2));
      out.push(body.join(''));
    }
    out.push(segment({ id: 'GE', elements: [String(g.sets.length), String(gs06)] }, 'group', 0));
    groups.push({ gs06, sets });
  }
  out.push(segment({ id: 'IEA', elements: [String(ic.groups.length), pad(isa13, 9)] }, 'interchange', 0));
  return { bytes: Buffer.from(out.join(''), 'utf8'), controlNumbers: { isa13, groups } };
}
