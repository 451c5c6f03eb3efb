/**
 * Every diagnostic code of the catalogue, produced by a constructed file, with the location
 * and standard code asserted. The last test checks that no code is left without a case.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DIAGNOSTIC_CODES, type Diagnostic, type DiagnosticCode } from '../../src/x12/diagnostics.ts';
import { allDiagnostics } from '../../src/x12/result.ts';
import { validateFile } from '../../src/x12/validate-file.ts';

const ISA = (opts: { ver?: string; ack?: string; ctrl?: string; rep?: string } = {}) =>
  `ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261124*1200*${opts.rep ?? 'U'}*${opts.ver ?? '00401'}*${opts.ctrl ?? '000000101'}*${opts.ack ?? '0'}*T*>~\n`;

/** An interchange around `body` (ST..SE lines), GS01/GS08 configurable. */
function file(body: string, opts: { fg?: string; gsver?: string; isa?: string; sets?: number; gsctrl?: string } = {}): string {
  const sets = opts.sets ?? (body.match(/^ST\*/gm) ?? []).length;
  return `${opts.isa ?? ISA()}GS*${opts.fg ?? 'OW'}*SENDER*RECEIVER*20261124*1200*${opts.gsctrl ?? '7'}*X*${opts.gsver ?? '004010'}~\n${body}GE*${sets}*${opts.gsctrl ?? '7'}~\nIEA*1*000000101~\n`;
}

/** A set with SE01 computed. */
function set(id: string, control: string, segments: string[]): string {
  const all = [`ST*${id}*${control}`, ...segments];
  return `${[...all, `SE*${all.length + 1}*${control}`].join('~\n')}~\n`;
}

const ORDER = ['W05*N*ORDER1', 'N1*ST*JANE DOE', 'N3*1 MAIN ST', 'N4*RENO*NV*89502*US', 'LX*1', 'W01*2*EA**VN*SKU1', 'W76*2'];

const seen = new Set<DiagnosticCode>();

async function diags(text: string | Buffer): Promise<Diagnostic[]> {
  const r = await validateFile(Buffer.isBuffer(text) ? text : Buffer.from(text), { file: 'test.edi' });
  const all = allDiagnostics(r);
  for (const d of all) seen.add(d.code);
  return all;
}

function find(all: Diagnostic[], code: DiagnosticCode): Diagnostic {
  const d = all.find((x) => x.code === code);
  assert.ok(d, `expected ${code}, got ${all.map((x) => x.code).join(', ') || 'nothing'}`);
  return d;
}

test('a valid 940 has no diagnostics at all', async () => {
  assert.deepEqual(await diags(file(set('940', '0001', ORDER))), []);
});

test('file level: empty, not X12, BOM, trailing data, sets without envelope, blanks between segments', async () => {
  find(await diags(''), 'file.empty');
  find(await diags('hello world, this is not an EDI file at all\n'), 'file.not-x12');
  find(await diags(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(file(set('940', '0001', ORDER)))])), 'file.bom');
  const trailing = find(await diags(`${file(set('940', '0001', ORDER))}garbage after the end\n`), 'file.trailing-data');
  assert.equal(trailing.location.line, 14);
  assert.deepEqual(trailing.standard, { kind: 'TA105', value: '024' });
  find(await diags(set('997', '0001', ['AK1*OW*7', 'AK9*A*1*1*1'])), 'file.set-without-envelope');
  find(await diags(file(set('940', '0001', ORDER)).replace('~\nW05', '~\n  W05')), 'file.data-between-segments');
});

