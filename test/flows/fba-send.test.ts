/**
 * FBA replenishment, the send side, end to end on real parts: inbound plans in the SP-API
 * emulator read through the real client, SQLite, the example mappings (or a copy naming a
 * per-plan warehouse), the warehouse's directories. What reaches the warehouse is read back by
 * the partner's own layout, as the warehouse would read it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkFbaNotShipped, pollFbaShipments, retries, sendFbaShipment, sendInboundShipment } from '../../src/flows/fba-replenishment.ts';
import { readPartner, translator } from '../../src/mapping/translate.ts';
import type { ShipOrder } from '../../src/model/index.ts';
import { drainDeliveries, MAPPINGS, sampleSeed, startHarness, TestClock, type Harness, type HarnessOptions } from './harness.ts';

const RENO = 'FBA15RENO0001';
const CASCADE = 'FBA15CASC0001';
const DAY = 86_400_000;

/** The sample seed without its own inbound plans: each test adds the plans it is about. */
function seed() {
  const s = sampleSeed();
  for (const seller of s.sellers) seller.inboundPlans = [];
  return s;
}

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  return startHarness({ seed: seed(), ...options, clock, emulator: { clock, ...options.emulator } });
}

/** A plan of one shipment: two boxes of 24 of acme's FNSKU-labelled T-shirt. */
function plan(n: number, confirmationId: string, options: { name?: string; fc?: string; status?: string; sku?: string } = {}) {
  const hex = n.toString(16).padStart(4, '0');
  const sku = options.sku ?? 'TSHIRT-RED-M-FBA';
  return {
    inboundPlanId: `wf${hex}aaaa-0000-0000-0000-000000000000`,
    name: options.name ?? `Replenishment ${n}`,
    createdAt: '2026-11-20T09:00:00Z',
    marketplaceIds: ['ATVPDKIKX0DER'],
    shipments: [
      {
        shipmentId: `sh${hex}bbbb-0000-0000-0000-000000000000`,
        confirmationId,
        amazonReferenceId: `3K7Q${hex.toUpperCase()}`,
        destinationFc: options.fc ?? 'RNO4',
        status: (options.status ?? 'READY_TO_SHIP') as 'READY_TO_SHIP',
        boxes: [1, 2].map((i) => ({ boxId: `${confirmationId}U00000${i}`, items: [{ msku: sku, fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 24 }] })),
      },
    ],
  };
}

const files = (h: Harness, partner: string) => readdirSync(h.partnerDir(partner, 'outbound')).filter((n) => !n.startsWith('.')).sort();
const bytes = (h: Harness, partner: string, name: string) => readFileSync(join(h.partnerDir(partner, 'outbound'), name));
async function reads(h: Harness, partner: string, name: string): Promise<ShipOrder[]> {
  const r = await readPartner(translator(h.ctx.mappings, partner, 'ship-order'), bytes(h, partner, name), { seller: 'acme' });
  assert.deepEqual(r.documents.map((d) => d.status), r.documents.map(() => 'ok'), JSON.stringify(r.documents.map((d) => d.problems)));
  return r.documents.map((d) => d.document as ShipOrder);
}

function mappingsWith(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  edit(dir);
  return dir;
}

test('a READY_TO_SHIP shipment becomes one 940 with the Shipment ID in W05 and N9*BM, the FC, box count and reference; a second poll sends nothing', async () => {
  const h = await harness();
  try {
    h.emulator.addInboundPlan('acme', plan(1, RENO));
    // Still being worked on at Amazon: not the warehouse's yet.
    h.emulator.addInboundPlan('acme', plan(2, 'FBA15WORK0001', { status: 'WORKING' }));
    const first = await pollFbaShipments(h.ctx, 'acme');
    assert.equal(first.failed, 0);
    assert.equal(first.counts.sent, 1, JSON.stringify(first.counts));
    const r = await h.store.work.fba.get('acme', RENO);
    assert.ok(r);
    assert.deepEqual([r.state, r.partner, r.source, r.destinationFc, r.amazonStatus, r.sentAt], ['sent', 'reno-wms', 'poll', 'RNO4', 'READY_TO_SHIP', h.clock.now().toISOString()]);
    assert.deepEqual(r.boxes.map((b) => b.boxId), [`${RENO}U000001`, `${RENO}U000002`]);
    assert.match(r.labelsUrl ?? '', /labels\/FBA15RENO0001\.pdf$/);
    assert.equal(await h.store.work.fba.get('acme', 'FBA15WORK0001'), null);
    // The ship order is an order of the orders machinery: queued, revision 1, in one file with its job.
    const order = await h.store.work.orders.get('acme', RENO);
    assert.deepEqual([order?.state, order?.partner, order?.revision], ['queued', 'reno-wms', 1]);
    assert.deepEqual(await drainDeliveries(h), { done: 1, failed: [] });
    const [name] = files(h, 'reno-wms');
    const edi = bytes(h, 'reno-wms', name).toString('latin1');
    assert.match(edi, new RegExp(`W05\\*N\\*${RENO}\\*${RENO}~`), 'primary reference and order id');
    assert.match(edi, new RegExp(`N9\\*BM\\*${RENO}~`), 'the BOL reference the carrier needs at the FC');
    assert.match(edi, /N1\*ST\*Amazon\.com Services LLC RNO4\*92\*RNO4~/);
    assert.match(edi, /N3\*8000 N Virginia St~/);
    assert.match(edi, /N9\*ZZ\*2\*FBA BOXES~/, 'the box count');
    assert.match(edi, /N9\*PO\*3K7Q0001~/, 'the Amazon Reference ID');
    assert.match(edi, /W01\*48\*EA\*\*VN\*TS-RED-M-FNSKU~/);
    // Read back as the warehouse reads it.
    const [doc] = await reads(h, 'reno-wms', name);
    assert.deepEqual([doc.type, doc.orderId, doc.fbaInbound?.shipmentId, doc.fbaInbound?.destinationFc, doc.fbaInbound?.boxCount], ['fba-inbound', RENO, RENO, 'RNO4', 2]);

    const second = await pollFbaShipments(h.ctx, 'acme');
    assert.equal(second.counts.sent ?? 0, 0);
    assert.equal(second.counts.unchanged, 1);
    assert.equal((await h.store.work.jobs.list({ kind: 'deliver-file' })).length, 1, 'no second file');
    // By hand: sent already, nothing more.
    const again = await sendFbaShipment(h.ctx, 'acme', RENO);
    assert.equal(again.outcome, 'already');
    assert.equal((await h.store.work.jobs.list({ kind: 'deliver-file' })).length, 1);
  } finally {
    await h.close();
  }
});

