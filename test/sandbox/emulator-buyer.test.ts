/**
 * The emulator's buyer side (orders placed, cancelled, re-addressed while it runs) and its view
 * from outside (/emulator/calls, /emulator/orders, /emulator/listings): through HTTP and through
 * the real adapter, every SP-API answer validated against Amazon's official models.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { EmulatorRequestError, type AmazonEmulator, type CallView, type ListingView, type OrderView, type RecordedCall } from '../../src/sandbox/amazon/emulator.ts';
import { formatIssue, OpenApiModels } from './openapi.ts';
import { withEmulator } from '../amazon/helpers.ts';

const modelsDir = resolve(import.meta.dirname, '../../../shared/spapi-models');
let loaded: OpenApiModels | undefined;
const models = () => (loaded ??= OpenApiModels.load(modelsDir));

/** Problems of the recorded SP-API calls against the official models (none when the models are absent: the conformance test says so). */
function nonConforming(calls: RecordedCall[]): string[] {
  if (!existsSync(modelsDir)) return [];
  return calls
    .filter((c) => c.operation !== 'lwaToken' && c.status > 0)
    .flatMap((c) => {
      const op = models().find(c.method, c.path);
      if (!op) return [`${c.method} ${c.path}: no operation in the models`];
      return [...models().validateRequest(op, { path: c.path, query: c.query, body: c.body }), ...models().validateResponse(op, { status: c.status, body: c.response })].map((i) => `${op.operationId} ${c.status}: ${formatIssue(i)}`);
    });
}

/** Emulated time the test moves (after the seed's orders, so a fresh watermark finds none of them). */
class Clock {
  t = Date.parse('2026-12-01T09:00:00Z');
  now(): number {
    return this.t;
  }
  /** A few seconds: the access token (36 s at time scale 100) stays valid. */
  tick(seconds = 5): Date {
    this.t += seconds * 1000;
    return new Date(this.t);
  }
}

const recipient = { name: 'Dana Whitfield', addressLine1: '12 Elm Row', city: 'Boise', stateOrRegion: 'ID', postalCode: '83702', countryCode: 'US' };
const newOrder = (orderId: string, quantity = 2) => ({ orderId, marketplaceId: 'ATVPDKIKX0DER', recipient, items: [{ orderItemId: `${orderId.replace(/-/g, '').slice(0, 13)}1`, sellerSku: 'TSHIRT-RED-M', asin: 'B0ACME0001', quantity }] });

