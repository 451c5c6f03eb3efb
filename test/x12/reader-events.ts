/** What the reader said, for tests: every diagnostic code of a stream of reader events, in order. */
import type { ReaderEvent } from '../../src/x12/envelope.ts';

export function codes(events: ReaderEvent[]): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.type === 'diagnostic') out.push(e.diagnostic.code);
    else if (e.type === 'interchange-start' || e.type === 'group-start') out.push(...e.diagnostics.map((d) => d.code));
    else if (e.type === 'set') out.push(...e.set.diagnostics.map((d) => d.code));
    else if (e.type === 'group-end' || e.type === 'interchange-end') out.push(...e.trailer.diagnostics.map((d) => d.code));
  }
  return out;
}
