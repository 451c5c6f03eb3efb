/**
 * Buyer personal data (names, addresses, phones, e-mail, gift messages) kept from API callers
 * whose token may not see it (Principal.buyerData false). What counts as buyer data is data, in
 * the tables below; the functions only apply them.
 *
 * X12 is redacted element by element, in place: every segment stays where it was (same index,
 * same line), so a redacted raw view and its parsed tree still point at the same segments.
 * Flat files (CSV, XML) have no such structure the API could trust for every layout, so a flat
 * file that may carry buyer data is withheld whole.
 */
import type { Segment } from '../x12/segment.ts';

export const REDACTED = '[redacted]';

/**
 * The elements (1-based positions) that hold buyer data, by segment id: the party name (N102),
 * the additional name lines (N2), the address lines (N3), city, state and postal code (N401-N403;
 * the country code N404 is kept), the contact's name and numbers (PER02, PER04, PER06, PER08),
 * and free text (NTE02: gift messages and delivery notes name people).
 */
export const X12_BUYER_ELEMENTS: Readonly<Record<string, readonly number[]>> = {
  N1: [2],
  N2: [1, 2],
  N3: [1, 2],
  N4: [1, 2, 3],
  PER: [2, 4, 6, 8],
  NTE: [2],
};

/** Keys of canonical documents (and of what a layout read) whose whole value is buyer data. */
export const DOCUMENT_BUYER_KEYS: ReadonlySet<string> = new Set(['shipTo', 'gift', 'notes', 'recipient', 'buyer', 'buyerInfo', 'shippingAddress']);

/** A segment's text with its buyer elements replaced, or null when it holds none. */
export function redactSegment(seg: Segment): string | null {
  const positions = X12_BUYER_ELEMENTS[seg.id];
  const sep = seg.separators?.element;
  if (!positions || sep == null) return null;
  const elements = seg.elements();
  let changed = false;
  for (const p of positions) {
    if (p <= elements.length && elements[p - 1] !== '') {
      elements[p - 1] = REDACTED;
      changed = true;
    }
  }
  return changed ? [seg.id, ...elements].join(String.fromCharCode(sep)) : null;
}

/** One segment's place in the file and its replacement text. */
export interface SegmentReplacement {
  /** 0-based byte offset of the segment in the file, and its length in bytes (terminator excluded). */
  offset: number;
  length: number;
  text: string;
}

/**
 * The bytes with each replacement spliced in (replacements in file order, not overlapping).
 * Line breaks live between segments, so lines and segment positions are unchanged.
 */
export function spliceSegments(bytes: Buffer, replacements: readonly SegmentReplacement[]): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (const r of replacements) {
    parts.push(bytes.subarray(at, r.offset), Buffer.from(r.text, 'latin1'));
    at = r.offset + r.length;
  }
  parts.push(bytes.subarray(at));
  return Buffer.concat(parts);
}

/** A copy of a canonical document (or any JSON) with the values under buyer keys replaced, at any depth. */
export function redactDocument<T>(value: T): T {
  const walk = (v: unknown, under: boolean): unknown => {
    if (Array.isArray(v)) return v.map((x) => walk(x, under));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, under || DOCUMENT_BUYER_KEYS.has(k));
      return out;
    }
    if (under && (typeof v === 'string' || typeof v === 'number')) return REDACTED;
    return v;
  };
  return walk(value, false) as T;
}

/**
 * A recorded reason or acknowledgement line with the data it quotes removed: the AK4 / IK4 bad
 * data ("('Jane Doe')", as setReasons writes it) and anything quoted in a diagnostic.
 */
export function redactQuoted(text: string): string {
  return text.replace(/\('[^']*'\)/g, `('${REDACTED}')`).replace(/'[^']*'/g, `'${REDACTED}'`).replace(/"[^"]*"/g, `"${REDACTED}"`);
}
