/**
 * /api/v1/fba-shipments over real parts: shipments polled from the emulator by the real flow,
 * one sent (and delivered) and one held; every response validated against the OpenAPI document
 * by the API harness.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { pollFbaShipments } from '../../src/flows/fba-replenishment.ts';
import { drainDeliveries, sampleSeed, startHarness, TestClock, type Harness } from '../flows/harness.ts';
import { startApi, type Api } from './api-harness.ts';

const SENT = 'FBA15APISENT1';
const HELD = 'FBA15APIHELD1';
let h: Harness;
let api: Api;

function plan(n: number, confirmationId: string, fc: string) {
  const hex = n.toString(16).padStart(4, '0');
  return {
    inboundPlanId: `wf${hex}cccc-0000-0000-0000-000000000000`,
    name: `API plan ${n}`,
    createdAt: '2026-11-20T09:00:00Z',
    marketplaceIds: ['ATVPDKIKX0DER'],
    shipments: [
      {
        shipmentId: `sh${hex}dddd-0000-0000-0000-000000000000`,
        confirmationId,
        destinationFc: fc,
        status: 'READY_TO_SHIP' as const,
        boxes: [{ boxId: `${confirmationId}U000001`, items: [{ msku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 6 }] }],
      },
    ],
  };
}

before(async () => {
  const seed = sampleSeed();
  for (const s of seed.sellers) s.inboundPlans = [];
  const clock = new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  h = await startHarness({ seed, clock, emulator: { clock } });
  h.emulator.addInboundPlan('acme', plan(1, SENT, 'RNO4'));
  const s1 = await pollFbaShipments(h.ctx, 'acme');
  assert.equal(s1.counts.sent, 1);
  assert.deepEqual(await drainDeliveries(h), { done: 1, failed: [] });
  // Later, so that the list's newest-first order is known: a shipment whose FC code the model refuses.
  h.clock.advance(60_000);
  h.emulator.addInboundPlan('acme', plan(2, HELD, 'R-4'));
  assert.equal((await pollFbaShipments(h.ctx, 'acme')).counts.held, 1);
  api = await startApi({ harness: h });
});
after(async () => {
  await api?.close();
  await h?.close();
});

// biome-ignore lint: response bodies
type Body = any;
const get = async (path: string): Promise<Body> => {
  const r = await api.request('GET', path);
  assert.equal(r.status, 200, `GET ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
};

test('the list: newest first, filtered by seller, state and partner, paged by cursor', async () => {
  const all = await get('/api/v1/fba-shipments');
  assert.deepEqual(all.items.map((r: Body) => [r.shipmentId, r.state]), [[HELD, 'held'], [SENT, 'sent']]);
  assert.equal(all.next, null);
  assert.deepEqual((await get('/api/v1/fba-shipments?state=held')).items.map((r: Body) => r.shipmentId), [HELD]);
  assert.deepEqual((await get('/api/v1/fba-shipments?seller=northwind')).items, []);
  assert.deepEqual((await get('/api/v1/fba-shipments?partner=reno-wms&state=sent')).items.map((r: Body) => r.shipmentId), [SENT]);
  const first = await get('/api/v1/fba-shipments?limit=1');
  assert.deepEqual(first.items.map((r: Body) => r.shipmentId), [HELD]);
  assert.ok(first.next);
  const second = await get(`/api/v1/fba-shipments?limit=1&cursor=${first.next}`);
  assert.deepEqual(second.items.map((r: Body) => r.shipmentId), [SENT]);
  assert.equal(second.next, null);
  const bad = await api.request('GET', '/api/v1/fba-shipments?state=lost');
  assert.equal(bad.status, 400);
});

test('one sent shipment: the record, its ship order delivered (no 997 yet), no exceptions', async () => {
  const d = await get(`/api/v1/fba-shipments/acme/${SENT}`);
  assert.deepEqual([d.shipment.state, d.shipment.partner, d.shipment.destinationFc, d.shipment.boxes.length], ['sent', 'reno-wms', 'RNO4', 1]);
  assert.match(d.shipment.labelsUrl, /FBA15APISENT1\.pdf$/);
  assert.deepEqual([d.shipOrder.order.orderId, d.shipOrder.order.state, d.shipOrder.order.sent, d.shipOrder.order.acknowledged], [SENT, 'delivered', true, false]);
  assert.equal(d.shipOrder.revisions.length, 1);
  assert.deepEqual([d.shipOrder.revisions[0].purpose, d.shipOrder.revisions[0].delivery, d.shipOrder.revisions[0].acknowledgement], ['new', 'delivered', null]);
  assert.deepEqual(d.exceptions, []);
});

test('one held shipment: no ship order, the exception that holds it; an unknown one is 404', async () => {
  const d = await get(`/api/v1/fba-shipments/acme/${HELD}`);
  assert.equal(d.shipment.state, 'held');
  assert.equal(d.shipOrder, null);
  assert.deepEqual(d.exceptions.map((x: Body) => [x.kind, x.key, x.state]), [['fba-shipment-problem', HELD, 'open']]);
  assert.equal(d.exceptions[0].id, d.shipment.exceptionId);
  const missing = await api.request('GET', '/api/v1/fba-shipments/acme/FBA15NOTHERE1');
  assert.equal(missing.status, 404);
});