async function http(emu: AmazonEmulator, method: string, path: string, body?: unknown, contentType = 'application/json') {
  const res = await fetch(`http://127.0.0.1:${emu.port}${path}`, { method, ...(body !== undefined && { headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Record<string, unknown> };
}

test('through the adapter: an order placed, cancelled or re-addressed is found again after the watermark, with its new state', async () => {
  const clock = new Clock();
  await withEmulator({ clock }, async (emu, adapter) => {
    const a = adapter('acme');
    const search = async (after: Date, statuses?: string[]) => {
      const found = [];
      for await (const o of a.searchMfnOrders({ lastUpdatedAfter: after, ...(statuses && { statuses }) })) found.push(o);
      return found;
    };
    const w0 = new Date(clock.now());
    assert.deepEqual(await search(w0), [], 'no seed order was updated after the watermark');

    clock.tick();
    const placed = emu.addOrder('acme', newOrder('114-5550001-0000001'));
    assert.equal(placed.lastUpdatedTime, '2026-12-01T09:00:05Z');
    assert.equal(placed.createdTime, '2026-12-01T09:00:05Z', 'createdTime defaults to the emulator now');
    const found = await search(w0);
    assert.deepEqual(found.map((o) => [o.orderId, o.fulfillment?.fulfillmentStatus, o.lastUpdatedTime]), [['114-5550001-0000001', 'UNSHIPPED', '2026-12-01T09:00:05Z']]);

    const w1 = clock.tick();
    emu.addOrder('acme', newOrder('114-5550002-0000002'));
    assert.deepEqual((await search(w1)).map((o) => o.orderId), ['114-5550002-0000002'], 'the first order is behind the new watermark');

    // Cancelled: found again after a later watermark when the search asks for cancelled orders.
    const w2 = clock.tick();
    const cancelled = emu.cancelOrder('acme', '114-5550001-0000001', { reason: 'changed my mind' });
    assert.equal(cancelled.status, 'CANCELLED');
    assert.equal(cancelled.lastUpdatedTime, '2026-12-01T09:00:15Z');
    assert.deepEqual(await search(w2), [], 'a cancelled order is not among UNSHIPPED / PARTIALLY_SHIPPED');
    const again = await search(w2, ['UNSHIPPED', 'PARTIALLY_SHIPPED', 'CANCELLED']);
    assert.deepEqual(again.map((o) => [o.orderId, o.fulfillment?.fulfillmentStatus, o.lastUpdatedTime]), [['114-5550001-0000001', 'CANCELLED', '2026-12-01T09:00:15Z']]);

    // Address changed: found again with the new ship-to.
    const w3 = clock.tick();
    emu.changeAddress('acme', '114-5550002-0000002', { ...recipient, addressLine1: '900 River Rd', postalCode: '83706' });
    const moved = await search(w3);
    assert.deepEqual(moved.map((o) => [o.orderId, o.recipient?.deliveryAddress?.addressLine1, o.recipient?.deliveryAddress?.postalCode, o.lastUpdatedTime]), [['114-5550002-0000002', '900 River Rd', '83706', '2026-12-01T09:00:20Z']]);

    // A confirmation moves lastUpdatedTime too; a shipped order cannot be cancelled nor re-addressed.
    const w4 = clock.tick();
    await a.confirmShipment('114-5550002-0000002', 'ATVPDKIKX0DER', { packageReferenceId: '1', carrierCode: 'UPS', trackingNumber: '1Z999AA10123456784', shipDate: '2026-12-01T09:00:00Z', orderItems: [{ orderItemId: placedItem(emu, '114-5550002-0000002'), quantity: 2 }] });
    const shipped = await search(w4, ['SHIPPED']);
    assert.deepEqual(shipped.map((o) => [o.orderId, o.fulfillment?.fulfillmentStatus, o.lastUpdatedTime]), [['114-5550002-0000002', 'SHIPPED', '2026-12-01T09:00:25Z']]);
    assert.throws(() => emu.cancelOrder('acme', '114-5550002-0000002'), (e: unknown) => e instanceof EmulatorRequestError && e.status === 409 && /SHIPPED.*cannot be cancelled once it has shipped/.test(e.message));
    assert.throws(() => emu.changeAddress('acme', '114-5550002-0000002', recipient), (e: unknown) => e instanceof EmulatorRequestError && e.status === 409);
    assert.throws(() => emu.cancelOrder('acme', '114-5550001-0000001'), (e: unknown) => e instanceof EmulatorRequestError && e.status === 409 && /already cancelled/.test(e.message));
    // A cancelled order cannot be confirmed (as before): the adapter gets Amazon's 400.
    await assert.rejects(a.confirmShipment('114-5550001-0000001', 'ATVPDKIKX0DER', { packageReferenceId: '1', carrierCode: 'UPS', trackingNumber: '1Z1', shipDate: '2026-12-01T09:00:00Z', orderItems: [{ orderItemId: placedItem(emu, '114-5550001-0000001'), quantity: 1 }] }), /cancelled/);

    const read = await a.getOrder('114-5550001-0000001', ['FULFILLMENT']);
    assert.deepEqual((read.orderItems[0] as { cancellation?: unknown }).cancellation, { cancellationRequest: { requester: 'BUYER', cancelReason: 'changed my mind' }, cancellationExecution: { cancelledBy: 'BUYER', cancelReason: 'changed my mind' } });
    assert.deepEqual(nonConforming(emu.calls), []);
  });
});

function placedItem(emu: AmazonEmulator, orderId: string): string {
  return emu.orders('acme').find((o) => o.orderId === orderId)!.items[0].orderItemId;
}

test('over HTTP: a test acts as the buyer and reads calls, orders and listings from outside', async () => {
  const clock = new Clock();
  await withEmulator({ clock }, async (emu, adapter) => {
    const a = adapter('acme');
    const placed = await http(emu, 'POST', '/emulator/orders', { seller: 'acme', order: newOrder('114-5550003-0000003', 3) });
    assert.equal(placed.status, 201, placed.text);
    assert.equal((placed.json.order as OrderView).lastUpdatedTime, '2026-12-01T09:00:00Z');
    const w0 = new Date(clock.now());
    const ids = [];
    for await (const o of a.searchMfnOrders({ lastUpdatedAfter: w0 })) ids.push(o.orderId);
    assert.deepEqual(ids, ['114-5550003-0000003']);

    // Two packages confirmed: /emulator/orders shows shipped quantities and the confirmations.
    clock.tick();
    const item = placedItem(emu, '114-5550003-0000003');
    await a.confirmShipment('114-5550003-0000003', 'ATVPDKIKX0DER', { packageReferenceId: '7', carrierCode: 'UPS', shippingMethod: 'UPS Ground', trackingNumber: '1Z999AA10123456784', shipDate: '2026-12-01T08:30:00Z', orderItems: [{ orderItemId: item, quantity: 2 }] });
    const partial = (await http(emu, 'GET', '/emulator/orders?seller=acme')).json.orders as OrderView[];
    const o = partial.find((x) => x.orderId === '114-5550003-0000003')!;
    assert.equal(o.status, 'PARTIALLY_SHIPPED');
    assert.equal(o.lastUpdatedTime, '2026-12-01T09:00:05Z');
    assert.deepEqual(o.items, [{ orderItemId: item, sellerSku: 'TSHIRT-RED-M', quantity: 3, shipped: 2 }]);
    assert.deepEqual(o.confirmations.map((c) => [c.packageReferenceId, c.carrierCode, c.shippingMethod, c.trackingNumber, c.items]), [['7', 'UPS', 'UPS Ground', '1Z999AA10123456784', [{ orderItemId: item, quantity: 2 }]]]);
    assert.ok(!JSON.stringify(partial).includes('Dana Whitfield') && !JSON.stringify(partial).includes('Elm Row'), 'no buyer data in the order view');
    const refused = await http(emu, 'POST', '/emulator/orders/114-5550003-0000003/cancel', { seller: 'acme' });
    assert.equal(refused.status, 409);
    assert.match(String(refused.json.error), /PARTIALLY_SHIPPED: an order cannot be cancelled once it has shipped/);

    // Cancel and re-address another order over HTTP.
    await http(emu, 'POST', '/emulator/orders', { seller: 'acme', order: newOrder('114-5550004-0000004') });
    clock.tick();
    const moved = await http(emu, 'POST', '/emulator/orders/114-5550004-0000004/address', { seller: 'acme', recipient: { ...recipient, city: 'Nampa', postalCode: '83651' } });
    assert.equal(moved.status, 200, moved.text);
    assert.equal((moved.json.order as OrderView).addressChangedTime, '2026-12-01T09:00:10Z');
    clock.tick();
    const cancel = await http(emu, 'POST', '/emulator/orders/114-5550004-0000004/cancel', { seller: 'acme', reason: 'ordered twice' });
    assert.equal(cancel.status, 200, cancel.text);
    assert.deepEqual([(cancel.json.order as OrderView).status, (cancel.json.order as OrderView).lastUpdatedTime], ['CANCELLED', '2026-12-01T09:00:15Z']);

    // Listings: what MFN quantity Amazon holds, and how many updates it accepted.
    await a.setMfnQuantity('TSHIRT-RED-M', 41);
    const listings = (await http(emu, 'GET', '/emulator/listings?seller=acme')).json.listings as ListingView[];
    const shirt = listings.find((l) => l.sku === 'TSHIRT-RED-M')!;
    assert.deepEqual([shirt.mfnQuantity, shirt.quantityUpdates, shirt.lastQuantityUpdateTime], [41, 1, '2026-12-01T09:00:15Z']);
    assert.ok(shirt.channels.some((c) => c.code === 'DEFAULT' && c.quantity === 41));
    assert.ok(listings.every((l) => l.seller === 'acme'));

    // Calls: what arrived, without tokens, queries or bodies; filtered by operation and time.
    const calls = await http(emu, 'GET', '/emulator/calls');
    const all = calls.json.calls as CallView[];
    assert.ok(all.length >= 4);
    for (const c of all) assert.deepEqual(Object.keys(c).filter((k) => !['at', 'operation', 'method', 'path', 'seller', 'status'].includes(k)), []);
    for (const secret of ['Atza|', 'Atzr|', 'test-secret', 'Dana', 'Elm Row', 'Nampa']) assert.ok(!calls.text.includes(secret), `no ${secret} in /emulator/calls`);
    assert.ok(all.some((c) => c.operation === 'lwaToken' && c.seller === 'acme'));
    const searches = (await http(emu, 'GET', '/emulator/calls?operation=searchOrders')).json.calls as CallView[];
    assert.deepEqual(searches.map((c) => [c.operation, c.method, c.path, c.seller, c.status, c.at]), [['searchOrders', 'GET', '/orders/2026-01-01/orders', 'acme', 200, '2026-12-01T09:00:00.000Z']]);
    const later = (await http(emu, 'GET', '/emulator/calls?operation=confirmShipment,patchListingsItem&since=2026-12-01T09:00:10Z')).json.calls as CallView[];
    assert.deepEqual(later.map((c) => c.operation), ['patchListingsItem']);
    assert.equal(all.filter((c) => c.path.startsWith('/emulator/')).length, 0, 'the view itself is not recorded as calls');
    assert.deepEqual(nonConforming(emu.calls), []);
  });
});

test('over HTTP: generated orders are found by a search across pages', async () => {
  const clock = new Clock();
  await withEmulator({ clock }, async (emu, adapter) => {
    const w0 = new Date(clock.now());
    const r = await http(emu, 'POST', '/emulator/orders', { seller: 'northwind', generate: { count: 250, sku: 'NW-LANTERN', spacingSeconds: 60, startTime: '2026-11-30T00:00:00Z' } });
    assert.equal(r.status, 201, r.text);
    const made = r.json.orderIds as string[];
    assert.equal(new Set(made).size, 250);
    const a = adapter('northwind');
    const seen: string[] = [];
    let first = true;
    for await (const o of a.searchMfnOrders({ lastUpdatedAfter: w0 })) {
      seen.push(o.orderId);
      // An order cancelled between pages neither repeats nor vanishes from the search in flight.
      if (first) emu.cancelOrder('northwind', made[249]);
      first = false;
    }
    assert.deepEqual(seen.sort(), [...made].sort());
    assert.equal(emu.calls.filter((c) => c.operation === 'searchOrders').length, 3);
    const again = await http(emu, 'POST', '/emulator/orders', { seller: 'northwind', generate: { count: 2, sku: 'NW-LANTERN' } });
    assert.equal((again.json.orderIds as string[]).filter((id) => made.includes(id)).length, 0, 'ids keep counting up');
    assert.deepEqual(nonConforming(emu.calls), []);
  });
});

test('orderClock: order and call times follow a Date clock the test moves while quotas and tokens keep real time', async () => {
  let at = new Date('2027-03-01T10:00:00.250Z');
  const orderClock = { now: () => at };
  await withEmulator({ orderClock, timeScale: 1000 }, async (emu, adapter) => {
    const a = adapter('acme');
    emu.addOrder('acme', newOrder('114-5550006-0000006'));
    at = new Date('2027-03-01T11:00:00Z');
    const found = [];
    // More searches than the burst of 20: refilled on real time at the time scale (on a clock standing still the emulator would answer 429 until the adapter gave up).
    for (let i = 0; i < 22; i++) for await (const o of a.searchMfnOrders({ lastUpdatedAfter: new Date('2027-03-01T10:00:00Z') })) found.push(o.lastUpdatedTime);
    assert.deepEqual(new Set(found), new Set(['2027-03-01T10:00:00Z']));
    assert.equal(found.length, 22);
    assert.ok(emu.callLog({ operations: ['searchOrders'] }).every((c) => c.at === '2027-03-01T11:00:00.000Z'));
  });
});

test('over HTTP: bad input is 400 naming the field, an unknown seller or order 404', async () => {
  await withEmulator({}, async (emu) => {
    const cases: Array<[string, string, unknown, number, string | undefined, RegExp]> = [
      ['POST', '/emulator/orders', { order: newOrder('114-5550005-0000005') }, 400, 'seller', /seller id is required/],
      ['POST', '/emulator/orders', { seller: 'nobody', order: newOrder('114-5550005-0000005') }, 404, 'seller', /no seller 'nobody'.*acme/],
      ['POST', '/emulator/orders', { seller: 'acme' }, 400, 'order', /order: the order to add is required/],
      ['POST', '/emulator/orders', { seller: 'acme', order: { ...newOrder('114-5550005-0000005'), items: [{ ...newOrder('114-5550005-0000005').items[0], quantity: 0 }] } }, 400, 'order.items.0.quantity', /order\.items\.0\.quantity/],
      ['POST', '/emulator/orders', { seller: 'acme', order: { ...newOrder('114-5550005-0000005'), orderId: '12345' } }, 400, 'order.orderId', /order\.orderId/],
      ['POST', '/emulator/orders', { seller: 'acme', order: { ...newOrder('114-5550005-0000005'), marketplaceId: 'A1PA6795UKMFR9' } }, 400, 'order.marketplaceId', /not a marketplace of seller acme/],
      ['POST', '/emulator/orders', { seller: 'acme', order: newOrder('112-3456789-1234567') }, 409, 'order.orderId', /already has order/],
      ['POST', '/emulator/orders', { seller: 'acme', generate: { count: 0, sku: 'X' } }, 400, 'generate.count', /generate\.count/],
      ['POST', '/emulator/orders', '{"seller": "acme", ', 400, 'body', /not readable as JSON/],
      ['POST', '/emulator/orders/999-9999999-9999999/cancel', { seller: 'acme' }, 404, 'orderId', /not an order of seller acme/],
      ['POST', '/emulator/orders/112-3456789-1234567/cancel', { seller: 'acme', reason: 5 }, 400, 'reason', /reason/],
      ['POST', '/emulator/orders/112-3456789-1234567/address', { seller: 'acme', recipient: { ...recipient, city: undefined } }, 400, 'recipient.city', /recipient\.city/],
      ['POST', '/emulator/orders/112-3456789-1234567/address', { seller: 'acme' }, 400, 'recipient', /new ship-to address is required/],
      ['POST', '/emulator/orders/999-9999999-9999999/address', { seller: 'acme', recipient }, 404, 'orderId', /not an order/],
      ['GET', '/emulator/orders?seller=nobody', undefined, 404, 'seller', /no seller/],
      ['GET', '/emulator/listings?seller=nobody', undefined, 404, 'seller', /no seller/],
      ['GET', '/emulator/calls?since=yesterday', undefined, 400, 'since', /not an ISO 8601 date-time/],
    ];
    for (const [method, path, body, status, field, message] of cases) {
      const r = await http(emu, method, path, body);
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
      assert.equal(r.json.field, field, r.text);
      assert.match(String(r.json.error), message);
    }
    const form = await http(emu, 'POST', '/emulator/orders', 'seller=acme', 'application/x-www-form-urlencoded');
    assert.deepEqual([form.status, form.json.field], [400, 'body']);
    // Nothing was added or changed by the refused requests.
    assert.equal(emu.orders('acme').length, 3);
    assert.equal(emu.orders('acme').find((o) => o.orderId === '112-3456789-1234567')!.status, 'UNSHIPPED');
  });
});
