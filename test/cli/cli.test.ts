/**
 * The dockgate command as a user runs it: the real bin, a real data directory.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/dockgate.js');
const samples = join(root, 'samples/x12');

function dockgate(args: string[], env: Record<string, string> = {}) {
  const dataDir = env.DOCKGATE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'dockgate-cli-'));
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DOCKGATE_DATA_DIR: dataDir, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr, dataDir };
}

test('every command and subcommand has --help', () => {
  for (const args of [[], ['x12'], ['x12', 'validate'], ['x12', 'ack'], ['x12', 'to-json'], ['x12', 'from-json'], ['store'], ['store', 'list'], ['store', 'trace'], ['store', 'purge'], ['demo'], ['mappings'], ['mappings', 'check'], ['mappings', 'audit'], ['translate'], ['sandbox'], ['sandbox', 'amazon'], ['sftp'], ['sftp', 'check']]) {
    const r = dockgate([...args, '--help']);
    assert.equal(r.code, 0, `${args.join(' ')} --help: ${r.err}`);
    assert.match(r.out, /Usage: dockgate/);
  }
});

test('x12 validate: exit 0 valid, 1 invalid, 2 usage; text names file, line, position, element, found and expected', () => {
  assert.equal(dockgate(['x12', 'validate', join(samples, 'acme-940-orders.edi')]).code, 0);
  const bad = dockgate(['x12', 'validate', join(samples, 'acme-940-orders.edi'), join(samples, 'bad-945.edi')]);
  assert.equal(bad.code, 1);
  assert.match(bad.out, /bad-945\.edi: INVALID/);
  assert.match(bad.out, /ERROR element\.invalid-date \[AK403=8\] .*bad-945\.edi:4 ST02=0001 W06 \(segment 2 from ST\) element W0603: .*found '20261332', expected CCYYMMDD/);
  assert.equal(dockgate(['x12', 'validate', 'no-such-file.edi']).code, 2);
  assert.equal(dockgate(['x12', 'validate', '--no-such-flag', join(samples, 'bad-945.edi')]).code, 2);
  assert.equal(dockgate(['x12', 'validate']).code, 2);
});

test('x12 validate --json: files -> interchanges -> groups -> sets -> diagnostics; --strict fails on warnings', () => {
  const r = dockgate(['x12', 'validate', '--json', join(samples, 'bad-945.edi')]);
  assert.equal(r.code, 1);
  const report = JSON.parse(r.out);
  assert.equal(report.valid, false);
  const set = report.files[0].interchanges[0].groups[0].sets[0];
  assert.equal(set.id, '945');
  assert.equal(set.valid, false);
  const date = set.diagnostics.find((d: { code: string }) => d.code === 'element.invalid-date');
  assert.deepEqual(date.standard, { kind: 'AK403', value: '8' });
  assert.equal(date.location.segmentPosition, 2);
  assert.equal(date.location.element, 3);
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-strict-'));
  const unpadded = join(dir, 'unpadded.edi');
  writeFileSync(unpadded, readFileSync(join(samples, 'acme-846-inventory.edi'), 'utf8').replace(/^ISA\*00\*          \*00\*          \*ZZ\*RENOWMS        \*ZZ\*ACME3PL        /, 'ISA*00**00**ZZ*RENOWMS*ZZ*ACME3PL'));
  assert.equal(dockgate(['x12', 'validate', unpadded]).code, 0);
  assert.equal(dockgate(['x12', 'validate', '--strict', unpadded]).code, 1);
});

test('x12 ack prints a 997 (and TA1 when asked) without consuming control numbers unless --record', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-ack-'));
  const first = dockgate(['x12', 'ack', join(samples, 'bad-945.edi')], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(first.code, 1, 'the verdict is validate\'s: the 997 of invalid data is printed, exit 1');
  assert.match(first.out, /AK1\*SW\*77306~\nAK2\*945\*0001~\nAK3\*W06\*2\*\*8~/);
  assert.match(first.out, /\*00401\*000000001\*/);
  assert.ok(!existsSync(join(dataDir, 'dockgate.sqlite')), 'preview writes nothing');
  const recorded = dockgate(['x12', 'ack', '--record', join(samples, 'bad-945.edi')], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(recorded.out, /\*00401\*000000001\*/);
  const next = dockgate(['x12', 'ack', join(samples, 'bad-945.edi')], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(next.out, /\*00401\*000000002\*/, 'the next number after the recorded one');
  const list = dockgate(['store', 'list', '--kind', 'group'], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(list.out, /group out FA #1: sent/);
});

test('x12 validate --record stores the raw file and the message tree, and finds a resent interchange', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-record-'));
  const file = join(samples, 'acme-945-shipment-advice.edi');
  assert.equal(dockgate(['x12', 'validate', '--record', file], { DOCKGATE_DATA_DIR: dataDir }).code, 0);
  const raw = readdirSync(join(dataDir, 'raw')).filter((d) => d !== 'tmp');
  assert.equal(raw.length, 1);
  // Stored while it was validated, under the sha256 of its bytes.
  const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
  assert.deepEqual(readFileSync(join(dataDir, 'raw', sha.slice(0, 2), sha.slice(2, 4), sha)), readFileSync(file));
  const again = dockgate(['x12', 'validate', '--record', file], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(again.code, 1);
  assert.match(again.out, /isa\.duplicate \[TA105=025\]/);
  const trace = dockgate(['store', 'trace', '4'], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(trace.out, /set in 945 #0001: valid/);
  assert.match(trace.out, /in .*file in .*acme-945-shipment-advice\.edi: valid/);
});

test('x12 to-json / from-json reproduce the file byte for byte', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-json-'));
  const json = dockgate(['x12', 'to-json', join(samples, 'acme-856-fba-asn.edi')]);
  assert.equal(json.code, 0);
  const doc = JSON.parse(json.out);
  assert.equal(doc.format, 'dockgate-x12');
  writeFileSync(join(dir, 'asn.json'), json.out);
  const back = spawnSync(process.execPath, [bin, 'x12', 'from-json', join(dir, 'asn.json')], { cwd: root });
  assert.equal(back.status, 0);
  assert.ok(Buffer.compare(back.stdout, readFileSync(join(samples, 'acme-856-fba-asn.edi'))) === 0);
  writeFileSync(join(dir, 'broken.json'), '{"format":"dockgate-x12","formatVersion":1,"interchanges":[{"ISA":{"segment":"ISA"}}]}');
  const broken = dockgate(['x12', 'from-json', join(dir, 'broken.json')]);
  assert.equal(broken.code, 1);
  assert.match(broken.err, /\$\.interchanges\[0\]\.ISA\.elements/);
});

test('store purge applies the retention policy', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-purge-'));
  dockgate(['x12', 'validate', '--record', join(samples, 'acme-945-shipment-advice.edi'), join(samples, 'acme-846-inventory.edi')], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(dockgate(['store', 'purge'], { DOCKGATE_DATA_DIR: dataDir }).out, /purged 0 raw file/);
  const later = new Date(Date.now() + 31 * 86_400_000).toISOString();
  assert.match(dockgate(['store', 'purge', '--now', later], { DOCKGATE_DATA_DIR: dataDir }).out, /purged 1 raw file\(s\) of 1 message/);
});

test('partners from the configuration file: a sender is recognised by its ISA id, and a wrong --partner is warned about', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-partners-'));
  const config = join(dir, 'dockgate.yaml');
  writeFileSync(config, `dataDir: ${join(dir, 'data')}\npartners:\n  reno-wms:\n    isaQualifier: ZZ\n    isaId: RENOWMS\n    gsId: RENOWMS\n  other:\n    isaQualifier: "01"\n    isaId: "123456789"\n    gsId: OTHER\n`);
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, '--config', config, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, DOCKGATE_DATA_DIR: join(dir, 'data') } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  assert.equal(run(['x12', 'validate', '--record', join(samples, 'acme-846-inventory.edi')]).code, 0);
  const files = JSON.parse(run(['store', 'list', '--kind', 'file', '--json']).out);
  assert.equal(files[0].partner, 'reno-wms');
  run(['x12', 'ack', '--record', join(samples, 'acme-945-shipment-advice.edi')]);
  assert.match(run(['x12', 'ack', join(samples, 'acme-945-shipment-advice.edi')]).out, /\*00401\*000000002\*/, 'the sequence of reno-wms, found without --partner');
  const wrong = run(['x12', 'validate', '--record', '--partner', 'other', join(samples, 'acme-944-receipt.edi')]);
  assert.match(wrong.err, /partner other is configured as 01\/123456789, but this interchange comes from ZZ\/RENOWMS/);
});

test('a received 997 updates what we sent that partner: groups and sets accepted or rejected, with the reason', async () => {
  const { openStore } = await import('../../src/store/index.ts');
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-997-'));
  // What Dockgate sent: the sample 940 interchange (group 1001, sets 0001 and 0002) to reno-wms, the
  // partner whose mapping file names the 997's sender (ZZ RENOWMS).
  const store = openStore({ dataDir });
  const blob = await store.blobs.putBuffer(readFileSync(join(samples, 'acme-940-orders.edi')));
  await store.recordFile({
    direction: 'out',
    partner: 'reno-wms',
    fileName: 'out/940.x12',
    sha256: blob.sha256,
    size: blob.size,
    status: 'delivered',
    children: [
      {
        kind: 'interchange',
        control: '000001001',
        status: 'delivered',
        children: [
          {
            kind: 'group',
            control: '1001',
            docType: 'OW',
            status: 'delivered',
            children: [
              { kind: 'set', control: '0001', docType: '940', status: 'delivered' },
              { kind: 'set', control: '0002', docType: '940', status: 'delivered' },
            ],
          },
        ],
      },
    ],
  });
  await store.close();
  const accepted = dockgate(['x12', 'validate', '--record', join(samples, 'acme-997-from-warehouse.edi')], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(accepted.code, 0, accepted.err);
  assert.match(accepted.out, /group OW 1001 -> accepted\n {4}set 940 0001 -> accepted\n {4}set 940 0002 -> accepted/);
  const reopened = openStore({ dataDir, readOnly: true });
  const sets = reopened.list({ kind: 'set', limit: 50 }).filter((m) => m.direction === 'out');
  assert.deepEqual(sets.map((m) => m.status).sort(), ['accepted', 'accepted']);
  assert.deepEqual(reopened.trace(sets[0].id)!.events.map((e) => e.toStatus), ['delivered', 'accepted']);
  await reopened.close();
  // A rejection names what was wrong; an acknowledgement of something never sent says so.
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-997r-'));
  const rejected = join(dir, 'reject.edi');
  writeFileSync(
    rejected,
    readFileSync(join(samples, 'acme-997-from-warehouse.edi'), 'utf8')
      .replace('000077305', '000077399')
      .replace('AK2*940*0002~\nAK5*A~\nAK9*A*2*2*2~', 'AK2*940*0002~\nAK3*W01*12*0310*8~\nAK4*1*330*6*TWO~\nAK5*R*5~\nAK9*P*2*2*1~')
      .replace('SE*8*0001', 'SE*10*0001'),
  );
  const partial = dockgate(['x12', 'validate', '--record', rejected], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(partial.out, /group OW 1001 -> partially-accepted/);
  assert.match(partial.out, /set 940 0002 -> rejected \(5 One or more segments in error; W01 at 12: Segment has data element errors\)/);
  const stray = join(dir, 'stray.edi');
  writeFileSync(stray, readFileSync(join(samples, 'acme-997-from-warehouse.edi'), 'utf8').replace('000077305', '000077398').replace('AK1*OW*1001', 'AK1*OW*4242'));
  assert.match(dockgate(['x12', 'validate', '--record', stray], { DOCKGATE_DATA_DIR: dataDir }).out, /acknowledges group OW 4242, which was not sent to this partner/);
  // A TA1 rejecting the interchange itself.
  const ta1 = join(dir, 'ta1.edi');
  writeFileSync(ta1, 'ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1500*U*00401*000077397*0*T*>~\nTA1*000001001*261124*1405*R*022~\nIEA*0*000077397~\n');
  const ta1Run = dockgate(['x12', 'validate', '--record', ta1], { DOCKGATE_DATA_DIR: dataDir });
  assert.match(ta1Run.out, /interchange 000001001 -> rejected \(022 Invalid control structure\)/);
});
