/**
 * The orders and packages API over data the real flows made (test/server/order-flow-data.ts):
 * the stage flags of each order, paging and filters, located 400s, 404, the timeline from Amazon
 * to the warehouse and back (a rejected set resent through the API, then acknowledged, shipped
 * and confirmed), the held order, the buyer's address only for a token with buyerData. Every
 * response is checked against the OpenAPI document by the API harness.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { messagesRoutes } from '../../src/server/routes/messages.ts';
import { ordersRoutes } from '../../src/server/routes/orders.ts';
import { startApi, type Api } from './api-harness.ts';
import { HELD_ORDER, REJECTED_ORDER, runOrderFlow, SHIPPED_ORDER, type OrderFlowData } from './order-flow-data.ts';

let data: OrderFlowData;
let api: Api;

before(async () => {
  data = await runOrderFlow();
  api = await startApi({ modules: [messagesRoutes, ordersRoutes], harness: data.h });
});
after(async () => {
  await api?.close();
  await data?.h.close();
});

// biome-ignore lint: response bodies
type Body = any;
const get = async (path: string, token?: string): Promise<Body> => {
  const r = await api.request('GET', path, { token });
  assert.equal(r.status, 200, `GET ${path}: ${JSON.stringify(r.body)}`);
  return r.body;
};
const order = async (id: string, token?: string) => get(`/api/v1/orders/acme/${id}`, token);
const stages = (timeline: Array<{ stage: string }>) => timeline.map((t) => t.stage);
/** `want` appears in `list` in this order (other entries may come between). */
function assertSubsequence(list: string[], want: string[]) {
  let i = 0;
  for (const x of list) if (x === want[i]) i++;
  assert.equal(i, want.length, `${JSON.stringify(want)} in order within ${JSON.stringify(list)}`);
}

test('the list says where each order stands: shipped and confirmed with its lag, rejected by the 997, held by its exception', async () => {
  const { items, next } = await get('/api/v1/orders');
  assert.equal(next, null);
  const by = new Map(items.map((o: Body) => [o.orderId, o]));
  assert.deepEqual([...by.keys()].sort(), [REJECTED_ORDER, SHIPPED_ORDER, HELD_ORDER].sort());
  const shipped: Body = by.get(SHIPPED_ORDER);
  assert.deepEqual(
    [shipped.state, shipped.sent, shipped.acknowledged, shipped.acknowledgement, shipped.shipped, shipped.confirmed, shipped.packages, shipped.held],
    ['confirmed', true, true, 'accepted', true, true, 1, false],
  );
  const [pkg] = await data.h.store.work.packages.forOrder('acme', SHIPPED_ORDER);
  assert.equal(shipped.lagSeconds, pkg.lagSeconds);
  assert.ok(typeof shipped.lagSeconds === 'number' && shipped.lagSeconds >= 0);
  const rejected: Body = by.get(REJECTED_ORDER);
  assert.deepEqual([rejected.state, rejected.sent, rejected.acknowledged, rejected.acknowledgement, rejected.shipped, rejected.confirmed], ['rejected', true, false, 'rejected', false, false]);
  const held: Body = by.get(HELD_ORDER);
  assert.equal(held.state, 'held');
  assert.equal(held.held, true);
  assert.equal(typeof held.heldBy, 'number');
  assert.deepEqual([held.sent, held.shipped, held.lagSeconds], [false, false, null]);
  // Newest first.
  const created = items.map((o: Body) => o.createdAt);
  assert.deepEqual(created, [...created].sort().reverse());
});

