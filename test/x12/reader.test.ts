import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import fc from 'fast-check';
import type { ReaderEvent } from '../../src/x12/envelope.ts';
import { codes } from './reader-events.ts';
import { readX12, readX12Sync } from '../../src/x12/reader.ts';

const ISA = 'ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261124*1200*U*00401*000000101*0*T*>~';

function interchange(opts: { isa?: string; control?: string; sets?: string[]; term?: string; nl?: string } = {}): string {
  const term = opts.term ?? '~';
  const nl = opts.nl ?? '\n';
  const sets = opts.sets ?? ['ST*940*0001~W05*N*ORDER1~LX*1~W01*1*EA**VN*SKU1~W76*1~SE*6*0001~'];
  const body = [`GS*OW*SENDER*RECEIVER*20261124*1200*7*X*004010~`, ...sets, `GE*${sets.length}*7~`, `IEA*1*${opts.control ?? '000000101'}~`].join('');
  const all = (opts.isa ?? ISA) + body;
  return all.split('~').filter((s) => s !== '').map((s) => s + term + nl).join('');
}

function sets(events: ReaderEvent[]) {
  return events.flatMap((e) => (e.type === 'set' ? [e.set] : []));
}

test('a clean interchange yields one set with its envelope and no diagnostics', () => {
  const events = readX12Sync(Buffer.from(interchange()));
  assert.deepEqual(codes(events), []);
  const [set] = sets(events);
  assert.equal(set.id, '940');
  assert.equal(set.control, '0001');
  assert.equal(set.segments.length, 6);
  assert.equal(set.group?.functionalId, 'OW');
  assert.equal(set.interchange?.senderId, 'SENDER');
  assert.equal(set.interchange?.receiverId, 'RECEIVER');
  assert.equal(set.interchange?.separators.component, 0x3e);
  assert.equal(set.interchange?.separators.repetition, null, 'ISA11 is U before 00402');
  assert.deepEqual(set.segments[3].elements(), ['1', 'EA', '', 'VN', 'SKU1']);
  assert.equal(set.segments[1].line, 4, 'lines count from the ISA');
});

test('separators are taken from the ISA, including a repetition separator from 00402 on', () => {
  const isa = ISA.replace(/\*/g, '|').replace('|U|00401|', '|^|00501|').replace('|>~', '|:!');
  const text = interchange({ isa: isa, term: '!' }).replace(/\*/g, '|').replace('GS|OW', 'GS|OW');
  const events = readX12Sync(Buffer.from(text));
  const [set] = sets(events);
  assert.ok(set, 'set read with | as element separator and ! as terminator');
  assert.equal(set.interchange?.separators.element, '|'.charCodeAt(0));
  assert.equal(set.interchange?.separators.repetition, '^'.charCodeAt(0));
  assert.equal(set.interchange?.separators.component, ':'.charCodeAt(0));
  assert.equal(set.interchange?.separators.segment, '!'.charCodeAt(0));
  assert.deepEqual(codes(events), []);
});

test('a UTF-8 BOM is skipped and reported as info; CRLF after terminators is accepted', () => {
  const events = readX12Sync(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(interchange({ nl: '\r\n' }))]));
  assert.deepEqual(codes(events), ['file.bom']);
  assert.equal(sets(events).length, 1);
  assert.equal(sets(events)[0].interchange?.separators.suffix, '\r\n');
});

test('line feeds as segment terminators (no ~) are read', () => {
  const text = interchange({ term: '', nl: '\n' }).replace(/>\n/, '>\n');
  // ISA16 '>' then LF: the LF is the terminator.
  const events = readX12Sync(Buffer.from(text));
  assert.deepEqual(codes(events), []);
  assert.equal(sets(events)[0].segments.length, 6);
  assert.equal(sets(events)[0].interchange?.separators.segment, 0x0a);
});

test('an unpadded ISA is read with a warning', () => {
  const isa = 'ISA*00**00**ZZ*SENDER*ZZ*RECEIVER*261124*1200*U*00401*101*0*T*>~';
  const events = readX12Sync(Buffer.from(interchange({ isa, control: '101' })));
  assert.deepEqual(codes(events), ['isa.not-fixed-width']);
  assert.equal(sets(events).length, 1);
});

