import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseDocument, writeJsonForm } from '../../src/x12/json-form.ts';
import type { ControlNumberSource, OutboundInterchange } from '../../src/x12/outbound.ts';
import { formatPath, getValue, parsePath, PathSyntaxError, selectAll } from '../../src/x12/path.ts';
import { readX12Sync } from '../../src/x12/reader.ts';
import type { SetTree, X12Document } from '../../src/x12/tree.ts';
import { validateSet } from '../../src/x12/validate/index.ts';
import { sendInterchange, writeDocument, X12DataError } from '../../src/x12/writer.ts';

const repoRoot = resolve(import.meta.dirname, '../..');
const corpus = resolve(repoRoot, '../shared/corpus/x12');
const samples = join(repoRoot, 'samples/x12');

/** The JSON form of a buffer as the streaming writer writes it, parsed back. */
async function doc(buf: Buffer): Promise<X12Document> {
  let text = '';
  await writeJsonForm(readX12Sync(buf), (s) => validateSet(s, { buildTree: true }).tree as SetTree, (piece) => {
    text += piece;
  });
  return JSON.parse(text) as X12Document;
}

function counter(): ControlNumberSource & { taken: string[] } {
  const n: Record<string, number> = {};
  const taken: string[] = [];
  return {
    taken,
    next(partner, kind) {
      n[kind] = (n[kind] ?? 0) + 1;
      taken.push(`${partner}:${kind}:${n[kind]}`);
      return n[kind];
    },
  };
}

const interchange = (segments: OutboundInterchange['groups'][number]['sets'][number]['segments'], version = '00401'): OutboundInterchange => ({
  sender: { qualifier: 'ZZ', id: 'ACME3PL' },
  receiver: { qualifier: 'ZZ', id: 'RENOWMS' },
  version,
  usage: 'T',
  groups: [{ functionalId: 'OW', senderId: 'ACME3PL', receiverId: 'RENOWMS', version: version === '00501' ? '005010' : '004010', sets: [{ id: '940', segments }] }],
});

test('reproduce mode: every sample and every representable corpus file round-trips to the same bytes', async (t) => {
  const files = readdirSync(samples).map((f) => join(samples, f));
  if (existsSync(corpus)) {
    for (const d of readdirSync(corpus)) if (!d.endsWith('.tsv')) for (const f of readdirSync(join(corpus, d))) files.push(join(corpus, d, f));
  } else t.diagnostic('../shared/corpus/x12 is absent: only samples/ were round-tripped');
  let checked = 0;
  for (const f of files) {
    const buf = readFileSync(f);
    let document;
    try {
      document = await doc(buf);
    } catch (e) {
      // Unenveloped data, garbage and recovered separators cannot be represented: refused, clearly.
      assert.ok(e instanceof X12DataError, `${f}: ${(e as Error).message}`);
      continue;
    }
    const back = writeDocument(parseDocument(JSON.parse(JSON.stringify(document))));
    const original = buf[0] === 0xef && buf[1] === 0xbb ? buf.subarray(3) : buf;
    if (readX12Sync(buf).some((e) => e.type === 'diagnostic' && e.diagnostic.code === 'file.data-between-segments')) {
      // Bytes skipped between segments are not part of the form: the same segments come back without them.
      assert.deepEqual(readX12Sync(back).filter((e) => e.type === 'set').map((e) => e.type === 'set' && e.set.segments.map((g) => g.raw())), readX12Sync(buf).filter((e) => e.type === 'set').map((e) => e.type === 'set' && e.set.segments.map((g) => g.raw())), f);
      continue;
    }
    assert.equal(back.toString('latin1'), original.toString('latin1'), f);
    checked++;
  }
  assert.ok(checked >= 7, `round-tripped ${checked} files`);
});

test('the JSON form: loops by trigger segment, 856 HL levels nested, empty vs absent elements, composites', async () => {
  const asn = await doc(readFileSync(join(samples, 'acme-856-fba-asn.edi')));
  const set = asn.interchanges[0].groups[0].sets[0];
  const shipment = set.children.find((n) => 'loop' in n && n.loop === 'HL');
  assert.ok(shipment && 'loop' in shipment);
  assert.equal(shipment.level, 'S');
  const order = shipment.children.find((n) => 'loop' in n && n.loop === 'HL');
  assert.ok(order && 'loop' in order && order.level === 'O');
  assert.deepEqual(
    order.children.filter((n) => 'loop' in n).map((n) => ('loop' in n ? `${n.level}${n.hlId}` : '')),
    ['P3', 'P5'],
  );
  const orders = await doc(readFileSync(join(samples, 'acme-940-orders.edi')));
  const first = orders.interchanges[0].groups[0].sets[0];
  const n1 = first.children[2];
  assert.ok('loop' in n1 && n1.loop === 'N1' && n1.loopId === '0100');
  // W01*2*EA*012345678905*VN*...: no empty element; N1*ST*JANE DOE has two elements, not six.
  assert.deepEqual((n1.children[0] as { elements: unknown[] }).elements, ['ST', 'JANE DOE']);
  const withEmpty = await doc(Buffer.from(readFileSync(join(samples, 'acme-945-shipment-advice.edi'), 'latin1').replace('W06*F*112-3456789-1234567*20261124*SHP000451**PO-1001', 'W06*F*112-3456789-1234567*20261124*SHP000451**PO-1001*'), 'latin1'));
  const w06 = withEmpty.interchanges[0].groups[0].sets[0].children[1] as { elements: unknown[] };
  assert.deepEqual(w06.elements, ['F', '112-3456789-1234567', '20261124', 'SHP000451', '', 'PO-1001', '']);
});

