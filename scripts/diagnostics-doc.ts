/**
 * Writes docs/diagnostics.md from the diagnostic catalogue (src/x12/diagnostics.ts), so the
 * documented list can never drift from the code: a test compares the file with this output.
 *   node --import tsx scripts/diagnostics-doc.ts > docs/diagnostics.md
 */
import { DIAGNOSTIC_CODES } from '../src/x12/diagnostics.ts';

export function diagnosticsDoc(): string {
  const rows = Object.entries(DIAGNOSTIC_CODES).map(([code, info]) => {
    const std = 'standard' in info && info.standard ? `${info.standard.kind} ${info.standard.value}` : '—';
    return `| \`${code}\` | ${info.level} | ${std} | ${info.summary} |`;
  });
  return `# Diagnostic codes

Every problem Dockgate finds in X12 data is reported as a diagnostic with a level, one of these
codes, the X12 standard code an acknowledgement carries for it (where the standard has one), a
message, and a location (file, line, interchange / group / set control numbers, segment id,
segment position counted from ST, element, component, repetition). Some diagnostics carry a
more specific standard code than the default listed here (each ISA field has its own TA105
code, for example).

Levels: \`error\` makes the file invalid; \`warning\` does too under \`--strict\`; \`info\` never does.

| code | level | standard code (default) | meaning |
|---|---|---|---|
${rows.join('\n')}

This file is generated from \`src/x12/diagnostics.ts\` by \`node --import tsx scripts/diagnostics-doc.ts\`.
`;
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(diagnosticsDoc());
