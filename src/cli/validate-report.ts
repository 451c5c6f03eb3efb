/**
 * Reports of `dockgate x12 validate`: human text and the documented JSON structure
 * (docs/x12-validate-json.md).
 */
import { formatDiagnostic, type Diagnostic } from '../x12/diagnostics.ts';
import type { FileResult, GroupResult, InterchangeResult, SetResult } from '../x12/result.ts';
import { allDiagnostics } from '../x12/result.ts';

export interface Verdict {
  valid: boolean;
  errors: number;
  warnings: number;
}

export function verdict(diagnostics: Diagnostic[], strict: boolean): Verdict {
  let errors = 0;
  let warnings = 0;
  for (const d of diagnostics) {
    if (d.level === 'error') errors++;
    else if (d.level === 'warning') warnings++;
  }
  return { valid: errors === 0 && (!strict || warnings === 0), errors, warnings };
}

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
    valid: verdict(s.diagnostics, strict).valid,
    diagnostics: s.diagnostics.map(jsonDiagnostic),
  };
}

function groupDiagnostics(g: GroupResult): Diagnostic[] {
  return [...g.diagnostics, ...g.sets.flatMap((s) => s.diagnostics)];
}

function jsonGroup(g: GroupResult, strict: boolean) {
  return {
    functionalId: g.header.functionalId,
    control: g.header.control,
    sender: g.header.senderId,
    receiver: g.header.receiverId,
    version: g.header.version,
    line: g.header.gs.line,
    valid: verdict(groupDiagnostics(g), strict).valid,
    diagnostics: g.diagnostics.map(jsonDiagnostic),
    sets: g.sets.map((s) => jsonSet(s, strict)),
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
    valid: verdict([...ic.diagnostics, ...ic.groups.flatMap(groupDiagnostics)], strict).valid,
    diagnostics: ic.diagnostics.map(jsonDiagnostic),
    groups: ic.groups.map((g) => jsonGroup(g, strict)),
  };
}

export function jsonFile(r: FileResult, strict: boolean) {
  const v = verdict(allDiagnostics(r), strict);
  return {
    file: r.file ?? null,
    valid: v.valid,
    errors: v.errors,
    warnings: v.warnings,
    diagnostics: r.diagnostics.map(jsonDiagnostic),
    interchanges: r.interchanges.map((ic) => jsonInterchange(ic, strict)),
    unenveloped: r.unenveloped.map((s) => jsonSet(s, strict)),
  };
}

export function humanFile(r: FileResult, strict: boolean, showInfo: boolean): string {
  const all = allDiagnostics(r);
  const v = verdict(all, strict);
  const sets = r.interchanges.reduce((n, ic) => n + ic.groups.reduce((m, g) => m + g.sets.length, 0), 0) + r.unenveloped.length;
  const lines = [
    `${r.file ?? '(stdin)'}: ${v.valid ? 'VALID' : 'INVALID'} — ${r.interchanges.length} interchange(s), ${sets} transaction set(s), ${v.errors} error(s), ${v.warnings} warning(s)`,
  ];
  for (const d of all) {
    if (d.level === 'info' && !showInfo) continue;
    lines.push(`  ${formatDiagnostic(d)}`);
  }
  return lines.join('\n');
}
