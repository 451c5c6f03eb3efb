/**
 * Element-level checks of one segment against its dictionary definition: count, mandatory,
 * length, type, code lists, repetitions and components, syntax rules, SSCC in MAN*GM.
 *
 * Hot path: lengths and numeric types are checked on the bytes; text is decoded only for
 * elements with a code list, dates and times, and for messages.
 */
import { isValidDate, isValidTime } from '../envelope-checks.ts';
import { diagnostic, type Diagnostic, type Location } from '../diagnostics.ts';
import type { CompiledElement, CompiledSegment } from '../schema/load.ts';
import { decodeText, type Segment } from '../segment.ts';
import { ssccProblem } from './sscc.ts';

const MINUS = 0x2d;
const DOT = 0x2e;

/** What one pass over a value found (module-level to avoid an allocation per element). */
const scanned = { rep: false, comp: false, ctrl: false, badNumber: false, length: 0 };

/**
 * One pass over [from, to): separators present, control characters, numeric validity
 * (kind 1 whole number, 2 decimal, 0 not numeric) and the length as X12 counts it.
 */
function scanValue(buf: Buffer, from: number, to: number, kind: 0 | 1 | 2, repSep: number, compSep: number): typeof scanned {
  let rep = false;
  let comp = false;
  let ctrl = false;
  let length = 0;
  let digits = 0;
  let dots = 0;
  let bad = false;
  for (let i = from; i < to; i++) {
    const b = buf[i];
    if (b === repSep) rep = true;
    else if (b === compSep) comp = true;
    if (b < 0x20 || b === 0x7f) ctrl = true;
    if ((b & 0xc0) === 0x80) continue; // UTF-8 continuation byte: same character
    if (kind !== 0) {
      if (b >= 0x30 && b <= 0x39) {
        digits++;
        length++;
      } else if (b === MINUS && i === from) {
        // sign does not count
      } else if (b === DOT && kind === 2 && dots === 0) dots++;
      else bad = true;
    } else length++;
  }
  scanned.rep = rep;
  scanned.comp = comp;
  scanned.ctrl = ctrl;
  scanned.badNumber = kind !== 0 && (bad || digits === 0);
  scanned.length = length;
  return scanned;
}

/** Split [from, to) on a separator byte into ranges. */
function split(buf: Buffer, from: number, to: number, sep: number | null | undefined): Array<[number, number]> {
  if (sep == null || sep < 0) return [[from, to]];
  const out: Array<[number, number]> = [];
  let start = from;
  for (let i = from; i < to; i++) {
    if (buf[i] === sep) {
      out.push([start, i]);
      start = i + 1;
    }
  }
  out.push([start, to]);
  return out;
}

const pos2 = (n: number) => String(n).padStart(2, '0');

/**
 * Where the segment under check is. Locations are built from it only when something is wrong,
 * so that a clean segment costs no allocation per element.
 */
export interface ElementCheckContext {
  /** Location of the segment (file, line, set, segmentId, segmentPosition, loopId). */
  at: Location | (() => Location);
  /** Narrower code lists at this position of the set, by element position. */
  codes: Map<number, Set<string>> | null;
  /** Is element n of the segment under check present? (made once per set, not per segment) */
  present?: (n: number) => boolean;
}

function locate(ctx: ElementCheckContext, element: number, ref: string | undefined, component: number, repetition: number): Location {
  const base = typeof ctx.at === 'function' ? ctx.at() : ctx.at;
  const l: Location = Object.assign({}, base);
  l.element = element;
  if (ref !== undefined) l.elementRef = ref;
  if (component > 0) l.component = component;
  if (repetition > 0) l.repetition = repetition;
  return l;
}

/** Index of byte b in [from, to), or -1. */
function indexOf(buf: Buffer, b: number, from: number, to: number): number {
  if (b < 0) return -1;
  for (let i = from; i < to; i++) if (buf[i] === b) return i;
  return -1;
}