test('interchange level: truncated ISA, unpadded ISA, separators, fields, trailer, counts, duplicate, TA1, ISA14', async () => {
  find(await diags('ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *261124~\n'), 'isa.truncated');
  find(await diags(file(set('940', '0001', ORDER), { isa: 'ISA*00**00**ZZ*SENDER*ZZ*RECEIVER*261124*1200*U*00401*101*0*T*>~\n' })), 'isa.not-fixed-width');
  const sep = find(await diags(file(set('940', '0001', ORDER)).replace('*T*>~', '*T*A~')), 'isa.separator-invalid');
  assert.match(sep.message, /letter, digit or space/);
  const field = find(await diags(file(set('940', '0001', ORDER), { isa: ISA().replace('261124', '261340') })), 'isa.field-invalid');
  assert.deepEqual([field.location.element, field.standard?.value], [9, '014']);
  const mismatch = find(await diags(file(set('940', '0001', ORDER)).replace('IEA*1*000000101', 'IEA*1*000000102')), 'isa.control-number-mismatch');
  assert.deepEqual([mismatch.location.segmentId, mismatch.location.element, mismatch.found], ['IEA', 2, '000000102']);
  find(await diags(file(set('940', '0001', ORDER)).replace('IEA*1*', 'IEA*3*')), 'isa.group-count-mismatch');
  find(await diags(file(set('940', '0001', ORDER)).replace('IEA*1*000000101~\n', '')), 'isa.trailer-missing');
  find(await diags(file(set('940', '0001', ORDER)) + file(set('940', '0002', ORDER))), 'isa.duplicate');
  find(await diags(file(set('940', '0001', ORDER)).replace('GS*OW', 'GS*OW').replace('GE*1*7~\n', 'GE*1*7~\nNTE*BAD~\n')), 'isa.unexpected-segment');
  find(await diags(file(set('940', '0001', ORDER), { isa: ISA({ ack: '1' }) })), 'isa.ack-requested');
  find(await diags(ISA() + 'TA1*000000099*261124*1200*A*000~\nIEA*0*000000101~\n'), 'ta1.received');
});

test('functional group level: fields, GS01 vs set, GE counts and control number, missing GE, stray segments, version fallback', async () => {
  const gs = find(await diags(file(set('940', '0001', ORDER)).replace('20261124*1200*7', '20261399*1200*7')), 'gs.field-invalid');
  assert.equal(gs.location.element, 4);
  assert.deepEqual(find(await diags(file(set('940', '0001', ORDER), { fg: 'SW' })), 'gs.functional-id-mismatch').standard, { kind: 'AK905', value: '1' });
  assert.deepEqual(find(await diags(file(set('940', '0001', ORDER)).replace('GE*1*7', 'GE*1*8')), 'gs.control-number-mismatch').standard, { kind: 'AK905', value: '4' });
  assert.deepEqual(find(await diags(file(set('940', '0001', ORDER), { sets: 2 })), 'gs.set-count-mismatch').standard, { kind: 'AK905', value: '5' });
  find(await diags(file(set('940', '0001', ORDER)).replace('GE*1*7~\n', '')), 'gs.trailer-missing');
  find(await diags(file(set('940', '0001', ORDER)).replace('~\nST*940', '~\nNTE*X~\nST*940')), 'gs.unexpected-segment');
  const fallback = find(await diags(file(set('940', '0001', ORDER), { gsver: '004060' })), 'st.version-fallback');
  assert.equal(fallback.expected, '004010');
});

test('transaction set level: unsupported, trailer, control numbers, counts, ids, duplicates', async () => {
  find(await diags(file(set('850', '0001', ['BEG*00*SA*PO1**20261124']), { fg: 'PO' })), 'st.unsupported');
  find(await diags(file(set('940', '0001', ORDER)).replace(/SE\*\d+\*0001~\n/, '')), 'st.trailer-missing');
  find(await diags(file(set('940', '0001', ORDER)).replace('SE*9*0001', 'SE*9*0002')), 'st.control-number-mismatch');
  const count = find(await diags(file(set('940', '0001', ORDER)).replace('SE*9*0001', 'SE*12*0001')), 'st.segment-count-mismatch');
  assert.deepEqual([count.location.segmentPosition, count.found, count.expected], [9, '12', '9']);
  find(await diags(file(set('94X', '0001', ORDER))), 'st.id-invalid');
  find(await diags(file(set('940', '01', ORDER))), 'st.control-number-invalid');
  find(await diags(file(set('940', '0001', ORDER) + set('940', '0001', ORDER))), 'st.control-number-duplicate');
  find(await diags(file(set('940', '0001', ['W05*Q*ORDER1', ...ORDER.slice(1)]))), 'st.segments-in-error');
});

