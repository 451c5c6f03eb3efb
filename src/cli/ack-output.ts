/**
 * `dockgate x12 ack`: the acknowledgements a received file earns, as the bytes Dockgate would
 * send. Without --record the control numbers are the store's next ones, peeked, not consumed.
 * Building and numbering them is src/tracking/acknowledgements.ts; this says which partner.
 */
import type { LoadedConfig } from '../config/config.ts';
import { peekedControlNumbers, writeAcknowledgements } from '../tracking/acknowledgements.ts';
import { buildAcknowledgements } from '../x12/ack/index.ts';
import type { FileResult } from '../x12/result.ts';
import { validateFile } from '../x12/validate-file.ts';
import { resolvePartner } from './partners.ts';
import { openConfiguredStore } from './record.ts';

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
    const text = await writeAcknowledgements(plan, {
      controlNumbers: opts.record ? store.controlNumbers : peekedControlNumbers(store),
      // The acknowledgement goes back to the original sender: that is the partner.
      partnerOf: (ic) => {
        const partner = resolvePartner(loaded.config, ic.receiver, opts.partner);
        if (partner.warning) process.stderr.write(`dockgate: warning: ${partner.warning}\n`);
        return partner.id;
      },
      record: opts.record ? store : undefined,
    });
    return { text, notes: plan.notes, result };
  } finally {
    await store.close();
  }
}
