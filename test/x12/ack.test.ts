import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { buildAcknowledgements, parseAcknowledgement, parseTa1, summarizeAck } from '../../src/x12/ack/index.ts';
import type { ControlNumberSource } from '../../src/x12/outbound.ts';
import { readX12Sync } from '../../src/x12/reader.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { sendInterchange } from '../../src/x12/writer.ts';

const corpus = resolve(import.meta.dirname, '../../../shared/corpus/x12');
const samples = resolve(import.meta.dirname, '../../samples/x12');

const numbers = (): ControlNumberSource => {
  let n = 500;
  return { next: () => ++n };
};

const ISA = (ver = '00401', ack = '0') => `ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1200*${ver === '00401' ? 'U' : '^'}*${ver}*000000777*${ack}*T*:~\n`;

function interchange(sets: string[], opts: { fg?: string; gsver?: string; isaVer?: string; ack?: string; ge?: string } = {}): Buffer {
  const body = sets.join('');
  return Buffer.from(
    `${ISA(opts.isaVer, opts.ack)}GS*${opts.fg ?? 'SW'}*RENOWMS*ACME3PL*20261124*1200*42*X*${opts.gsver ?? '004010'}~\n${body}GE*${opts.ge ?? sets.length}*42~\nIEA*1*000000777~\n`,
  );
}

function set945(control: string, lines: string[]): string {
  const segs = [`ST*945*${control}`, ...lines];
  return `${[...segs, `SE*${segs.length + 1}*${control}`].join('~\n')}~\n`;
}

const GOOD = ['W06*F*ORDER1*20261124*SHP1', 'W27*U*UPSN', 'LX*1', 'W12*CC*1*1*0*EA', 'W03*1'];

/** Build acks for a file, write them in send mode, read them back. */
async function roundTrip(file: Buffer, use999 = false) {
  const result = await validateFile(file, { file: 'in.edi' });
  const plan = buildAcknowledgements(result, { use999 });
  const texts = plan.interchanges.map((ic) => sendInterchange(ic, { partner: 'reno', controlNumbers: numbers(), now: new Date('2026-11-24T13:00:00Z') }).bytes.toString());
  const events = texts.flatMap((t) => readX12Sync(Buffer.from(t)));
  return { plan, texts, events, reports: events.flatMap((e) => (e.type === 'set' ? [parseAcknowledgement(e.set)] : [])) };
}

test('all accepted: AK1, AK2/AK5*A for every set, AK9*A with counts; sender and receiver swapped', async () => {
  const { texts, reports } = await roundTrip(interchange([set945('0001', GOOD), set945('0002', GOOD)]));
  assert.equal(texts.length, 1);
  assert.match(texts[0], /^ISA\*00\*          \*00\*          \*ZZ\*ACME3PL        \*ZZ\*RENOWMS        \*/);
  assert.match(texts[0], /GS\*FA\*ACME3PL\*RENOWMS\*/);
  assert.match(texts[0], /AK1\*SW\*42~\nAK2\*945\*0001~\nAK5\*A~\nAK2\*945\*0002~\nAK5\*A~\nAK9\*A\*2\*2\*2~/);
  assert.equal(reports[0].group.status, 'A');
  assert.deepEqual(reports[0].problems, []);
});

test('a rejected set: AK3 with the segment position and code, AK4 with element, reference, code and bad data', async () => {
  const bad = ['W06*F*ORDER1*20261340*SHP1', 'LX*1', 'W12*CC*1*1*0*EA', 'W03*1'];
  const { texts, reports } = await roundTrip(interchange([set945('0001', GOOD), set945('0002', bad)]));
  assert.match(texts[0], /AK2\*945\*0002~\nAK3\*W06\*2\*\*8~\nAK4\*3\*373\*8\*20261340~\nAK3\*W27\*3\*\*3~\nAK5\*R\*5~\nAK9\*P\*2\*2\*1~/);
  const rejected = reports[0].sets[1];
  assert.equal(rejected.status, 'R');
  assert.deepEqual(rejected.segments.map((s) => [s.segmentId, s.position, s.code]), [['W06', 2, '8'], ['W27', 3, '3']]);
  assert.deepEqual(rejected.segments[0].elements[0], { position: 3, ref: '373', code: '8', meaning: 'Invalid date', badData: '20261340' });
  assert.match(summarizeAck(reports[0]).join('\n'), /945 0002: Rejected — One or more segments in error; W06 at position 2: Segment has data element errors \(element 03: Invalid date '20261340'\)/);
});

test('group errors: GE01 wrong gives AK9*R with AK905 5, sets still acknowledged one by one', async () => {
  const { texts } = await roundTrip(interchange([set945('0001', GOOD)], { ge: '3' }));
  assert.match(texts[0], /AK2\*945\*0001~\nAK5\*A~\nAK9\*R\*3\*1\*1\*5~/);
});

