/**
 * The exception queue over HTTP on real parts: exceptions raised by the real flows (an order
 * with an unmapped SKU from the SP-API emulator, an acknowledgement that did not come, a partner
 * whose inventory went quiet), then listed, shown, assigned, resolved and retried through the
 * API, every response checked against the OpenAPI document by the API harness.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkOverdue } from '../../src/flows/acknowledgements.ts';
import { checkInventoryFreshness } from '../../src/flows/inventory-to-amazon.ts';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { EXCEPTION_HINTS } from '../../src/server/routes/exceptions.ts';
import { exceptionsRoutes } from '../../src/server/routes/exceptions.ts';
import { partnersRoutes } from '../../src/server/routes/partners.ts';
import { EXCEPTION_KINDS } from '../../src/store/work.ts';
import { drainDeliveries, MAPPINGS, root, startHarness, TestClock, type Harness } from '../flows/harness.ts';
import { startApi, type Api } from './api-harness.ts';

const HELD = ['114-0000000-0000001', '114-0000000-0000002'];
/** The buyer of the held orders: none of it may appear in an exception. */
const RECIPIENT = { name: 'Pat Lee', addressLine1: '9 Elm St', city: 'Portland', stateOrRegion: 'OR', postalCode: '97201', countryCode: 'US', phone: '+1 503 555 0199' };

/** A copy of the example mappings (the test edits its SKU table), the clock after the seed's orders. */
async function setup(): Promise<{ h: Harness; api: Api; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const h = await startHarness({ mappingsDir: dir, clock: new TestClock(Date.parse('2026-11-25T00:00:00Z')) });
  const api = await startApi({ modules: [exceptionsRoutes, partnersRoutes], harness: h });
  return { h, api, dir };
}

async function teardown(s: { h: Harness; api: Api; dir: string }) {
  await s.api.close();
  await s.h.close();
  rmSync(s.dir, { recursive: true, force: true });
}

/** Two orders of a SKU acme's table does not map: held, one unmapped-sku exception listing both. */
async function unmappedSkuOrders(h: Harness): Promise<void> {
  for (const [i, id] of HELD.entries()) {
    h.emulator.addOrder('acme', { orderId: id, marketplaceId: 'ATVPDKIKX0DER', recipient: RECIPIENT, items: [{ orderItemId: `4440000000000${i}`, sellerSku: 'CAP-BLUE-L', asin: 'B0ACME0009', quantity: 1 }] });
  }
  const s = await pollOrders(h.ctx, 'acme');
  assert.equal(s.counts.held, 2);
  // The seed's mapped orders went without waiting for the held ones.
  assert.equal((await drainDeliveries(h)).done, 1);
}

test('every exception kind has a one-line hint in the hints table, and the table names no other kind', () => {
  const file = JSON.parse(readFileSync(join(root, 'src/server/routes/exception-hints.json'), 'utf8')) as Record<string, unknown>;
  assert.deepEqual(Object.keys(file).filter((k) => k !== '$comment').sort(), [...EXCEPTION_KINDS].sort());
  for (const kind of EXCEPTION_KINDS) {
    const h = EXCEPTION_HINTS[kind];
    assert.ok(h.hint.length > 20 && !h.hint.includes('\n'), `${kind}: a one-line hint`);
  }
});

