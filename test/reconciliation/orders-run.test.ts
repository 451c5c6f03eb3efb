/**
 * The orders reconciliation over real parts: orders placed in the SP-API emulator, polled by the
 * orders flow into a 940 for reno-wms (acks required within 60 minutes), the warehouse simulator
 * answering with a 997 and, three hours later, a 945; the inbound poll and the outbox; SQLite; a
 * test clock moved through each step's window. An order placed on Amazon after the poll is one
 * Dockgate never saw: only the Amazon search of the window finds it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { reconcileOrdersRun } from '../../src/flows/reconciliation.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { parseSince } from '../../src/reconciliation/orders.ts';
import { loadOrdersRun } from '../../src/reconciliation/store.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';
import { drainDeliveries, sampleSeed, startHarness, TestClock } from '../flows/harness.ts';

const T0 = Date.parse('2026-11-25T00:00:00Z');
const MIN = 60_000;
const ORDERS = ['114-0000001-0000001', '114-0000001-0000002'];
const UNSEEN = '114-0000009-0000009';

const order = (orderId: string, n: number, createdTime: string) => ({
  orderId,
  marketplaceId: 'ATVPDKIKX0DER',
  createdTime,
  shipBy: new Date(T0 + 180 * MIN).toISOString(),
  recipient: { name: 'Pat Buyer', addressLine1: '1 Test Way', city: 'Reno', stateOrRegion: 'NV', postalCode: '89501', countryCode: 'US' },
  items: [{ orderItemId: `5550000000000${n}`, sellerSku: 'TSHIRT-RED-M', asin: 'B0ACME0001', quantity: 1 }],
});

test('orders stuck at each step on the clock: never seen by Dockgate, not sent, not acknowledged, not shipped by ship-by, not confirmed; each order-stuck resolved when the order moves on', { timeout: 120_000 }, async () => {
  const clock = new TestClock(T0);
  const seed = sampleSeed();
  // Only this test's orders: the seed's own would sit at other steps.
  for (const s of seed.sellers) s.orders = [];
  const h = await startHarness({ seed, clock, emulator: { clock } });
  const drain = () => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();
  // The warehouse answers at once with a 997 and ships three hours after it took the orders: past their ship-by.
  const sim = new WarehouseSimulator({ mappings: h.mappings, partner: 'reno-wms', root: h.partnerRoot, inventoryEverySeconds: 0, clock, ack: 'accept', shipAfterSeconds: 3 * 3600 });
  const stuck = async () => Object.fromEntries((await h.store.work.exceptions.list({ states: ['open'], kind: 'order-stuck', seller: 'acme' })).map((x) => [x.key, x.context.details?.step]));
  const run = async () => {
    const r = await reconcileOrdersRun(h.ctx, 'acme', { since: new Date(T0 - 86_400_000).toISOString() });
    return { r, at: Object.fromEntries(r.report.rows.map((x) => [x.orderId, `${x.step}${x.stuck ? ' STUCK' : ''}`])) };
  };
  try {
    ORDERS.forEach((id, i) => h.emulator.addOrder('acme', order(id, i + 1, new Date(T0).toISOString())));
    assert.equal((await pollOrders(h.ctx, 'acme')).counts.queued, 2);
    // Placed a minute after the poll; Dockgate never polls again in this test.
    clock.advance(MIN);
    h.emulator.addOrder('acme', order(UNSEEN, 9, clock.now().toISOString()));

    // Within every window: listed, nothing stuck.
    let { r, at } = await run();
    assert.deepEqual(at, { [ORDERS[0]]: 'send', [ORDERS[1]]: 'send', [UNSEEN]: 'received' });
    assert.equal(r.stuck.length, 0);
    assert.equal(r.report.amazonSearched, true);

    // 61 minutes on: the ship order never left (its delivery not run), the unseen order past its hour.
    clock.advance(61 * MIN);
    ({ r, at } = await run());
    assert.deepEqual(at, { [ORDERS[0]]: 'send STUCK', [ORDERS[1]]: 'send STUCK', [UNSEEN]: 'received STUCK' });
    const unseen = r.report.rows.find((x) => x.orderId === UNSEEN)!;
    assert.deepEqual([unseen.state, unseen.onAmazon, unseen.amazonStatus, unseen.since], [null, true, 'UNSHIPPED', new Date(T0 + MIN).toISOString()]);
    assert.match(unseen.reason!, /never recorded by Dockgate/);
    const sent = r.report.rows.find((x) => x.orderId === ORDERS[0])!;
    assert.deepEqual([sent.since, sent.dueAt], [new Date(T0).toISOString(), new Date(T0 + 60 * MIN).toISOString()]);
    assert.deepEqual(await stuck(), { [ORDERS[0]]: 'send', [ORDERS[1]]: 'send', [UNSEEN]: 'received' });
    assert.equal((await h.store.work.exceptions.find('order-stuck', UNSEEN, 'acme', null))!.severity, 'error');

    // Delivered: the send exceptions resolve; the acknowledgement's window starts.
    assert.equal((await drainDeliveries(h)).done, 1);
    const deliveredAt = clock.now().toISOString();
    ({ r, at } = await run());
    assert.deepEqual(at, { [ORDERS[0]]: 'acknowledgement', [ORDERS[1]]: 'acknowledgement', [UNSEEN]: 'received STUCK' });
    assert.deepEqual(await stuck(), { [UNSEEN]: 'received' });
    const moved = (await h.store.work.exceptions.list({ kind: 'order-stuck', seller: 'acme' })).find((x) => x.key === ORDERS[0] && x.state === 'resolved')!;
    assert.match(moved.note!, /moved on: now at acknowledgement/);

    // No 997 within the partner's 60 minutes.
    clock.advance(61 * MIN);
    ({ r, at } = await run());
    assert.deepEqual(at[ORDERS[0]], 'acknowledgement STUCK');
    const ack = r.report.rows.find((x) => x.orderId === ORDERS[0])!;
    assert.deepEqual([ack.since, ack.dueAt], [deliveredAt, new Date(Date.parse(deliveredAt) + 60 * MIN).toISOString()]);
    assert.deepEqual(await stuck(), { [ORDERS[0]]: 'acknowledgement', [ORDERS[1]]: 'acknowledgement', [UNSEEN]: 'received' });

    // The warehouse takes the file and accepts it: waiting for shipment until ship-by (T0 + 3h).
    await sim.step();
    await pollPartnerFiles(h.ctx, 'reno-wms');
    ({ r, at } = await run());
    assert.deepEqual([at[ORDERS[0]], at[ORDERS[1]]], ['shipment', 'shipment']);
    assert.equal(r.report.rows.find((x) => x.orderId === ORDERS[0])!.acknowledgement, 'accepted');
    assert.deepEqual(await stuck(), { [UNSEEN]: 'received' });
    clock.set(new Date(T0 + 181 * MIN).toISOString());
    ({ r, at } = await run());
    assert.deepEqual([at[ORDERS[0]], at[ORDERS[1]]], ['shipment STUCK', 'shipment STUCK']);
    assert.equal(r.report.rows.find((x) => x.orderId === ORDERS[0])!.dueAt, new Date(T0 + 180 * MIN).toISOString());

    // Shipped (a 945) but the confirmations wait in the outbox past the tracking lag (60 minutes).
    clock.advance(3 * 3600_000);
    await sim.step();
    await pollPartnerFiles(h.ctx, 'reno-wms');
    ({ r, at } = await run());
    assert.deepEqual([at[ORDERS[0]], at[ORDERS[1]]], ['confirmation', 'confirmation']);
    clock.advance(61 * MIN);
    ({ r, at } = await run());
    assert.deepEqual([at[ORDERS[0]], at[ORDERS[1]]], ['confirmation STUCK', 'confirmation STUCK']);
    assert.match(r.report.rows.find((x) => x.orderId === ORDERS[0])!.reason!, /not confirmed at Amazon \(pending\)/);
    assert.deepEqual(await stuck(), { [ORDERS[0]]: 'confirmation', [ORDERS[1]]: 'confirmation', [UNSEEN]: 'received' });

    // Confirmed: done, resolved. The run is stored for the API.
    await drain();
    ({ r, at } = await run());
    assert.deepEqual([at[ORDERS[0]], at[ORDERS[1]]], ['done', 'done']);
    assert.deepEqual(await stuck(), { [UNSEEN]: 'received' });
    const stored = await loadOrdersRun(h.store, 'acme');
    assert.deepEqual([stored!.pointer.counts, stored!.report.rows.length], [{ orders: 3, stuck: 1 }, 3]);
  } finally {
    await h.close();
  }
});

test('--since: a span back from now or an ISO time; anything else is refused with the text', () => {
  const now = new Date('2026-11-25T00:00:00Z');
  assert.equal(parseSince('7d', now), '2026-11-18T00:00:00.000Z');
  assert.equal(parseSince('48h', now), '2026-11-23T00:00:00.000Z');
  assert.equal(parseSince('90m', now), '2026-11-24T22:30:00.000Z');
  assert.equal(parseSince('2026-11-20T10:00:00Z', now), '2026-11-20T10:00:00.000Z');
  assert.throws(() => parseSince('last week', now), /--since: "last week" is neither/);
  assert.throws(() => parseSince('7w', now), /neither/);
});
