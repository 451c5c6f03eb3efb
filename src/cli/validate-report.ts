/**
 * Reports of `dockgate x12 validate`: human text and the documented JSON structure
 * (docs/x12-validate-json.md). Partner data in them is escaped as the JSON form escapes it:
 * no control character from a file reaches the terminal.
 */
import { formatDiagnostic, MAX_DIAGNOSTICS_KEPT, type Diagnostic, type DiagnosticCounts } from '../x12/diagnostics.ts';
import { jsonPieces, lazyArray, writePieces } from './json-stream.ts';
import { printable } from './terminal-text.ts';
import type { FileResult, GroupResult, InterchangeResult, SetResult } from '../x12/result.ts';
import { diagnosticTotals, levels } from '../x12/result.ts';

export interface Verdict {
  valid: boolean;
  errors: number;
  warnings: number;
}

type Level = FileResult | InterchangeResult | GroupResult | SetResult;

/** The verdict of a list of envelopes: their diagnostics and those counted but not kept. */
function verdictOf(parts: Iterable<Level>, strict: boolean): Verdict {
  let errors = 0;
  let warnings = 0;
  for (const part of parts) {
    for (const d of part.diagnostics) {
      if (d.level === 'error') errors++;
      else if (d.level === 'warning') warnings++;
    }
    errors += part.omitted.error;
    warnings += part.omitted.warning;
  }
  return { valid: errors === 0 && (!strict || warnings === 0), errors, warnings };
}

export function fileVerdict(r: FileResult, strict: boolean): Verdict {
  const t = diagnosticTotals(r);
  return { valid: t.error === 0 && (!strict || t.warning === 0), errors: t.error, warnings: t.warning };
}

const omittedCount = (o: DiagnosticCounts) => o.error + o.warning + o.info;

function jsonDiagnostic(d: Diagnostic) {
  return {
    level: d.level,
    code: d.code,
    standard: d.standard ?? null,
    message: d.message,
    location: d.location,
    ...(d.found !== undefined ? { found: d.found } : {}),
    ...(d.expected !== undefined ? { expected: d.expected } : {}),
  };
}

function jsonSet(s: SetResult, strict: boolean) {
  return {
    id: s.id,
    control: s.control,
    implementation: s.implementation || null,
    line: s.line,
    segments: s.segmentCount,
    schemaVersion: s.schemaVersion || null,
    valid: verdictOf([s], strict).valid,
    diagnostics: s.diagnostics.map(jsonDiagnostic),
    diagnosticsOmitted: omittedCount(s.omitted),
  };
}

function* groupLevels(g: GroupResult): Generator<Level> {
  yield g;
  yield* g.sets;
}

function* interchangeLevels(ic: InterchangeResult): Generator<Level> {
  yield ic;
  for (const g of ic.groups) yield* groupLevels(g);
}

function jsonGroup(g: GroupResult, strict: boolean) {
  return {
    functionalId: g.header.functionalId,
    control: g.header.control,
    sender: g.header.senderId,
    receiver: g.header.receiverId,
    version: g.header.version,
    line: g.header.gs.line,
    valid: verdictOf(groupLevels(g), strict).valid,
    diagnostics: g.diagnostics.map(jsonDiagnostic),
    diagnosticsOmitted: omittedCount(g.omitted),
    sets: lazyArray(g.sets, (s) => jsonSet(s, strict)),
  };
}

function jsonInterchange(ic: InterchangeResult, strict: boolean) {
  const h = ic.header;
  return {
    control: h.control.trim(),
    sender: { qualifier: h.senderQualifier, id: h.senderId },
    receiver: { qualifier: h.receiverQualifier, id: h.receiverId },
    version: h.version,
    usage: h.usage,
    line: h.isa.line,
    valid: verdictOf(interchangeLevels(ic), strict).valid,
    diagnostics: ic.diagnostics.map(jsonDiagnostic),
    diagnosticsOmitted: omittedCount(ic.omitted),
    groups: lazyArray(ic.groups, (g) => jsonGroup(g, strict)),
  };
}

export function jsonFile(r: FileResult, strict: boolean) {
  const v = fileVerdict(r, strict);
  return {
    file: r.file ?? null,
    valid: v.valid,
    errors: v.errors,
    warnings: v.warnings,
    diagnostics: r.diagnostics.map(jsonDiagnostic),
    diagnosticsOmitted: omittedCount(r.omitted),
    interchanges: lazyArray(r.interchanges, (ic) => jsonInterchange(ic, strict)),
    unenveloped: lazyArray(r.unenveloped, (s) => jsonSet(s, strict)),
  };
}

/**
 * The --json report, written as each file is validated: `strict`, then `files` one at a time (each
 * built and written a set at a time), then `valid`, known only at the end. Control characters are
 * escaped (C1 and DEL too, which JSON.stringify leaves raw).
 */
export class JsonReportWriter {
  private files = 0;
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly strict: boolean,
  ) {}

  async file(r: FileResult): Promise<void> {
    const head = this.files++ === 0 ? `{\n  "strict": ${this.strict},\n  "files": [\n    ` : ',\n    ';
    await writePieces(this.out, (function* (strict) {
      yield head;
      yield* jsonPieces(jsonFile(r, strict), 2);
    })(this.strict));
  }

  async end(valid: boolean): Promise<void> {
    const files = this.files === 0 ? `{\n  "strict": ${this.strict},\n  "files": []` : '\n  ]';
    await writePieces(this.out, [`${files},\n  "valid": ${valid}\n}\n`]);
  }
}

const n = (x: number) => x.toLocaleString('en-US');

/** Which envelope a level is, for the "not shown" line. */
function levelName(level: Level): string {
  if ('interchanges' in level) return 'the file';
  if ('groups' in level) return `interchange ${level.header.control.trim()}`;
  if ('sets' in level) return `group ${level.header.control}`;
  return `set ${level.control}`;
}

export function humanFile(r: FileResult, strict: boolean, showInfo: boolean): string {
  const v = fileVerdict(r, strict);
  const sets = r.interchanges.reduce((k, ic) => k + ic.groups.reduce((m, g) => m + g.sets.length, 0), 0) + r.unenveloped.length;
  const lines = [
    `${r.file ?? '(stdin)'}: ${v.valid ? 'VALID' : 'INVALID'} — ${r.interchanges.length} interchange(s), ${sets} transaction set(s), ${v.errors} error(s), ${v.warnings} warning(s)`,
  ];
  for (const level of levels(r)) {
    for (const d of level.diagnostics) {
      if (d.level === 'info' && !showInfo) continue;
      lines.push(`  ${formatDiagnostic(d)}`);
    }
    const o = level.omitted;
    const hidden = o.error + o.warning + (showInfo ? o.info : 0);
    if (hidden > 0) {
      lines.push(`  … ${n(hidden)} more diagnostic(s) of ${levelName(level)} not shown (${n(o.error)} error(s), ${n(o.warning)} warning(s)): at most ${n(MAX_DIAGNOSTICS_KEPT)} are kept per envelope`);
    }
  }
  return lines.map(printable).join('\n');
}