test('SE01 wrong: AK5*R*4', async () => {
  const text = interchange([set945('0001', GOOD)]).toString().replace('SE*7*0001', 'SE*9*0001');
  const { texts } = await roundTrip(Buffer.from(text));
  assert.match(texts[0], /AK5\*R\*4~\nAK9\*R\*1\*1\*0~/);
});

test('005010 answered in kind, and with a 999 when asked: AK103 / IK3 / IK4 composite positions / IK5', async () => {
  const asn = (lines: string[]) => {
    const segs = ['ST*856*0001*005010X999', 'BSN*00*S1*20261124*1200', 'HL*1**S', ...lines, 'CTT*1'];
    return `${[...segs, `SE*${segs.length + 1}*0001`].join('~\n')}~\n`;
  };
  const file = interchange([asn(['REF*BM*A^B'])], { fg: 'SH', gsver: '005010', isaVer: '00501' });
  const as997 = await roundTrip(file);
  assert.match(as997.texts[0], /\*00501\*/);
  // The repetition separator '^' of the reply is stripped from the copy of the bad data.
  assert.match(as997.texts[0], /GS\*FA\*ACME3PL\*RENOWMS\*20261124\*1300\*\d+\*X\*005010~\nST\*997\*\d+~\nAK1\*SH\*42\*005010~\nAK2\*856\*0001\*005010X999~\nAK3\*REF\*4\*0200\*8~\nAK4\*2\*127\*12\*AB~/);
  const as999 = await roundTrip(file, true);
  assert.match(as999.texts[0], /ST\*999\*\d+\*005010~\nAK1\*SH\*42\*005010~\nAK2\*856\*0001\*005010X999~\nIK3\*REF\*4\*0200\*8~\nIK4\*2>>2\*127\*12\*AB~\nIK5\*R\*5~/);
  assert.equal(as999.reports[0].kind, '999');
  assert.deepEqual(as999.reports[0].sets[0].segments[0].elements[0].repetition, 2);
});

test('TA1: accepted when ISA14 = 1, rejected with the TA105 code when the envelope is broken; none for acknowledgements', async () => {
  const asked = await roundTrip(interchange([set945('0001', GOOD)], { ack: '1' }));
  assert.match(asked.texts[0], /~\nTA1\*000000777\*261124\*1200\*A\*000~\nGS\*FA/);
  const broken = await roundTrip(Buffer.from(interchange([set945('0001', GOOD)]).toString().replace('IEA*1*000000777', 'IEA*1*000000778')));
  const ta1 = broken.events.find((e) => e.type === 'ta1');
  assert.ok(ta1 && ta1.type === 'ta1');
  assert.deepEqual(parseTa1(ta1.segment), {
    control: '000000777',
    date: '261124',
    time: '1200',
    status: 'R',
    statusMeaning: 'The transmitted interchange control structure header and trailer are rejected because of errors',
    code: '001',
    meaning: 'The interchange control number in the header and trailer do not match',
  });
  const ackOfAck = await roundTrip(readFileSync(join(samples, 'acme-997-from-warehouse.edi')));
  assert.equal(ackOfAck.texts.length, 0);
  assert.match(ackOfAck.plan.notes.join(), /itself an acknowledgement/);
});

const EXPECTED_997: Array<[string, string, string[], string]> = [
  // file, AK9 status, AK5 statuses, and what SOURCES.tsv says of it
  ['997/pyx12__bad_elements.997.base', 'R', ['R'], 'AK5*R*4*5 AK9*R*1*1*0'],
  ['997/pyx12__mult_trn.997.base', 'R', ['R', 'R', 'R'], 'AK5*R*5 x3, AK9*R*3*3*0 (first group)'],
  ['997/pyx12__trailer_errors.997.base', 'R', ['R', 'A'], 'AK5*R*4 AK5*A AK9*R*2*2*1*4'],
  ['997/pyx12__834_lui_id.997.base', 'A', ['A'], 'AK5*A AK9*A*1*1*1'],
  ['997/vgix12__ack_997.997', 'P', ['E', 'A'], 'AK9*P with AK5*E'],
  ['999/staedi__simple999.edi', 'P', [], '999 partial accept with IK3/IK4/CTX'],
];

for (const [file, status, sets, note] of EXPECTED_997) {
  test(`parse the real acknowledgement ${file} (${note})`, (t) => {
    const path = join(corpus, file);
    if (!existsSync(path)) {
      t.skip(`${path} is absent (../shared/corpus not next to the repository)`);
      return;
    }
    const first = readX12Sync(readFileSync(path)).find((e) => e.type === 'set');
    assert.ok(first && first.type === 'set');
    const report = parseAcknowledgement(first.set);
    assert.equal(report.group.status, status);
    if (sets.length) assert.deepEqual(report.sets.map((s) => s.status), sets);
    assert.deepEqual(report.problems, []);
  });
}