test('a plan the seller routes to another warehouse goes there in its layout: one CSV with the Shipment ID, box count and labels URL', async () => {
  const dir = mappingsWith((d) => {
    const f = join(d, 'sellers/acme.yaml');
    writeFileSync(f, `${readFileSync(f, 'utf8')}fba:\n  plans:\n    "Cascade replenishment": cascade-csv\n`);
  });
  const h = await harness({ mappingsDir: dir });
  try {
    h.emulator.addInboundPlan('acme', plan(3, CASCADE, { name: 'Cascade replenishment', fc: 'ONT8' }));
    h.emulator.addInboundPlan('acme', plan(4, RENO));
    const s = await pollFbaShipments(h.ctx, 'acme');
    assert.equal(s.counts.sent, 2, JSON.stringify(s.counts));
    assert.equal((await h.store.work.fba.get('acme', CASCADE))?.partner, 'cascade-csv');
    assert.equal((await h.store.work.fba.get('acme', RENO))?.partner, 'reno-wms');
    assert.deepEqual(await drainDeliveries(h), { done: 2, failed: [] });
    const [csvName] = files(h, 'cascade-csv');
    const csv = bytes(h, 'cascade-csv', csvName).toString('latin1').split('\r\n').filter(Boolean);
    assert.equal(csv.length, 2, 'a header and one line');
    const header = csv[0].split(',');
    const row = Object.fromEntries(csv[1].split(',').map((v, i) => [header[i], v]));
    assert.deepEqual([row.OrderNumber, row.BOLReference, row.CustomerRef, row.DestinationFC, row.BoxCount, row.Qty, row.SellerSKU], [CASCADE, CASCADE, CASCADE, 'ONT8', '2', '48', 'TSHIRT-RED-M-FBA']);
    assert.match(row.LabelsUrl, /labels\/FBA15CASC0001\.pdf$/);
    assert.match(row.ShipToName, /ONT8/);
    const [doc] = await reads(h, 'cascade-csv', csvName);
    assert.deepEqual([doc.fbaInbound?.shipmentId, doc.fbaInbound?.boxCount, doc.fbaInbound?.labelsUrl], [CASCADE, 2, row.LabelsUrl]);
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a shipment the model refuses is held with fba-shipment-problem and never sent; an invalid Shipment ID likewise', async () => {
  const h = await harness();
  try {
    // An FC code no fulfilment centre has (the model wants 3 to 5 letters and digits).
    h.emulator.addInboundPlan('acme', plan(5, 'FBA15BADFC001', { fc: 'R-4' }));
    const s = await pollFbaShipments(h.ctx, 'acme');
    assert.deepEqual([s.counts.held, s.counts.sent ?? 0], [1, 0]);
    const r = await h.store.work.fba.get('acme', 'FBA15BADFC001');
    assert.equal(r?.state, 'held');
    const x = await h.store.work.exceptions.find('fba-shipment-problem', 'FBA15BADFC001', 'acme', 'reno-wms');
    assert.ok(x, 'the exception names the shipment');
    assert.equal(r?.exceptionId, x.id);
    assert.match(x.message, /destinationFc/);
    assert.deepEqual(x.refs, ['FBA15BADFC001']);
    assert.equal(await h.store.work.orders.get('acme', 'FBA15BADFC001'), null, 'no ship order');
    assert.equal((await h.store.work.jobs.list({ kind: 'deliver-file' })).length, 0);
    // A second poll does not raise it again: held until a retry.
    await pollFbaShipments(h.ctx, 'acme');
    assert.equal((await h.store.work.exceptions.get(x.id))?.count, 1);

    // Amazon's detail of a real shipment with its Shipment ID garbled: refused on the way out, held.
    h.emulator.addInboundPlan('acme', plan(6, 'FBA15GOOD0006', { status: 'WORKING' }));
    const detail = await h.ctx.amazon('acme').inboundShipment('FBA15GOOD0006');
    assert.ok(detail);
    const bad = await sendInboundShipment(h.ctx, 'acme', { ...detail, confirmationId: 'FBA-15-GOOD' });
    assert.equal(bad.outcome, 'held');
    const y = await h.store.work.exceptions.find('fba-shipment-problem', 'FBA-15-GOOD', 'acme', 'reno-wms');
    assert.match(y?.message ?? '', /fbaInbound\.shipmentId: an Amazon Shipment ID/);
    assert.equal((await h.store.work.jobs.list({ kind: 'deliver-file' })).length, 0, 'nothing sent');
  } finally {
    await h.close();
  }
});

test('an SKU the seller table lacks holds the shipment with unmapped-sku; the retry after the fix sends it', async () => {
  let dir = mappingsWith(() => {});
  const h = await harness({ mappingsDir: dir });
  try {
    h.emulator.addInboundPlan('acme', plan(7, 'FBA15NOSKU007', { sku: 'HAT-BLUE-FBA' }));
    const s = await pollFbaShipments(h.ctx, 'acme');
    assert.equal(s.counts.held, 1);
    const x = await h.store.work.exceptions.find('unmapped-sku', 'HAT-BLUE-FBA', 'acme', 'reno-wms');
    assert.ok(x);
    assert.deepEqual(x.refs, ['FBA15NOSKU007']);
    // The fix: the SKU added to the table; the runner loads the mappings again.
    const f = join(dir, 'tables/acme-skus.yaml');
    writeFileSync(f, `${readFileSync(f, 'utf8').trimEnd()}\n  - { sellerSku: HAT-BLUE-FBA, warehouseItem: HAT-BLU }\n`);
    const { loadMappings } = await import('../../src/mapping/load.ts');
    const loaded = loadMappings(dir);
    assert.deepEqual(loaded.problems, []);
    h.ctx.mappings = loaded.mappings;
    const line = await retries['unmapped-sku']!(h.ctx, x);
    assert.match(line, /1 of 1 held FBA shipment\(s\) sent/);
    assert.equal((await h.store.work.fba.get('acme', 'FBA15NOSKU007'))?.state, 'sent');
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
    dir = '';
  }
});

test('fba-not-shipped once the window passes on the clock, one per shipment; resolved when it ships', async () => {
  const h = await harness({ settings: { fbaShipWithinDays: 3 } });
  try {
    h.emulator.addInboundPlan('acme', plan(8, RENO));
    await pollFbaShipments(h.ctx, 'acme');
    h.clock.advance(3 * DAY - 60_000);
    assert.equal((await checkFbaNotShipped(h.ctx)).counts.raised ?? 0, 0, 'within the window');
    h.clock.advance(120_000);
    assert.equal((await checkFbaNotShipped(h.ctx)).counts.raised, 1);
    const x = await h.store.work.exceptions.find('fba-not-shipped', RENO, 'acme', 'reno-wms');
    assert.ok(x);
    assert.deepEqual(x.refs, [RENO]);
    assert.equal((await checkFbaNotShipped(h.ctx)).counts['already-raised'], 1, 'one exception, not one per check');
    // The ship side (fba-shipped.ts) moves the record on when the warehouse ships it.
    const r = (await h.store.work.fba.get('acme', RENO))!;
    await h.store.work.fba.put({ ...r, state: 'shipped', shippedAt: h.clock.now().toISOString(), updatedAt: h.clock.now().toISOString() });
    assert.equal((await checkFbaNotShipped(h.ctx)).counts.resolved, 1);
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
  } finally {
    await h.close();
  }
});

test('a shipment cancelled at Amazon after it was sent: a cancel 940 to a warehouse that takes changes', async () => {
  const h = await harness();
  try {
    h.emulator.addInboundPlan('acme', plan(9, RENO));
    await pollFbaShipments(h.ctx, 'acme');
    await drainDeliveries(h);
    h.emulator.setInboundShipmentStatus('acme', RENO, 'CANCELLED');
    const s = await pollFbaShipments(h.ctx, 'acme');
    assert.equal(s.counts['cancel-sent'], 1, JSON.stringify(s.counts));
    assert.equal((await h.store.work.fba.get('acme', RENO))?.state, 'cancelled');
    assert.equal((await h.store.work.orders.get('acme', RENO))?.state, 'cancel-sent');
    await drainDeliveries(h);
    const names = files(h, 'reno-wms');
    assert.equal(names.length, 2);
    const docs = await reads(h, 'reno-wms', names[1]);
    assert.deepEqual(docs.map((d) => [d.orderId, d.purpose]), [[RENO, 'cancel']]);
  } finally {
    await h.close();
  }
});
