/**
 * A tokenized X12 segment: a view over the bytes it came from. Element text is decoded
 * only when asked for, so tokenizing a large file costs one pass over its bytes plus one
 * small object per segment: separator offsets live in a block shared by many segments
 * (an array per segment was most of the tokenizer's allocation and garbage collection).
 */
import { isUtf8 } from 'node:buffer';
import type { Separators } from './dialect.ts';

// Segment ids are 2-3 upper-case letters/digits; interning them avoids a string per segment.
// A direct-mapped table (a collision only costs a decode) is several times cheaper than a Map.
const ID_SLOTS = 4096;
const idKeys = new Int32Array(ID_SLOTS);
const idTexts: string[] = new Array<string>(ID_SLOTS).fill('');
/** Longest id text kept for a segment whose "id" runs on (no element separator where one belongs). */
const MAX_ID_TEXT = 64;

function internId(buf: Buffer, start: number, end: number): string {
  const len = end - start;
  if (len >= 1 && len <= 3) {
    let key = len;
    for (let i = start; i < end; i++) key = (key << 8) | buf[i];
    const slot = Math.imul(key, 0x9e3779b1) >>> 20;
    if (idKeys[slot] === key) return idTexts[slot];
    // Internalised (as a property name), so that comparing it with the ids of the schemas and
    // with literals is one pointer compare in optimised code.
    const id = Object.keys({ [buf.toString('latin1', start, end)]: 0 })[0];
    idKeys[slot] = key;
    idTexts[slot] = id;
    return id;
  }
  // Not an id at all (a separator is missing): keep an excerpt, not a copy of the whole segment.
  return decodeText(buf, start, Math.min(end, start + MAX_ID_TEXT));
}

/**
 * Decode element bytes. X12 data is ASCII in the basic and extended character sets; real
 * partners send UTF-8, and a few send Latin-1. Valid UTF-8 is read as UTF-8, anything else
 * byte-for-byte as Latin-1 so that no byte is ever lost.
 */
export function decodeText(buf: Buffer, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (buf[i] >= 0x80) {
      const slice = buf.subarray(start, end);
      return isUtf8(slice) ? buf.toString('utf8', start, end) : buf.toString('latin1', start, end);
    }
  }
  return buf.toString('latin1', start, end);
}

export class Segment {
  /** Segment id (`W05`, `HL`, ...). */
  readonly id: string;
  /**
   * For an IEA: the exact bytes that ended it in the file (terminator plus line break, or ''
   * when the file stopped without a terminator), so reproduce mode can write them back.
   */
  ending?: string;
  /**
   * Set when the segment ran past the tokenizer's segment limit without a terminator: only
   * its first bytes are here, the rest of it was skipped (the reader reports segment.too-long).
   */
  cutAtLimit?: boolean;

  /**
   * @param buf     bytes holding the segment (shared with neighbouring segments)
   * @param start   offset of the first byte of the segment id in `buf`
   * @param end     offset of the segment terminator in `buf` (exclusive end of data)
   * @param pool    holds, from `at` on, the offsets in `buf` of the segment's element
   *                separators in order: element n (1-based) starts after the (n-1)th and
   *                ends at the nth or at `end`
   * @param elementCount number of separators, i.e. of elements after the id (`N1*ST**` has 3)
   * @param line    1-based line in the file where the segment starts
   * @param offset  0-based byte offset of the segment in the file
   * @param separators the interchange's separators (null for data outside any ISA)
   */
  constructor(
    readonly buf: Buffer,
    readonly start: number,
    readonly end: number,
    private readonly pool: Int32Array,
    private readonly at: number,
    readonly elementCount: number,
    readonly line: number,
    readonly offset: number,
    readonly separators: Separators | null,
  ) {
    this.id = internId(buf, start, elementCount > 0 ? pool[at] : end);
  }

  /** Offset in `buf` where element n (1 <= n <= elementCount) starts; no allocation. */
  elementStart(n: number): number {
    return this.pool[this.at + n - 1] + 1;
  }

  /** Offset in `buf` where element n (1 <= n <= elementCount) ends (exclusive). */
  elementEnd(n: number): number {
    return n < this.elementCount ? this.pool[this.at + n] : this.end;
  }

  /** Byte length of element n; 0 when empty or absent. */
  byteLength(n: number): number {
    if (n < 1 || n > this.elementCount) return 0;
    return this.elementEnd(n) - this.elementStart(n);
  }

  /** Element n (1-based) as text, '' when empty or absent. Composites and repetitions unsplit. */
  element(n: number): string {
    if (n < 1 || n > this.elementCount) return '';
    const from = this.elementStart(n);
    const to = this.elementEnd(n);
    return from === to ? '' : decodeText(this.buf, from, to);
  }

  /** True when element n exists and is not empty. */
  has(n: number): boolean {
    return this.byteLength(n) > 0;
  }

  /** All elements as text (index 0 = element 01). Trailing empty elements are kept. */
  elements(): string[] {
    const out = new Array<string>(this.elementCount);
    for (let n = 1; n <= this.elementCount; n++) out[n - 1] = this.element(n);
    return out;
  }

  /** Element n split into repetitions (when the interchange has a repetition separator). */
  repetitions(n: number): string[] {
    const text = this.element(n);
    const rep = this.separators?.repetition;
    if (rep == null || text === '') return [text];
    return text.split(String.fromCharCode(rep));
  }

  /** Element n split into components (of its first repetition unless `repetition` given, 1-based). */
  components(n: number, repetition = 1): string[] {
    const text = this.repetitions(n)[repetition - 1] ?? '';
    const comp = this.separators?.component;
    if (comp == null || text === '') return [text];
    return text.split(String.fromCharCode(comp));
  }

  /** The segment's text without terminator, as written in the file. */
  raw(): string {
    return decodeText(this.buf, this.start, this.end);
  }

  /**
   * Copy this segment onto its own small buffer, so that it no longer pins the (possibly
   * large) chunk it was read from. Used for envelope segments kept for a long time.
   */
  detach(): Segment {
    const copy = Buffer.from(this.buf.subarray(this.start, this.end));
    const seps = this.pool.slice(this.at, this.at + this.elementCount);
    for (let k = 0; k < seps.length; k++) seps[k] -= this.start;
    const kept = new Segment(copy, 0, this.end - this.start, seps, 0, seps.length, this.line, this.offset, this.separators);
    if (this.ending !== undefined) kept.ending = this.ending;
    if (this.cutAtLimit) kept.cutAtLimit = true;
    return kept;
  }

  toString(): string {
    return this.raw();
  }
}

/**
 * Build a segment from text, for tests and for code that composes segments. Elements are
 * split on the given element separator; nothing else is interpreted.
 */
export function segmentFromText(text: string, separators: Separators, line = 1, offset = 0): Segment {
  const buf = Buffer.from(text, 'utf8');
  const seps: number[] = [];
  for (let i = 0; i < buf.length; i++) if (buf[i] === separators.element) seps.push(i);
  return segmentWithSeparators(buf, 0, buf.length, seps, line, offset, separators);
}

/** A segment whose separator offsets are given as a list (ISAs, tests): it gets its own pool. */
export function segmentWithSeparators(buf: Buffer, start: number, end: number, seps: readonly number[], line: number, offset: number, separators: Separators | null): Segment {
  return new Segment(buf, start, end, Int32Array.from(seps), 0, seps.length, line, offset, separators);
}