test('paths: parse, format and select as documented', async () => {
  const orders = (await doc(readFileSync(join(samples, 'acme-940-orders.edi')))).interchanges[0].groups[0].sets;
  assert.equal(getValue(orders[0], 'W05-02'), '112-3456789-1234567');
  assert.equal(getValue(orders[0], 'N1[01=ST]/N3-02'), 'APT 4');
  assert.equal(getValue(orders[0], 'N1[01=ST]/N3-03'), undefined, 'absent element');
  assert.equal(getValue(orders[0], 'LX[2]/W01-05'), 'MUG-12OZ-WHT');
  assert.equal(getValue(orders[0], 'N1[01=SF|WH]-02'), 'ACME FULFILLMENT RENO');
  assert.equal(getValue(orders[1], 'N9[01=BM]-02'), 'FBA15ABCD1234');
  assert.equal(selectAll(orders[0], parsePath('LX/W01-01')).length, 2);
  const asn = (await doc(readFileSync(join(samples, 'acme-856-fba-asn.edi')))).interchanges[0].groups[0].sets[0];
  assert.equal(getValue(asn, 'HL[03=P]/MAN-02'), '00006141411234567890');
  assert.deepEqual(selectAll(asn, parsePath('HL[03=P]/MAN-02')).map((m) => m.value), ['00006141411234567890', '00006141411234567906']);
  assert.equal(getValue(asn, 'HL[03=S]/REF[01=BM]-02'), 'FBA15ABCD1234');
  assert.equal(getValue(asn, 'HL[03=S]/HL[03=O]/PRF-01'), 'REPL-0077');
  for (const p of ['W05-02', 'N1[01=ST]/N3-01', 'HL[03=P]/MAN-02', 'REF-04-02', 'N1-04#2', 'N9[01=LV|BM][2]-02']) assert.equal(formatPath(parsePath(p)), p);
  for (const [bad, column] of [['w05-02', 1], ['W05-2', 5], ['N1[01=]/N3', 7], ['N1[01=ST/N3', 12], ['W05-02/N1', 7], ['W05-00', 5]] as const) {
    assert.throws(() => parsePath(bad), (e: unknown) => e instanceof PathSyntaxError && e.column === column, `${bad} at ${column}`);
  }
});

test('send mode: fixed-width ISA, counts, control numbers from the source, trailing empties dropped', () => {
  const source = counter();
  const sent = sendInterchange(interchange([{ id: 'W05', elements: ['N', 'ORDER1', '', '', ''] }, { id: 'N1', elements: ['ST', 'JANE', ['A', 'B', '', '']] }]), {
    partner: 'reno',
    controlNumbers: source,
    now: new Date('2026-11-24T12:34:00Z'),
  });
  const text = sent.bytes.toString();
  const lines = text.split('\n');
  assert.equal(lines[0].length, 106);
  assert.equal(lines[0], 'ISA*00*          *00*          *ZZ*ACME3PL        *ZZ*RENOWMS        *261124*1234*U*00401*000000001*0*T*>~');
  assert.deepEqual(lines.slice(1, -1), ['GS*OW*ACME3PL*RENOWMS*20261124*1234*1*X*004010~', 'ST*940*0001~', 'W05*N*ORDER1~', 'N1*ST*JANE*A>B~', 'SE*4*0001~', 'GE*1*1~', 'IEA*1*000000001~']);
  assert.deepEqual(source.taken, ['reno:ISA13:1', 'reno:GS06:1', 'reno:ST02:1']);
  const again = sendInterchange(interchange([{ id: 'W05', elements: ['N', 'ORDER2'] }], '00501'), { partner: 'reno', controlNumbers: source });
  assert.match(again.bytes.toString(), /\*\^\*00501\*000000002\*/);
  assert.deepEqual(again.controlNumbers, { isa13: 2, groups: [{ gs06: 2, sets: ['0002'] }] });
});

test('send mode refuses data containing a delimiter, naming where', () => {
  assert.throws(
    () => sendInterchange(interchange([{ id: 'W05', elements: ['N', 'ORD*1'] }]), { partner: 'p', controlNumbers: counter() }),
    (e: unknown) => e instanceof X12DataError && e.context.segmentId === 'W05' && e.context.element === 2 && e.context.character === '*' && e.context.set === '0001',
  );
  assert.throws(() => sendInterchange(interchange([{ id: 'G69', elements: ['SIZE 10~12'] }]), { partner: 'p', controlNumbers: counter() }), /delimiter '~'/);
  assert.throws(() => sendInterchange({ ...interchange([]), sender: { qualifier: 'ZZ', id: 'A-VERY-LONG-SENDER-ID' } }, { partner: 'p', controlNumbers: counter() }), /ISA06/);
});

test('property: whatever separator-free data is sent reads back element for element', () => {
  const text = fc.stringMatching(/^[A-Za-z0-9 .,/()#&@!-]{0,20}$/);
  fc.assert(
    fc.property(fc.array(fc.array(text, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 10 }), (rows) => {
      const segments = rows.map((elements) => ({ id: 'NTE', elements }));
      const sent = sendInterchange(interchange(segments), { partner: 'p', controlNumbers: counter() });
      const set = readX12Sync(sent.bytes).find((e) => e.type === 'set');
      assert.ok(set && set.type === 'set');
      const body = set.set.segments.slice(1, -1).map((s) => s.elements());
      const expected = rows.map((r) => {
        const copy = [...r];
        while (copy.length > 0 && copy[copy.length - 1] === '') copy.pop();
        return copy;
      });
      assert.deepEqual(body, expected);
    }),
    { numRuns: 200 },
  );
});