test('segment level (AK304 1-8) with positions counted from ST', async () => {
  const unknown = find(await diags(file(set('940', '0001', [...ORDER.slice(0, 4), 'ZZZ*1', ...ORDER.slice(4)]))), 'segment.unrecognized');
  assert.deepEqual([unknown.location.segmentId, unknown.location.segmentPosition, unknown.standard?.value], ['ZZZ', 6, '1']);
  find(await diags(file(set('940', '0001', [...ORDER.slice(0, 4), 'BSN*00*X*20261124*1200', ...ORDER.slice(4)]))), 'segment.not-in-set');
  const missing = find(await diags(file(set('940', '0001', ORDER.slice(1)))), 'segment.mandatory-missing');
  assert.deepEqual([missing.location.segmentId, missing.standard?.value], ['W05', '3']);
  const loops = Array.from({ length: 11 }, (_, i) => [`N1*ST*NAME ${i}`]).flat();
  find(await diags(file(set('940', '0001', [ORDER[0], ...loops, ...ORDER.slice(4)]))), 'segment.loop-over-max');
  const over = find(await diags(file(set('940', '0001', [...ORDER.slice(0, 3), 'N3*2 MAIN ST', 'N3*3 MAIN ST', ...ORDER.slice(3)]))), 'segment.over-max-use');
  assert.deepEqual([over.location.segmentId, over.location.segmentPosition, over.location.loopId], ['N3', 6, '0100']);
  const seq = find(await diags(file(set('940', '0001', [...ORDER.slice(0, 6), 'W05*N*AGAIN', ORDER[6]]))), 'segment.out-of-sequence');
  assert.equal(seq.standard?.value, '7');
  find(await diags(file(set('945', '0001', ['W06*F*ORDER1', 'W27*U*UPSN', 'LX*1', 'W12*CC*1*1*0*EA', 'W27*U*UPSN', 'W03*1']), { fg: 'SW' })), 'segment.out-of-sequence');
  // W12 belongs inside the LX / W12 loops; right after W06 it is not expected at all.
  const unexpected = find(await diags(file(set('945', '0001', ['W06*F*ORDER1', 'W12*CC*1*1*0*EA', 'W27*U*UPSN', 'LX*1', 'W12*CC*1*1*0*EA', 'W03*1']), { fg: 'SW' })), 'segment.unexpected');
  assert.equal(unexpected.standard?.value, '2');
  find(await diags(file(set('940', '0001', ['W05*Q*ORDER1', ...ORDER.slice(1)]))), 'segment.has-element-errors');
});

test('HL hierarchy of the 856: parents must exist and nest legally (a pack never under an item)', async () => {
  const asn = (hls: string[]) => file(set('856', '0001', ['BSN*00*S1*20261124*1200', ...hls, 'CTT*1']), { fg: 'SH' });
  assert.deepEqual(
    (await diags(asn(['HL*1**S', 'HL*2*1*O', 'HL*3*2*P', 'MAN*GM*00006141411234567890', 'HL*4*3*I', 'LIN**SK*A', 'SN1**1*EA']))).filter((d) => d.level === 'error'),
    [],
  );
  const packUnderItem = find(await diags(asn(['HL*1**S', 'HL*2*1*O', 'HL*3*2*I', 'HL*4*3*P'])), 'segment.hierarchy-invalid');
  assert.match(packUnderItem.message, /P cannot sit under level I/);
  assert.equal(packUnderItem.location.segmentPosition, 6);
  assert.match(find(await diags(asn(['HL*1**S', 'HL*2*5*O'])), 'segment.hierarchy-invalid').message, /names no earlier HL/);
});

