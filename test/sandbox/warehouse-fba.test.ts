/**
 * The warehouse simulator's FBA replenishments (src/sandbox/warehouse/fba.ts): an fba-inbound
 * ship order shipped in the cartons Amazon expects — box label ids from the Shipment ID and the
 * box count, SSCC-18s with a correct GS1 check digit — in the partner's shipment advice layout
 * (Reno 945, Cascade CSV) and, for Reno (inbound-asn in), an 856 too; and its two faults.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadMappings } from '../../src/mapping/load.ts';
import { readPartner, translator, writePartner } from '../../src/mapping/translate.ts';
import type { InboundAsn, ShipmentAdvice, ShipOrder } from '../../src/model/index.ts';
import { makeSscc, withBadCheckDigit } from '../../src/sandbox/warehouse/fba.ts';
import { WarehouseSimulator, type WarehouseOptions } from '../../src/sandbox/warehouse/index.ts';
import { isValidSscc, ssccProblem } from '../../src/x12/validate/sscc.ts';

const root = resolve(import.meta.dirname, '../..');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
assert.deepEqual(problems, []);
const T0 = Date.parse('2026-11-02T12:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
const SHIPMENT = 'FBA15SIMU0001';

/** An FBA replenishment as the gateway sends it: 50 units of one SKU in 3 boxes (17, 17, 16). */
const order = (): ShipOrder => ({
  kind: 'ShipOrder',
  orderId: SHIPMENT,
  type: 'fba-inbound',
  seller: 'acme',
  marketplaceId: 'ATVPDKIKX0DER',
  purpose: 'new',
  shipTo: { name: 'Amazon.com Services LLC RNO4', lines: ['8000 N Virginia St'], city: 'Reno', stateOrRegion: 'NV', postalCode: '89506', countryCode: 'US' },
  notes: [],
  lines: [{ lineNumber: 1, sellerSku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', quantity: 50, unit: 'EA' }],
  fbaInbound: { shipmentId: SHIPMENT, referenceId: '3K7QSIMU', destinationFc: 'RNO4', boxCount: 3, labelsUrl: 'https://labels.example/FBA15SIMU0001.pdf' },
});

function world(partner: string, options: Partial<WarehouseOptions> = {}) {
  const base = mkdtempSync(join(tmpdir(), 'dockgate-warehouse-fba-'));
  const dirs = mappings.partners.get(partner)!.transport.directories;
  const toWarehouse = join(base, partner, dirs.outbound);
  const fromWarehouse = join(base, partner, dirs.inbound);
  const sim = new WarehouseSimulator({ mappings, partner, root: base, inventoryEverySeconds: 0, shipAfterSeconds: 60, ...options });
  const w = writePartner(translator(mappings, partner, 'ship-order'), [order()], { now: new Date(T0) });
  assert.deepEqual(w.documents.map((d) => d.status), ['ok'], JSON.stringify(w.documents));
  mkdirSync(toWarehouse, { recursive: true });
  writeFileSync(join(toWarehouse, `orders_1.${w.isa13 ? 'edi' : 'csv'}`), w.bytes!);
  return {
    sim,
    written: (pattern: RegExp) => (existsSync(fromWarehouse) ? readdirSync(fromWarehouse).filter((f) => pattern.test(f)).sort() : []),
    bytes: (name: string) => readFileSync(join(fromWarehouse, name)),
    close: () => rmSync(base, { recursive: true, force: true }),
  };
}

async function read<T>(partner: string, doc: 'shipment-advice' | 'inbound-asn', bytes: Buffer): Promise<Array<{ status: string; document: T; problems: unknown[] }>> {
  const r = await readPartner(translator(mappings, partner, doc), bytes);
  assert.deepEqual(r.fileProblems, []);
  return r.documents.map((d) => ({ status: d.status, document: d.document as T, problems: d.problems }));
}

test('makeSscc: 18 digits, extension 0, the example GS1 prefix, a correct check digit; the fault form fails only the check digit', () => {
  for (const serial of [1, 42, 999_999_999, 123_456_789_012]) {
    const s = makeSscc(serial);
    assert.match(s, /^00614141\d{10}$/);
    assert.ok(isValidSscc(s), s);
    assert.equal(ssccProblem(withBadCheckDigit(s)), 'check-digit');
  }
  assert.notEqual(makeSscc(1), makeSscc(2));
});

test('Reno: an FBA order ships as one 945 with a package per box (label id, SSCC, tracking) and an 856 of the same cartons', async () => {
  const w = world('reno-wms');
  try {
    const first = await w.sim.step(at(0));
    assert.deepEqual(first.ordersReceived, [SHIPMENT]);
    const shipped = await w.sim.step(at(61));
    assert.equal(shipped.shipped.length, 1);
    assert.equal(shipped.shipped[0].packages.length, 3);
    const [f945] = w.written(/_945_/);
    const [f856] = w.written(/_856_/);
    assert.ok(f945 && f856, JSON.stringify(w.written(/./)));
    const [advice] = await read<ShipmentAdvice>('reno-wms', 'shipment-advice', w.bytes(f945));
    assert.equal(advice.status, 'ok', JSON.stringify(advice.problems));
    const a = advice.document;
    assert.equal(a.orderId, SHIPMENT);
    assert.deepEqual(a.packages.map((p) => p.lpn), [`${SHIPMENT}U000001`, `${SHIPMENT}U000002`, `${SHIPMENT}U000003`]);
    assert.deepEqual(a.packages.map((p) => p.lines.reduce((n, l) => n + l.quantity, 0)), [17, 17, 16]);
    assert.ok(a.packages.every((p) => p.sscc && isValidSscc(p.sscc)));
    assert.equal(new Set(a.packages.map((p) => p.trackingNumber)).size, 3, 'a tracking number per box (small parcel)');
    assert.deepEqual(a.lines.map((l) => [l.sellerSku, l.ordered, l.shipped]), [['TSHIRT-RED-M-FBA', 50, 50]]);
    const [asn] = await read<InboundAsn>('reno-wms', 'inbound-asn', w.bytes(f856));
    assert.equal(asn.status, 'ok', JSON.stringify(asn.problems));
    assert.equal(asn.document.shipmentId, SHIPMENT);
    assert.deepEqual(asn.document.cartons.map((c) => [c.boxId, c.sscc?.slice(-18), c.contents.reduce((n, x) => n + x.quantity, 0)]), a.packages.map((p) => [p.lpn, p.sscc?.slice(-18), p.lines.reduce((n, l) => n + l.quantity, 0)]));
  } finally {
    w.close();
  }
});

test('Cascade: the same cartons as rows of its shipments CSV (LPN and SSCC columns), no 856', async () => {
  const w = world('cascade-csv');
  try {
    await w.sim.step(at(0));
    await w.sim.step(at(61));
    const [csv] = w.written(/^shipments_/);
    assert.ok(csv);
    assert.deepEqual(w.written(/856/), []);
    const [advice] = await read<ShipmentAdvice>('cascade-csv', 'shipment-advice', w.bytes(csv));
    assert.equal(advice.status, 'ok', JSON.stringify(advice.problems));
    assert.deepEqual(advice.document.packages.map((p) => [p.lpn, isValidSscc(p.sscc ?? '')]), [1, 2, 3].map((i) => [`${SHIPMENT}U00000${i}`, true]));
  } finally {
    w.close();
  }
});

test('fault dropBox: the last carton is missing from the 945 and the 856, the lines say so', async () => {
  const w = world('reno-wms', { fbaFaults: { dropBox: true } });
  try {
    await w.sim.step(at(0));
    await w.sim.step(at(61));
    const [advice] = await read<ShipmentAdvice>('reno-wms', 'shipment-advice', w.bytes(w.written(/_945_/)[0]));
    assert.deepEqual(advice.document.packages.map((p) => p.lpn), [`${SHIPMENT}U000001`, `${SHIPMENT}U000002`]);
    assert.deepEqual(advice.document.lines.map((l) => [l.ordered, l.shipped]), [[50, 34]]);
    const [asn] = await read<InboundAsn>('reno-wms', 'inbound-asn', w.bytes(w.written(/_856_/)[0]));
    assert.equal(asn.document.cartons.length, 2);
  } finally {
    w.close();
  }
});

test('fault badSsccCheckDigit: the first carton\'s SSCC has a wrong GS1 check digit in the files; the others are good', async () => {
  const w = world('reno-wms', { fbaFaults: { badSsccCheckDigit: true } });
  try {
    await w.sim.step(at(0));
    await w.sim.step(at(61));
    for (const name of [w.written(/_945_/)[0], w.written(/_856_/)[0]]) {
      const ssccs = [...w.bytes(name).toString('latin1').matchAll(/MAN\*GM\*(\d+)/g)].map((m) => m[1]);
      assert.equal(ssccs.length, 3, name);
      assert.deepEqual(ssccs.map(ssccProblem), ['check-digit', null, null], name);
    }
    // As the gateway reads it: the model refuses the advice, naming the SSCC.
    const [advice] = await read<ShipmentAdvice>('reno-wms', 'shipment-advice', w.bytes(w.written(/_945_/)[0]));
    assert.notEqual(advice.status, 'ok');
    assert.match(JSON.stringify(advice.problems), /SSCC/);
  } finally {
    w.close();
  }
});
