/**
 * Every acknowledgement Dockgate builds is valid X12 by Dockgate's own validator, whatever it
 * answers: the real files of the corpus, the samples, and generated broken envelopes (GS and
 * ST fields emptied or garbled, separators made unusable, ISA fields broken, segments with
 * element errors an AK4 cannot position). An interchange too broken to read gets a TA1 only,
 * with the TA105 that `validate` reports for it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { buildAcknowledgements } from '../../src/x12/ack/index.ts';
import { readX12Sync } from '../../src/x12/reader.ts';
import { allDiagnostics, type FileResult } from '../../src/x12/result.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { sendInterchange } from '../../src/x12/writer.ts';

const corpus = resolve(import.meta.dirname, '../../../shared/corpus/x12');
const samples = resolve(import.meta.dirname, '../../samples/x12');
const sampleFiles = readdirSync(samples).map((f) => join(samples, f));

/** Build the acknowledgements of a result (997 and 999 flavours), write them, validate them. */
async function assertAcksValid(result: FileResult, what: string): Promise<string[]> {
  const texts: string[] = [];
  for (const use999 of [false, true]) {
    const plan = buildAcknowledgements(result, { use999 });
    let n = 0;
    for (const ic of plan.interchanges) {
      const bytes = sendInterchange(ic, { partner: 'test', controlNumbers: { next: () => ++n }, now: new Date('2026-11-24T12:00:00Z') }).bytes;
      const back = await validateFile(bytes, { file: 'ack.x12' });
      const errors = allDiagnostics(back).filter((d) => d.level === 'error');
      assert.deepEqual(errors.map((d) => `${d.code} ${d.message} ${d.found ?? ''}`), [], `${what}${use999 ? ' (999)' : ''}: the acknowledgement is invalid:\n${bytes.toString()}`);
      texts.push(bytes.toString());
    }
  }
  return texts;
}

test('every acknowledgement of every corpus file is valid X12', async (t) => {
  if (!existsSync(corpus)) {
    t.skip(`${corpus} is absent (../shared/corpus not next to the repository)`);
    return;
  }
  let files = 0;
  for (const dir of readdirSync(corpus)) {
    const folder = join(corpus, dir);
    if (!statSync(folder).isDirectory()) continue;
    for (const name of readdirSync(folder)) {
      const file = join(folder, name);
      await assertAcksValid(await validateFile(readFileSync(file), { file: name }), file);
      files++;
    }
  }
  assert.ok(files > 10, `acknowledged ${files} corpus files`);
});

const text = (f: string) => readFileSync(f, 'latin1');

/** A sample's segment with element k replaced (the ISA is left alone). */
function replaceElement(input: string, segmentId: string, k: number, value: string): string {
  return input.replace(new RegExp(`(^|~\\n?)(${segmentId}(\\*[^*~]*){${k - 1}}\\*)[^*~]*`), `$1$2${value}`);
}

const GARBLE = ['', 'X', '1', '12345678901234567', 'A B', 'ÄÖÜ', '\u0001', '\u007f', '99999999999', ' '];

const envelopeMutation = fc.oneof(
  fc.record({ segment: fc.constantFrom('GS'), element: fc.integer({ min: 1, max: 8 }), value: fc.constantFrom(...GARBLE) }),
  fc.record({ segment: fc.constantFrom('ST', 'SE', 'GE', 'IEA'), element: fc.integer({ min: 1, max: 3 }), value: fc.constantFrom(...GARBLE) }),
  fc.record({ segment: fc.constant('ISA-byte'), element: fc.constantFrom(3, 82, 104, 105, 50, 60, 90), value: fc.constantFrom('*', '~', '>', '^', 'A', '0', ' ', '\n', ':', '|') }),
  fc.record({ segment: fc.constant('wide'), element: fc.integer({ min: 100, max: 300 }), value: fc.constantFrom('N9', 'W12', 'LX', 'ZZZ', 'HL') }),
);

function applyMutation(input: string, m: { segment: string; element: number; value: string }): string {
  if (m.segment === 'ISA-byte') return input.slice(0, m.element) + m.value + input.slice(m.element + 1);
  // A segment with far more elements than any definition: errors at positions an AK4 cannot carry.
  if (m.segment === 'wide') return input.replace(/(~\n?)(SE\*)/, `$1${m.value}${'*X'.repeat(m.element)}$1$2`);
  return replaceElement(input, m.segment, m.element, m.value);
}

test('generated broken envelopes: every acknowledgement built is valid X12', async () => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...sampleFiles), fc.array(envelopeMutation, { minLength: 1, maxLength: 4 }), async (file, mutations) => {
      let input = text(file);
      for (const m of mutations) input = applyMutation(input, m);
      const result = await validateFile(Buffer.from(input, 'latin1'), { file: 'broken.edi' });
      await assertAcksValid(result, `${file} with ${JSON.stringify(mutations)}`);
    }),
    { numRuns: 150 },
  );
});