test('orders: filters, a cursor through every page once, located 400s', async () => {
  assert.deepEqual((await get('/api/v1/orders?state=held')).items.map((o: Body) => o.orderId), [HELD_ORDER]);
  assert.equal((await get('/api/v1/orders?seller=northwind')).items.length, 0);
  assert.equal((await get('/api/v1/orders?partner=reno-wms&seller=acme')).items.length, 3);
  const seen: string[] = [];
  let path = '/api/v1/orders?limit=1';
  for (let i = 0; i < 5; i++) {
    const page = await get(path);
    assert.ok(page.items.length <= 1);
    seen.push(...page.items.map((o: Body) => o.orderId));
    if (!page.next) break;
    path = `/api/v1/orders?limit=1&cursor=${encodeURIComponent(page.next)}`;
  }
  assert.deepEqual(seen, (await get('/api/v1/orders')).items.map((o: Body) => o.orderId), 'every order once, in list order');
  for (const [query, where] of [
    ['limit=0', 'query.limit'],
    ['limit=1001', 'query.limit'],
    ['limit=ten', 'query.limit'],
    ['state=lost', 'query.state'],
    ['cursor=not-a-cursor', 'query.cursor'],
  ]) {
    const r = await api.request('GET', `/api/v1/orders?${query}`);
    assert.equal(r.status, 400, query);
    assert.equal(r.body.error.code, 'bad-request');
    assert.equal(r.body.error.where, where, query);
  }
  const missing = await api.request('GET', '/api/v1/orders/acme/999-0000000-0000000');
  assert.equal(missing.status, 404);
  assert.equal(missing.body.error.code, 'not-found');
  assert.match(missing.body.error.message, /999-0000000-0000000/);
});

test("an order's timeline from Amazon to the warehouse and back, in time order, naming the files and the package", async () => {
  const d = await order(SHIPPED_ORDER);
  const t = d.timeline as Array<{ at: string; stage: string; messageId: number | null; packageId: number | null }>;
  assertSubsequence(stages(t), ['amazon', 'sent', 'delivered', 'acknowledged', 'shipped', 'confirmed']);
  const times = t.map((e) => Date.parse(e.at));
  assert.deepEqual(times, [...times].sort((a, b) => a - b), 'ordered by time');
  const sent = t.find((e) => e.stage === 'sent')!;
  assert.equal(sent.messageId, data.shipOrderFile.id);
  assert.equal(t.find((e) => e.stage === 'delivered')!.messageId, data.shipOrderFile.id);
  const [pkg] = d.packages;
  assert.equal(t.find((e) => e.stage === 'shipped')!.packageId, pkg.id);
  assert.equal(t.find((e) => e.stage === 'shipped')!.messageId, data.adviceFile.id, 'shipped: the 945 it came in');
  assert.equal(t.find((e) => e.stage === 'confirmed')!.at, pkg.confirmedAt);
  assert.equal(pkg.state, 'confirmed');
  assert.deepEqual(d.revisions.map((r: Body) => [r.revision, r.purpose, r.fileMessageId, r.delivery, r.acknowledgement]), [[1, 'new', data.shipOrderFile.id, 'delivered', 'accepted']]);
  assert.deepEqual(d.order.lines.map((l: Body) => [l.sellerSku, l.ordered, l.shipped]), [
    ['TSHIRT-RED-M', 2, 2],
    ['MUG-GIFT-SET', 1, 1],
  ]);
  // The buyer's address: only for a token with buyerData.
  assert.equal(d.order.shipTo, null);
  assert.equal(d.redacted, true);
  const withBuyer = await order(SHIPPED_ORDER, api.buyer);
  assert.equal(withBuyer.redacted, false);
  assert.equal(withBuyer.order.shipTo.name, 'Jane Doe');
});

test('the held order: held at its exception, nothing sent', async () => {
  const d = await order(HELD_ORDER);
  const held = d.timeline.find((e: Body) => e.stage === 'held');
  assert.ok(held, JSON.stringify(d.timeline));
  assert.equal(held.exceptionId, d.order.heldBy);
  assert.deepEqual(d.exceptions.map((x: Body) => [x.id, x.kind, x.state]), [[d.order.heldBy, 'unmapped-sku', 'open']]);
  assert.equal(d.revisions.length, 0);
  assert.ok(!stages(d.timeline).includes('sent'));
});