/** Check one value (a simple element, a component or a repetition) against its definition. */
function checkValue(
  seg: Segment,
  def: CompiledElement,
  from: number,
  to: number,
  codes: Set<string> | null,
  ctx: ElementCheckContext,
  n: number,
  component: number,
  repetition: number,
  out: Diagnostic[],
  scannedAlready = false,
): void {
  const buf = seg.buf;
  const t = def.type;
  if (t === 'B') return;
  const kind = def.numeric;
  // The caller may have scanned this exact range with this element's kind already.
  const sc = scannedAlready ? scanned : scanValue(buf, from, to, kind, -1, -1);
  if (kind !== 0 && sc.badNumber) {
    out.push(
      diagnostic('element.invalid-character', `${def.name} must be ${t === 'R' ? 'a decimal number' : 'a whole number'}${t.length === 2 ? ` (${t[1]} implied decimal places)` : ''}`, locate(ctx, n, def.ref, component, repetition), {
        found: decodeText(buf, from, to),
        expected: t === 'R' ? 'digits with an optional sign and decimal point' : 'digits with an optional leading minus',
      }),
    );
    return;
  }
  if (kind === 0 && sc.ctrl) {
    out.push(diagnostic('element.invalid-character', `${def.name} contains a control character`, locate(ctx, n, def.ref, component, repetition), { found: decodeText(buf, from, to), expected: 'printable characters' }));
    return;
  }
  const len = sc.length;
  if (len < def.min || len > def.max) {
    const short = len < def.min;
    out.push(
      diagnostic(
        short ? 'element.too-short' : 'element.too-long',
        short ? `${def.name} is ${len} character(s) long, at least ${def.min} required` : `${def.name} is ${len} characters long, at most ${def.max} allowed`,
        locate(ctx, n, def.ref, component, repetition),
        { found: decodeText(buf, from, to), expected: `${def.min}-${def.max} characters` },
      ),
    );
    return;
  }
  if (t === 'DT') {
    const text = decodeText(buf, from, to);
    if (!isValidDate(text)) out.push(diagnostic('element.invalid-date', `${def.name} is not a valid date`, locate(ctx, n, def.ref, component, repetition), { found: text, expected: len === 6 ? 'YYMMDD' : 'CCYYMMDD' }));
    return;
  }
  if (t === 'TM') {
    const text = decodeText(buf, from, to);
    if (!isValidTime(text)) out.push(diagnostic('element.invalid-time', `${def.name} is not a valid time`, locate(ctx, n, def.ref, component, repetition), { found: text, expected: 'HHMM, HHMMSS or HHMMSSd..d' }));
    return;
  }
  const list = codes ?? def.codes;
  if (list !== null) {
    const text = decodeText(buf, from, to);
    if (!list.has(text)) {
      const shown = [...list].slice(0, 12).join(', ') + (list.size > 12 ? `, … (${list.size} codes)` : '');
      out.push(diagnostic('element.invalid-code', `${def.name}: '${text}' is not a valid code`, locate(ctx, n, def.ref, component, repetition), { found: text, expected: `one of ${shown}` }));
    }
  }
}

/** A simple element's value; a component separator inside it means a delimiter was sent as data. */
function checkSimple(seg: Segment, d: CompiledElement, from: number, to: number, codes: Set<string> | null, ctx: ElementCheckContext, n: number, repetition: number, compSep: number, out: Diagnostic[]): void {
  if (indexOf(seg.buf, compSep, from, to) >= 0) {
    out.push(
      diagnostic('element.too-many-components', `${seg.id}${pos2(n)} is a simple element but carries a component separator`, locate(ctx, n, d.ref, 2, repetition), {
        found: decodeText(seg.buf, from, to),
        expected: 'no component separator in a simple element',
      }),
    );
    return;
  }
  checkValue(seg, d, from, to, codes, ctx, n, 0, repetition, out);
}

/** Components of one (repetition of a) composite element. */
function checkComposite(seg: Segment, d: CompiledElement, from: number, to: number, ctx: ElementCheckContext, n: number, repetition: number, out: Diagnostic[]): void {
  const comps = split(seg.buf, from, to, seg.separators?.component);
  const composite = d.composite!;
  const cdefs = composite.components;
  if (comps.length > cdefs.length) {
    out.push(
      diagnostic('element.too-many-components', `${seg.id}${pos2(n)} has ${comps.length} components, composite ${d.ref} defines ${cdefs.length}`, locate(ctx, n, d.ref, cdefs.length + 1, repetition), {
        expected: `at most ${cdefs.length} components`,
      }),
    );
  }
  for (let c = 0; c < cdefs.length; c++) {
    const cd = cdefs[c];
    const cr = comps[c];
    if (!cr || cr[0] === cr[1]) {
      if (cd.req === 'M') out.push(diagnostic('element.mandatory-missing', `${seg.id}${pos2(n)}-${pos2(c + 1)} (${cd.name}) is mandatory`, locate(ctx, n, cd.ref, c + 1, repetition), { expected: `${cd.type} ${cd.min}-${cd.max}` }));
      continue;
    }
    checkValue(seg, cd, cr[0], cr[1], null, ctx, n, c + 1, repetition, out);
  }
  for (const rule of composite.rules) {
    const v = rule.check((k) => {
      const cr = comps[k - 1];
      return cr !== undefined && cr[0] < cr[1];
    });
    if (v) out.push(diagnostic(v.code, `${seg.id}${pos2(n)}: ${v.message}`, locate(ctx, n, d.ref, v.position, repetition)));
  }
}

