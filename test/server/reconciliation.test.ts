/**
 * The reconciliation API after real runs: the sample 846 published to the SP-API emulator by
 * the outbox worker, the seed's orders polled and delivered, a Seller Central edit on the
 * emulator, then the reconciliation flow (Amazon read through the real client) stores its runs;
 * the API serves the by-SKU rows with the Amazon columns and the orders reconciliation from
 * those runs without calling Amazon, every response checked against the OpenAPI document.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { reconcileInventory, reconcileOrdersRun } from '../../src/flows/reconciliation.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { reconciliationRoutes } from '../../src/server/routes/reconciliation.ts';
import { root, startHarness, TestClock } from '../flows/harness.ts';
import { startApi } from './api-harness.ts';

test('reconciliation API: Amazon columns from the last run (no Amazon call per request), the orders reconciliation filtered and sorted, both as CSV; 400 / 404 on a bad query', { timeout: 120_000 }, async () => {
  const h = await startHarness({ clock: new TestClock(Date.parse('2026-11-25T00:00:00Z')) });
  const api = await startApi({ modules: [reconciliationRoutes], harness: h });
  try {
    writeFileSync(join(h.partnerDir('reno-wms', 'inbound'), 'RENO_846_77290.edi'), readFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi')));
    assert.equal((await pollPartnerFiles(h.ctx, 'reno-wms')).failed, 0);
    await new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();

    // Before any run: the Amazon columns are null, no runs, no orders rows.
    const before = await api.request('GET', '/api/v1/reconciliation?seller=acme', { token: api.ro });
    assert.equal(before.status, 200);
    assert.deepEqual(before.body.runs, []);
    assert.ok(before.body.rows.every((r: { amazonCheckedAt: string | null }) => r.amazonCheckedAt === null));
    assert.deepEqual((await api.request('GET', '/api/v1/reconciliation/orders?seller=acme')).body, { runs: [], rows: [] });

    // Sold on Amazon (the seed's two orders), and an edit in Seller Central: SOCKS-6PK to 9.
    await pollOrders(h.ctx, 'acme');
    h.emulator.seller('acme')!.listings.get('SOCKS-6PK')!.channels.find((c) => c.code === 'DEFAULT')!.quantity = 9;
    h.clock.advance(90 * 60_000);
    const inv = await reconcileInventory(h.ctx, 'acme');
    await reconcileOrdersRun(h.ctx, 'acme');
    const calls = h.emulator.callLog().length;

    const r = await api.request('GET', '/api/v1/reconciliation?seller=acme', { token: api.ro });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.runs, [{ seller: 'acme', runAt: '2026-11-25T01:30:00.000Z', counts: { skus: inv.report.rows.length, drift: inv.drift.length } }]);
    assert.equal(r.body.toleranceUnits, 0);
    const row = (sku: string) => r.body.rows.find((x: { sku: string }) => x.sku === sku);
    assert.deepEqual(
      ['amazonChannel', 'amazonQuantity', 'amazonAccepted', 'amazonDifference', 'movedLast', 'status'].map((k) => row('SOCKS-6PK')[k]),
      ['DEFAULT', 9, 4, 5, 'amazon', 'drift'],
    );
    assert.deepEqual(['expected', 'amazonAccepted', 'amazonQuantity', 'movedLast'].map((k) => row('TSHIRT-RED-M')[k]), [116, 118, 118, 'warehouse']);
    assert.deepEqual(['status', 'amazonChannel', 'amazonFulfillable', 'expected'].map((k) => row('TSHIRT-RED-M-FBA')[k]), ['fba', 'AMAZON_NA', 31, null]);
    assert.equal(row('SOCKS-6PK').amazonCheckedAt, '2026-11-25T01:30:00.000Z');
    const sorted = await api.request('GET', '/api/v1/reconciliation?seller=acme&sort=-amazonDifference');
    assert.equal(sorted.body.rows[0].sku, 'SOCKS-6PK');

    const csv = await api.request('GET', '/api/v1/reconciliation.csv?seller=acme');
    const records = parse(csv.body as string, { columns: true }) as Array<Record<string, string>>;
    const socks = records.find((x) => x.sku === 'SOCKS-6PK')!;
    assert.deepEqual([socks.amazonQuantity, socks.amazonDifference, socks.movedLast, socks.driftUnits], ['9', '5', 'amazon', '6']);

    // The orders run: the two seed orders, sent (queued, not delivered here), 90 minutes on: stuck at send.
    const orders = await api.request('GET', '/api/v1/reconciliation/orders?seller=acme', { token: api.ro });
    assert.equal(orders.status, 200);
    assert.deepEqual(orders.body.runs.map((x: { seller: string; amazonSearched: boolean; counts: unknown }) => [x.seller, x.amazonSearched, x.counts]), [['acme', true, { orders: 2, stuck: 2 }]]);
    assert.deepEqual(orders.body.rows.map((x: { step: string; stuck: boolean; state: string }) => [x.step, x.stuck, x.state]), [['send', true, 'queued'], ['send', true, 'queued']]);
    assert.equal((await api.request('GET', '/api/v1/reconciliation/orders?stuck=false')).body.rows.length, 0);
    assert.equal((await api.request('GET', '/api/v1/reconciliation/orders?step=send&sort=-orderId')).body.rows.length, 2);
    const ids = orders.body.rows.map((x: { orderId: string }) => x.orderId).sort();
    assert.deepEqual((await api.request('GET', '/api/v1/reconciliation/orders?sort=-orderId')).body.rows.map((x: { orderId: string }) => x.orderId), [...ids].reverse());
    const ocsv = await api.request('GET', '/api/v1/reconciliation/orders.csv?seller=acme');
    assert.equal(ocsv.status, 200);
    assert.match(ocsv.headers.get('content-disposition')!, /^attachment; filename="reconciliation-orders-acme-\d{8}T\d{6}Z\.csv"$/);
    const orows = parse(ocsv.body as string, { columns: true }) as Array<Record<string, string>>;
    assert.deepEqual(orows.map((x) => [x.orderId, x.stuck, x.step]), orders.body.rows.map((x: { orderId: string }) => [x.orderId, 'true', 'send']));
    assert.equal(h.emulator.callLog().length, calls, 'no Amazon call from the API');

    for (const [path, status, where] of [
      ['/api/v1/reconciliation/orders?stuck=maybe', 400, 'query.stuck'],
      ['/api/v1/reconciliation/orders?step=flying', 400, 'query.step'],
      ['/api/v1/reconciliation/orders?sort=reason', 400, 'query.sort'],
      ['/api/v1/reconciliation/orders?seller=nobody', 404, 'query.seller'],
      ['/api/v1/reconciliation?sort=movedNote', 400, 'query.sort'],
    ] as const) {
      const bad = await api.request('GET', path);
      assert.deepEqual([bad.status, bad.body.error.where], [status, where], path);
    }
  } finally {
    await api.close();
    await h.close();
  }
});