test('several interchanges in one file with different separators', () => {
  const second = interchange({ isa: ISA.replace('000000101', '000000102').replace('*>~', '*:~'), control: '000000102' });
  const events = readX12Sync(Buffer.from(interchange() + second));
  const starts = events.filter((e) => e.type === 'interchange-start');
  assert.equal(starts.length, 2);
  assert.equal(sets(events).length, 2);
  assert.equal(sets(events)[1].interchange?.separators.component, ':'.charCodeAt(0));
  assert.deepEqual(codes(events), []);
});

test('ISB/ISE service segments and a TA1 are reported as such', () => {
  const text = interchange().replace('GS*OW', 'ISB*01~\nISE*01~\nTA1*000000099*261124*1200*A*000~\nGS*OW');
  const events = readX12Sync(Buffer.from(text));
  assert.deepEqual(
    events.filter((e) => e.type === 'service-segment' || e.type === 'ta1').map((e) => (e as { segment: { id: string } }).segment.id),
    ['ISB', 'ISE', 'TA1'],
  );
  assert.deepEqual(codes(events), []);
});

test('trailing garbage after the last IEA is an error with its line', () => {
  const events = readX12Sync(Buffer.from(`${interchange()}this is not edi\n`));
  const d = events.find((e) => e.type === 'diagnostic' && e.diagnostic.code === 'file.trailing-data');
  assert.ok(d && d.type === 'diagnostic');
  assert.equal(d.diagnostic.location.line, 11);
  assert.equal(d.diagnostic.found, 'this is not edi\\n');
});

test('transaction sets without an envelope are reported, each of them', () => {
  const events = readX12Sync(Buffer.from('ST*997*0001~AK1*OW*7~AK9*A*1*1*1~SE*4*0001~ST*997*0002~AK1*OW*8~AK9*A*1*1*1~SE*4*0002~'));
  assert.equal(sets(events).length, 2);
  assert.deepEqual(codes(events), ['file.set-without-envelope', 'file.set-without-envelope']);
  assert.equal(sets(events)[0].group, null);
});

test('data that is not X12 is refused with file.not-x12', () => {
  assert.deepEqual(codes(readX12Sync(Buffer.from('Tk9OIEVESSBGSUxF'))), ['file.not-x12']);
  assert.deepEqual(codes(readX12Sync(Buffer.from('   \n'))), ['file.empty']);
});

test('trailer checks: SE01, SE02, GE01, GE02, IEA01, IEA02 and missing trailers', () => {
  const bad = interchange({ sets: ['ST*940*0001~W05*N*O~SE*9*0002~'] }).replace('GE*1*7', 'GE*3*8').replace('IEA*1*000000101', 'IEA*2*000000999');
  assert.deepEqual(codes(readX12Sync(Buffer.from(bad))), [
    'st.segment-count-mismatch',
    'st.control-number-mismatch',
    'gs.set-count-mismatch',
    'gs.control-number-mismatch',
    'isa.group-count-mismatch',
    'isa.control-number-mismatch',
  ]);
  const cut = `${ISA}\nGS*OW*SENDER*RECEIVER*20261124*1200*7*X*004010~\nST*940*0001~\nW05*N*O~\n`;
  assert.deepEqual(codes(readX12Sync(Buffer.from(cut))), ['st.trailer-missing', 'gs.trailer-missing', 'isa.trailer-missing']);
});

test('ST02 unique within a group; GS01 must fit the set', () => {
  const text = interchange({ sets: ['ST*945*0001~W06*F*O~SE*3*0001~', 'ST*945*0001~W06*F*P~SE*3*0001~'] });
  // The duplicate is reported on the second set; the GS01 mismatch with the group trailer.
  assert.deepEqual(codes(readX12Sync(Buffer.from(text))), ['st.control-number-duplicate', 'gs.functional-id-mismatch']);
});

