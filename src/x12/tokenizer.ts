/**
 * Byte-level X12 tokenizer: turns chunks of a file into Segment views with bounded memory.
 *
 * Separators come from each ISA (they may change from one interchange to the next). Only
 * unconsumed bytes of a chunk are carried over to the next one, so memory is bounded by the
 * chunk size plus the longest segment, whatever the file size.
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
import { decodeText, Segment } from './segment.ts';

const LF = 0x0a;
const CR = 0x0d;
/** Longest ISA we look through before calling it truncated (fixed width is 106). */
const ISA_SCAN_LIMIT = 320;
/** A separator byte may never be a letter, a digit or a space (X12.6: delimiters are not data). */
const NO_COMPONENT = -1;

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

export interface TokenizerSink {
  segment(segment: Segment, startsInterchange: boolean): void;
  diagnostic(d: Diagnostic): void;
}

type Mode = 'detect' | 'segments' | 'garbage';

export class Tokenizer {
  private pending: Buffer | null = null;
  /** File offset of pending[0] (or of the next chunk when nothing is pending). */
  private base = 0;
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
    if (this.pending !== null && this.pending.length > 0) {
      buf = chunk.length === 0 ? this.pending : Buffer.concat([this.pending, chunk]);
    }
    this.pending = null;
    const consumed = this.run(buf, last);
    if (consumed < buf.length) {
      // Copy the tail so the rest of the chunk can be freed.
      this.pending = Buffer.from(buf.subarray(consumed));
    }
    this.base += consumed;
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
      else if (this.mode === 'garbage') p = this.skipGarbage(buf, p, last);
      else p = this.segments(buf, p, last);
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
    return p;
  }

  /** Skip bytes until an ISA at the start of a line (or the end). */
  private skipGarbage(buf: Buffer, p: number, last: boolean): number {
    const n = buf.length;
    let atLineStart = false;
    while (p < n) {
      const b = buf[p];
      if (atLineStart && b === 0x49 /* I */) {
        if (n - p < 4 && !last) return this.starve(p);
        if (this.startsWith(buf, p, 'ISA') && p + 3 < n && !isAlnum(buf[p + 3])) {
          this.mode = 'detect';
          return p;
        }
      }
      atLineStart = b === LF || b === CR;
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
    } else if (component === LF || component === CR) {
      problems.push(`ISA16 (component separator) is a line break: the ISA has no segment terminator`);
      // Recover with the byte that ends the next line when it is not data (e.g. '~'), else LF.
      segment = this.lineEndByte(buf, after, element) ?? LF;
      component = NO_COMPONENT;
      after = componentAt;
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
    const isa = new Segment(buf, p, terminatorAt, seps.slice(0, ISA_ELEMENT_COUNT), this.line, this.base + p, this.separators);
    this.seenInterchange = true;
    this.reportedBlank = false;
    this.sink.segment(isa, true);
    this.mode = 'segments';
    // Lines inside the ISA itself (only when it was cut by a line break) are counted here.
    for (let i = p; i < after && i < buf.length; i++) if (buf[i] === LF) this.line++;
    return after;
  }

  /** The byte just before the line break that ends the line at p, when it can be a terminator. */
  private lineEndByte(buf: Buffer, p: number, element: number): number | null {
    let i = p;
    while (i < buf.length && (buf[i] === LF || buf[i] === CR)) i++;
    for (; i < buf.length && i < p + 4096; i++) {
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
    for (; i < buf.length && i < p + 4096; i++) {
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
    const isa = new Segment(buf, p, end, seps.slice(), this.line, this.base + p, this.separators);
    this.seenInterchange = true;
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
      if (b === LF || b === CR || b === 0x20 || b === 0x09) {
        const from = p;
        let odd = false;
        while (p < n && ((b = buf[p]) === LF || b === CR || b === 0x20 || b === 0x09)) {
          if (b === LF) this.line++;
          else if (b !== CR) odd = true;
          p++;
        }
        if (odd && !this.reportedBlank) {
          this.reportedBlank = true;
          this.sink.diagnostic(
            diagnostic('file.data-between-segments', 'Spaces or tabs between segments were skipped', this.loc(from), {
              found: decodeText(buf, from, p),
            }),
          );
        }
        if (p >= n) return p;
      }
      if (b === 0x49 /* I */ && n - p >= 4 && buf[p + 1] === 0x53 && buf[p + 2] === 0x41 && !isAlnum(buf[p + 3])) {
        this.mode = 'detect';
        return p;
      }
      if (n - p < 4 && !last && b === 0x49) return this.starve(p);
      const start = p;
      const startLine = this.line;
      const elementSeps: number[] = [];
      let lines = 0;
      let i = p;
      for (; i < n; i++) {
        const c = buf[i];
        if (c === el) elementSeps.push(i);
        else if (c === term) break;
        else if (c === LF) lines++;
      }
      if (i >= n && !last) return this.starve(start);
      if (i === start) {
        p = i + 1; // an empty segment (two terminators in a row): nothing to report as data
        continue;
      }
      // Malformed ids are not judged here: the envelope reader and the validator report them
      // with their set context (unrecognized segment), so nothing is dropped silently.
      const segment = new Segment(buf, start, i, elementSeps, startLine, this.base + start, this.separators);
      this.line += lines;
      if (i < n && term === LF) this.line++;
      p = i < n ? i + 1 : i;
      if (segment.id === 'IEA') {
        // Remember how the interchange ended (terminator, line break, or nothing) for reproduce mode.
        let e = i;
        if (e < n) e++;
        while (e < n && (buf[e] === CR || buf[e] === LF) && e - i < 3) e++;
        segment.ending = buf.toString('latin1', i, e);
      }
      this.sink.segment(segment, false);
      if (segment.id === 'IEA') {
        this.mode = 'detect';
        return p;
      }
    }
    return p;
  }
}