test('an unmapped SKU order: listed, shown with the SKU table to fix, assigned, retried before and after the fix, which clears it', async () => {
  const s = await setup();
  const { h, api, dir } = s;
  try {
    await unmappedSkuOrders(h);
    const list = await api.request('GET', '/api/v1/exceptions?kind=unmapped-sku&state=unresolved&seller=acme&partner=reno-wms');
    assert.equal(list.status, 200);
    assert.equal(list.body.items.length, 1);
    const x = list.body.items[0];
    assert.deepEqual([x.kind, x.key, x.state, x.owner, x.refs], ['unmapped-sku', 'CAP-BLUE-L', 'open', null, HELD]);
    assert.equal(list.body.next, null);

    const shown = await api.request('GET', `/api/v1/exceptions/${x.id}`, { token: api.ro });
    assert.equal(shown.status, 200);
    assert.deepEqual(shown.body.fix, { mappingFile: 'tables/acme-skus.yaml', mappingKey: 'items', hint: EXCEPTION_HINTS['unmapped-sku'].hint });
    assert.deepEqual(shown.body.lastGood, { kind: 'sku-table', seller: 'acme', table: 'acme-skus', file: 'tables/acme-skus.yaml', items: 5, mapsKeyNow: false });
    // The exception's context never carries the buyer: no name, street, city, postcode or phone.
    for (const body of [list.body, shown.body]) {
      const text = JSON.stringify(body);
      for (const v of Object.values(RECIPIENT).filter((v) => v !== 'US' && v !== 'OR')) assert.ok(!text.includes(v), `no ${v} in ${text}`);
    }

    // Assign: a read-only token may not; an empty owner is a located 400; an owner acknowledges it.
    const refused = await api.request('POST', `/api/v1/exceptions/${x.id}/assign`, { token: api.ro, body: { owner: 'dana' } });
    assert.equal(refused.status, 403);
    const empty = await api.request('POST', `/api/v1/exceptions/${x.id}/assign`, { body: { owner: '  ' } });
    assert.deepEqual([empty.status, empty.body.error.where], [400, 'body.owner']);
    const long = await api.request('POST', `/api/v1/exceptions/${x.id}/assign`, { body: { owner: 'x'.repeat(65) } });
    assert.deepEqual([long.status, long.body.error.where], [400, 'body.owner']);
    const assigned = await api.request('POST', `/api/v1/exceptions/${x.id}/assign`, { body: { owner: 'dana' } });
    assert.equal(assigned.status, 200);
    assert.deepEqual([assigned.body.exception.owner, assigned.body.exception.state], ['dana', 'acknowledged']);
    assert.equal((await api.request('GET', '/api/v1/exceptions?owner=dana')).body.items.length, 1);
    assert.equal((await api.request('GET', '/api/v1/exceptions?owner=sam')).body.items.length, 0);
    assert.equal((await api.request('GET', '/api/v1/exceptions?state=open')).body.items.length, 0, 'acknowledged now, not open');

    // A retry before the fix: the orders stay held, the exception stays.
    const early = await api.request('POST', `/api/v1/exceptions/${x.id}/retry`);
    assert.equal(early.status, 200);
    assert.match(early.body.outcome, /0 of 2 held order\(s\) queued.*2 still held/);
    assert.deepEqual([early.body.succeeded, early.body.exception.state, early.body.reload.problems], [true, 'acknowledged', []]);

    // The fix: the SKU added to the table on disk; the retry reloads the mappings and sends the orders.
    const table = join(dir, 'tables/acme-skus.yaml');
    writeFileSync(table, `${readFileSync(table, 'utf8')}  - { sellerSku: CAP-BLUE-L, warehouseItem: CAP-BL-L }\n`);
    const fixed = await api.request('POST', `/api/v1/exceptions/${x.id}/retry`);
    assert.equal(fixed.status, 200);
    assert.match(fixed.body.outcome, /2 of 2 held order\(s\) queued.*resolved/);
    assert.deepEqual([fixed.body.succeeded, fixed.body.exception.state, fixed.body.exception.refs], [true, 'resolved', []]);
    for (const id of HELD) assert.equal((await h.store.work.orders.get('acme', id))!.state, 'queued');
    assert.equal((await drainDeliveries(h)).done, 1, 'the released orders go in one file');
    const after = await api.request('GET', `/api/v1/exceptions/${x.id}`);
    assert.deepEqual([after.body.lastGood.items, after.body.lastGood.mapsKeyNow], [6, true]);
    assert.equal((await api.request('GET', '/api/v1/exceptions?state=unresolved')).body.items.length, 0);

    const again = await api.request('POST', `/api/v1/exceptions/${x.id}/retry`);
    assert.deepEqual([again.status, again.body.error.code], [409, 'conflict']);
    assert.match(again.body.error.message, /resolved already/);
  } finally {
    await teardown(s);
  }
});

