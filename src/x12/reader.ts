/**
 * Streaming X12 reader: bytes in, envelope events and whole transaction sets out, with the
 * envelope checks (control numbers, counts, trailers, GS01 vs set) done on the way.
 *
 * Memory is bounded by the chunk size plus the largest transaction set: each set is yielded
 * as soon as its SE (or the next envelope segment) is read.
 */
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { diagnostic, type Diagnostic, type Location } from './diagnostics.ts';
import type { GroupHeader, InterchangeHeader, ReaderEvent, TransactionSet } from './envelope.ts';
import { checkGs, checkIsa, checkTrailer, countMatches, functionalGroupFor, groupHeader, interchangeHeader } from './envelope-checks.ts';
import { decodeText, type Segment } from './segment.ts';
import { MAX_SEGMENT_BYTES, Tokenizer } from './tokenizer.ts';

/** Segments that close a set rather than belong to it (SE belongs to it). */
const ENVELOPE_IDS = new Set(['ST', 'GS', 'GE', 'IEA', 'ISA']);

function isDigits(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return text.length > 0;
}

export interface ReadOptions {
  /** File name used in diagnostic locations. */
  file?: string;
}

interface OpenGroup {
  header: GroupHeader;
  interchange: InterchangeHeader | null;
  setCount: number;
  controls: Set<string>;
  diagnostics: Diagnostic[];
  /** Set ids seen, for the GS01 check (reported once per id). */
  setIds: Set<string>;
}

interface OpenInterchange {
  header: InterchangeHeader;
  groupCount: number;
  /** Found by the tokenizer after the ISA (no terminator): reported with the trailer. */
  diagnostics: Diagnostic[];
}

/**
 * The envelope state machine. Feed it segments in file order; it queues ReaderEvents.
 */
export class EnvelopeReader {
  readonly events: ReaderEvent[] = [];
  private interchange: OpenInterchange | null = null;
  private group: OpenGroup | null = null;
  private set: TransactionSet | null = null;
  private interchangeIndex = 0;
  private unenvelopedIndex = 0;
  private readonly tokenizer: Tokenizer;

  constructor(private readonly options: ReadOptions = {}) {
    this.tokenizer = new Tokenizer(
      {
        segment: (seg, startsInterchange) => this.segment(seg, startsInterchange),
        diagnostic: (d) => this.events.push({ type: 'diagnostic', diagnostic: d }),
        interchangeDiagnostic: (d) => {
          if (this.interchange) {
            d.location.interchange = this.interchange.header.control.trim();
            this.interchange.diagnostics.push(d);
          } else this.events.push({ type: 'diagnostic', diagnostic: d });
        },
      },
      options.file,
    );
  }

  push(chunk: Buffer): ReaderEvent[] {
    this.tokenizer.push(chunk);
    return this.drain();
  }

  end(): ReaderEvent[] {
    this.tokenizer.end();
    this.closeSet(null);
    this.closeGroup(null);
    this.closeInterchange(null);
    return this.drain();
  }

  private drain(): ReaderEvent[] {
    return this.events.splice(0, this.events.length);
  }

  private where(seg: Segment): Location {
    return {
      file: this.options.file,
      line: seg.line,
      offset: seg.offset,
      interchange: this.interchange?.header.control.trim(),
      group: this.group?.header.control,
    };
  }