test('ISA field checks carry the TA105 code of the field', () => {
  const isa = ISA.replace('261124', '261399').replace('*0*T*', '*7*X*');
  const events = readX12Sync(Buffer.from(interchange({ isa })));
  const start = events.find((e) => e.type === 'interchange-start');
  assert.ok(start && start.type === 'interchange-start');
  assert.deepEqual(
    start.diagnostics.map((d) => [d.location.element, d.standard?.value]),
    [
      [9, '014'],
      [14, '019'],
      [15, '020'],
    ],
  );
});

test('a missing ISA16 (terminator read as component separator) is diagnosed and recovered', () => {
  const text = interchange().replace('*T*>~\n', '*T*~\n');
  const events = readX12Sync(Buffer.from(text));
  assert.equal(codes(events)[0], 'isa.separator-invalid');
  assert.equal(sets(events).length, 1);
  assert.deepEqual(sets(events)[0].segments[1].elements(), ['N', 'ORDER1']);
});

test('a truncated ISA is reported with the element count', () => {
  const text = 'ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261124*1200~\nGS*OW*S*R*20261124*1200*7*X*004010~\n';
  const events = readX12Sync(Buffer.from(text));
  const d = events.find((e) => e.type === 'diagnostic');
  assert.ok(d && d.type === 'diagnostic');
  assert.equal(d.diagnostic.code, 'isa.truncated');
  assert.match(d.diagnostic.message, /10 of its 16 elements/);
});

test('streaming in arbitrary chunks gives the same segments and diagnostics as one buffer', async () => {
  const text = Buffer.from(
    '\ufeff' + interchange() + interchange({ isa: 'ISA*00**00**ZZ*A*ZZ*B*261124*1200*U*00401*9*1*T*>~', control: '9' }) + 'junk after\n',
  );
  const whole = readX12Sync(text);
  const expected = describeEvents(whole);
  await fc.assert(
    fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 60 }), async (sizes) => {
      const chunks: Buffer[] = [];
      let at = 0;
      let i = 0;
      while (at < text.length) {
        const size = sizes[i++ % sizes.length];
        chunks.push(text.subarray(at, at + size));
        at += size;
      }
      const events: ReaderEvent[] = [];
      for await (const e of readX12(Readable.from(chunks))) events.push(e);
      assert.equal(describeEvents(events), expected);
    }),
    { numRuns: 60 },
  );
});

test('unenveloped sets read the same in one-byte chunks', async () => {
  const text = Buffer.from('ST*997*0001~\nAK1*OW*7~\nAK9*A*1*1*1~\nSE*4*0001~\n');
  const events: ReaderEvent[] = [];
  for await (const e of readX12(Readable.from([...text].map((b) => Buffer.from([b]))))) events.push(e);
  assert.deepEqual(sets(events).map((s) => s.segments.map((x) => x.raw())), [['ST*997*0001', 'AK1*OW*7', 'AK9*A*1*1*1', 'SE*4*0001']]);
});

/** Everything a reader run says, as text, to compare runs over differently chunked input. */
function describeEvents(events: ReaderEvent[]): string {
  return JSON.stringify(
    events.map((e) =>
      e.type === 'set'
        ? { set: e.set.segments.map((s) => [s.id, s.line, s.offset, s.elementCount, s.end - s.start, s.raw()]), d: e.set.diagnostics }
        : e.type === 'interchange-start' || e.type === 'group-start'
          ? { t: e.type, d: e.diagnostics }
          : e.type === 'diagnostic'
            ? { d: e.diagnostic }
            : e.type === 'group-end' || e.type === 'interchange-end'
              ? { t: e.type, d: e.trailer.diagnostics }
              : { t: e.type },
    ),
  );
}

async function readChunked(text: Buffer, sizes: number[]): Promise<ReaderEvent[]> {
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < text.length; i++) {
    const size = sizes[i % sizes.length];
    chunks.push(text.subarray(at, at + size));
    at += size;
  }
  const events: ReaderEvent[] = [];
  for await (const e of readX12(Readable.from(chunks))) events.push(e);
  return events;
}

