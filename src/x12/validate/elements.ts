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

/** Length as X12 counts it: characters, without a leading minus or a decimal point for numerics. */
function valueLength(buf: Buffer, from: number, to: number, numeric: boolean): number {
  let len = 0;
  for (let i = from; i < to; i++) {
    const b = buf[i];
    if ((b & 0xc0) === 0x80) continue; // UTF-8 continuation byte: same character
    if (numeric && (b === MINUS || b === DOT)) continue;
    len++;
  }
  return len;
}

function isIntegerBytes(buf: Buffer, from: number, to: number): boolean {
  let i = from;
  if (i < to && buf[i] === MINUS) i++;
  if (i >= to) return false;
  for (; i < to; i++) {
    const b = buf[i];
    if (b < 0x30 || b > 0x39) return false;
  }
  return true;
}

/** R: optional minus, digits with at most one decimal point, at least one digit. */
function isDecimalBytes(buf: Buffer, from: number, to: number): boolean {
  let i = from;
  if (i < to && buf[i] === MINUS) i++;
  let digits = 0;
  let dots = 0;
  for (; i < to; i++) {
    const b = buf[i];
    if (b === DOT) {
      if (++dots > 1) return false;
    } else if (b < 0x30 || b > 0x39) return false;
    else digits++;
  }
  return digits > 0;
}

