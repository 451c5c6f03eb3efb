import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { canonicalFields, formatProblem, loadMappings } from '../../src/mapping/index.ts';

const root = resolve(import.meta.dirname, '../..');
const examples = join(root, 'mappings');

/** A copy of the example mappings with one file changed. */
function variant(file: string, change: (text: string) => string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(examples, dir, { recursive: true });
  writeFileSync(join(dir, file), change(readFileSync(join(dir, file), 'utf8')));
  return dir;
}

function problems(dir: string): string[] {
  // Paths are relative to the working directory; the temporary folder part is cut for comparison.
  return loadMappings(dir).problems.map((p) => formatProblem(p).replace(/[^\s]*dockgate-mappings-[^/]+\//g, ''));
}

test('the example mappings (an X12 warehouse serving two sellers) are clean', () => {
  const r = loadMappings(examples);
  assert.deepEqual(r.problems, []);
  assert.deepEqual([...r.mappings.sellers.keys()].sort(), ['acme', 'northwind']);
  assert.equal(r.mappings.partners.get('reno-wms')?.documents['ship-order']?.layout, 'reno-940');
  assert.equal(r.mappings.skuTables.get('acme-skus')?.items.find((i) => i.sellerSku === 'MUG-GIFT-SET')?.kit?.length, 2);
});

test('schema problems name file, line and column and what was expected', () => {
  // A seller file that fails its schema is not loaded, so what refers to it is reported too.
  assert.deepEqual(problems(variant('sellers/acme.yaml', (t) => t.replace('region: na', 'region: us'))), [
    "partners/cascade-csv.yaml:20:11: sellers.0: no seller with id 'acme'",
    "partners/reno-wms.yaml:25:11: sellers.0: no seller with id 'acme'",
    'sellers/acme.yaml:7:9: region: Invalid option: expected one of "na"|"eu"|"fe"',
    "tables/acme-skus.yaml:4:9: seller: no seller with id 'acme'",
  ]);
  const own = (dir: string) => problems(dir).find((l) => l.startsWith('sellers/acme.yaml')) ?? '';
  assert.match(own(variant('sellers/acme.yaml', (t) => t.replace('refreshTokenEnv: ACME_LWA_REFRESH_TOKEN', 'refreshToken: Atzr|IwEB-secret'))), /^sellers\/acme\.yaml:10:3: credentials/);
  assert.deepEqual(problems(variant('tables/carriers-us.yaml', (t) => t.replace('{ scac: VEHO, carrierCode: Other, carrierName: Veho }', '{ scac: VEHO, carrierCode: Other }'))), [
    "partners/cascade-csv.yaml:26:12: carriers: no carrier-table with id 'carriers-us'",
    "partners/reno-wms.yaml:34:11: carriers: no carrier-table with id 'carriers-us'",
    'tables/carriers-us.yaml:13:5: entries.6.carrierName: carrierCode Other needs a carrierName (Amazon requires it)',
  ]);
  assert.match(own(variant('sellers/acme.yaml', (t) => t.replace('kind: seller', 'kind: warehouse'))), /^sellers\/acme\.yaml:3:7: kind: Invalid discriminator value\. Expected 'seller' \| 'sku-table'/);
  assert.match(own(variant('sellers/acme.yaml', (t) => t.replace('name: Acme Brands LLC', 'name: [Acme'))), /^sellers\/acme\.yaml:\d+:\d+: not valid YAML/);
});

test('cross-checks: unknown references, duplicate SKUs and ids, carrier codes Amazon does not know', () => {
  assert.deepEqual(problems(variant('partners/reno-wms.yaml', (t) => t.replace('sellers: [acme, northwind]', 'sellers: [acme, globex]'))), [
    "partners/reno-wms.yaml:25:17: sellers.1: no seller with id 'globex'",
    "sellers/northwind.yaml:14:12: warehouse: partner 'reno-wms' does not list seller 'northwind' under sellers",
  ]);
  assert.deepEqual(problems(variant('tables/northwind-skus.yaml', (t) => t.replace('NW-LANTERN', 'NW-TENT-2P'))), [
    "tables/northwind-skus.yaml:7:18: items.1.sellerSku: 'NW-TENT-2P' is already mapped at items.0",
  ]);
  assert.deepEqual(problems(variant('tables/carriers-us.yaml', (t) => t.replace('carrierCode: FedEx, shippingMethod: FedEx Ground', 'carrierCode: FEDEX, shippingMethod: FedEx Ground'))), [
    "tables/carriers-us.yaml:9:32: entries.2.carrierCode: 'FEDEX' is not an Amazon carrier code (case-sensitive; use Other with a carrierName)",
  ]);
  assert.deepEqual(problems(variant('sellers/northwind.yaml', (t) => t.replace('id: northwind', 'id: acme').replace('skus: northwind-skus', 'skus: acme-skus'))), [
    "partners/cascade-csv.yaml:20:17: sellers.1: no seller with id 'northwind'",
    "partners/reno-wms.yaml:25:17: sellers.1: no seller with id 'northwind'",
    "sellers/northwind.yaml:4:5: seller id 'acme' is already defined in sellers/acme.yaml",
    "tables/northwind-skus.yaml:4:9: seller: no seller with id 'northwind'",
  ]);
  assert.deepEqual(problems(variant('partners/reno-wms.yaml', (t) => t.replace('layout: reno-945', 'layout: reno-940'))), [
    "partners/reno-wms.yaml:28:58: documents.shipment-advice.layout: layout 'reno-940' is a x12 ship-order layout",
  ]);
});

test('X12 layouts: paths must parse and exist in the set, fields must be canonical fields', () => {
  assert.deepEqual(problems(variant('layouts/reno-945.yaml', (t) => t.replace('warehouseOrderId: W06-04', 'warehouseOrderId: W05-02'))), [
    'layouts/reno-945.yaml:13:21: fields.warehouseOrderId: W05-02: segment W05 is not part of the 945 004010 set',
  ]);
  assert.deepEqual(problems(variant('layouts/reno-945.yaml', (t) => t.replace('warehouseOrderId: W06-04', 'warehouseOrderId: W06-14'))), [
    'layouts/reno-945.yaml:13:21: fields.warehouseOrderId: W06-14: W06 has 10 elements',
  ]);
  assert.match(problems(variant('layouts/reno-945.yaml', (t) => t.replace('warehouseOrderId: W06-04', 'warehouseOrderId: W06[01=F')))[0], /fields\.warehouseOrderId: invalid path 'W06\[01=F' at column 9: expected '\]'/);
  assert.match(problems(variant('layouts/reno-945.yaml', (t) => t.replace('warehouseOrderId: W06-04', 'trackingNo: W06-04')))[0], /fields\.trackingNo: not a field of ShipmentAdvice/);
  assert.ok(canonicalFields('ShipOrder').has('fbaInbound.shipmentId'));
  assert.ok(canonicalFields('InboundAsn').has('cartons[].contents[].sellerSku'));
});

test('dockgate mappings check: exit 0 clean, 1 with located problems, 2 without a folder', () => {
  const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), 'mappings', 'check', ...args], { cwd: root, encoding: 'utf8' });
  const clean = run([]);
  assert.equal(clean.status, 0);
  assert.match(clean.stdout, /17 file\(s\) OK — 2 seller\(s\), 2 partner\(s\), 9 layout\(s\), 2 SKU table\(s\), 2 carrier table\(s\)/);
  const broken = run([variant('partners/reno-wms.yaml', (t) => t.replace('carriers: carriers-us', 'carriers: carriers-eu'))]);
  assert.equal(broken.status, 1);
  assert.match(broken.stdout, /partners\/reno-wms\.yaml:\d+:\d+: carriers: no carrier-table with id 'carriers-eu'/);
  assert.equal(run(['no-such-folder']).status, 2);
});
