/**
 * Whatever bytes arrive, the engine answers: diagnostics, never an exception or a hang.
 * Mutated real files (byte flips, cuts, inserted separators) go through validation, the
 * acknowledgement builder, the send-mode writer and the JSON form.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildAcknowledgements } from '../../src/x12/ack/index.ts';
import { writeJsonForm } from '../../src/x12/json-form.ts';
import { readX12Sync } from '../../src/x12/reader.ts';
import { allDiagnostics } from '../../src/x12/result.ts';
import type { SetTree } from '../../src/x12/tree.ts';
import { validateSet } from '../../src/x12/validate/index.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { sendInterchange, X12DataError } from '../../src/x12/writer.ts';

const samples = resolve(import.meta.dirname, '../../samples/x12');
const inputs = readdirSync(samples).map((f) => readFileSync(join(samples, f)));
const NASTY = [0x2a, 0x7e, 0x3e, 0x5e, 0x0a, 0x0d, 0x00, 0xff, 0x49, 0x53, 0x41, 0x20];

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.constantFrom(...NASTY) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 120 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

function mutate(input: Buffer, steps: Array<fc.Arbitrary<unknown> extends never ? never : { kind: string; at: number; byte?: number; length?: number; bytes?: Uint8Array }>): Buffer {
  let buf = Buffer.from(input);
  for (const m of steps) {
    const at = buf.length === 0 ? 0 : m.at % buf.length;
    if (m.kind === 'flip' && buf.length > 0) buf[at] = m.byte!;
    else if (m.kind === 'cut') buf = Buffer.concat([buf.subarray(0, at), buf.subarray(at + m.length!)]);
    else if (m.kind === 'insert') buf = Buffer.concat([buf.subarray(0, at), Buffer.from(m.bytes!), buf.subarray(at)]);
  }
  return buf;
}

test('mutated real files always get an answer, and acknowledgements can always be written and are valid', async () => {
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: inputs.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 6 }), async (which, steps) => {
      const buf = mutate(inputs[which], steps);
      const result = await validateFile(buf, { file: 'fuzz.edi' });
      for (const d of allDiagnostics(result)) assert.ok(d.code && d.message && d.location, 'a diagnostic has a code, a message and a location');
      const plan = buildAcknowledgements(result, { use999: true });
      let n = 0;
      // Values copied from a broken envelope are cleaned, so an acknowledgement can always be written.
      for (const ic of plan.interchanges) {
        const ack = sendInterchange(ic, { partner: 'fuzz', controlNumbers: { next: () => ++n } }).bytes;
        // ... and is valid X12 by Dockgate's own validator.
        const errors = allDiagnostics(await validateFile(ack)).filter((d) => d.level === 'error');
        assert.deepEqual(errors.map((d) => d.message), [], ack.toString());
      }
      try {
        let text = '';
        await writeJsonForm(readX12Sync(buf), (s) => validateSet(s, { buildTree: true }).tree as SetTree, (piece) => {
          text += piece;
        });
        JSON.parse(text);
      } catch (e) {
        assert.ok(e instanceof X12DataError, `to-json refuses only with X12DataError: ${(e as Error).stack}`);
      }
    }),
    { numRuns: 600 },
  );
});

test('random bytes are refused as not X12, never thrown', async () => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ maxLength: 400 }), async (bytes) => {
      const result = await validateFile(Buffer.from(bytes));
      assert.ok(Array.isArray(result.interchanges));
    }),
    { numRuns: 200 },
  );
});
