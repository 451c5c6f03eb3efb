/**
 * Sets, groups and interchanges with 10^5 and more problems: each envelope keeps at most
 * MAX_DIAGNOSTICS_KEPT diagnostics (plus the first of each code), counts the rest, and the
 * report, the verdict and the acknowledgements still come out — for the broken set and for
 * the good ones next to it. (Before, `push(...list)` overflowed the stack at ~10^5.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildAcknowledgements } from '../../src/x12/ack/index.ts';
import { DIAGNOSTIC_CODES, MAX_DIAGNOSTICS_KEPT } from '../../src/x12/diagnostics.ts';
import { allDiagnostics, diagnosticTotals, type FileResult } from '../../src/x12/result.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { sendInterchange } from '../../src/x12/writer.ts';

const N = 120_000;
const CODES = Object.keys(DIAGNOSTIC_CODES).length;
const ISA = 'ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1405*U*00401*000077301*0*T*>~\n';

function set945(control: string, extra: string[]): string {
  const segs = [`ST*945*${control}`, 'W06*F*ORDER1*20261124*SHP1', 'W27*U*UPSN', 'LX*1', 'W12*CC*1*1*0*EA', ...extra, 'W03*1'];
  return `${[...segs, `SE*${segs.length + 1}*${control}`].join('~\n')}~\n`;
}

function interchange(groupBody: string, afterGroup = ''): Buffer {
  const sets = (groupBody.match(/^ST\*/gm) ?? []).length;
  return Buffer.from(`${ISA}GS*SW*RENOWMS*ACME3PL*20261124*1200*42*X*004010~\n${groupBody}GE*${sets}*42~\n${afterGroup}IEA*1*000077301~\n`);
}

const repeat = (segment: string, n: number) => new Array<string>(n).fill(segment);

/** Every envelope of the result within the cap; totals count what was not kept. */
function assertCapped(result: FileResult): void {
  const levels = [result, ...result.interchanges, ...result.interchanges.flatMap((ic) => ic.groups), ...result.interchanges.flatMap((ic) => ic.groups.flatMap((g) => g.sets))];
  for (const level of levels) assert.ok(level.diagnostics.length <= MAX_DIAGNOSTICS_KEPT + CODES, `kept ${level.diagnostics.length}`);
}

/** The acknowledgement of a result, written and validated again. */
async function ackOf(result: FileResult): Promise<string> {
  const plan = buildAcknowledgements(result);
  let n = 0;
  const text = plan.interchanges.map((ic) => sendInterchange(ic, { partner: 'cap', controlNumbers: { next: () => ++n } }).bytes.toString()).join('');
  const back = await validateFile(Buffer.from(text));
  assert.deepEqual(allDiagnostics(back).filter((d) => d.level === 'error').map((d) => d.message), []);
  return text;
}

test(`a set with ${N.toLocaleString('en-US')} element errors next to a good set: both reported, counted and acknowledged`, async () => {
  const file = interchange(set945('0001', repeat('N9*ZZ', N)) + set945('0002', []));
  const result = await validateFile(file, { file: 'n9.edi' });
  assertCapped(result);
  const [bad, good] = result.interchanges[0].groups[0].sets;
  assert.equal(good.diagnostics.filter((d) => d.level === 'error').length, 0, 'the good set is valid');
  assert.ok(bad.omitted.error > N, `omitted ${bad.omitted.error}`);
  assert.ok(diagnosticTotals(result).error >= 2 * N, 'every N9 counted: its element error and its segment note');
  assert.ok(bad.diagnostics.some((d) => d.code === 'st.segments-in-error'), 'the set-level summary is kept');
  const ack = await ackOf(result);
  assert.match(ack, /AK2\*945\*0002~\nAK5\*A~/);
  assert.match(ack, /AK2\*945\*0001~\nAK3\*N9\*6\*/);
  assert.match(ack, /AK5\*R\*5~\nAK2/);
  assert.match(ack, /AK9\*P\*2\*2\*1~/);
});

test(`a group with ${N.toLocaleString('en-US')} segments where ST or GE belongs: group diagnostics capped, the sets acknowledged`, async () => {
  const file = interchange(set945('0001', []) + repeat('ZZ*1~\n', N).join('') + set945('0002', []));
  const result = await validateFile(file);
  assertCapped(result);
  const group = result.interchanges[0].groups[0];
  assert.equal(group.omitted.error + group.diagnostics.filter((d) => d.code === 'gs.unexpected-segment').length, N);
  assert.match(await ackOf(result), /AK2\*945\*0001~\nAK5\*A~\nAK2\*945\*0002~\nAK5\*A~\nAK9\*R\*2\*2\*2\*3~/);
});

test(`an interchange with ${N.toLocaleString('en-US')} stray segments between its groups: interchange diagnostics capped, a TA1 with 024`, async () => {
  const file = interchange(set945('0001', []), repeat('ZZ*1~\n', N).join(''));
  const result = await validateFile(file);
  assertCapped(result);
  const ic = result.interchanges[0];
  assert.equal(ic.omitted.error + ic.diagnostics.filter((d) => d.code === 'isa.unexpected-segment').length, N, 'stray segments belong to their interchange');
  assert.match(await ackOf(result), /TA1\*000077301\*261124\*1405\*R\*024~/);
});

test(`an 856 with ${N.toLocaleString('en-US')} HL levels naming no parent: hierarchy diagnostics capped, messages short`, async () => {
  const hls = Array.from({ length: N }, (_, i) => `HL*${i + 2}*${N * 2 + i}*P`);
  const segs = ['ST*856*0001', 'BSN*00*S1*20261124*1200', 'HL*1**S', 'TD1*CTN25*1', ...hls, 'CTT*1'];
  const body = `${[...segs, `SE*${segs.length + 1}*0001`].join('~\n')}~\n`;
  const file = Buffer.from(`${ISA}GS*SH*RENOWMS*ACME3PL*20261124*1200*42*X*004010~\n${body}GE*1*42~\nIEA*1*000077301~\n`);
  const result = await validateFile(file);
  assertCapped(result);
  const set = result.interchanges[0].groups[0].sets[0];
  assert.ok(set.omitted.error >= N - MAX_DIAGNOSTICS_KEPT, `omitted ${set.omitted.error}`);
  for (const d of set.diagnostics) assert.ok((d.expected ?? '').length < 200, `a short expectation, not every earlier HL01: ${d.expected?.slice(0, 80)}`);
  await ackOf(result);
});
