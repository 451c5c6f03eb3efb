/**
 * Byte-level X12 tokenizer: turns chunks of a file into Segment views with bounded memory.
 *
 * Separators come from each ISA (they may change from one interchange to the next). Only
 * unconsumed bytes of a chunk are carried over to the next one, and a segment may not grow past
 * MAX_SEGMENT_BYTES, so memory is bounded by the chunk size plus that limit, whatever the file.
 *
 * Every byte is looked at a bounded number of times: a segment cut by a chunk boundary resumes
 * its scan where it stopped, and the carried-over bytes grow in place instead of being copied
 * again with every chunk. Work is linear in the input however it is chunked.
 */
import {
  DEFAULT_SEPARATORS,
  describeByte,
  ISA_COMPONENT_SEPARATOR_AT,
  ISA_ELEMENT_COUNT,
  ISA_ELEMENT_SEPARATOR_AT,
  ISA_LENGTH,
  ISA_SEGMENT_TERMINATOR_AT,
  ISA_WIDTHS,
  usesRepetitionSeparator,
  type Separators,
} from './dialect.ts';
import { diagnostic, type Diagnostic } from './diagnostics.ts';
import { decodeText, Segment, segmentWithSeparators } from './segment.ts';

const LF = 0x0a;
const CR = 0x0d;
/** Longest ISA we look through before calling it truncated (fixed width is 106). */
const ISA_SCAN_LIMIT = 320;
/** A separator byte may never be a letter, a digit or a space (X12.6: delimiters are not data). */
const NO_COMPONENT = -1;
/**
 * Longest segment kept. Real segments are well under 1 KiB (element maxima are 80 or so); a
 * segment this long means a missing or wrong terminator, and keeping it would cost memory
 * in proportion to the file.
 */
export const MAX_SEGMENT_BYTES = 1 << 20;
/** Bytes of a run of blanks quoted in its diagnostic (the excerpt shows 60 characters at most). */
const BLANK_EXCERPT = 64;
/** Separator offsets per pool block; a block is shared by the segments of some 2,000 lines. */
const POOL_BLOCK = 1 << 14;
/** How far readIsa looks at the line after the ISA to recognise a missing ISA16. */
const NEXT_LINE_LOOKAHEAD = 4096;

/** Fixed-width offsets of the 16 element separators in an ISA. */
const FIXED_SEPARATOR_OFFSETS: number[] = (() => {
  const out: number[] = [];
  let at = ISA_ELEMENT_SEPARATOR_AT;
  for (const width of ISA_WIDTHS) {
    out.push(at);
    at += width + 1;
  }
  return out;
})();

function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
}

function isBlank(b: number): boolean {
  return b === LF || b === CR || b === 0x20 || b === 0x09 || b === 0x0c || b === 0x0b;
}

/** True when a line break inside [start, end) is followed by something other than blanks. */
function hasDataAfterLineBreak(buf: Buffer, start: number, end: number): boolean {
  const lf = buf.indexOf(LF, start);
  if (lf < 0 || lf >= end) return false;
  for (let i = lf + 1; i < end; i++) if (!isBlank(buf[i])) return true;
  return false;
}

/** The first BLANK_EXCERPT bytes of a run of blanks: what an earlier chunk held, then [from, to). */
function blankHead(before: { head: string } | null, buf: Buffer, from: number, to: number): string {
  return ((before?.head ?? '') + buf.toString('latin1', from, Math.min(to, from + BLANK_EXCERPT))).slice(0, BLANK_EXCERPT);
}

/** True when an ISA header starts at q ('ISA' then a separator). */
function isaAt(buf: Buffer, q: number): boolean {
  return q + 3 < buf.length && buf[q] === 0x49 && buf[q + 1] === 0x53 && buf[q + 2] === 0x41 && !isAlnum(buf[q + 3]);
}

function startsIea(buf: Buffer, start: number, end: number): boolean {
  return end - start >= 3 && buf[start] === 0x49 && buf[start + 1] === 0x45 && buf[start + 2] === 0x41 && (end - start === 3 || !isAlnum(buf[start + 3]));
}