test('element level (AK403) codes with element positions, references and the bad value', async () => {
  const missing = find(await diags(file(set('940', '0001', ['W05*N', ...ORDER.slice(1)]))), 'element.mandatory-missing');
  assert.deepEqual([missing.location.segmentId, missing.location.element, missing.location.elementRef, missing.standard?.value], ['W05', 2, '285', '1']);
  const cond = find(await diags(file(set('940', '0001', [ORDER[0], 'N1*ST', ...ORDER.slice(2)]))), 'element.conditional-missing');
  assert.match(cond.message, /R0203/);
  find(await diags(file(set('940', '0001', [ORDER[0], 'N1*ST*NAME*92', ...ORDER.slice(2)]))), 'element.conditional-missing');
  const many = find(await diags(file(set('940', '0001', ['W05*N*ORDER1*PO*000001*REF*01*A*SA*EXTRA', ...ORDER.slice(1)]))), 'element.too-many');
  assert.equal(many.location.element, 9);
  const short = find(await diags(file(set('940', '0001', [...ORDER.slice(0, 5), 'W01*2*EA*12345', ORDER[6]]))), 'element.too-short');
  assert.deepEqual([short.location.element, short.found], [3, '12345']);
  find(await diags(file(set('940', '0001', ['W05*N*ORDER1234567890123456789', ...ORDER.slice(1)]))), 'element.too-long');
  const num = find(await diags(file(set('940', '0001', [...ORDER.slice(0, 5), 'W01*TWO*EA', ORDER[6]]))), 'element.invalid-character');
  assert.deepEqual([num.location.element, num.standard?.value], [1, '6']);
  const code = find(await diags(file(set('940', '0001', ['W05*Q*ORDER1', ...ORDER.slice(1)]))), 'element.invalid-code');
  assert.deepEqual([code.found, code.standard?.value], ['Q', '7']);
  find(await diags(file(set('940', '0001', [...ORDER.slice(0, 4), 'G62*10*20261131', ...ORDER.slice(4)]))), 'element.invalid-date');
  find(await diags(file(set('940', '0001', [...ORDER.slice(0, 4), 'G62*10*20261130*Z*2561', ...ORDER.slice(4)]))), 'element.invalid-time');
  find(await diags(file(set('856', '0001', ['BSN*00*S1*20261124*1200', 'HL*1**S', 'TD3*TL**123*G*1*LB****AB12', 'CTT*1']), { fg: 'SH' })), 'element.exclusion-violated');
  const reps = find(
    await diags(file(set('856', '0001', ['BSN*00*S1*20261124*1200', 'HL*1**S', 'REF*BM*A^B', 'CTT*1']), { fg: 'SH', isa: ISA({ ver: '00501', rep: '^' }), gsver: '005010' })),
    'element.too-many-repetitions',
  );
  assert.equal(reps.standard?.value, '12');
  find(await diags(file(set('940', '0001', [ORDER[0], 'N1*ST*JANE>DOE', ...ORDER.slice(2)]))), 'element.too-many-components');
  const sscc = find(await diags(file(set('856', '0001', ['BSN*00*S1*20261124*1200', 'HL*1**S', 'MAN*GM*00006141411234567891', 'CTT*1']), { fg: 'SH' })), 'element.check-digit');
  assert.deepEqual([sscc.location.element, sscc.found], [2, '00006141411234567891']);
  assert.ok(!(await diags(file(set('856', '0001', ['BSN*00*S1*20261124*1200', 'HL*1**S', 'MAN*GM*006141411234567890', 'CTT*1']), { fg: 'SH' }))).some((d) => d.code === 'element.check-digit'), '18-digit SSCC accepted');
});

test('segmentation: no terminator after the ISA, and a segment past the 1 MiB limit', async () => {
  const stripped = file(set('940', '0001', ORDER)).replace(/~\n/g, '\n').replace('*T*>\n', '*T*>~\n');
  const none = find(await diags(stripped), 'isa.terminator-not-found');
  assert.deepEqual([none.location.line, none.location.offset, none.location.segmentId, none.standard?.value], [1, 0, 'ISA', '004']);
  assert.match(none.message, /'~' as declared by the ISA at byte 105/);
  const long = find(await diags(file(set('940', '0001', [ORDER[0], `N9*ZZ*${'A'.repeat(1 << 20)}`, ...ORDER.slice(1)]))), 'segment.too-long');
  assert.deepEqual([long.location.segmentId, long.location.segmentPosition, long.location.line, long.standard?.value], ['N9', 3, 5, '8']);
});

test('every code of the catalogue is produced by one of the cases above', () => {
  const missing = Object.keys(DIAGNOSTIC_CODES).filter((c) => !seen.has(c as DiagnosticCode));
  assert.deepEqual(missing, []);
});
