/**
 * Every class of mapping-file problem, each made by one edit to the example mappings: the
 * problem names file, line and column, and says what was expected.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatProblem, loadMappings } from '../../src/mapping/index.ts';

const examples = resolve(import.meta.dirname, '../../mappings');

interface Case {
  name: string;
  file: string;
  from: string;
  to: string;
  expect: string[];
}

const CASES: Case[] = [
  {
    "name": "x12 element out of range",
    "file": "layouts/reno-945.yaml",
    "from": "warehouseOrderId: W06-04",
    "to": "warehouseOrderId: W06-14",
    "expect": [
      "layouts/reno-945.yaml:13:21: fields.warehouseOrderId: W06-14: W06 has 10 elements"
    ]
  },
  {
    "name": "x12 component",
    "file": "layouts/reno-945.yaml",
    "from": "warehouseOrderId: W06-04",
    "to": "warehouseOrderId: W06-04-02",
    "expect": [
      "layouts/reno-945.yaml:13:21: fields.warehouseOrderId: W06-04-02: W0604 has no component 2"
    ]
  },
  {
    "name": "x12 loop path with element",
    "file": "layouts/reno-945.yaml",
    "from": "\"packages[].lines\": W12",
    "to": "\"packages[].lines\": W12-01",
    "expect": [
      "layouts/reno-945.yaml:32:23: loops.packages[].lines: W12-01: a loop path names segments, not an element"
    ]
  },
  {
    "name": "x12 constant segment not in set",
    "file": "layouts/reno-945.yaml",
    "from": "W06-01: F",
    "to": "W05-01: F",
    "expect": [
      "layouts/reno-945.yaml:35:11: constants: W05-01: segment W05 is not part of the 945 004010 set"
    ]
  },
  {
    "name": "x12 totals",
    "file": "layouts/reno-945.yaml",
    "from": "W03-01: sum(LX/W12-03)",
    "to": "W03-01: avg(LX/W12-03)",
    "expect": [
      "layouts/reno-945.yaml:39:11: totals.W03-01: count(PATH) or sum(PATH)",
      "partners/reno-wms.yaml:28:58: documents.shipment-advice.layout: no layout with id 'reno-945'"
    ]
  },
  {
    "name": "x12 with path",
    "file": "layouts/reno-945.yaml",
    "from": "with: { W12-07: VN } }\n  packages[].lines[].quantity",
    "to": "with: { W13-07: VN } }\n  packages[].lines[].quantity",
    "expect": [
      "layouts/reno-945.yaml:22:37: fields.packages[].lines[].warehouseItem: W13-07: segment W13 is not part of the 945 004010 set"
    ]
  },
  {
    "name": "loop not an array",
    "file": "layouts/reno-945.yaml",
    "from": "packages: { path: LX, key: trackingNumber }",
    "to": "parcels: { path: LX, key: trackingNumber }",
    "expect": [
      "layouts/reno-945.yaml:31:12: loops.parcels: not an array of ShipmentAdvice (packages, packages[].lines, lines)"
    ]
  },
  {
    "name": "loop key not mapped",
    "file": "layouts/reno-945.yaml",
    "from": "packages: { path: LX, key: trackingNumber }",
    "to": "packages: { path: LX, key: sscc2 }",
    "expect": [
      "layouts/reno-945.yaml:31:30: loops.packages.key: sscc2 is not a field this layout maps (packages[].sscc2)"
    ]
  },
  {
    "name": "overlay without key",
    "file": "layouts/reno-945.yaml",
    "from": "lines: { over: \"packages[].lines\", key: warehouseItem, sum: [shipped] }",
    "to": "lines: { over: \"packages[].lines\", sum: [shipped] }",
    "expect": [
      "layouts/reno-945.yaml:33:10: loops.lines.key: an overlay (over) needs a key",
      "partners/reno-wms.yaml:28:58: documents.shipment-advice.layout: no layout with id 'reno-945'"
    ]
  },
  {
    "name": "sum not mapped",
    "file": "layouts/reno-945.yaml",
    "from": "sum: [shipped]",
    "to": "sum: [shippedQty]",
    "expect": [
      "layouts/reno-945.yaml:33:63: loops.lines.sum: shippedQty is not a field this layout maps"
    ]
  },
  {
    "name": "codes unknown value",
    "file": "layouts/reno-940.yaml",
    "from": "codes: { new: N, change: R, cancel: F }",
    "to": "codes: { new: N, change: R, cancel: F, replace: Z }",
    "expect": [
      "layouts/reno-940.yaml:15:35: fields.purpose.codes: replace is not a value of purpose (new, change, cancel)"
    ]
  },
  {
    "name": "codes missing value",
    "file": "layouts/reno-940.yaml",
    "from": "codes: { new: N, change: R, cancel: F }",
    "to": "codes: { new: N, change: R }",
    "expect": [
      "layouts/reno-940.yaml:15:35: fields.purpose.codes: no code for cancel"
    ]
  },
  {
    "name": "when unknown",
    "file": "layouts/reno-940.yaml",
    "from": "{ path: W05-03, when: fbaInbound }",
    "to": "{ path: W05-03, when: fbaShipment }",
    "expect": [
      "layouts/reno-940.yaml:13:5: fields.orderId: when / unless name a field of ShipOrder, not fbaShipment"
    ]
  },
  {
    "name": "field not dropped",
    "file": "layouts/reno-940.yaml",
    "from": "  - gift.wrap\n",
    "to": "",
    "expect": [
      "layouts/reno-940.yaml:56:3: gift.wrap: neither mapped, dropped nor filled by Dockgate: map it under fields or list it under drops"
    ]
  },
  {
    "name": "drops unknown",
    "file": "layouts/reno-940.yaml",
    "from": "  - gift.wrap\n",
    "to": "  - gift.wrap\n  - giftWrap\n",
    "expect": [
      "layouts/reno-940.yaml:56:3: drops: giftWrap is not a field of ShipOrder"
    ]
  },
  {
    "name": "date on a string",
    "file": "layouts/reno-940.yaml",
    "from": "shipTo.city: N1[01=ST]/N4-01",
    "to": "shipTo.city: { date: \"N1[01=ST]/N4-01\" }",
    "expect": [
      "layouts/reno-940.yaml:24:16: fields.shipTo.city: date / time apply to dates, shipTo.city is string"
    ]
  },
  {
    "name": "path and date both",
    "file": "layouts/reno-940.yaml",
    "from": "deliverBy: { date: \"G62[01=02]-02\" }",
    "to": "deliverBy: { date: \"G62[01=02]-02\", path: W05-02 }",
    "expect": [
      "layouts/reno-940.yaml:38:14: fields.deliverBy: a field has either path, or date (with an optional time)",
      "partners/reno-wms.yaml:27:54: documents.ship-order.layout: no layout with id 'reno-940'"
    ]
  },
  {
    "name": "csv column unknown",
    "file": "layouts/cascade-shipments.yaml",
    "from": "packages[].lpn: LPN",
    "to": "packages[].lpn: LicensePlate",
    "expect": [
      "layouts/cascade-shipments.yaml:20:19: fields.packages[].lpn: LicensePlate is not one of the columns (OrderNumber, ShipmentNumber, ShipDate, Carrier, Service, TrackingNumber, PackageWeightLb, LPN, SSCC, Item, QtyOrdered, QtyShipped, OrderItemId, ShortReason)"
    ]
  },
  {
    "name": "csv document key",
    "file": "layouts/cascade-shipments.yaml",
    "from": "documentKey: [orderId]",
    "to": "documentKey: [orderNumber]",
    "expect": [
      "layouts/cascade-shipments.yaml:11:14: documentKey: orderNumber is not a field this layout maps"
    ]
  },
  {
    "name": "csv duplicate column",
    "file": "layouts/cascade-inventory.yaml",
    "from": "columns: [Warehouse, SnapshotTime, Item, Status, Qty]",
    "to": "columns: [Warehouse, SnapshotTime, Item, Status, Qty, Item]",
    "expect": [
      "layouts/cascade-inventory.yaml:8:10: columns: Item named twice"
    ]
  },
  {
    "name": "csv encoding",
    "file": "layouts/cascade-inventory.yaml",
    "from": "encoding: windows-1252",
    "to": "encoding: latin-9",
    "expect": [
      "layouts/cascade-inventory.yaml:7:60: csv.encoding: Invalid option: expected one of \"utf-8\"|\"windows-1252\"|\"iso-8859-1\"|\"utf-16le\"",
      "partners/cascade-csv.yaml:24:52: documents.inventory.layout: no layout with id 'cascade-inventory'"
    ]
  },
  {
    "name": "xml bad path",
    "file": "layouts/cascade-receipts.yaml",
    "from": "lines[].lpn: LicensePlate",
    "to": "lines[].lpn: \"Lic@ense/Plate\"",
    "expect": [
      "layouts/cascade-receipts.yaml:16:16: fields.lines[].lpn: 'Lic@ense/Plate' is not an element path (Name, ShipTo/City, @id, Lines/Line/@no)"
    ]
  },
  {
    "name": "xml loop without path",
    "file": "layouts/cascade-receipts.yaml",
    "from": "  lines: Lines/Line\n",
    "to": "  lines: { key: lpn }\n",
    "expect": [
      "layouts/cascade-receipts.yaml:20:10: loops.lines: an XML layout needs the path that repeats with lines"
    ]
  },
  {
    "name": "carrier duplicate without override",
    "file": "tables/cascade-carriers.yaml",
    "from": "{ scac: USPS, carrierCode: USPS, shippingMethod: Ground Advantage, override: true }",
    "to": "{ scac: USPS, carrierCode: USPS, shippingMethod: Ground Advantage }",
    "expect": [
      "tables/cascade-carriers.yaml:9:5: entries.2: USPS is already mapped by carrier-table 'carriers-us' (used before it by partner cascade-csv): add override: true to replace it"
    ]
  },
  {
    "name": "carrier override with nothing to override",
    "file": "tables/cascade-carriers.yaml",
    "from": "{ scac: UPSN, service: GND, carrierCode: UPS, shippingMethod: UPS Ground }",
    "to": "{ scac: UPSN, service: GND, carrierCode: UPS, shippingMethod: UPS Ground, override: true }",
    "expect": [
      "tables/cascade-carriers.yaml:7:89: entries.0.override: no earlier table of partner cascade-csv maps UPSN GND"
    ]
  },
  {
    "name": "partner layout of another format",
    "file": "partners/cascade-csv.yaml",
    "from": "shipment-advice: { direction: in, format: csv, layout: cascade-shipments }",
    "to": "shipment-advice: { direction: in, format: xml, layout: cascade-shipments }",
    "expect": [
      "partners/cascade-csv.yaml:23:58: documents.shipment-advice.layout: layout 'cascade-shipments' is a csv shipment-advice layout"
    ]
  },
  {
    "name": "partner x12 without identities",
    "file": "partners/cascade-csv.yaml",
    "from": "inventory: { direction: in, format: csv, layout: cascade-inventory }",
    "to": "inventory: { direction: in, format: x12, layout: reno-846 }",
    "expect": [
      "partners/cascade-csv.yaml:24:39: documents.inventory: x12 needs the partner's x12 identities (x12.us, x12.them)"
    ]
  },
  {
    "name": "host key",
    "file": "partners/cascade-csv.yaml",
    "from": "hostKey: SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM",
    "to": "hostKey: 3b:2a:99:10",
    "expect": [
      "partners/cascade-csv.yaml:15:12: transport.hostKey: a host-key fingerprint as OpenSSH prints it, e.g. SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8"
    ]
  },
  {
    "name": "remote dir traversal",
    "file": "partners/cascade-csv.yaml",
    "from": "inbound: /to_client,",
    "to": "inbound: /to_client/../../etc,",
    "expect": [
      "partners/cascade-csv.yaml:16:27: transport.directories.inbound: no \"..\" in a directory"
    ]
  },
  {
    "name": "file name pattern",
    "file": "partners/cascade-csv.yaml",
    "from": "ship-order: \"orders_{timestamp}.csv\"",
    "to": "ship-order: \"../orders_{timestamp}.csv\"",
    "expect": [
      "partners/cascade-csv.yaml:18:17: transport.fileNames.ship-order: a file-name pattern of letters, digits, . _ - and {partner} {document} {control} {timestamp}",
      "partners/cascade-csv.yaml:18:17: transport.fileNames.ship-order: no \"..\" in a file name"
    ]
  },
  {
    "name": "time zone",
    "file": "partners/cascade-csv.yaml",
    "from": "timeZone: America/Chicago",
    "to": "timeZone: Central",
    "expect": [
      "partners/cascade-csv.yaml:8:11: timeZone: an IANA time zone such as America/Los_Angeles"
    ]
  },
  {
    "name": "kit with one part",
    "file": "tables/acme-skus.yaml",
    "from": "      - { warehouseItem: GIFT-BOX-S, quantity: 1 }\n",
    "to": "",
    "expect": [
      "sellers/acme.yaml:13:7: skus: no sku-table with id 'acme-skus'",
      "tables/acme-skus.yaml:12:7: items.2.kit: Too small: expected array to have >=2 items"
    ]
  },
  {
    "name": "kit and item",
    "file": "tables/acme-skus.yaml",
    "from": "  - sellerSku: MUG-GIFT-SET          # a kit: sellable quantity is the minimum over its parts\n",
    "to": "  - sellerSku: MUG-GIFT-SET\n    warehouseItem: MUG-SET\n",
    "expect": [
      "sellers/acme.yaml:13:7: skus: no sku-table with id 'acme-skus'",
      "tables/acme-skus.yaml:9:5: items.2: an item has either warehouseItem or kit, not both and not neither"
    ]
  },
  {
    "name": "unknown layout kind",
    "file": "layouts/cascade-receipts.yaml",
    "from": "format: xml",
    "to": "format: json",
    "expect": [
      "layouts/cascade-receipts.yaml:5:9: format: Invalid discriminator value. Expected 'x12' | 'csv' | 'xml'",
      "partners/cascade-csv.yaml:25:50: documents.receipt.layout: no layout with id 'cascade-receipts'"
    ]
  }
];

for (const c of CASES) {
  test(`mapping check: ${c.name}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
    try {
      cpSync(examples, dir, { recursive: true });
      const text = readFileSync(join(dir, c.file), 'utf8');
      assert.ok(text.includes(c.from), `the example ${c.file} no longer contains the text this case edits`);
      writeFileSync(join(dir, c.file), text.replace(c.from, c.to));
      const got = loadMappings(dir).problems.map((p) => formatProblem(p).replace(/[^\s]*dockgate-mappings-[^/]+\//g, ''));
      assert.deepEqual(got, c.expect);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