const LIMIT = 1 << 20;
const GS = 'GS*OW*SENDER*RECEIVER*20261124*1200*7*X*004010~\n';

test('terminators stripped after the ISA: the answer says no terminator was found, located at the ISA', async () => {
  // Small enough to reach the end of the data, and large enough to pass the segment limit.
  for (const sets of [3, 3000]) {
    const body = Array.from({ length: sets }, (_, i) => `ST*940*${String(i + 1).padStart(4, '0')}~\nW05*N*ORDER${i}~\nN1*ST*JANE DOE~\nN3*1 MAIN ST~\nN4*RENO*NV*89502*US~\nLX*1~\nW01*1*EA**VN*SKU1~\nW76*1~\nSE*9*${String(i + 1).padStart(4, '0')}~\n`);
    const text = Buffer.from(`${ISA}\n${`${GS}${body.join('')}GE*${sets}*7~\nIEA*1*000000101~\n`.replace(/~/g, '')}`);
    const events = readX12Sync(text);
    assert.deepEqual(codes(events), ['isa.terminator-not-found', 'isa.trailer-missing'], `${sets} sets`);
    const end = events.find((e) => e.type === 'interchange-end');
    assert.ok(end && end.type === 'interchange-end');
    const d = end.trailer.diagnostics[0];
    assert.match(d.message, /No segment terminator \('~' as declared by the ISA at byte 105\) found after the ISA/);
    assert.match(d.message, /were the terminators stripped\?/);
    assert.deepEqual([d.location.line, d.location.offset, d.location.interchange, d.standard?.value], [1, 0, '000000101', '004']);
    assert.equal(describeEvents(await readChunked(text, [65536, 7, 300000])), describeEvents(events));
  }
});

test('an interchange after a stripped one is still read (the skip stops at an ISA at the start of a line)', () => {
  for (const lines of [3, 120000]) {
    const stripped = `${ISA}\n${GS.replace('~', '')}ST*940*0001\nW05*N*O\n${'N9*ZZ*REF\n'.repeat(lines)}SE*3*0001\nGE*1*7\nIEA*1*000000101\n`;
    const second = interchange({ isa: ISA.replace('000000101', '000000102'), control: '000000102' });
    const events = readX12Sync(Buffer.from(stripped + second));
    assert.deepEqual(codes(events), ['isa.terminator-not-found', 'isa.trailer-missing'], `${lines} lines`);
    assert.equal(sets(events).length, 1);
    assert.equal(sets(events)[0].interchange?.control, '000000102');
    assert.equal(sets(events)[0].segments[0].line, lines + 10, 'lines of the skipped interchange are counted');
  }
});

test('a last segment without a terminator is still normal when it is one line', () => {
  assert.deepEqual(codes(readX12Sync(Buffer.from(`${ISA}\nIEA*0*000000101`))), []);
  assert.deepEqual(codes(readX12Sync(Buffer.from(interchange()).subarray(0, -2))), []);
});

test('a segment past the 1 MiB limit is cut, reported in its set, and the segments after it keep their lines', async () => {
  const long = (length: number, fill: string) => `NTE*WHI*${fill.repeat(length - 8)}`;
  for (const fill of ['A', '*', '\n']) {
    const text = Buffer.from(interchange({ sets: [`ST*940*0001~W05*N*ORDER1~${long(LIMIT + 1, fill)}~LX*1~W01*1*EA**VN*SKU1~W76*1~SE*7*0001~`] }));
    const events = readX12Sync(text);
    const [set] = sets(events);
    assert.ok(set, `fill ${JSON.stringify(fill)}`);
    const d = set.diagnostics.find((x) => x.code === 'segment.too-long');
    assert.ok(d, codes(events).join(', '));
    assert.deepEqual([d.location.segmentId, d.location.segmentPosition, d.location.line, d.location.set], ['NTE', 3, 5, '0001']);
    assert.equal(set.segments[2].end - set.segments[2].start, LIMIT, 'the first 1 MiB is kept');
    assert.deepEqual(set.segments.map((s) => s.id), ['ST', 'W05', 'NTE', 'LX', 'W01', 'W76', 'SE']);
    const extraLines = fill === '\n' ? LIMIT - 7 : 0;
    assert.equal(set.segments[3].line, 6 + extraLines, 'lines inside the skipped part are counted');
    assert.ok(!codes(events).includes('st.segment-count-mismatch'));
    assert.equal(describeEvents(await readChunked(text, [4096, 1, 65536, 999999])), describeEvents(events));
  }
});

