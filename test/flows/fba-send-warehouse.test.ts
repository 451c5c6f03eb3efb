/**
 * FBA replenishment end to end through the warehouse simulator: polled from the emulator, sent
 * as a 940 (Reno) or a CSV (Cascade), packed and shipped by the simulated warehouse in the boxes
 * the ship order counted, read back by the gateway and checked against Amazon's boxes
 * (src/flows/fba-shipped.ts), the tracking given to Amazon; and a carton missing from the
 * paperwork (the simulator's dropBox fault) caught as a mismatch.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pollFbaShipments } from '../../src/flows/fba-replenishment.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { WarehouseSimulator, type WarehouseOptions } from '../../src/sandbox/warehouse/index.ts';
import { MAPPINGS, sampleSeed, startHarness, TestClock, type Harness } from './harness.ts';

const ID = 'FBA15WHSE0001';

async function world(partner: string, options: Partial<WarehouseOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const f = join(dir, 'sellers/acme.yaml');
  writeFileSync(f, `${readFileSync(f, 'utf8')}fba:\n  warehouse: ${partner}\n`);
  const seed = sampleSeed();
  for (const s of seed.sellers) s.inboundPlans = [];
  const clock = new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  const h = await startHarness({ seed, mappingsDir: dir, clock, emulator: { clock } });
  h.emulator.addInboundPlan('acme', {
    inboundPlanId: 'wf0e2e0000-0000-0000-0000-000000000000',
    name: 'End to end',
    createdAt: '2026-11-20T09:00:00Z',
    marketplaceIds: ['ATVPDKIKX0DER'],
    shipments: [
      {
        shipmentId: 'sh0e2e0000-0000-0000-0000-000000000000',
        confirmationId: ID,
        amazonReferenceId: '3K7QWHSE',
        destinationFc: 'RNO4',
        status: 'READY_TO_SHIP',
        boxes: [1, 2].map((i) => ({ boxId: `${ID}U00000${i}`, items: [{ msku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 24 }] })),
      },
    ],
  });
  const sim = new WarehouseSimulator({ mappings: h.mappings, partner, root: h.partnerRoot, inventoryEverySeconds: 0, shipAfterSeconds: 60, clock, ...options });
  const drain = () => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();
  return { h, sim, drain, clock, close: async () => (await h.close(), rmSync(dir, { recursive: true, force: true })) };
}

async function roundTrip(w: Awaited<ReturnType<typeof world>>, partner: string): Promise<Harness> {
  const { h, sim, drain, clock } = w;
  assert.equal((await pollFbaShipments(h.ctx, 'acme')).counts.sent, 1);
  await drain();
  const taken = await sim.step(clock.now());
  assert.deepEqual(taken.ordersReceived, [ID]);
  clock.advance(61_000);
  const shipped = await sim.step(clock.now());
  assert.equal(shipped.shipped.length, 1);
  await pollPartnerFiles(h.ctx, partner);
  await drain();
  return h;
}

test('Reno: polled, 940, shipped by the simulator in the two boxes (945 and 856), cartons match, tracking per box at Amazon', async () => {
  const w = await world('reno-wms');
  try {
    const h = await roundTrip(w, 'reno-wms');
    const r = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(r.state, 'tracking-accepted', `${r.state}: ${r.problems.join('; ')}`);
    assert.deepEqual(r.problems, []);
    assert.deepEqual(r.shipped?.cartons.map((c) => c.boxId), [`${ID}U000001`, `${ID}U000002`]);
    const atAmazon = h.emulator.inboundShipments('acme').find((s) => s.confirmationId === ID)!;
    assert.equal(atAmazon.tracking?.kind, 'small-parcel');
    assert.deepEqual(await h.store.work.exceptions.list({ states: ['open'], kind: 'fba-carton-mismatch' }), []);
  } finally {
    await w.close();
  }
});

test('Cascade: polled, CSV, shipped in the two boxes (shipments CSV with LPN and SSCC), cartons match, tracking at Amazon', async () => {
  const w = await world('cascade-csv');
  try {
    const h = await roundTrip(w, 'cascade-csv');
    const r = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(r.partner, 'cascade-csv');
    assert.equal(r.state, 'tracking-accepted', `${r.state}: ${r.problems.join('; ')}`);
  } finally {
    await w.close();
  }
});

test('a carton missing from the warehouse\'s paperwork (dropBox): mismatched, fba-carton-mismatch naming the box, no tracking', async () => {
  const w = await world('reno-wms', { fbaFaults: { dropBox: true } });
  try {
    const h = await roundTrip(w, 'reno-wms');
    const r = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(r.state, 'mismatched');
    const [x] = await h.store.work.exceptions.list({ states: ['open'], kind: 'fba-carton-mismatch' });
    assert.ok(x, 'the mismatch exception');
    assert.match(x.message, new RegExp(`${ID}U000002`));
    assert.equal(h.emulator.inboundShipments('acme').find((s) => s.confirmationId === ID)?.tracking ?? null, null);
  } finally {
    await w.close();
  }
});