  private segment(seg: Segment, startsInterchange: boolean): void {
    if (seg.cutAtLimit) this.tooLong(seg);
    if (startsInterchange || seg.id === 'ISA') {
      this.closeSet(null);
      this.closeGroup(null);
      this.closeInterchange(null);
      this.openInterchange(seg);
      return;
    }
    if (this.set) {
      switch (seg.id) {
        case 'SE':
          this.set.segments.push(seg);
          this.closeSet(seg);
          return;
        case 'ST':
        case 'GS':
        case 'GE':
        case 'IEA':
          this.closeSet(null);
          break;
        default:
          this.set.segments.push(seg);
          return;
      }
    }
    switch (seg.id) {
      case 'ST':
        this.openSet(seg);
        return;
      case 'GS':
        this.closeGroup(null);
        this.openGroup(seg);
        return;
      case 'GE':
        if (this.group) this.closeGroup(seg);
        else this.unexpected(seg, 'a GE without a GS');
        return;
      case 'IEA':
        this.closeGroup(null);
        if (this.interchange) this.closeInterchange(seg);
        else this.unexpected(seg, 'an IEA without an ISA');
        return;
      case 'TA1':
        if (!this.group) {
          this.events.push({ type: 'ta1', interchange: this.interchange?.header ?? null, segment: seg.detach() });
          return;
        }
        break;
      case 'ISB':
      case 'ISE':
        if (this.interchange && !this.group) {
          this.events.push({ type: 'service-segment', interchange: this.interchange.header, segment: seg.detach() });
          return;
        }
        break;
    }
    this.unexpected(seg, this.group ? 'ST or GE' : this.interchange ? 'GS, TA1, ISB/ISE or IEA' : 'ISA or ST');
  }

  /** Report a segment the tokenizer cut at its limit, where it lands: its set, group or the file. */
  private tooLong(seg: Segment): void {
    const inSet = this.set !== null && !ENVELOPE_IDS.has(seg.id);
    const where: Location = { ...this.where(seg), segmentId: seg.id };
    if (inSet) Object.assign(where, { set: this.set!.control, setId: this.set!.id, segmentPosition: this.set!.segments.length + 1 });
    const d = diagnostic('segment.too-long', `Segment ${seg.id} runs past ${MAX_SEGMENT_BYTES.toLocaleString('en-US')} bytes without a segment terminator: the rest of it was skipped`, where, {
      found: decodeText(seg.buf, seg.start, seg.start + 60),
      expected: `a segment terminator within ${MAX_SEGMENT_BYTES.toLocaleString('en-US')} bytes`,
    });
    if (inSet) this.set!.diagnostics.push(d);
    else if (this.group) this.group.diagnostics.push(d);
    else this.events.push({ type: 'diagnostic', diagnostic: d });
  }

  private unexpected(seg: Segment, expected: string): void {
    const inGroup = this.group !== null;
    const code = inGroup ? 'gs.unexpected-segment' : this.interchange ? 'isa.unexpected-segment' : 'file.not-x12';
    const d = diagnostic(code, `Segment ${seg.id} is not allowed here`, { ...this.where(seg), segmentId: seg.id }, {
      found: seg.raw(),
      expected,
    });
    if (inGroup) this.group!.diagnostics.push(d);
    else this.events.push({ type: 'diagnostic', diagnostic: d });
  }

  private openInterchange(isa: Segment): void {
    const kept = isa.detach();
    const header = interchangeHeader(kept, this.interchangeIndex++);
    this.interchange = { header, groupCount: 0, diagnostics: [] };
    this.events.push({ type: 'interchange-start', interchange: header, diagnostics: checkIsa(kept, this.options.file) });
  }

  private closeInterchange(iea: Segment | null): void {
    const open = this.interchange;
    if (!open) return;
    this.interchange = null;
    const diagnostics: Diagnostic[] = open.diagnostics;
    const where: Location = { file: this.options.file, interchange: open.header.control.trim() };
    if (!iea) {
      diagnostics.push(
        diagnostic('isa.trailer-missing', `Interchange ${open.header.control.trim()} has no IEA trailer`, { ...where, line: open.header.isa.line, segmentId: 'ISA' }, {
          expected: `IEA*${open.groupCount}*${open.header.control}`,
        }),
      );
    } else {
      diagnostics.push(
        ...checkTrailer(iea, where, {
          countCode: 'isa.group-count-mismatch',
          controlCode: 'isa.control-number-mismatch',
          counted: 'functional group(s) in the interchange',
          header: 'ISA13',
          count: open.groupCount,
          // A truncated ISA has no trustworthy ISA13 (already reported): do not compare against it.
          control: open.header.isa.elementCount >= 16 ? open.header.control : null,
        }),
      );
    }
    this.events.push({
      type: 'interchange-end',
      trailer: { interchange: open.header, iea: iea ? iea.detach() : null, groupCount: open.groupCount, diagnostics },
    });
  }