test('ids, filters and paging: 400 for a bad id, kind, limit or cursor, 404 for an unknown id, pages newest first', async () => {
  const s = await setup();
  const { h, api } = s;
  try {
    await unmappedSkuOrders(h);
    // Two partners that send inventory, two sellers each, quiet for more than a day: four inventory-stale exceptions.
    await checkInventoryFreshness(h.ctx);
    h.clock.advance((h.ctx.settings.inventoryFreshnessMinutes + 1) * 60_000);
    await checkInventoryFreshness(h.ctx);
    const all = (await api.request('GET', '/api/v1/exceptions')).body.items as Array<{ id: number; kind: string }>;
    assert.equal(all.length, 5);
    assert.deepEqual(all.map((x) => x.id), [...all.map((x) => x.id)].sort((a, b) => b - a), 'newest first');

    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await api.request('GET', `/api/v1/exceptions?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.body.items.length <= 2);
      seen.push(...page.body.items.map((x: { id: number }) => x.id));
      cursor = page.body.next;
      pages++;
    } while (cursor);
    assert.deepEqual([seen, pages], [all.map((x) => x.id), 3]);
    assert.deepEqual((await api.request('GET', '/api/v1/exceptions?kind=inventory-stale&partner=cascade-csv')).body.items.map((x: { seller: string }) => x.seller).sort(), ['acme', 'northwind']);

    for (const [path, where] of [
      ['/api/v1/exceptions/abc', 'path.id'],
      ['/api/v1/exceptions/1.5', 'path.id'],
      ['/api/v1/exceptions?kind=no-such-kind', 'query.kind'],
      ['/api/v1/exceptions?state=closed', 'query.state'],
      ['/api/v1/exceptions?limit=0', 'query.limit'],
      ['/api/v1/exceptions?limit=1001', 'query.limit'],
      ['/api/v1/exceptions?limit=ten', 'query.limit'],
      ['/api/v1/exceptions?cursor=bm9wZQ', 'query.cursor'],
    ]) {
      const r = await api.request('GET', path);
      assert.deepEqual([r.status, r.body.error.where], [400, where], path);
    }
    const missing = await api.request('GET', '/api/v1/exceptions/999999');
    assert.deepEqual([missing.status, missing.body.error.code, missing.body.error.where], [404, 'not-found', 'path.id']);
    assert.equal((await api.request('POST', '/api/v1/exceptions/999999/resolve', { body: { note: 'gone' } })).status, 404);
    assert.equal((await api.request('POST', '/api/v1/exceptions/999999/retry')).status, 404);
    assert.equal((await api.request('GET', '/api/v1/exceptions', { token: null })).status, 401);
  } finally {
    await teardown(s);
  }
});

test('inventory-stale: the partner file and key to fix, the last snapshot as the last good state, no retry (409), resolved with a note', async () => {
  const s = await setup();
  const { h, api } = s;
  try {
    writeFileSync(join(h.partnerDir('reno-wms', 'inbound'), 'RENO_846_77290.edi'), readFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi')));
    assert.equal((await pollPartnerFiles(h.ctx, 'reno-wms')).failed, 0);
    h.clock.advance((h.ctx.settings.inventoryFreshnessMinutes + 1) * 60_000);
    await checkInventoryFreshness(h.ctx);
    const [x] = (await api.request('GET', '/api/v1/exceptions?kind=inventory-stale&partner=reno-wms&seller=acme')).body.items;
    const shown = (await api.request('GET', `/api/v1/exceptions/${x.id}`)).body;
    assert.deepEqual(shown.fix, { mappingFile: 'partners/reno-wms.yaml', mappingKey: 'inventory.freshnessMinutes', hint: EXCEPTION_HINTS['inventory-stale'].hint });
    const last = await h.store.work.inventory.lastSnapshot('reno-wms', 'acme');
    assert.deepEqual(shown.lastGood, { kind: 'inventory-snapshot', partner: 'reno-wms', seller: 'acme', asOf: '2026-11-24T14:00:00.000Z', appliedAt: '2026-11-25T00:00:00.000Z', fileMessageId: last!.fileMessageId });

    const noRetry = await api.request('POST', `/api/v1/exceptions/${x.id}/retry`);
    assert.deepEqual([noRetry.status, noRetry.body.error.code, noRetry.body.error.details], [409, 'conflict', { kind: 'inventory-stale' }]);
    assert.match(noRetry.body.error.message, /inventory-stale has no retry.*resolve exception \d+ with a note/);

    for (const body of [{}, { note: '' }, { note: 'x'.repeat(2001) }]) {
      const bad = await api.request('POST', `/api/v1/exceptions/${x.id}/resolve`, { body });
      assert.deepEqual([bad.status, bad.body.error.where], [400, 'body.note'], JSON.stringify(body));
    }
    assert.equal((await api.request('POST', `/api/v1/exceptions/${x.id}/resolve`, { token: api.ro, body: { note: 'count came by mail' } })).status, 403);
    const resolved = await api.request('POST', `/api/v1/exceptions/${x.id}/resolve`, { body: { note: 'count came by mail' } });
    assert.equal(resolved.status, 200);
    assert.deepEqual([resolved.body.exception.state, resolved.body.exception.note, resolved.body.exception.resolvedAt], ['resolved', 'count came by mail', h.clock.now().toISOString()]);
  } finally {
    await teardown(s);
  }
});

test("ack-overdue: the message's axes as the last good state, and its retry resends the orders under new control numbers", async () => {
  const s = await setup();
  const { h, api } = s;
  try {
    await pollOrders(h.ctx, 'acme');
    assert.equal((await drainDeliveries(h)).done, 1);
    h.clock.advance(61 * 60_000);
    await checkOverdue(h.ctx);
    const [x] = (await api.request('GET', '/api/v1/exceptions?kind=ack-overdue')).body.items;
    assert.ok(x, 'an ack-overdue exception');
    const shown = (await api.request('GET', `/api/v1/exceptions/${x.id}`)).body;
    assert.equal(shown.lastGood.kind, 'message-axes');
    assert.equal(shown.lastGood.messageId, x.context.details.messageId);
    assert.deepEqual([shown.lastGood.acknowledgement, shown.lastGood.ackDueAt], ['overdue', '2026-11-25T01:00:00.000Z']);
    assert.deepEqual(shown.lastGood.file, { messageId: x.context.file.messageId, name: x.context.file.name, delivery: 'delivered', deliveredAt: '2026-11-25T00:00:00.000Z' });
    assert.deepEqual([shown.fix.mappingFile, shown.fix.mappingKey], ['partners/reno-wms.yaml', 'acks.withinMinutes']);

    const retried = await api.request('POST', `/api/v1/exceptions/${x.id}/retry`);
    assert.equal(retried.status, 200);
    assert.equal(retried.body.succeeded, true);
    assert.match(retried.body.outcome, /resen|again|queued/i);
    assert.equal((await drainDeliveries(h)).done, 1, 'the orders went again');
  } finally {
    await teardown(s);
  }
});