/** Element checks of one segment. Diagnostics are appended to `out` in element order. */
export function checkElements(seg: Segment, def: CompiledSegment, ctx: ElementCheckContext, out: Diagnostic[]): void {
  const defs = def.elements;
  const count = seg.elementCount;
  const seps = seg.separators;
  const repSep = seps?.repetition ?? -1;
  const compSep = seps ? seps.component : -1;
  const buf = seg.buf;
  if (count > defs.length) {
    // Trailing empty elements beyond the definition are still too many (X12.6); name the first.
    out.push(
      diagnostic('element.too-many', `${seg.id} has ${count} elements, the standard defines ${defs.length}`, locate(ctx, defs.length + 1, undefined, 0, 0), {
        found: seg.element(defs.length + 1),
        expected: `at most ${defs.length} elements`,
      }),
    );
  }
  for (let i = 0; i < defs.length; i++) {
    const d = defs[i];
    const n = i + 1;
    const from = n <= count ? seg.elementStart(n) : 0;
    const to = n <= count ? seg.elementEnd(n) : 0;
    if (from === to) {
      if (d.req === 'M') {
        out.push(diagnostic('element.mandatory-missing', `${seg.id}${pos2(n)} (${d.name}) is mandatory`, locate(ctx, n, d.ref, 0, 0), { expected: d.composite ? `composite ${d.ref}` : `${d.type} ${d.min}-${d.max}` }));
      }
      continue;
    }
    const codes = ctx.codes === null ? null : (ctx.codes.get(n) ?? null);
    const sc = scanValue(buf, from, to, d.numeric, repSep, compSep);
    if (sc.rep) {
      // Repetitions: rare, so the allocation is paid only here.
      const reps = split(buf, from, to, repSep);
      if (reps.length > d.repeat) {
        out.push(
          diagnostic('element.too-many-repetitions', `${seg.id}${pos2(n)} repeats ${reps.length} times, at most ${d.repeat} allowed`, locate(ctx, n, d.ref, 0, d.repeat + 1), {
            found: decodeText(buf, from, to),
            expected: `at most ${d.repeat} repetition(s)`,
          }),
        );
      }
      for (let r = 0; r < reps.length && r < d.repeat; r++) {
        const [rf, rt] = reps[r];
        if (d.composite) checkComposite(seg, d, rf, rt, ctx, n, r + 1, out);
        else if (rf < rt) checkSimple(seg, d, rf, rt, codes, ctx, n, r + 1, compSep, out);
      }
      continue;
    }
    if (d.composite) checkComposite(seg, d, from, to, ctx, n, 0, out);
    else if (sc.comp) checkSimple(seg, d, from, to, codes, ctx, n, 0, compSep, out);
    else checkValue(seg, d, from, to, codes, ctx, n, 0, 0, out, true);
  }
  const present = ctx.present ?? ((k: number) => seg.byteLength(k) > 0);
  for (const rule of def.rules) {
    const v = rule.check(present);
    if (v) out.push(diagnostic(v.code, `${seg.id}: ${v.message}`, locate(ctx, v.position, defs[v.position - 1]?.ref, 0, 0)));
  }
  if (seg.id === 'MAN') checkSscc(seg, ctx, out);
}

/** MAN01/MAN04 = GM: MAN02/MAN05 must be an SSCC-18 (18 digits, or 20 with the AI 00). */
function checkSscc(seg: Segment, ctx: ElementCheckContext, out: Diagnostic[]): void {
  for (const [q, v] of [
    [1, 2],
    [4, 5],
  ] as const) {
    if (seg.element(q) !== 'GM' || !seg.has(v)) continue;
    const value = seg.element(v);
    const problem = ssccProblem(value);
    if (!problem) continue;
    const why =
      problem === 'check-digit'
        ? 'its GS1 check digit is wrong'
        : problem === 'length'
          ? 'an SSCC-18 has 18 digits, or 20 with the application identifier 00 in front'
          : 'an SSCC-18 is all digits';
    out.push(
      diagnostic('element.check-digit', `MAN${pos2(v)} is not a valid SSCC-18: ${why}`, locate(ctx, v, '87', 0, 0), {
        found: value,
        expected: '18 digits with a valid GS1 check digit, or 00 + those 18',
      }),
    );
  }
}