test('a rejected set resent through the API: rejected, then sent again, acknowledged, shipped and confirmed, in order', async () => {
  const before = await order(REJECTED_ORDER);
  const rejected = before.timeline.find((e: Body) => e.stage === 'rejected');
  assert.ok(rejected, JSON.stringify(before.timeline));
  const [set] = data.h.store.trace(data.shipOrderFile.id)!.children.flatMap((ic) => data.h.store.trace(ic.id)!.children.flatMap((g) => data.h.store.trace(g.id)!.children));
  assert.ok(set);
  assert.ok(before.exceptions.some((x: Body) => x.kind === 'ack-rejected'));
  assert.ok(before.timeline.some((e: Body) => e.stage === 'exception' && typeof e.exceptionId === 'number'));

  const resent = await api.request('POST', `/api/v1/messages/${data.shipOrderFile.id}/resend`);
  assert.equal(resent.status, 200, JSON.stringify(resent.body));
  const newId = resent.body.newMessageId;
  assert.equal(typeof newId, 'number');
  assert.ok(newId > data.shipOrderFile.id);
  assert.deepEqual(resent.body.newMessageIds, [newId]);
  await data.drain();
  data.clock.advance(10_000);
  await data.exchange();
  data.clock.advance(61_000);
  await data.exchange();

  const d = await order(REJECTED_ORDER);
  assert.deepEqual(d.revisions.map((r: Body) => [r.revision, r.fileMessageId, r.acknowledgement]), [
    [1, data.shipOrderFile.id, 'rejected'],
    [2, newId, 'accepted'],
  ]);
  assertSubsequence(stages(d.timeline), ['amazon', 'sent', 'delivered', 'rejected', 'sent', 'delivered', 'acknowledged', 'shipped', 'confirmed']);
  const sends = d.timeline.filter((e: Body) => e.stage === 'sent').map((e: Body) => e.messageId);
  assert.deepEqual(sends, [data.shipOrderFile.id, newId]);
  const list = (await get('/api/v1/orders')).items.find((o: Body) => o.orderId === REJECTED_ORDER);
  assert.deepEqual([list.state, list.sent, list.acknowledged, list.shipped, list.confirmed], ['confirmed', true, true, true, true]);
});

test('packages: newest first, filters, paging, located 400s', async () => {
  const all = (await get('/api/v1/packages')).items;
  assert.ok(all.length >= 1);
  const ids = all.map((p: Body) => p.id);
  assert.deepEqual(ids, [...ids].sort((a: number, b: number) => b - a));
  const shipped = (await get(`/api/v1/packages?orderId=${SHIPPED_ORDER}`)).items;
  assert.equal(shipped.length, 1);
  assert.deepEqual([shipped[0].seller, shipped[0].partner, shipped[0].state, typeof shipped[0].trackingNumber], ['acme', 'reno-wms', 'confirmed', 'string']);
  assert.equal(shipped[0].lagSeconds, Math.round((Date.parse(shipped[0].confirmedAt) - Date.parse(shipped[0].shippedAt)) / 1000));
  assert.equal((await get('/api/v1/packages?state=pending')).items.length, 0);
  assert.equal((await get('/api/v1/packages?partner=cascade-csv')).items.length, 0);
  const seen: number[] = [];
  let path = '/api/v1/packages?limit=1';
  for (let i = 0; i < 10; i++) {
    const page = await get(path);
    seen.push(...page.items.map((p: Body) => p.id));
    if (!page.next) break;
    path = `/api/v1/packages?limit=1&cursor=${page.next}`;
  }
  assert.deepEqual(seen, ids);
  const bad = await api.request('GET', '/api/v1/packages?state=lost');
  assert.deepEqual([bad.status, bad.body.error.where], [400, 'query.state']);
});
