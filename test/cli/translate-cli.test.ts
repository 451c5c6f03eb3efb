/**
 * `dockgate translate` and `dockgate mappings audit` through the real bin, on the samples and
 * on generated files: large ones (memory stays bounded), hostile ones (control characters,
 * rows of one document apart), and the --json report.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), ...args], { cwd: root, encoding: 'utf8' });
const tmp = mkdtempSync(join(tmpdir(), 'dockgate-translate-'));

test('translate: a warehouse 945 to canonical JSON, exit 0, notes on stderr', () => {
  const r = run(['translate', '--partner', 'reno-wms', '--doc', 'shipment-advice', '--from', 'x12', '--to', 'canonical', 'samples/partners/reno-wms/945-shipment-advice.edi']);
  assert.equal(r.status, 0, r.stderr);
  const docs = JSON.parse(r.stdout) as Array<{ kind: string; orderId: string; packages: Array<{ amazonCarrier: { carrierCode: string } }> }>;
  assert.deepEqual(docs.map((d) => [d.kind, d.orderId, d.packages[0].amazonCarrier.carrierCode]), [['ShipmentAdvice', '112-3456789-1234567', 'UPS'], ['ShipmentAdvice', '113-1111111-2222222', 'FedEx']]);
  assert.match(r.stderr, /note: package 2 \(tracking 1Z999AA10123456795\) holds only parts of kits/);
});

test('translate: canonical orders to a 940 and to the CSV warehouse; text changes reported', () => {
  const x = run(['translate', '--partner', 'reno-wms', '--doc', 'ship-order', '--from', 'canonical', '--to', 'x12', 'samples/partners/canonical/ship-orders.json']);
  assert.equal(x.status, 0, x.stderr);
  assert.equal((x.stdout.match(/^ST\*940\*/gm) ?? []).length, 3);
  assert.match(x.stderr, /text policy: shipTo\.name 'Zoë Łukasiewicz' sent as 'Zoe Lukasiewicz'/);
  const c = run(['translate', '--partner', 'cascade-csv', '--doc', 'ship-order', '--from', 'canonical', '--to', 'csv', '-o', join(tmp, 'orders.csv'), 'samples/partners/canonical/ship-orders.json']);
  assert.equal(c.status, 0, c.stderr);
  assert.equal(readFileSync(join(tmp, 'orders.csv'), 'latin1').split('\r\n')[0].split(',')[0], 'OrderNumber');
  // And across formats: the CSV partner's shipments CSV straight to an X12 945 for the other warehouse's layout.
  const y = run(['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', 'samples/partners/cascade-csv/shipments.csv']);
  assert.equal(y.status, 0, y.stderr);
});

test('translate: held and rejected documents make exit 1 and are named; usage errors exit 2', () => {
  const bad = join(tmp, 'bad-945.edi');
  writeFileSync(bad, readFileSync(join(root, 'samples/partners/reno-wms/945-shipment-advice.edi'), 'latin1').replace('VN*LANT-LED-01', 'VN*LANT-XXX'), 'latin1');
  const r = run(['translate', '--partner', 'reno-wms', '--doc', 'shipment-advice', '--from', 'x12', '--to', 'canonical', bad]);
  assert.equal(r.status, 1);
  assert.equal((JSON.parse(r.stdout) as unknown[]).length, 1);
  assert.match(r.stderr, /set 945 0002 \(line 24\): HELD\n {2}unknown-seller: no seller of partner reno-wms/);
  const held = run(['translate', '--partner', 'reno-wms', '--doc', 'shipment-advice', '--from', 'x12', '--to', 'canonical', '--seller', 'northwind', bad]);
  assert.match(held.stderr, /unknown-sku: warehouseItem LANT-XXX is not in SKU table northwind-skus \(mappings\/tables\/northwind-skus\.yaml\)/);
  assert.equal(run(['translate', '--partner', 'nobody', '--doc', 'ship-order', '--from', 'canonical', '--to', 'x12', 'samples/partners/canonical/ship-orders.json']).status, 2);
  assert.equal(run(['translate', '--partner', 'reno-wms', '--doc', 'pick-list', '--from', 'canonical', '--to', 'x12', 'samples/partners/canonical/ship-orders.json']).status, 2);
  const noLayout = run(['translate', '--partner', 'reno-wms', '--doc', 'ship-order', '--from', 'canonical', '--to', 'xml', 'samples/partners/canonical/ship-orders.json']);
  assert.equal(noLayout.status, 2);
  assert.match(noLayout.stderr, /partner reno-wms has no xml layout for ship-order/);
});

