/**
 * `dockgate translate` and `dockgate mappings audit` through the real bin, on the samples.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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
