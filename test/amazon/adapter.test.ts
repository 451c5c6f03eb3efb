/**
 * The SP-API adapter against the local emulator, through the real amazon-sp-api client:
 * pagination, quota, retries, timeouts, token expiry, terminal errors, the confirmation
 * read-back, two sellers, FBA listings, inbound shipments, labels and reports.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AmazonAdapter, type AdapterEvent } from '../../src/amazon/adapter.ts';
import { adapterForSeller } from '../../src/amazon/index.ts';
import { loadMappings } from '../../src/mapping/index.ts';
import { resolveCredentials } from '../../src/amazon/credentials.ts';
import { AmazonApiError, AmazonConfigError, classifyThrown } from '../../src/amazon/errors.ts';
import type { SellerFile } from '../../src/mapping/schema.ts';
import { LockstepClock, manyOrders, SELLERS, sampleSeed, withEmulator } from './helpers.ts';

const PKG = { packageReferenceId: '1', carrierCode: 'UPS', trackingNumber: '1Z999AA10123456784', shipDate: '2026-11-24T22:05:00Z', orderItems: [{ orderItemId: '12345678901234', quantity: 2 }] };

test('searchOrders: every page of unshipped MFN orders, FBA and shipped orders left out', async () => {
  const seed = sampleSeed();
  seed.sellers[0].orders = [...(seed.sellers[0].orders ?? []), ...manyOrders(230)];
  await withEmulator({ seed }, async (emu, adapter) => {
    const a = adapter('acme');
    const ids: string[] = [];
    for await (const o of a.searchMfnOrders({ lastUpdatedAfter: new Date('2026-10-01T00:00:00Z') })) ids.push(o.orderId);
    assert.equal(ids.length, 232); // 230 + the two sample MFN orders; the FBA order is not there
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(!ids.includes('111-0000000-0000009'));
    assert.equal(emu.calls.filter((c) => c.operation === 'searchOrders').length, 3);
    const first = emu.calls.find((c) => c.operation === 'searchOrders')!;
    assert.deepEqual([first.query.fulfilledBy, first.query.fulfillmentStatuses, first.query.maxResultsPerPage], ['MERCHANT', 'UNSHIPPED,PARTIALLY_SHIPPED', '100']);
  });
});

test('quota: 60 confirmations as fast as allowed, not one 429 from Amazon; throttling by Amazon backs off and retries', async () => {
  const seed = sampleSeed();
  seed.sellers[0].orders = [...(seed.sellers[0].orders ?? []), ...manyOrders(60)];
  let n = 0;
  const clock = new LockstepClock();
  // Injected faults hit every other request once they are switched on.
  await withEmulator({ seed, timeScale: 50, clock, random: () => (n++ % 2 === 0 ? 0 : 0.99) }, async (emu, adapter) => {
    const events: AdapterEvent[] = [];
    const a = adapter('acme', { timeScale: 50, clock, quota: clock.quota(50), onEvent: (e) => events.push(e) });
    const start = clock.now();
    await Promise.all(manyOrders(60).map((o, i) => a.confirmShipment(o.orderId, o.marketplaceId, { ...PKG, trackingNumber: `1ZQUOTA${i}`, orderItems: [{ orderItemId: o.items[0].orderItemId, quantity: 1 }] })));
    // Emulated time (LockstepClock): the 60 go out at exactly the rate our buckets allow, so any 429 is our bucket's fault.
    const throttled = emu.calls.filter((c) => c.status === 429);
    assert.equal(throttled.length, 0, `${throttled.length} 429s`);
    // As fast as allowed: 9 of the burst of 10 at once (one kept back), then one per 1 / (2 x 50) s of emulated time.
    const spent = clock.now() - start;
    assert.ok(spent >= 500 && spent <= 530, `${spent} ms of emulated time for 51 requests at 100/s`);
    assert.equal(emu.calls.filter((c) => c.operation === 'confirmShipment' && c.status === 204).length, 60);
    // Injected throttling: every 429 is answered by waiting and trying again, within the cap.
    emu.setFaults({ throttleShare: 0.3 });
    let o = 0;
    for await (const _ of a.searchMfnOrders({ lastUpdatedAfter: new Date('2026-10-01T00:00:00Z') })) o++;
    assert.equal(o, 2); // the 60 are shipped now
    const r = await a.fbaInventory();
    assert.equal(r.length, 1);
    assert.ok(events.some((e) => e.type === 'throttled'));
  });
});

test('retries: 500s and dropped connections are retried with backoff until they succeed; a cap ends it', async () => {
  let n = 0;
  // Deterministic faults: every other request fails.
  await withEmulator({ random: () => (n++ % 2 === 0 ? 0 : 0.99) }, async (emu, adapter) => {
    const events: AdapterEvent[] = [];
    const a = adapter('acme', { onEvent: (e) => events.push(e) });
    emu.setFaults({ errorShare: 0.5 });
    assert.equal((await a.getOrder('112-3456789-1234567')).orderId, '112-3456789-1234567');
    assert.ok(emu.calls.some((c) => c.status === 500));
    emu.setFaults({ errorShare: undefined, dropShare: 0.5 });
    assert.equal((await a.getOrder('112-9999999-0000001')).orderId, '112-9999999-0000001');
    assert.ok(events.some((e) => e.type === 'retry' && e.code === 'ECONNRESET'));
    emu.setFaults({ dropShare: undefined, errorShare: 1 });
    const capped = adapter('acme', { maxAttempts: 3 });
    const err = (await capped.getOrder('112-3456789-1234567').catch((e) => e)) as AmazonApiError;
    assert.ok(err instanceof AmazonApiError);
    assert.deepEqual([err.kind, err.status, err.code], ['server', 500, 'InternalFailure']);
  });
});

test('a hung connection times out and is retried; a seller whose answers never come gets a timeout error', async () => {
  let n = 0;
  await withEmulator({ random: () => (n++ === 0 ? 0 : 0.99) }, async (emu, adapter) => {
    emu.setFaults({ hangShare: 0.5 });
    const events: AdapterEvent[] = [];
    const a = adapter('acme', { timeoutMs: 300, onEvent: (e) => events.push(e) });
    assert.equal((await a.getOrder('112-3456789-1234567')).orderId, '112-3456789-1234567');
    assert.ok(events.some((e) => e.type === 'retry' && e.code === 'API_RESPONSE_TIMEOUT'));
    emu.setFaults({ hangShare: 1 });
    const err = (await adapter('acme', { timeoutMs: 200, maxAttempts: 2 }).getOrder('112-3456789-1234567').catch((e) => e)) as AmazonApiError;
    assert.deepEqual([err.name, err.kind, err.code], ['AmazonApiError', 'timeout', 'API_RESPONSE_TIMEOUT']);
  });
});

test('an expired access token is refreshed once and the call goes through', async () => {
  // Tokens live 2 emulated seconds: 20 ms at a time scale of 100. Time is a shared manual clock
  // that only the test moves, so a loaded machine cannot expire the token before the first call.
  let t = Date.parse('2026-11-02T12:00:00Z');
  const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
  await withEmulator({ faults: { tokenLifetimeSeconds: 2 }, clock }, async (emu, adapter) => {
    const events: AdapterEvent[] = [];
    const a = adapter('acme', { onEvent: (e) => events.push(e), clock });
    await a.getOrder('112-3456789-1234567');
    t += 50;
    await a.getOrder('112-3456789-1234567');
    assert.equal(events.filter((e) => e.type === 'token-refresh').length, 1);
    assert.equal(emu.calls.filter((c) => c.operation === 'lwaToken').length, 2);
    assert.deepEqual(emu.calls.filter((c) => c.operation === 'getOrder').map((c) => c.status), [200, 403, 200]);
  });
});

test('terminal errors carry Amazon code and message and are not retried; wrong refresh tokens fail as auth', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    const bad = (await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', { ...PKG, orderItems: [{ orderItemId: '99999999999999', quantity: 1 }] }).catch((e) => e)) as AmazonApiError;
    assert.deepEqual([bad.kind, bad.status, bad.code, bad.retryable], ['client', 400, 'InvalidInput', false]);
    assert.match(bad.message, /OrderItemId is invalid/);
    assert.equal(emu.calls.filter((c) => c.operation === 'confirmShipment').length, 1);
    // What Amazon's model refuses is not even sent.
    const early = (await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', { ...PKG, shipDate: '11/24/2026' }).catch((e) => e)) as AmazonApiError;
    assert.deepEqual([early.code, early.status], ['InvalidInput', undefined]);
    assert.match(early.message, /shipDate '11\/24\/2026' is not an ISO 8601 date-time; not sent/);
    assert.equal(emu.calls.filter((c) => c.operation === 'confirmShipment').length, 1);
    const missing = (await a.getOrder('999-9999999-9999999').catch((e) => e)) as AmazonApiError;
    assert.deepEqual([missing.status, missing.code], [404, 'NotFound']);
    const stranger = new AmazonAdapter({ ...SELLERS.acme, credentials: { ...SELLERS.acme.credentials, refreshToken: 'not-a-token' } }, { endpoint: { port: emu.port }, timeScale: 100 });
    const auth = (await stranger.getOrder('112-3456789-1234567').catch((e) => e)) as AmazonApiError;
    stranger.close();
    assert.deepEqual([auth.kind, auth.code, auth.retryable], ['auth', 'invalid_grant', false]);
  });
});

test('a repeated confirmation is done when Amazon shows our tracking number, and a conflict shows both sides when not', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    assert.deepEqual(await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', PKG), { outcome: 'confirmed' });
    // The answer was lost, the advice is sent again: Amazon refuses the same package, the read-back shows it is there.
    const again = await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', PKG);
    assert.equal(again.outcome, 'already-confirmed');
    const conflict = (await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', { ...PKG, trackingNumber: '1ZOTHER' }).catch((e) => e)) as AmazonApiError;
    assert.equal(conflict.code, 'ConfirmationConflict');
    assert.match(conflict.message, /Ours: UPS 1ZOTHER \(2 x 12345678901234\)\. Amazon's packages: 1: UPS 1Z999AA10123456784 \(2 x 12345678901234\)/);
    // packageReferenceId always travels as a string.
    await a.confirmShipment('112-3456789-1234567', 'ATVPDKIKX0DER', { ...PKG, packageReferenceId: 2 as unknown as string, trackingNumber: '1ZKIT', orderItems: [{ orderItemId: '12345678901235', quantity: 1 }] });
    assert.equal((emu.calls.at(-1)!.body as { packageDetail: { packageReferenceId: unknown } }).packageDetail.packageReferenceId, '2');
    assert.equal(emu.seller('acme')!.orders.get('112-3456789-1234567')!.status, 'SHIPPED');
  });
});

test('two sellers have separate quotas: one seller using its burst does not slow the other', async () => {
  const seed = sampleSeed();
  seed.sellers[0].orders = [...(seed.sellers[0].orders ?? []), ...manyOrders(25)];
  seed.sellers[1].orders = [...(seed.sellers[1].orders ?? []), ...manyOrders(25)];
  const clock = new LockstepClock();
  await withEmulator({ seed, timeScale: 20, clock }, async (emu, adapter) => {
    const quota = clock.quota(20);
    const acme = adapter('acme', { quota, clock, timeScale: 20 });
    const north = adapter('northwind', { quota, clock, timeScale: 20 });
    await Promise.all([acme, north].flatMap((a) => manyOrders(25).map((o, i) => a.confirmShipment(o.orderId, o.marketplaceId, { ...PKG, trackingNumber: `1Z${a.seller.id}${i}`, orderItems: [{ orderItemId: o.items[0].orderItemId, quantity: 1 }] }))));
    assert.equal(emu.calls.filter((c) => c.status === 429).length, 0);
    assert.deepEqual(['acme', 'northwind'].map((s) => emu.calls.filter((c) => c.seller === s && c.status === 204).length), [25, 25]);
    assert.equal(emu.seller('northwind')!.orders.get(manyOrders(1)[0].orderId)!.confirmations[0].trackingNumber, '1Znorthwind0');
  });
});

test('MFN quantity: the product type is read from the listing; an FBA listing is never fed', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    const s = await a.setMfnQuantity('TSHIRT-RED-M', 118);
    assert.equal(s.status, 'ACCEPTED');
    assert.deepEqual(emu.seller('acme')!.listings.get('TSHIRT-RED-M')!.channels, [{ code: 'DEFAULT', quantity: 118 }]);
    assert.deepEqual((emu.calls.at(-1)!.body as { productType: string }).productType, 'SHIRT');
    const fba = (await a.setMfnQuantity('TSHIRT-RED-M-FBA', 5).catch((e) => e)) as AmazonApiError;
    assert.equal(fba.code, 'FbaListing');
    assert.equal(emu.calls.filter((c) => c.operation === 'patchListingsItem').length, 1);
    assert.deepEqual(await a.fbaInventory(), [{ sellerSku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', asin: 'B0ACME0001', fulfillable: 31, total: 81 }]);
  });
});

test('FBA inbound: from the Amazon Shipment ID to the plan, shipment, boxes and items; labels by the same id; reports', async () => {
  await withEmulator({}, async (_emu, adapter) => {
    const a = adapter('acme');
    const s = await a.inboundShipment('FBA15ABCD1234');
    assert.ok(s);
    assert.deepEqual([s.shipmentId, s.amazonReferenceId, s.destinationFc, s.boxes.map((b) => `${b.boxId} ${b.sscc}`)], [
      'sh1a2b3c4d-5e6f-7a8b-9c0d-222222222222',
      '3K7QXZ9A',
      'RNO4',
      ['FBA15ABCD1234U000001 00006141411234567890', 'FBA15ABCD1234U000002 00006141411234567906'],
    ]);
    assert.deepEqual(s.items, [{ msku: 'TSHIRT-RED-M-FBA', fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 48 }]);
    assert.equal(await a.inboundShipment('FBA99NOTHERE'), null);
    assert.match(await a.labelsUrl('FBA15ABCD1234'), /\/emulator\/labels\/FBA15ABCD1234\.pdf$/);
    const returns = await a.report('GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA', { pollMs: 100 });
    assert.equal(returns[0]['license-plate-number'], 'LPN7770001234');
    // A report type the emulator has no content for is FATAL (the merchant listings report is now generated).
    const none = (await a.report('GET_FLAT_FILE_OPEN_LISTINGS_DATA', { pollMs: 100 }).catch((e) => e)) as AmazonApiError;
    assert.equal(none.code, 'FATAL');
  });
});

test('configuration: a test partner never reaches production hosts; credentials come from the names given, never logged', () => {
  assert.throws(() => new AmazonAdapter(SELLERS.acme, {}), AmazonConfigError);
  const { mappings } = loadMappings(join(import.meta.dirname, '../../mappings'));
  const env = { ACME_LWA_CLIENT_ID: 'id', ACME_LWA_CLIENT_SECRET: 'secret', ACME_LWA_REFRESH_TOKEN: 'Atzr|x' };
  const reno = mappings.partners.get('reno-wms')!;
  assert.equal(reno.usage, 'test');
  assert.throws(() => adapterForSeller(mappings.sellers.get('acme')!, reno, {}, env), /not in production: calls to Amazon's production endpoints are refused/);
  const viaEmulator = adapterForSeller(mappings.sellers.get('acme')!, reno, { endpoint: { port: 1 } }, env);
  assert.equal(viaEmulator.seller.sellingPartnerId, 'A1ACMEBRANDS01');
  viaEmulator.close();
  const production = adapterForSeller(mappings.sellers.get('acme')!, { usage: 'production' }, {}, env);
  production.close();
  const seller = { id: 'acme', credentials: { clientIdEnv: 'X_ID', clientSecretEnv: 'X_SECRET', refreshTokenEnv: 'X_REFRESH' } } as unknown as SellerFile;
  assert.throws(() => resolveCredentials(seller, { X_ID: 'a', X_SECRET: 'b' }), /seller acme: environment variable X_REFRESH is not set/);
  assert.deepEqual(resolveCredentials(seller, { X_ID: 'a', X_SECRET: 'b', X_REFRESH: 'Atzr|c' }), { clientId: 'a', clientSecret: 'b', refreshToken: 'Atzr|c' });
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-secrets-'));
  writeFileSync(join(dir, 'acme.yaml'), 'clientId: a\nclientSecret: b\n');
  const fromFile = { id: 'acme', credentials: { secretsFile: join(dir, 'acme.yaml') } } as unknown as SellerFile;
  const err = (() => {
    try {
      resolveCredentials(fromFile);
    } catch (e) {
      return (e as Error).message;
    }
  })();
  assert.match(err!, /the secrets file .*acme\.yaml has no refreshToken/);
});

test('errors the client throws carry no HTTP status: they are classified from their codes', () => {
  const k = (e: unknown) => {
    const c = classifyThrown(e, 'getOrder');
    return [c.kind, c.code, c.retryable];
  };
  assert.deepEqual(k({ code: 'API_RESPONSE_TIMEOUT', message: 'No data received' }), ['timeout', 'API_RESPONSE_TIMEOUT', true]);
  assert.deepEqual(k({ code: 'API_DEADLINE_TIMEOUT', message: 'x' }), ['timeout', 'API_DEADLINE_TIMEOUT', true]);
  assert.deepEqual(k(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })), ['network', 'ECONNRESET', true]);
  assert.deepEqual(k(new Error('socket hang up')), ['network', 'ECONNRESET', true]);
  assert.deepEqual(k({ code: 'QuotaExceeded', message: 'You exceeded your quota' }), ['throttled', 'QuotaExceeded', true]);
  assert.deepEqual(k({ code: 'InternalFailure', message: 'x' }), ['server', 'InternalFailure', true]);
  assert.deepEqual(k({ code: 'invalid_grant', message: 'The request has an invalid grant parameter' }), ['auth', 'invalid_grant', false]);
  assert.deepEqual(k({ code: 'InvalidInput', message: 'Invalid Input', details: 'shipDate' }), ['client', 'InvalidInput', false]);
  assert.deepEqual(k({ code: 'Invalid Input', message: 'sandbox wording' }), ['client', 'Invalid Input', false]);
});

test('bulk MFN quantities through a JSON_LISTINGS_FEED: the processing report says which were taken; FBA and unknown SKUs are not fed', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    const r = await a.setMfnQuantitiesByFeed([{ sku: 'TSHIRT-RED-M', quantity: 50 }, { sku: 'MUG-12OZ-WHT', quantity: 43 }, { sku: 'TSHIRT-RED-M-FBA', quantity: 9 }, { sku: 'HAT-BLUE', quantity: 1 }], { pollMs: 100 });
    assert.deepEqual(r.accepted, ['TSHIRT-RED-M', 'MUG-12OZ-WHT']);
    assert.deepEqual(r.rejected.map((x) => x.sku), ['TSHIRT-RED-M-FBA', 'HAT-BLUE']);
    assert.match(r.rejected[0].reason, /fulfilled by Amazon \(AMAZON_NA\)/);
    assert.deepEqual(emu.seller('acme')!.listings.get('MUG-12OZ-WHT')!.channels, [{ code: 'DEFAULT', quantity: 43 }]);
    const feed = emu.seller('acme')!.feeds.get(r.feedId)!;
    assert.equal(feed.feedType, 'JSON_LISTINGS_FEED');
  });
});

test('buyer data comes under a restricted data token', async () => {
  await withEmulator({}, async (emu, adapter) => {
    const a = adapter('acme');
    const cities: string[] = [];
    for await (const o of a.searchMfnOrders({ lastUpdatedAfter: new Date('2026-10-01T00:00:00Z'), buyerData: true })) cities.push(o.recipient?.deliveryAddress?.city ?? '');
    assert.deepEqual(cities, ['Seattle', 'Montréal']);
    const rdt = emu.calls.find((c) => c.operation === 'createRestrictedDataToken')!;
    assert.deepEqual((rdt.body as { restrictedResources: unknown }).restrictedResources, [{ method: 'GET', path: '/orders/2026-01-01/orders', dataElements: ['buyerInfo', 'shippingAddress'] }]);
  });
});

test('a search that outlives its restricted data token asks the page again under a new one', async () => {
  // Tokens (access and restricted) live an hour: 36 s of this manual clock at a time scale of 100.
  let t = Date.parse('2026-11-02T12:00:00Z');
  const clock = { now: () => t, sleep: async (ms: number) => void (t += ms) };
  await withEmulator({ clock }, async (emu, adapter) => {
    emu.generateOrders('acme', { count: 250, sku: 'TSHIRT-RED-M', startTime: '2026-11-02T10:00:00Z' });
    const a = adapter('acme', { clock });
    const seen: string[] = [];
    for await (const o of a.searchMfnOrders({ lastUpdatedAfter: new Date('2026-11-02T09:00:00Z'), buyerData: true })) {
      if (seen.length === 0) t += 40_000; // the first page's token expires before the second page
      seen.push(o.orderId);
      assert.ok(o.recipient?.deliveryAddress?.name, `order ${o.orderId} came with its ship-to`);
    }
    assert.equal(new Set(seen).size, seen.length, 'no order twice');
    assert.equal(seen.filter((id) => id.startsWith('902-')).length, 250, 'every generated order');
    assert.equal(emu.calls.filter((c) => c.operation === 'createRestrictedDataToken' && c.status === 200).length, 2);
    assert.deepEqual(emu.calls.filter((c) => c.operation === 'searchOrders').map((c) => c.status), [200, 403, 200, 200]);
  });
});
