/**
 * The x12 commands as a user runs them (the real bin): one verdict per input across validate,
 * ack and to-json; --partner naming an unconfigured partner; to-json -o targets; control bytes
 * from a file escaped in text output; a file with 10^5 errors validated, stored and logged.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/dockgate.js');
const samples = join(root, 'samples/x12');

function dockgate(args: string[], env: Record<string, string> = {}) {
  const dataDir = env.DOCKGATE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'dockgate-x12cli-'));
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DOCKGATE_DATA_DIR: dataDir, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr, dataDir };
}

const noStack = (text: string) => assert.doesNotMatch(text, /\n\s+at .+:\d+:\d+/, `no stack trace: ${text}`);

test('one verdict per input: validate, ack and to-json give the same exit code for empty, binary, non-X12, invalid and valid files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-verdicts-'));
  const inputs: Array<[string, Buffer, number]> = [
    ['empty', Buffer.alloc(0), 1],
    ['whitespace', Buffer.from('\n\n  \n'), 1],
    ['binary', Buffer.from([0x00, 0x1b, 0xff, 0x7f, 0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), 1],
    ['text', Buffer.from('id,name\n1,JANE DOE\n'), 1],
    ['invalid', readFileSync(join(samples, 'bad-945.edi')), 1],
    ['valid', readFileSync(join(samples, 'acme-945-shipment-advice.edi')), 0],
    ['an acknowledgement', readFileSync(join(samples, 'acme-997-from-warehouse.edi')), 0],
  ];
  for (const [name, bytes, expected] of inputs) {
    const file = join(dir, `${name.replace(/ /g, '-')}.edi`);
    writeFileSync(file, bytes);
    const validate = dockgate(['x12', 'validate', file]);
    const ack = dockgate(['x12', 'ack', file]);
    const json = dockgate(['x12', 'to-json', file]);
    assert.equal(validate.code, expected, `validate ${name}: ${validate.out}${validate.err}`);
    assert.equal(ack.code, expected, `ack ${name}: ${ack.out}${ack.err}`);
    assert.equal(json.code, expected, `to-json ${name}: ${json.err}`);
    for (const r of [validate, ack, json]) noStack(r.err);
    if (expected === 1) {
      assert.doesNotMatch(ack.out, /nothing to acknowledge/, `ack ${name} does not pass bad data off as an acknowledgement`);
      assert.match(ack.err, /INVALID/);
    }
    if (name === 'empty' || name === 'binary') assert.equal(json.out, '', `to-json ${name} writes no JSON form`);
    if (name === 'invalid') assert.equal(JSON.parse(json.out).format, 'dockgate-x12', 'a representable file with errors is converted, and exit 1 says it is invalid');
    if (name === 'an acknowledgement') assert.match(ack.out, /nothing to acknowledge \(acknowledgements are not acknowledged\)/);
  }
});

test('--partner that is not a configured partner is a usage error naming the known ones, and nothing is recorded', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-ghost-'));
  const config = join(dir, 'dockgate.yaml');
  writeFileSync(config, `dataDir: ${join(dir, 'data')}\npartners:\n  reno-wms:\n    isaQualifier: ZZ\n    isaId: RENOWMS\n    gsId: RENOWMS\n`);
  const file = join(samples, 'acme-945-shipment-advice.edi');
  for (const args of [['x12', 'validate', '--record', '--partner', 'ghost', file], ['x12', 'ack', '--record', '--partner', 'ghost', file]]) {
    const r = spawnSync(process.execPath, [bin, '--config', config, ...args], { cwd: root, encoding: 'utf8' });
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /--partner "ghost" is not a configured partner \(known: reno-wms;/);
    noStack(r.stderr);
  }
  assert.ok(!existsSync(join(dir, 'data', 'dockgate.sqlite')), 'nothing was logged under the unknown partner');
  const known = spawnSync(process.execPath, [bin, '--config', config, 'x12', 'validate', '--record', '--partner', 'reno-wms', file], { cwd: root, encoding: 'utf8' });
  assert.equal(known.status, 0, known.stderr);
});

test('to-json -o: a missing folder or a folder as target is a usage error; a file is written whole, with no temporary left', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-json-out-'));
  const file = join(samples, 'acme-856-fba-asn.edi');
  for (const target of ['/nonexistent/dir/out.json', dir]) {
    const r = dockgate(['x12', 'to-json', file, '-o', target]);
    assert.equal(r.code, 2, `-o ${target}: ${r.err}`);
    noStack(r.err);
  }
  const out = join(dir, 'asn.json');
  assert.equal(dockgate(['x12', 'to-json', file, '-o', out]).code, 0);
  assert.equal(JSON.parse(readFileSync(out, 'utf8')).format, 'dockgate-x12');
  assert.deepEqual(readdirSync(dir), ['asn.json']);
  const back = spawnSync(process.execPath, [bin, 'x12', 'from-json', out], { cwd: root });
  assert.ok(Buffer.compare(back.stdout, readFileSync(file)) === 0, 'the file written reproduces the X12 byte for byte');
  const refused = dockgate(['x12', 'to-json', join(samples, 'bad-945.edi').replace('bad-945', 'missing'), '-o', join(dir, 'none.json')]);
  assert.equal(refused.code, 2);
  assert.deepEqual(readdirSync(dir), ['asn.json'], 'a refused conversion leaves nothing behind');
});

test('control characters from a file (NUL, ESC, DEL, C1) are escaped in the text report as the JSON form escapes them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-escape-'));
  const file = join(dir, 'controls.edi');
  const text = readFileSync(join(samples, 'acme-945-shipment-advice.edi'), 'utf8')
    .replace('N1*ST*JANE DOE', 'N1*ST*JANE\u001b[31mDOE\u0000')
    .replace('N3*123 MAIN ST', 'N3*123\u007fMAIN\u009bST')
    .replace('W27*U*UPSN', 'W27*U*UPSN*\u0007BELL\u0085');
  writeFileSync(file, text);
  for (const args of [['x12', 'validate', file], ['x12', 'validate', '--info', file]]) {
    const r = dockgate(args);
    assert.equal(r.code, 1);
    assert.doesNotMatch(r.out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, `no raw control character in: ${JSON.stringify(r.out)}`);
    assert.match(r.out, /JANE\\u001b\[31mDOE\\u0000/);
    assert.match(r.out, /123\\u007fMAIN\\u009bST/);
  }
  const json = dockgate(['x12', 'validate', '--json', file]);
  assert.doesNotMatch(json.out, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'nor in the JSON report');
  assert.ok(JSON.parse(json.out).files[0].errors > 0);
});

test('a file with 10^5 errors in one set and a good set: reported with the count not shown, acknowledged, stored and logged with --record', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-many-'));
  const file = join(dir, 'n9.edi');
  const isa = 'ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1405*U*00401*000077301*0*T*>~\n';
  const set = (control: string, extra: string[]) => {
    const segs = [`ST*945*${control}`, 'W06*F*ORDER1*20261124*SHP1', 'W27*U*UPSN', 'LX*1', 'W12*CC*1*1*0*EA', ...extra, 'W03*1'];
    return `${[...segs, `SE*${segs.length + 1}*${control}`].join('~\n')}~\n`;
  };
  writeFileSync(file, `${isa}GS*SW*RENOWMS*ACME3PL*20261124*1200*42*X*004010~\n${set('0001', new Array<string>(100_000).fill('N9*ZZ'))}${set('0002', [])}GE*2*42~\nIEA*1*000077301~\n`);
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-many-data-'));
  const validate = dockgate(['x12', 'validate', '--record', file], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(validate.code, 1, validate.err);
  noStack(validate.err);
  assert.match(validate.out, /INVALID — 1 interchange\(s\), 2 transaction set\(s\), [\d]{6,} error\(s\)/);
  assert.match(validate.out, /… [\d,]+ more diagnostic\(s\) of set 0001 not shown \([\d,]+ error\(s\), 0 warning\(s\)\): at most 1,000 are kept per envelope/);
  const raw = readdirSync(join(dataDir, 'raw')).filter((d) => d !== 'tmp');
  assert.equal(raw.length, 1, 'the raw file is stored');
  const list = dockgate(['store', 'list', '--kind', 'set'], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(list.out, /set in 945 #0001: invalid/);
  assert.match(list.out, /set in 945 #0002: valid/);
  const ack = dockgate(['x12', 'ack', file], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(ack.code, 1);
  assert.match(ack.out, /AK2\*945\*0002~\nAK5\*A~/);
  assert.match(ack.out, /AK9\*P\*2\*2\*1~/);
});