  private openGroup(gs: Segment): void {
    const kept = gs.detach();
    const header = groupHeader(kept, this.interchange ? this.interchange.groupCount : 0);
    if (this.interchange) this.interchange.groupCount++;
    const where = this.where(gs);
    where.group = header.control;
    const diagnostics = checkGs(kept, where);
    if (!this.interchange) {
      this.events.push({
        type: 'diagnostic',
        diagnostic: diagnostic('file.set-without-envelope', 'A functional group (GS) appears outside any interchange (ISA)', { ...where, segmentId: 'GS' }, {
          expected: 'ISA before GS',
        }),
      });
    }
    this.group = { header, interchange: this.interchange?.header ?? null, setCount: 0, controls: new Set(), diagnostics: [], setIds: new Set() };
    this.events.push({ type: 'group-start', group: header, interchange: this.interchange?.header ?? null, diagnostics });
  }

  private closeGroup(ge: Segment | null): void {
    const open = this.group;
    if (!open) return;
    this.group = null;
    const diagnostics = open.diagnostics;
    const where: Location = { file: this.options.file, interchange: this.interchange?.header.control.trim(), group: open.header.control };
    if (!ge) {
      diagnostics.push(
        diagnostic('gs.trailer-missing', `Functional group ${open.header.control} has no GE trailer`, { ...where, line: open.header.gs.line, segmentId: 'GS' }, {
          expected: `GE*${open.setCount}*${open.header.control}`,
        }),
      );
    } else {
      diagnostics.push(
        ...checkTrailer(ge, where, {
          countCode: 'gs.set-count-mismatch',
          controlCode: 'gs.control-number-mismatch',
          counted: 'transaction set(s) in the group',
          header: 'GS06',
          count: open.setCount,
          control: open.header.control,
        }),
      );
    }
    this.events.push({ type: 'group-end', trailer: { group: open.header, ge: ge ? ge.detach() : null, setCount: open.setCount, diagnostics } });
  }

  private openSet(st: Segment): void {
    const group = this.group;
    const diagnostics: Diagnostic[] = [];
    const id = st.element(1);
    const control = st.element(2);
    // Locations are built only when something is wrong: this runs once per set.
    const at = (): Location => ({ ...this.where(st), set: control, setId: id, segmentId: 'ST', segmentPosition: 1 });
    if (id.length !== 3 || !isDigits(id)) {
      diagnostics.push(diagnostic('st.id-invalid', 'ST01 must be a three-digit transaction set identifier', { ...at(), element: 1 }, { found: id, expected: 'three digits, e.g. 940' }));
    }
    if (control.length < 4 || control.length > 9) {
      diagnostics.push(
        diagnostic('st.control-number-invalid', 'ST02 must be 4 to 9 characters', { ...at(), element: 2 }, { found: control, expected: '4-9 characters' }),
      );
    }
    if (!group) {
      diagnostics.push(
        diagnostic(
          'file.set-without-envelope',
          this.interchange ? 'Transaction set outside a functional group (no GS)' : 'Transaction set without an ISA/GS envelope',
          at(),
          { expected: this.interchange ? 'GS before ST' : 'ISA and GS before ST' },
        ),
      );
    } else {
      if (group.controls.has(control)) {
        diagnostics.push(
          diagnostic('st.control-number-duplicate', `ST02 ${control} is used twice in group ${group.header.control}`, { ...at(), element: 2 }, {
            found: control,
            expected: 'a control number unique within the group',
          }),
        );
      }
      group.controls.add(control);
      const expectedGroup = functionalGroupFor(id);
      if (expectedGroup && expectedGroup !== group.header.functionalId && !group.setIds.has(id)) {
        group.diagnostics.push(
          diagnostic('gs.functional-id-mismatch', `Transaction set ${id} travels under GS01 ${expectedGroup}, not ${group.header.functionalId}`, {
            ...at(),
            segmentId: 'GS',
            segmentPosition: undefined,
            line: group.header.gs.line,
            element: 1,
          }, { found: group.header.functionalId, expected: expectedGroup }),
        );
      }
      group.setIds.add(id);
    }
    this.set = {
      interchange: group ? group.interchange : null,
      group: group ? group.header : null,
      index: group ? group.setCount : this.unenvelopedIndex++,
      id,
      control,
      implementation: st.element(3),
      segments: [st],
      diagnostics,
    };
    if (group) group.setCount++;
  }