test('mappings audit: every active SKU through order and advice; an unknown SKU fails the audit', () => {
  const r = run(['mappings', 'audit', '--partner', 'reno-wms', '--skus', 'samples/partners/acme-active-listings.txt']);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^MUG-GIFT-SET +OK +\[acme\] order \(kit of 2 parts\) and advice round trip$/m);
  assert.match(r.stdout, /^TSHIRT-RED-M-FBA +OK +\[acme\] FBA: replenishment order checked/m);
  assert.match(r.stdout, /^HAT-BLUE +HELD +in no SKU table of acme, northwind/m);
  assert.match(r.stdout, /^carrier VEHO +WARNING +Amazon Other \(Veho\)/m);
  const list = join(tmp, 'skus.txt');
  writeFileSync(list, 'TSHIRT-RED-M\nSOCKS-6PK\nNW-LANTERN\n');
  const ok = run(['mappings', 'audit', '--partner', 'cascade-csv', '--skus', list, '--json']);
  assert.equal(ok.status, 0, ok.stdout);
  const findings = (JSON.parse(ok.stdout) as { findings: Array<{ subject: string; status: string }> }).findings;
  assert.deepEqual(findings.filter((f) => !f.subject.startsWith('carrier')).map((f) => [f.subject, f.status]), [['TSHIRT-RED-M', 'ok'], ['SOCKS-6PK', 'ok'], ['NW-LANTERN', 'ok']]);
});

const SHIPMENTS_HEADER = 'OrderNumber,ShipmentNumber,ShipDate,Carrier,Service,TrackingNumber,PackageWeightLb,LPN,SSCC,Item,QtyOrdered,QtyShipped,OrderItemId,ShortReason';