export interface TokenizerSink {
  segment(segment: Segment, startsInterchange: boolean): void;
  /** A problem of the file as a whole (BOM, not X12, trailing data, unusable ISA). */
  diagnostic(d: Diagnostic): void;
  /** A problem of the interchange whose ISA was the last one passed to segment(). */
  interchangeDiagnostic(d: Diagnostic): void;
}

/**
 * 'garbage' skips to the next ISA at the start of a line; 'overlong' skips the rest of a
 * segment that passed MAX_SEGMENT_BYTES, to its terminator or the next ISA at a line start.
 */
type Mode = 'detect' | 'segments' | 'garbage' | 'overlong';

/** A segment whose chunk ran out: its scan resumes at `scanned` with what was found so far. */
interface PartialSegment {
  /** Offset in the buffer of the segment's first byte when `seps` were recorded. */
  origin: number;
  /** Bytes of the segment already scanned. */
  scanned: number;
  /** Its separators found so far are pool[at, at + count). */
  at: number;
  count: number;
  lines: number;
}

export class Tokenizer {
  /** Carried-over bytes are pending[0, pendingLength); the rest of pending is room to grow. */
  private pending: Buffer | null = null;
  private pendingLength = 0;
  /** File offset of pending[0] (or of the next chunk when nothing is pending). */
  private base = 0;
  private partial: PartialSegment | null = null;
  /** Blanks between segments seen so far: where they started, whether any was not a line break. */
  private blankRun: { from: number; odd: boolean; head: string } | null = null;
  /**
   * Element separator offsets of the segments handed out are pool[0, poolUsed); the rest is
   * free. A full block is left to the segments that use it and a new one started.
   */
  private pool: Int32Array = new Int32Array(POOL_BLOCK);
  private poolUsed = 0;
  /** In a skipping mode: the last byte seen was a line break (an ISA may start here). */
  private atLineStart = false;
  /**
   * False from an ISA until a segment ends with the terminator it declared: a first segment
   * that never ends means the whole interchange cannot be split (terminators stripped or wrong).
   */
  private terminatorSeen = true;
  /** Where the terminator in use comes from, for the message when it is never found. */
  private terminatorSource = '';
  /** Offset and line of the last ISA, to locate interchange-level tokenizer diagnostics. */
  private isaOffset = 0;
  private isaLine = 1;
  /** Line number at the start of the pending bytes. */
  private line = 1;
  private mode: Mode = 'detect';
  private separators: Separators | null = null;
  private seenInterchange = false;
  private seenAnything = false;
  private reportedBlank = false;
  private starved = false;

  constructor(
    private readonly sink: TokenizerSink,
    private readonly file?: string,
  ) {}

  /** Feed the next chunk; `last` marks the end of the data. */
  push(chunk: Buffer, last = false): void {
    let buf = chunk;
    const carried = this.pending !== null && this.pendingLength > 0;
    if (carried) buf = this.append(chunk);
    const consumed = this.run(buf, last);
    const rest = buf.length - consumed;
    if (rest === 0) {
      this.pending = null;
      this.pendingLength = 0;
    } else if (!carried || consumed > 0) {
      // Segments handed out point into buf, so it is never written again: the tail moves to a
      // fresh buffer (and the rest of a caller's chunk can be freed).
      const next = Buffer.allocUnsafe(Math.max(2 * rest, 4096));
      buf.copy(next, 0, consumed);
      this.pending = next;
      this.pendingLength = rest;
    }
    // Otherwise nothing was consumed: the carried bytes stay where they are and grow there.
    this.base += consumed;
  }