  private closeSet(se: Segment | null): void {
    const set = this.set;
    if (!set) return;
    this.set = null;
    const where = (): Location => ({
      file: this.options.file,
      interchange: set.interchange?.control.trim(),
      group: set.group?.control,
      set: set.control,
      setId: set.id,
    });
    if (!se) {
      const lastSeg = set.segments[set.segments.length - 1];
      set.diagnostics.push(
        diagnostic('st.trailer-missing', `Transaction set ${set.id} ${set.control} has no SE trailer`, { ...where(), line: lastSeg.line, segmentId: lastSeg.id, segmentPosition: set.segments.length }, {
          expected: `SE*${set.segments.length + 1}*${set.control}`,
        }),
      );
    } else {
      const at = (): Location => ({ ...where(), line: se.line, offset: se.offset, segmentId: 'SE', segmentPosition: set.segments.length });
      if (!countMatches(se.element(1), set.segments.length)) {
        set.diagnostics.push(
          diagnostic('st.segment-count-mismatch', `SE01 says ${se.element(1)} segments, the set has ${set.segments.length} (ST to SE inclusive)`, { ...at(), element: 1 }, {
            found: se.element(1),
            expected: String(set.segments.length),
          }),
        );
      }
      if (se.element(2) !== set.control) {
        set.diagnostics.push(
          diagnostic('st.control-number-mismatch', `SE02 does not match ST02 ${set.control}`, { ...at(), element: 2 }, { found: se.element(2), expected: set.control }),
        );
      }
    }
    this.events.push({ type: 'set', set });
  }
}

/** File read size: measured best between 64 KiB and 512 KiB for speed and peak memory. */
const FILE_CHUNK = 1 << 18;

/** Read a whole buffer synchronously (small files, tests). */
export function readX12Sync(buf: Buffer, options: ReadOptions = {}): ReaderEvent[] {
  const reader = new EnvelopeReader(options);
  return [...reader.push(buf), ...reader.end()];
}

/** Read a Buffer, a Readable, or a file path, yielding events as the data arrives. */
export async function* readX12(source: Buffer | Readable | string, options: ReadOptions = {}): AsyncGenerator<ReaderEvent> {
  const reader = new EnvelopeReader(options);
  if (Buffer.isBuffer(source)) {
    yield* reader.push(source);
  } else if (typeof source === 'string') {
    // Read-ahead: the next chunk is being read while this one is tokenized.
    const fh = await open(source, 'r');
    let next: Promise<{ bytesRead: number; buffer: Buffer }> | null = null;
    try {
      next = fh.read(Buffer.allocUnsafe(FILE_CHUNK), 0, FILE_CHUNK, null);
      for (;;) {
        const { bytesRead, buffer } = await next;
        if (bytesRead === 0) break;
        next = fh.read(Buffer.allocUnsafe(FILE_CHUNK), 0, FILE_CHUNK, null);
        for (const e of reader.push(buffer.subarray(0, bytesRead))) yield e;
      }
    } finally {
      await next?.catch(() => undefined);
      await fh.close();
    }
  } else {
    for await (const chunk of source) {
      const events = reader.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      for (const e of events) yield e;
    }
  }
  yield* reader.end();
}