function hasControlChar(buf: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (buf[i] < 0x20 || buf[i] === 0x7f) return true;
  return false;
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

export interface ElementCheckContext {
  /** Location of the segment (file, line, set, segmentId, segmentPosition, loopId). */
  at: Location;
  /** Narrower code lists at this position of the set, by element position. */
  codes: Map<number, Set<string>> | null;
}

/** Check one value (a simple element, a component or a repetition) against its definition. */
function checkValue(
  seg: Segment,
  def: CompiledElement,
  from: number,
  to: number,
  codes: Set<string> | null,
  where: () => Location,
  out: Diagnostic[],
): void {
  const buf = seg.buf;
  const t = def.type;
  const numeric = t === 'R' || t.charCodeAt(0) === 0x4e; /* N, N0..N9 */
  if (t === 'B') return;
  if (numeric) {
    if (!(t === 'R' ? isDecimalBytes(buf, from, to) : isIntegerBytes(buf, from, to))) {
      out.push(
        diagnostic('element.invalid-character', `${def.name} must be ${t === 'R' ? 'a decimal number' : 'a whole number'}${t.length === 2 ? ` (${t[1]} implied decimal places)` : ''}`, where(), {
          found: decodeText(buf, from, to),
          expected: t === 'R' ? 'digits with an optional sign and decimal point' : 'digits with an optional leading minus',
        }),
      );
      return;
    }
  } else if (hasControlChar(buf, from, to)) {
    out.push(diagnostic('element.invalid-character', `${def.name} contains a control character`, where(), { found: decodeText(buf, from, to), expected: 'printable characters' }));
    return;
  }
  const len = numeric ? valueLength(buf, from, to, true) : valueLength(buf, from, to, false);
  if (len < def.min) {
    out.push(diagnostic('element.too-short', `${def.name} is ${len} character(s) long, at least ${def.min} required`, where(), { found: decodeText(buf, from, to), expected: `${def.min}-${def.max} characters` }));
    return;
  }
  if (len > def.max) {
    out.push(diagnostic('element.too-long', `${def.name} is ${len} characters long, at most ${def.max} allowed`, where(), { found: decodeText(buf, from, to), expected: `${def.min}-${def.max} characters` }));
    return;
  }
  if (t === 'DT') {
    const text = decodeText(buf, from, to);
    if (!isValidDate(text)) out.push(diagnostic('element.invalid-date', `${def.name} is not a valid date`, where(), { found: text, expected: len === 6 ? 'YYMMDD' : 'CCYYMMDD' }));
    return;
  }
  if (t === 'TM') {
    const text = decodeText(buf, from, to);
    if (!isValidTime(text)) out.push(diagnostic('element.invalid-time', `${def.name} is not a valid time`, where(), { found: text, expected: 'HHMM, HHMMSS or HHMMSSd..d' }));
    return;
  }
  const list = codes ?? def.codes;
  if (list !== null) {
    const text = decodeText(buf, from, to);
    if (!list.has(text)) {
      const shown = [...list].slice(0, 12).join(', ') + (list.size > 12 ? `, … (${list.size} codes)` : '');
      out.push(diagnostic('element.invalid-code', `${def.name}: '${text}' is not a valid code`, where(), { found: text, expected: `one of ${shown}` }));
    }
  }
}

/** Element checks of one segment. Diagnostics are appended to `out` in element order. */
export function checkElements(seg: Segment, def: CompiledSegment, ctx: ElementCheckContext, out: Diagnostic[]): void {
  const defs = def.elements;
  const count = seg.elementCount;
  const seps = seg.separators;
  const at = ctx.at;
  if (count > defs.length) {
    // Trailing empty elements beyond the definition are still too many (X12.6), but name the first.
    out.push(
      diagnostic('element.too-many', `${seg.id} has ${count} elements, the standard defines ${defs.length}`, { ...at, element: defs.length + 1 }, {
        found: seg.element(defs.length + 1),
        expected: `at most ${defs.length} elements`,
      }),
    );
  }
  for (let i = 0; i < defs.length; i++) {
    const d = defs[i];
    const n = i + 1;
    const range = seg.range(n);
    const where = (extra: Partial<Location> = {}): Location => ({ ...at, element: n, elementRef: d.ref, ...extra });
    if (range === null || range[0] === range[1]) {
      if (d.req === 'M') {
        out.push(diagnostic('element.mandatory-missing', `${seg.id}${pos2(n)} (${d.name}) is mandatory`, where(), { expected: d.composite ? `composite ${d.ref}` : `${d.type} ${d.min}-${d.max}` }));
      }
      continue;
    }
    const reps = split(seg.buf, range[0], range[1], seps?.repetition);
    if (reps.length > d.repeat) {
      out.push(
        diagnostic('element.too-many-repetitions', `${seg.id}${pos2(n)} repeats ${reps.length} times, at most ${d.repeat} allowed`, where({ repetition: d.repeat + 1 }), {
          found: decodeText(seg.buf, range[0], range[1]),
          expected: `at most ${d.repeat} repetition(s)`,
        }),
      );
    }
    const codes = ctx.codes?.get(n) ?? null;
    for (let r = 0; r < reps.length && r < Math.max(d.repeat, 1); r++) {
      const [from, to] = reps[r];
      const repetition = reps.length > 1 ? { repetition: r + 1 } : {};
      if (!d.composite) {
        if (from < to) {
          if (split(seg.buf, from, to, seps?.component).length > 1) {
            // A component separator inside a simple element: the sender used a delimiter as data.
            out.push(
              diagnostic('element.too-many-components', `${seg.id}${pos2(n)} is a simple element but carries a component separator`, where({ ...repetition, component: 2 }), {
                found: decodeText(seg.buf, from, to),
                expected: 'no component separator in a simple element',
              }),
            );
          } else checkValue(seg, d, from, to, codes, () => where(repetition), out);
        }
        continue;
      }
      const comps = split(seg.buf, from, to, seps?.component);
      const cdefs = d.composite.components;
      if (comps.length > cdefs.length) {
        out.push(
          diagnostic('element.too-many-components', `${seg.id}${pos2(n)} has ${comps.length} components, composite ${d.ref} defines ${cdefs.length}`, where({ ...repetition, component: cdefs.length + 1 }), {
            expected: `at most ${cdefs.length} components`,
          }),
        );
      }
      for (let c = 0; c < cdefs.length; c++) {
        const cd = cdefs[c];
        const cr = comps[c];
        const cwhere = () => where({ ...repetition, component: c + 1, elementRef: cd.ref });
        if (!cr || cr[0] === cr[1]) {
          if (cd.req === 'M') out.push(diagnostic('element.mandatory-missing', `${seg.id}${pos2(n)}-${pos2(c + 1)} (${cd.name}) is mandatory`, cwhere(), { expected: `${cd.type} ${cd.min}-${cd.max}` }));
          continue;
        }
        checkValue(seg, cd, cr[0], cr[1], null, cwhere, out);
      }
      for (const rule of d.composite.rules) {
        const v = rule.check((k) => {
          const cr = comps[k - 1];
          return cr !== undefined && cr[0] < cr[1];
        });
        if (v) out.push(diagnostic(v.code, `${seg.id}${pos2(n)}: ${v.message}`, where({ ...repetition, component: v.position })));
      }
    }
  }
  for (const rule of def.rules) {
    const v = rule.check((k) => seg.byteLength(k) > 0);
    if (v) out.push(diagnostic(v.code, `${seg.id}: ${v.message}`, { ...at, element: v.position, elementRef: defs[v.position - 1]?.ref }));
  }
  if (seg.id === 'MAN') checkSscc(seg, at, out);
}

/** MAN01/MAN04 = GM: MAN02/MAN05 must be an SSCC-18 (18 digits, or 20 with the AI 00). */
function checkSscc(seg: Segment, at: Location, out: Diagnostic[]): void {
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
      diagnostic('element.check-digit', `MAN${pos2(v)} is not a valid SSCC-18: ${why}`, { ...at, element: v, elementRef: '87' }, {
        found: value,
        expected: '18 digits with a valid GS1 check digit, or 00 + those 18',
      }),
    );
  }
}
