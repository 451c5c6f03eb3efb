/**
 * The message nodes of an X12 file as read (interchanges -> groups -> sets), for `recordFile`.
 */
import { formatDiagnostic, type Diagnostic, type DiagnosticCounts } from '../x12/diagnostics.ts';
import type { FileResult, GroupResult, InterchangeResult } from '../x12/result.ts';
import type { DiagnosticsSummary, MessageNode } from './store.ts';

/** Counts include the diagnostics found beyond those a result keeps (`omitted`). */
export function summary(diagnostics: readonly Diagnostic[], omitted?: DiagnosticCounts): DiagnosticsSummary {
  let errors = omitted?.error ?? 0;
  let warnings = omitted?.warning ?? 0;
  const first: string[] = [];
  for (const d of diagnostics) {
    if (d.level === 'error') errors++;
    else if (d.level === 'warning') warnings++;
    else continue;
    if (first.length < 5) first.push(formatDiagnostic(d));
  }
  return { errors, warnings, first };
}

export const verdict = (d: readonly Diagnostic[]): 'valid' | 'invalid' => (d.some((x) => x.level === 'error') ? 'invalid' : 'valid');

/** What the log keeps of an interchange's envelope, received or sent. */
const interchangeFields = (ic: InterchangeResult) => ({
  kind: 'interchange' as const,
  control: ic.header.control.trim(),
  version: ic.header.version,
  sender: `${ic.header.senderQualifier}:${ic.header.senderId}`,
  receiver: `${ic.header.receiverQualifier}:${ic.header.receiverId}`,
});

/** What the log keeps of a functional group's envelope, received or sent. */
const groupFields = (g: GroupResult) => ({
  kind: 'group' as const,
  control: g.header.control,
  docType: g.header.functionalId,
  version: g.header.version,
  sender: g.header.senderId,
  receiver: g.header.receiverId,
});

/**
 * A received file: each node with its verdict and diagnostics. An interchange with a complete
 * ISA that is not a known duplicate claims its sender and control number in the store.
 */
export function receivedNodes(result: FileResult): MessageNode[] {
  return result.interchanges.map((ic) => {
    const setDiagnostics = ic.groups.flatMap((g) => [...g.diagnostics, ...g.sets.flatMap((s) => s.diagnostics)]);
    const fields = interchangeFields(ic);
    return {
      ...fields,
      status: verdict([...ic.diagnostics, ...setDiagnostics]),
      diagnostics: summary(ic.diagnostics, ic.omitted),
      claimsControl: ic.header.isa.elementCount >= 16 && fields.control !== '' && !ic.diagnostics.some((d) => d.code === 'isa.duplicate'),
      children: ic.groups.map((g) => ({
        ...groupFields(g),
        status: verdict([...g.diagnostics, ...g.sets.flatMap((s) => s.diagnostics)]),
        diagnostics: summary(g.diagnostics, g.omitted),
        children: g.sets.map((s) => ({ kind: 'set', control: s.control, docType: s.id, version: s.schemaVersion || undefined, status: verdict(s.diagnostics), diagnostics: summary(s.diagnostics, s.omitted) })),
      })),
    } satisfies MessageNode;
  });
}

/** A file we send, read back: every node with one status, so that acknowledgements find its groups and sets. */
export function sentNodes(result: FileResult, status: string): MessageNode[] {
  return result.interchanges.map((ic) => ({
    ...interchangeFields(ic),
    status,
    children: ic.groups.map((g) => ({
      ...groupFields(g),
      status,
      children: g.sets.map((s) => ({ kind: 'set', control: s.control, docType: s.id, status })),
    })),
  }));
}