/** A Cascade shipments CSV of `rows` rows, `perOrder` rows (packages) per order, every document translatable. */
async function shipmentsCsv(file: string, rows: number, perOrder: number): Promise<void> {
  const out = createWriteStream(file);
  out.write(`${SHIPMENTS_HEADER}\r\n`);
  let chunk = '';
  for (let i = 0; i < rows; i++) {
    const o = Math.floor(i / perOrder);
    chunk += `114-${String(1000000 + o).slice(-7)}-${String(2000000 + o).slice(-7)},CS-${o},11/24/2026 16:40,UPSN,GND,1Z4A5B6C${String(i).padStart(10, '0')},3.2,,,${i % 2 ? 'MUG-12-WHT' : 'TS-RED-M'},1,1,${31112223334442 + (i % 2)},\r\n`;
    if (chunk.length > 1 << 16) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/** The bin, reporting its peak resident memory (process.resourceUsage().maxRSS, in KiB) into a file. */
function runMeasured(args: string[], rssFile: string) {
  const preload = `data:text/javascript,import { writeFileSync } from 'node:fs'; process.on('exit', () => writeFileSync(${JSON.stringify(rssFile)}, String(process.resourceUsage().maxRSS)));`;
  const r = spawnSync(process.execPath, ['--import', preload, join(root, 'bin/dockgate.js'), ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { ...r, maxRssKiB: Number(readFileSync(rssFile, 'utf8')) };
}

test('translate: a large CSV is read and written one document at a time; peak memory does not grow with the file', async () => {
  // 6x the rows: holding every row and document (as before) costs about 3.5 KB a row, some 170 MB more
  // for the large file; reading and writing document by document keeps the difference to the heap's slack.
  const measure = async (rows: number) => {
    const csv = join(tmp, `shipments-${rows}.csv`);
    await shipmentsCsv(csv, rows, 50);
    const out = join(tmp, `shipments-${rows}.json`);
    const r = runMeasured(['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', '-o', out, csv], join(tmp, `rss-${rows}`));
    assert.equal(r.status, 0, r.stderr.slice(0, 2000));
    const docs = JSON.parse(readFileSync(out, 'utf8')) as Array<{ orderId: string; packages: unknown[] }>;
    assert.equal(docs.length, rows / 50);
    assert.ok(docs.every((d) => d.packages.length === 50));
    return r.maxRssKiB;
  };
  const small = await measure(10_000);
  const large = await measure(60_000);
  assert.ok(large - small < 48 * 1024, `peak RSS ${small} KiB for 10k rows, ${large} KiB for 60k rows: it grows with the file`);
});

test('translate: canonical JSON streamed out is the same text as the whole array stringified', async () => {
  const csv = join(tmp, 'three.csv');
  await shipmentsCsv(csv, 6, 2);
  const r = run(['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', csv]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, `${JSON.stringify(JSON.parse(r.stdout), null, 2)}\n`);
  const none = join(tmp, 'header-only.csv');
  writeFileSync(none, `${SHIPMENTS_HEADER}\r\n`);
  assert.equal(run(['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', none]).stdout, '[]\n');
});

test('translate: rows of one document apart are rejected with where its rows start; the others are translated', async () => {
  const csv = join(tmp, 'apart.csv');
  await shipmentsCsv(csv, 6, 2);
  const lines = readFileSync(csv, 'utf8').split('\r\n');
  // Order 0's second row after order 1's rows.
  writeFileSync(csv, [lines[0], lines[1], lines[3], lines[4], lines[2], lines[5], lines[6], ''].join('\r\n'));
  const r = run(['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', csv]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /line 5: REJECTED\n {2}line 5: OrderNumber 114-1000000-2000000 continues here after other documents; its rows start at line 2/);
  assert.deepEqual((JSON.parse(r.stdout) as Array<{ orderId: string }>).map((d) => d.orderId), ['114-1000000-2000000', '114-1000001-2000001', '114-1000002-2000002']);
});

test('translate --json: every document with its state, problems and exceptions, in a stable shape; needs -o', async () => {
  const csv = join(tmp, 'mixed.csv');
  await shipmentsCsv(csv, 6, 2);
  const lines = readFileSync(csv, 'utf8').split('\r\n');
  lines[3] = lines[3].replace('MUG-12-WHT', 'NO-SUCH-ITEM').replace('TS-RED-M', 'NO-SUCH-ITEM'); // order 1: held
  lines[5] = lines[5].replace('11/24/2026 16:40', '24.11.2026'); // order 2: rejected
  writeFileSync(csv, lines.join('\r\n'));
  const out = join(tmp, 'mixed.json');
  const args = ['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', '--seller', 'acme', csv, '--json'];
  const r = run([...args, '-o', out]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, '');
  const report = JSON.parse(r.stdout) as {
    partner: string;
    file: string;
    output: string;
    documents: Array<{ stage: string; where: string; state: string; problems: Array<{ where: string; message: string }>; problemsNotShown: number; exceptions: Array<{ code: string; message: string; value: string }>; notes: string[]; textChanges: unknown[] }>;
    fileProblems: unknown[];
    counts: { read: Record<string, number>; write: Record<string, number> };
    written: number;
    ok: boolean;
  };
  assert.equal(report.partner, 'cascade-csv');
  assert.equal(report.output, out);
  assert.deepEqual(report.documents.map((d) => [d.stage, d.where, d.state]), [['read', 'lines 2-3', 'translated'], ['read', 'lines 4-5', 'held'], ['read', 'lines 6-7', 'rejected']]);
  assert.deepEqual(Object.keys(report.documents[0]), ['stage', 'where', 'state', 'problems', 'problemsNotShown', 'exceptions', 'notes', 'textChanges']);
  assert.equal(report.documents[1].exceptions[0].code, 'unknown-sku');
  assert.equal(report.documents[1].exceptions[0].value, 'NO-SUCH-ITEM');
  assert.match(report.documents[2].problems[0].message, /24\.11\.2026/);
  assert.deepEqual(report.counts, { read: { translated: 1, held: 1, rejected: 1 }, write: { translated: 0, held: 0, rejected: 0 } });
  assert.equal(report.written, 1);
  assert.equal(report.ok, false);
  assert.equal((JSON.parse(readFileSync(out, 'utf8')) as unknown[]).length, 1);
  // Writing a partner format: the documents written are reported too.
  const w = run(['translate', '--partner', 'cascade-csv', '--doc', 'ship-order', '--from', 'canonical', '--to', 'csv', '--json', '-o', join(tmp, 'o.csv'), 'samples/partners/canonical/ship-orders.json']);
  assert.equal(w.status, 0, w.stderr);
  const written = JSON.parse(w.stdout) as { documents: Array<{ stage: string; state: string }>; ok: boolean; written: number };
  assert.ok(written.ok && written.written === written.documents.length && written.documents.every((d) => d.stage === 'write' && d.state === 'translated'));
  const noOut = run(args);
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /--json writes the report on standard output: name the file for the translation with -o/);
});

/** Every control character a terminal acts on: C0 (but the line breaks the report itself writes), DEL, C1, bidi overrides. */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('translate: control characters from the partner file are escaped in the text report', async () => {
  // The Cascade CSV is windows-1252: C0 and DEL can arrive in it (C1 and bidi controls are tested through the UTF-8 SKU list).
  const hostile = ['\u001b[2J', '\u0000', '\u0007', '\u0008', '\r', '\u007f', '\u001b]0;title\u0007'];
  for (const [i, h] of hostile.entries()) {
    const csv = join(tmp, `control-${i}.csv`);
    await shipmentsCsv(csv, 2, 2);
    const lines = readFileSync(csv, 'latin1').split('\r\n');
    lines[1] = lines[1].replace('11/24/2026 16:40', `"11/24${h}2026"`);
    writeFileSync(csv, lines.join('\r\n'), 'latin1');
    const r = run(['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', csv]);
    assert.equal(r.status, 1, `${JSON.stringify(h)}: ${r.stderr}`);
    assert.match(r.stderr, /REJECTED/);
    assert.doesNotMatch(r.stderr, RAW_CONTROL, `${JSON.stringify(h)} reached the terminal: ${JSON.stringify(r.stderr)}`);
    const c = h.charCodeAt(0);
    assert.ok(r.stderr.includes(c === 13 ? '\\r' : c === 8 ? '\\b' : `\\u${c.toString(16).padStart(4, '0')}`), `${JSON.stringify(h)} is not shown escaped: ${r.stderr}`);
  }
});

test('translate: a set with 200,000 problems is rejected with a bounded report, the good set beside it translated', () => {
  const sample = readFileSync(join(root, 'samples/partners/reno-wms/945-shipment-advice.edi'), 'latin1');
  // The first set gets 200,000 extra N9 segments (each out of place): the second set stays good.
  const n = 200_000;
  const hostile = sample.replace('N9*BM*SHP000451~\n', `N9*BM*SHP000451~\n${'N9*ZZ*X~\n'.repeat(n)}`).replace('SE*21*0001~', `SE*${21 + n}*0001~`);
  const file = join(tmp, 'many-problems.edi');
  writeFileSync(file, hostile, 'latin1');
  const r = run(['translate', '--partner', 'reno-wms', '--doc', 'shipment-advice', '--from', 'x12', '--to', 'canonical', file]);
  assert.equal(r.status, 1, r.stderr.slice(0, 2000));
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'a stack trace');
  assert.match(r.stderr, /set 945 0001 \(line 3\): REJECTED/);
  assert.match(r.stderr, /\.\.\. and \d+ more problem\(s\)/);
  assert.ok(r.stderr.split('\n').length < 200, `${r.stderr.split('\n').length} lines of report`);
  assert.deepEqual((JSON.parse(r.stdout) as Array<{ orderId: string }>).map((d) => d.orderId), ['113-1111111-2222222']);
});