test('a segment of exactly the limit is kept whole, however the data is chunked', async () => {
  const text = Buffer.from(interchange({ sets: [`ST*940*0001~W05*N*ORDER1~NTE*WHI*${'A'.repeat(LIMIT - 8)}~SE*4*0001~`] }));
  const events = readX12Sync(text);
  assert.ok(!codes(events).includes('segment.too-long'), codes(events).join(', '));
  assert.equal(sets(events)[0].segments[2].end - sets(events)[0].segments[2].start, LIMIT);
  // Chunk edges right at, before and after the limit.
  const at = text.indexOf('NTE');
  for (const first of [at + LIMIT, at + LIMIT - 1, at + LIMIT + 1]) {
    assert.equal(describeEvents(await readChunked(text, [first, 1 << 16])), describeEvents(events));
  }
});

test('how an interchange ends (terminator, CR LF) does not depend on where a chunk ends', async () => {
  const text = Buffer.from(interchange({ nl: '\r\n' }) + interchange({ nl: '\r\n', isa: ISA.replace('000000101', '000000102'), control: '000000102' }));
  const endings = (events: ReaderEvent[]) => events.flatMap((e) => (e.type === 'interchange-end' ? [e.trailer.iea?.ending] : []));
  const expected = endings(readX12Sync(text));
  assert.deepEqual(expected, ['~\r\n', '~\r\n']);
  const at = text.indexOf('IEA');
  for (let cut = at; cut < at + 22; cut++) assert.deepEqual(endings(await readChunked(text, [cut, 1 << 16])), expected, `chunk edge at ${cut - at}`);
});

test('a missing ISA16 is recognised however the line after the ISA is chunked', async () => {
  const text = Buffer.from(interchange().replace('*T*>~\n', '*T*~\n'));
  const expected = describeEvents(readX12Sync(text));
  for (let cut = 100; cut < 130; cut++) assert.equal(describeEvents(await readChunked(text, [cut, 3, 1 << 16])), expected, `chunk edge at ${cut}`);
});

test('an ISA at the start of a line after garbage is found whatever the chunking', async () => {
  const text = Buffer.from(`garbage line\n${interchange()}`);
  const expected = describeEvents(readX12Sync(text));
  assert.equal(sets(readX12Sync(text)).length, 1);
  for (let cut = 10; cut < 16; cut++) assert.equal(describeEvents(await readChunked(text, [cut, 1 << 16])), expected, `chunk edge at ${cut}`);
});

test('property: hostile mixtures (stripped terminators, stray ISAs, CR LF, garbage) read the same however chunked', async () => {
  const pieces = [
    ISA,
    `${ISA}\n`,
    GS,
    'ST*940*0001~\n',
    'W05*N*ORDER1~',
    'W05*N*ORDER1\n',
    'N9*ZZ*REF\r\n',
    'SE*3*0001~\r\n',
    'GE*1*7~\n',
    'IEA*1*000000101~',
    'IEA*1*000000101\r\n',
    '~~',
    '\n\n',
    '  \t',
    'garbage text\n',
    'ISA*00',
    '\nISA',
    'N9*',
    '*****',
    '>>>',
    'ü€',
  ];
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom(...pieces), { minLength: 1, maxLength: 30 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }), async (parts, sizes) => {
      const text = Buffer.from(parts.join(''));
      assert.equal(describeEvents(await readChunked(text, sizes)), describeEvents(readX12Sync(text)));
    }),
    { numRuns: 300 },
  );
});