  /** Add a chunk after the carried-over bytes, doubling the room when needed (amortised linear). */
  private append(chunk: Buffer): Buffer {
    let acc = this.pending as Buffer;
    const need = this.pendingLength + chunk.length;
    if (need > acc.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, 2 * acc.length));
      acc.copy(grown, 0, 0, this.pendingLength);
      acc = grown;
      this.pending = grown;
    }
    chunk.copy(acc, this.pendingLength);
    this.pendingLength = need;
    return acc.subarray(0, need);
  }

  end(): void {
    this.push(Buffer.alloc(0), true);
    if (!this.seenAnything) {
      this.sink.diagnostic(diagnostic('file.empty', 'The file holds no data', { file: this.file, line: 1 }));
    }
  }

  /** Tokenize as much of buf as possible; returns the number of bytes consumed. */
  private run(buf: Buffer, last: boolean): number {
    let p = 0;
    const n = buf.length;
    while (p < n) {
      // Each mode returns how far it got; `starved` says it needs more bytes to go on.
      this.starved = false;
      if (this.mode === 'detect') p = this.detect(buf, p, last);
      else if (this.mode === 'segments') p = this.segments(buf, p, last);
      else p = this.skip(buf, p, last);
      if (this.starved) return p;
    }
    return p;
  }

  private starve(p: number): number {
    this.starved = true;
    return p;
  }

  /** Skip blanks (counting lines); returns the first non-blank offset. */
  private skipBlank(buf: Buffer, p: number): number {
    const n = buf.length;
    while (p < n && isBlank(buf[p])) {
      if (buf[p] === LF) this.line++;
      p++;
    }
    return p;
  }

  /** Line of an offset inside the current buffer, given the line at `from`. */
  private loc(offsetInBuf: number): { file?: string; line: number; offset: number } {
    return { file: this.file, line: this.line, offset: this.base + offsetInBuf };
  }

  /** At the start of the data or after an IEA: expect an ISA, or an unenveloped ST. */
  private detect(buf: Buffer, p: number, last: boolean): number {
    if (this.base + p === 0 && buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      this.sink.diagnostic(diagnostic('file.bom', 'A UTF-8 byte-order mark was skipped', { file: this.file, line: 1, offset: 0 }));
      p = 3;
    }
    p = this.skipBlank(buf, p);
    if (p >= buf.length) return buf.length;
    if (buf.length - p < 4 && !last) return this.starve(p);
    this.seenAnything = true;
    if (this.startsWith(buf, p, 'ISA') && p + 3 < buf.length && !isAlnum(buf[p + 3])) {
      return this.readIsa(buf, p, last);
    }
    if (this.startsWith(buf, p, 'ST') && p + 2 < buf.length && !isAlnum(buf[p + 2]) && !isBlank(buf[p + 2])) {
      const guessed = this.guessSeparators(buf, p, 2);
      if (!guessed && !last && buf.length - p < 400) return this.starve(p);
      if (guessed) {
        this.separators = guessed;
        this.terminatorSeen = true;
        this.mode = 'segments';
        return p;
      }
    }
    // Quote the same excerpt however the data was chunked.
    if (!last && buf.length - p < 40) return this.starve(p);
    const text = decodeText(buf, p, Math.min(buf.length, p + 40));
    if (this.seenInterchange) {
      this.sink.diagnostic(
        diagnostic('file.trailing-data', 'Data follows the last interchange trailer (IEA)', this.loc(p), {
          found: text,
          expected: 'end of file or another ISA',
        }),
      );
    } else {
      this.sink.diagnostic(
        diagnostic('file.not-x12', 'The data does not start with an ISA interchange header or an ST segment', this.loc(p), {
          found: text,
          expected: "'ISA' followed by a separator",
        }),
      );
    }
    this.mode = 'garbage';
    this.atLineStart = false;
    return p;
  }

  /**
   * Skip bytes until an ISA at the start of a line, or in 'overlong' mode also until the
   * segment terminator (consumed: the next segment follows it).
   */
  private skip(buf: Buffer, p: number, last: boolean): number {
    const n = buf.length;
    const term = this.mode === 'overlong' ? (this.separators ?? DEFAULT_SEPARATORS).segment : -1;
    while (p < n) {
      const b = buf[p];
      if (b === term) {
        if (b === LF) this.line++;
        this.terminatorSeen = true;
        this.mode = 'segments';
        return p + 1;
      }
      if (this.atLineStart && b === 0x49 /* I */) {
        if (n - p < 4 && !last) return this.starve(p);
        if (this.startsWith(buf, p, 'ISA') && p + 3 < n && !isAlnum(buf[p + 3])) {
          this.mode = 'detect';
          return p;
        }
      }
      this.atLineStart = b === LF || b === CR;
      if (b === LF) this.line++;
      p++;
    }
    return p;
  }

  private startsWith(buf: Buffer, p: number, text: string): boolean {
    if (p + text.length > buf.length) return false;
    for (let i = 0; i < text.length; i++) if (buf[p + i] !== text.charCodeAt(i)) return false;
    return true;
  }

  /**
   * Separators for data without an ISA: the byte after the segment id is the element
   * separator, the first byte after that which is not data is the segment terminator.
   */
  private guessSeparators(buf: Buffer, p: number, idLength: number): Separators | null {
    const element = buf[p + idLength];
    for (let i = p + idLength + 1; i < buf.length && i < p + 400; i++) {
      const b = buf[i];
      if (b === element || isAlnum(b) || b === 0x20) continue;
      if (b === LF || b === CR) return { element, component: NO_COMPONENT, repetition: null, segment: LF, suffix: '' };
      const suffix = buf[i + 1] === CR && buf[i + 2] === LF ? '\r\n' : buf[i + 1] === LF ? '\n' : '';
      return { element, component: NO_COMPONENT, repetition: null, segment: b, suffix };
    }
    return null;
  }

  /**
   * Read an ISA at p: separators from the fixed offsets when the ISA is fixed width,
   * otherwise by counting element separators (an unpadded ISA, reported as a warning).
   */
  private readIsa(buf: Buffer, p: number, last: boolean): number {
    const element = buf[p + ISA_ELEMENT_SEPARATOR_AT];
    const seps: number[] = [];
    let fixed = p + ISA_LENGTH <= buf.length;
    if (fixed) {
      for (const off of FIXED_SEPARATOR_OFFSETS) {
        if (buf[p + off] !== element) {
          fixed = false;
          break;
        }
      }
    }
    let componentAt: number;
    let terminatorAt: number;
    if (fixed) {
      for (const off of FIXED_SEPARATOR_OFFSETS) seps.push(p + off);
      componentAt = p + ISA_COMPONENT_SEPARATOR_AT;
      terminatorAt = p + ISA_SEGMENT_TERMINATOR_AT;
    } else {
      // Count separators; a line break or '~' before the 16th means the ISA is cut short.
      let i = p + ISA_ELEMENT_SEPARATOR_AT;
      const limit = Math.min(buf.length, p + ISA_SCAN_LIMIT);
      let stop = -1;
      for (; i < limit; i++) {
        const b = buf[i];
        if (b === element) {
          seps.push(i);
          if (seps.length === ISA_ELEMENT_COUNT) break;
        } else if (b === LF || b === CR || b === 0x7e /* ~ */) {
          stop = i;
          break;
        }
      }
      if (seps.length < ISA_ELEMENT_COUNT || i + 2 >= buf.length) {
        if (stop < 0 && i >= buf.length - 2 && !last && buf.length - p < ISA_SCAN_LIMIT) return this.starve(p);
        return this.truncatedIsa(buf, p, seps, stop, element);
      }
      componentAt = i + 1;
      terminatorAt = i + 2;
    }
    if (terminatorAt >= buf.length) {
      if (!last) return this.starve(p);
      return this.truncatedIsa(buf, p, seps, -1, element);
    }
    let component = buf[componentAt];
    let segment = buf[terminatorAt];
    let after = terminatorAt + 1;
    // Both recoveries below judge by how the next line ends: wait for it, so that the verdict
    // does not depend on where a chunk happens to end.
    const judgedByNextLine = (segment === LF || segment === CR) ? !isAlnum(component) : component === LF || component === CR;
    if (judgedByNextLine && !last && !this.nextLineComplete(buf, after)) return this.starve(p);
    let terminatorSource = `${describeByte(segment)} as declared by the ISA at byte ${this.base + terminatorAt}`;
    const problems: string[] = [];
    const isa12 = buf.toString('latin1', seps[11] + 1, seps[12]);
    let repetition: number | null = usesRepetitionSeparator(isa12) ? buf[seps[10] + 1] : null;

    // A missing ISA16 shows as the usual terminator read as component separator and the line
    // break read as terminator; every later segment then ends with the "component separator".
    if ((segment === LF || segment === CR) && !isAlnum(component) && this.nextLineEndsWith(buf, after, component)) {
      problems.push(
        `ISA16 looks missing: ${describeByte(component)} was read as the component separator and the line break as the segment terminator, but the next segment ends with ${describeByte(component)} too`,
      );
      segment = component;
      component = NO_COMPONENT;
      after = terminatorAt;
      terminatorSource = `${describeByte(segment)} as read from the ISA at byte ${this.base + componentAt}`;
    } else if (component === LF || component === CR) {
      problems.push(`ISA16 (component separator) is a line break: the ISA has no segment terminator`);
      // Recover with the byte that ends the next line when it is not data (e.g. '~'), else LF.
      segment = this.lineEndByte(buf, after, element) ?? LF;
      component = NO_COMPONENT;
      after = componentAt;
      terminatorSource = `${describeByte(segment)}, inferred from the line after the ISA`;
    }
    const used: Array<[string, number | null]> = [
      ['element separator', element],
      ['component separator (ISA16)', component === NO_COMPONENT ? null : component],
      ['repetition separator (ISA11)', repetition],
      ['segment terminator', segment],
    ];
    for (const [name, b] of used) {
      if (b === null) continue;
      if (isAlnum(b) || b === 0x20) problems.push(`the ${name} is ${describeByte(b)}: a letter, digit or space cannot be a separator`);
    }
    for (let a = 0; a < used.length; a++) {
      for (let c = a + 1; c < used.length; c++) {
        if (used[a][1] !== null && used[a][1] === used[c][1]) problems.push(`the ${used[a][0]} and the ${used[c][0]} are both ${describeByte(used[a][1] as number)}`);
      }
    }
    if (repetition !== null && (isAlnum(repetition) || repetition === 0x20)) repetition = null;
    if (!fixed) {
      this.sink.diagnostic(
        diagnostic('isa.not-fixed-width', `The ISA is ${terminatorAt - p + 1} characters long instead of the fixed ${ISA_LENGTH}: fields are not padded`, this.loc(p), {
          expected: 'ISA fields padded to their fixed widths (106 characters with the terminator)',
        }),
      );
    }
    for (const message of problems) {
      this.sink.diagnostic(
        diagnostic('isa.separator-invalid', `Unusable separators in the ISA: ${message}`, this.loc(p), {
          standard: { kind: 'TA105', value: message.includes('ISA16') || message.includes('component') ? '027' : '026' },
          found: decodeText(buf, p, Math.min(buf.length, terminatorAt + 1)),
        }),
      );
    }
    let suffix = '';
    if (segment !== LF && segment !== CR) {
      if (buf[after] === CR && buf[after + 1] === LF) suffix = '\r\n';
      else if (buf[after] === LF) suffix = '\n';
    }
    this.separators = { element, component, repetition, segment, suffix };
    const isa = segmentWithSeparators(buf, p, terminatorAt, seps.slice(0, ISA_ELEMENT_COUNT), this.line, this.base + p, this.separators);
    this.seenInterchange = true;
    this.reportedBlank = false;
    this.startInterchange(p, terminatorSource);
    this.sink.segment(isa, true);
    this.mode = 'segments';
    // Lines inside the ISA itself (only when it was cut by a line break) are counted here.
    for (let i = p; i < after && i < buf.length; i++) if (buf[i] === LF) this.line++;
    return after;
  }

  private startInterchange(p: number, terminatorSource: string): void {
    this.terminatorSeen = false;
    this.terminatorSource = terminatorSource;
    this.isaOffset = this.base + p;
    this.isaLine = this.line;
  }

  /** True when the line after p ends inside buf, or buf holds all the lookahead the checks use. */
  private nextLineComplete(buf: Buffer, p: number): boolean {
    if (buf.length >= p + NEXT_LINE_LOOKAHEAD) return true;
    let i = p;
    while (i < buf.length && (buf[i] === LF || buf[i] === CR)) i++;
    for (; i < buf.length; i++) if (buf[i] === LF || buf[i] === CR) return true;
    return false;
  }

  /** The byte just before the line break that ends the line at p, when it can be a terminator. */
  private lineEndByte(buf: Buffer, p: number, element: number): number | null {
    let i = p;
    while (i < buf.length && (buf[i] === LF || buf[i] === CR)) i++;
    for (; i < buf.length && i < p + NEXT_LINE_LOOKAHEAD; i++) {
      if (buf[i] === LF || buf[i] === CR) {
        const b = buf[i - 1];
        return i > p && !isAlnum(b) && b !== element && b !== 0x20 ? b : null;
      }
    }
    return null;
  }

  /** True when the line that starts at p ends with byte b right before its line break. */
  private nextLineEndsWith(buf: Buffer, p: number, b: number): boolean {
    let i = p;
    while (i < buf.length && (buf[i] === LF || buf[i] === CR)) i++;
    for (; i < buf.length && i < p + NEXT_LINE_LOOKAHEAD; i++) {
      if (buf[i] === LF || buf[i] === CR) return i > 0 && buf[i - 1] === b;
    }
    return false;
  }

  /** Report a cut-short ISA and carry on with the separators we can infer. */
  private truncatedIsa(buf: Buffer, p: number, seps: number[], stop: number, element: number): number {
    const end = stop >= 0 ? stop : Math.min(buf.length, p + ISA_SCAN_LIMIT);
    this.sink.diagnostic(
      diagnostic(
        'isa.truncated',
        `The ISA has ${seps.length} of its ${ISA_ELEMENT_COUNT} elements before ${stop >= 0 ? describeByte(buf[stop]) : 'the end of the data'}`,
        this.loc(p),
        { found: decodeText(buf, p, end), expected: '16 elements (ISA01..ISA16) followed by the segment terminator' },
      ),
    );
    const terminator = stop >= 0 ? buf[stop] : LF;
    let after = stop >= 0 ? stop + 1 : end;
    let suffix = '';
    if (terminator !== LF && terminator !== CR) {
      if (buf[after] === CR && buf[after + 1] === LF) suffix = '\r\n';
      else if (buf[after] === LF) suffix = '\n';
    }
    this.separators = { element, component: NO_COMPONENT, repetition: null, segment: terminator, suffix };
    const isa = segmentWithSeparators(buf, p, end, seps, this.line, this.base + p, this.separators);
    this.seenInterchange = true;
    this.startInterchange(p, `${describeByte(terminator)}, taken from where the truncated ISA stops`);
    this.sink.segment(isa, true);
    for (let i = p; i < after && i < buf.length; i++) if (buf[i] === LF) this.line++;
    this.mode = 'segments';
    return after;
  }

  /** Tokenize segments until the data ends, a new ISA starts, or an IEA closes the interchange. */
  private segments(buf: Buffer, p: number, last: boolean): number {
    const seps = this.separators ?? DEFAULT_SEPARATORS;
    const el = seps.element;
    const term = seps.segment;
    const n = buf.length;
    while (p < n) {
      // Between segments: line breaks are the CR/LF habit; other blanks are tolerated with a warning.
      let b = buf[p];
      if (this.blankRun !== null || b === LF || b === CR || b === 0x20 || b === 0x09) {
        // The run may go on in the next chunk: it is reported when it ends, the same however
        // chunked. (No allocation for the usual line break after a terminator.)
        const from = p;
        const before = this.blankRun;
        let odd = before !== null && before.odd;
        while (p < n && ((b = buf[p]) === LF || b === CR || b === 0x20 || b === 0x09)) {
          if (b === LF) this.line++;
          else if (b !== CR) odd = true;
          p++;
        }
        if (p >= n && !last) {
          this.blankRun = { from: before?.from ?? this.base + from, odd, head: blankHead(before, buf, from, p) };
          return p;
        }
        this.blankRun = null;
        if (odd && !this.reportedBlank) {
          this.reportedBlank = true;
          this.sink.diagnostic(
            diagnostic('file.data-between-segments', 'Spaces or tabs between segments were skipped', { file: this.file, line: this.line, offset: before?.from ?? this.base + from }, {
              found: blankHead(before, buf, from, p),
            }),
          );
        }
        if (p >= n) return p;
      }
      let start: number;
      let lines: number;
      let i: number;
      // This segment's separators go to pool[at, k).
      let pool: Int32Array = this.pool;
      let at: number;
      let k: number;
      const resumed = this.partial;
      if (resumed !== null) {
        this.partial = null;
        start = p;
        at = resumed.at;
        k = at + resumed.count;
        if (resumed.origin !== start) for (let q = at; q < k; q++) pool[q] += start - resumed.origin;
        lines = resumed.lines;
        i = start + resumed.scanned;
      } else {
        if (b === 0x49 /* I */ && n - p >= 4 && buf[p + 1] === 0x53 && buf[p + 2] === 0x41 && !isAlnum(buf[p + 3])) {
          this.mode = 'detect';
          return p;
        }
        if (n - p < 4 && !last && b === 0x49) return this.starve(p);
        start = p;
        if (pool.length - this.poolUsed < 64) {
          pool = this.pool = new Int32Array(POOL_BLOCK);
          this.poolUsed = 0;
        }
        at = k = this.poolUsed;
        lines = 0;
        i = p;
      }
      const startLine = this.line;
      const limit = Math.min(n, start + MAX_SEGMENT_BYTES);
      let isaNext = false;
      for (; i < limit; i++) {
        const c = buf[i];
        if (c === el) {
          if (k === pool.length) {
            pool = this.growPool(at, k);
            k -= at;
            at = 0;
          }
          pool[k++] = i;
        } else if (c === term) break;
        else if (c === LF) {
          // An ISA at the start of a line ends the interchange even when a terminator is missing
          // (undecided until the bytes after the line break are here).
          if ((i + 4 >= n && !last) || (buf[i + 1] === 0x49 && isaAt(buf, i + 1))) {
            isaNext = true;
            break;
          }
          lines++;
        }
      }
      // A segment of exactly the limit may still end here; one byte more and it is too long.
      if (i === start + MAX_SEGMENT_BYTES && i < n && buf[i] !== term) return this.overlong(buf, start, i, at, k, lines);
      if ((i >= n || (isaNext && !isaAt(buf, i + 1))) && !last) {
        this.poolUsed = k;
        this.partial = { origin: start, scanned: i - start, at, count: k - at, lines };
        return this.starve(start);
      }
      if (i === start) {
        p = i + 1; // an empty segment (two terminators in a row): nothing to report as data
        continue;
      }
      // The data of the segment: all of it up to a terminator, else up to the end of the data or
      // the line break before the next ISA (without a CR before that line break).
      const terminated = i < n && !isaNext;
      let end = i;
      if (isaNext && end > start && buf[end - 1] === CR) end--;
      if (!terminated && !this.terminatorSeen && hasDataAfterLineBreak(buf, start, end)) {
        // Everything after the ISA is one unterminated "segment" over several lines.
        const upTo = isaNext ? 'up to the next ISA' : 'to the end of the data';
        this.reportNoTerminator(buf, start, end, `: the ${(end - start).toLocaleString('en-US')} bytes (${(lines + 1).toLocaleString('en-US')} lines) that follow it, ${upTo}, are one unterminated segment`);
        this.line += lines;
        if (!isaNext) return i;
        this.line++;
        this.mode = 'detect';
        return i + 1;
      }
      if (terminated) this.terminatorSeen = true;
      if (terminated && startsIea(buf, start, i) && !last && i + 3 > n) {
        // How the interchange ends (line break or not) must not depend on where the chunk ends.
        this.poolUsed = k;
        this.partial = { origin: start, scanned: i - start, at, count: k - at, lines };
        return this.starve(start);
      }
      // Malformed ids are not judged here: the envelope reader and the validator report them
      // with their set context (unrecognized segment), so nothing is dropped silently.
      this.poolUsed = k;
      const segment = new Segment(buf, start, end, pool, at, k - at, startLine, this.base + start, this.separators);
      this.line += lines;
      if (terminated && term === LF) this.line++;
      if (isaNext) this.line++;
      p = i < n ? i + 1 : i;
      if (segment.id === 'IEA') {
        // Remember how the interchange ended (terminator, line break, or nothing) for reproduce mode.
        let e = end;
        if (e < n) e++;
        while (e < n && (buf[e] === CR || buf[e] === LF) && e - end < 3) e++;
        segment.ending = buf.toString('latin1', end, e);
      }
      this.sink.segment(segment, false);
      if (segment.id === 'IEA' || isaNext) {
        this.mode = 'detect';
        return p;
      }
    }
    return p;
  }

  /**
   * A segment reached MAX_SEGMENT_BYTES without its terminator. Right after an ISA this means
   * the declared terminator is not in the data at all: said so, nothing emitted. Elsewhere the
   * first MAX_SEGMENT_BYTES are emitted, marked as cut, for the reader to report in context.
   * Either way the rest is skipped up to the terminator or an ISA at the start of a line.
   */
  private overlong(buf: Buffer, start: number, cut: number, at: number, k: number, lines: number): number {
    const limit = `${MAX_SEGMENT_BYTES / (1 << 20)} MiB`;
    if (!this.terminatorSeen) {
      this.poolUsed = at;
      this.reportNoTerminator(buf, start, cut, ` within ${limit} (the segment limit): the data up to the next one, or to the next ISA at the start of a line, was skipped`);
    } else {
      this.poolUsed = k;
      const segment = new Segment(buf, start, cut, this.pool, at, k - at, this.line, this.base + start, this.separators);
      segment.cutAtLimit = true;
      this.sink.segment(segment, false);
    }
    this.line += lines;
    this.mode = 'overlong';
    this.atLineStart = buf[cut - 1] === LF || buf[cut - 1] === CR;
    return cut;
  }

  /** A segment with more separators than its block holds: move them to a block of their own. */
  private growPool(at: number, k: number): Int32Array {
    const grown = new Int32Array(Math.max(POOL_BLOCK, 2 * (k - at)));
    grown.set(this.pool.subarray(at, k));
    this.pool = grown;
    return grown;
  }

  /** The ISA's terminator never came: [start, end) is what followed the ISA, all of it here. */
  private reportNoTerminator(buf: Buffer, start: number, end: number, what: string): void {
    const lineBroken = hasDataAfterLineBreak(buf, start, Math.min(end, start + NEXT_LINE_LOOKAHEAD));
    const hint = lineBroken ? '. The lines after the ISA look like segments without their terminators: were the terminators stripped?' : '';
    this.sink.interchangeDiagnostic(
      diagnostic('isa.terminator-not-found', `No segment terminator (${this.terminatorSource}) found after the ISA${what}${hint}`, {
        file: this.file,
        line: this.isaLine,
        offset: this.isaOffset,
        segmentId: 'ISA',
      }, {
        found: decodeText(buf, start, Math.min(end, start + 60)),
        expected: `segments ending with ${this.terminatorSource.split(' ')[0]}`,
      }),
    );
    this.terminatorSeen = true;
  }

}
