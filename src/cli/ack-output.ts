/**
 * `dockgate x12 ack`: the acknowledgements a received file earns, as the bytes Dockgate would
 * send. Without --record the control numbers are the store's next ones, peeked, not consumed.
 */
import type { LoadedConfig } from '../config/config.ts';
import { buildAcknowledgements } from '../x12/ack/index.ts';
import type { ControlNumberKind, ControlNumberSource } from '../x12/outbound.ts';
import type { FileResult } from '../x12/result.ts';
import { validateFile } from '../x12/validate-file.ts';
import { sendInterchange } from '../x12/writer.ts';
import { resolvePartner } from './partners.ts';
import { openConfiguredStore, recordSentAcknowledgement } from './record.ts';

export interface Acknowledgements {
  /** The acknowledgement interchanges as sent ('' when nothing is due). */
  text: string;
  /** What was not acknowledged, or left out, and why. */
  notes: string[];
  /** The validation the acknowledgements answer (its verdict is the command's). */
  result: FileResult;
}

export async function acknowledgementsFor(
  file: string,
  loaded: LoadedConfig,
  opts: { use999: boolean; record: boolean; partner?: string },
): Promise<Acknowledgements> {
  const result = await validateFile(file, { file });
  const plan = buildAcknowledgements(result, { use999: opts.use999 });
  if (plan.interchanges.length === 0) return { text: '', notes: plan.notes, result };
  const store = await openConfiguredStore(loaded, { readOnly: !opts.record });
  try {
    // Peeking: the numbers shown are what the next real send would use; each kind advances
    // locally so that several interchanges in one preview do not repeat a number.
    const peeked = new Map<ControlNumberKind, number>();
    const source: ControlNumberSource = opts.record
      ? store.controlNumbers
      : {
          next(partner, kind) {
            const n = peeked.has(kind) ? peeked.get(kind)! + 1 : store.peekControlNumber(partner, kind);
            peeked.set(kind, n);
            return n;
          },
        };
    const parts: string[] = [];
    for (const ic of plan.interchanges) {
      // The acknowledgement goes back to the original sender: that is the partner.
      const partner = resolvePartner(loaded.config, ic.receiver, opts.partner);
      if (partner.warning) process.stderr.write(`dockgate: warning: ${partner.warning}\n`);
      const sent = sendInterchange(ic, { partner: partner.id, controlNumbers: source, now: new Date() });
      if (opts.record) await recordSentAcknowledgement(store, partner.id, sent, ic);
      parts.push(sent.bytes.toString('utf8'));
    }
    return { text: parts.join(''), notes: plan.notes, result };
  } finally {
    await store.close();
  }
}