/** Ways an ISA's separators are unusable, each on the 945 sample. */
const UNUSABLE: Array<[string, (isa: string) => string]> = [
  ['ISA16 equal to the element separator', (isa) => `${isa.slice(0, 104)}*${isa.slice(105)}`],
  ['ISA16 equal to the segment terminator', (isa) => `${isa.slice(0, 104)}~${isa.slice(105)}`],
  ['ISA16 a letter', (isa) => `${isa.slice(0, 104)}A${isa.slice(105)}`],
  ['ISA16 a space', (isa) => `${isa.slice(0, 104)} ${isa.slice(105)}`],
  ['a digit as element separator', (isa) => isa.replaceAll('*', '5')],
];

for (const [name, breakIsa] of UNUSABLE) {
  test(`unusable separators (${name}): a TA1 only, rejecting with the TA105 validate reports`, async () => {
    const input = text(join(samples, 'acme-945-shipment-advice.edi'));
    const broken = breakIsa(input.slice(0, 106)) + input.slice(106);
    const result = await validateFile(Buffer.from(broken, 'latin1'), { file: 'broken.edi' });
    const plan = buildAcknowledgements(result);
    if (result.interchanges.length === 0) {
      // Not even recognisable as an ISA: validate calls it not X12, and there is no one to answer.
      assert.ok(allDiagnostics(result).some((d) => d.code === 'file.not-x12'));
      assert.equal(plan.interchanges.length, 0);
      return;
    }
    const reported = result.interchanges.flatMap((ic) => ic.diagnostics).find((d) => d.level === 'error' && d.standard?.kind === 'TA105');
    assert.ok(reported, 'validate reports a TA105 error for the interchange');
    if (plan.interchanges.length === 0) {
      // Separators so broken that the ISA itself cannot be read: no sender to answer, and the notes say so.
      assert.match(plan.notes.join('\n'), /no sender|do not name a sender/);
      return;
    }
    const [ack] = await assertAcksValid(result, name);
    const events = readX12Sync(Buffer.from(ack));
    assert.ok(!events.some((e) => e.type === 'group-start'), `no 997 for an interchange whose groups cannot be read:\n${ack}`);
    const ta1 = events.find((e) => e.type === 'ta1');
    assert.ok(ta1 && ta1.type === 'ta1');
    assert.equal(ta1.segment.element(4), 'R');
    assert.equal(ta1.segment.element(5), reported.standard!.value);
    assert.match(plan.notes.join('\n'), /TA1 only/);
  });
}

test('a set no schema checked is not accepted: AK5*R*1 (transaction set not supported)', async () => {
  const input = text(join(samples, 'acme-945-shipment-advice.edi')).replace('ST*945*0001', 'ST*810*0001').replace('GS*SW', 'GS*IN');
  const result = await validateFile(Buffer.from(input), { file: 'invoice.edi' });
  const [ack] = await assertAcksValid(result, 'an 810');
  assert.match(ack, /AK2\*810\*0001~\nAK5\*R\*1~\nAK9\*R\*1\*1\*0~/);
});

test('004010 has no AK403 13: a component separator in a simple element is answered with 3, in a 005010 999 with 13', async () => {
  const input = text(join(samples, 'acme-945-shipment-advice.edi')).replace('N1*ST*JANE DOE', 'N1*ST*JANE>DOE');
  const [ack] = await assertAcksValid(await validateFile(Buffer.from(input), { file: 'comp.edi' }), 'component in N102');
  assert.match(ack, /AK3\*N1\*3\*0100\*8~\nAK4\*2>2\*93\*3\*JANEDOE~/);
});

test('a group whose GS cannot be quoted in a 997 (GS02 empty) is answered by a TA1 with TA105 024; the other groups keep their 997', async () => {
  const one = text(join(samples, 'acme-945-shipment-advice.edi'));
  const [isa, gs1, ...rest] = one.split('\n');
  const body = rest.slice(0, rest.findIndex((l) => l.startsWith('GE*')) + 1);
  const gs2 = gs1.replace('77301', '77302').replace('*RENOWMS*', '**');
  const ge2 = body[body.length - 1].replace('77301', '77302');
  const input = [isa, gs1, ...body, gs2, ...body.slice(0, -1), ge2, 'IEA*2*000077301~', ''].join('\n');
  const result = await validateFile(Buffer.from(input), { file: 'two-groups.edi' });
  const plan = buildAcknowledgements(result);
  const [ack] = await assertAcksValid(result, 'two groups');
  assert.match(ack, /TA1\*000077301\*261124\*1405\*R\*024~/);
  assert.equal((ack.match(/ST\*997/g) ?? []).length, 1, 'the good group is acknowledged');
  assert.match(ack, /AK1\*SW\*77301~/);
  assert.match(plan.notes.join('\n'), /GS02 \/ GS03/);
});
