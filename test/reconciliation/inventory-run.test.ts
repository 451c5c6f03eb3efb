/**
 * The by-SKU reconciliation against Amazon over real parts: an 846 taken from Reno's directory
 * by the inbound flow, published to the SP-API emulator by the outbox worker, Amazon's side read
 * back through the real client (the merchant listings report, FBA inventory), SQLite, a test
 * clock. Two t-shirt variants (S and L) are added to a copy of the sample mappings so that an
 * offsetting error whose totals match can be seen by SKU.
 */
import assert from 'node:assert/strict';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { reconcileInventory, sellerTasks } from '../../src/flows/reconciliation.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { reconcileBySku, type ReconciliationRow } from '../../src/reconciliation/by-sku.ts';
import { lastAmazonSides, loadInventoryRun, runCursor } from '../../src/reconciliation/store.ts';
import { MAPPINGS, root, sampleSeed, startHarness, TestClock, type Harness } from '../flows/harness.ts';

const SAMPLE_846 = readFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi'), 'utf8');

/** The sample 846 plus the two variants (20 sellable each), four segments more. */
function count846(small: number, large: number, time = '0600'): string {
  return SAMPLE_846.replace('CTT*6~', `LIN*7*VN*TS-RED-S~QTY*33*${small}~LIN*8*VN*TS-RED-L~QTY*33*${large}~CTT*8~`)
    .replace('SE*20*0001~', 'SE*24*0001~')
    .replace('BIA*00*DD*INVENTORY*20261124*0600~', `BIA*00*DD*INVENTORY*20261124*${time}~`)
    .replaceAll('000077290', `00007${time}`)
    .replaceAll('*77290', `*7${time}`);
}

const VARIANTS = ['TSHIRT-RED-S', 'TSHIRT-RED-L'];

async function harness(): Promise<Harness & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-recon-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  appendFileSync(join(dir, 'tables/acme-skus.yaml'), '  - { sellerSku: TSHIRT-RED-S, warehouseItem: TS-RED-S, asin: B0ACME0011 }\n  - { sellerSku: TSHIRT-RED-L, warehouseItem: TS-RED-L, asin: B0ACME0012 }\n');
  const seed = sampleSeed();
  const acme = seed.sellers.find((s) => s.id === 'acme')!;
  for (const [sku, asin] of [['TSHIRT-RED-S', 'B0ACME0011'], ['TSHIRT-RED-L', 'B0ACME0012']]) (acme.listings ??= []).push({ sku, asin, productType: 'SHIRT', channels: [{ code: 'DEFAULT', quantity: 0 }] } as never);
  const h = await startHarness({ mappingsDir: dir, seed, clock: new TestClock(Date.parse('2026-11-25T00:00:00Z')) });
  const close = h.close.bind(h);
  return Object.assign(h, {
    dir,
    async close() {
      await close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
}

async function receive846(h: Harness, text: string, name: string): Promise<void> {
  writeFileSync(join(h.partnerDir('reno-wms', 'inbound'), name), text);
  const summary = await pollPartnerFiles(h.ctx, 'reno-wms');
  assert.equal(summary.failed, 0, JSON.stringify(summary));
}

const drain = (h: Harness) => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();
/** A Seller Central edit of the listing's MFN quantity: Amazon's own state, not through Dockgate. */
const editOnAmazon = (h: Harness, sku: string, quantity: number) => {
  h.emulator.seller('acme')!.listings.get(sku)!.channels.find((c) => c.code === 'DEFAULT')!.quantity = quantity;
};
const rowOf = (rows: ReconciliationRow[], sku: string) => rows.find((r) => r.sku === sku)!;
const openDrift = async (h: Harness) => (await h.store.work.exceptions.list({ states: ['open', 'acknowledged'], kind: 'inventory-drift', seller: 'acme' })).map((x) => x.key).sort();

test('offsetting drift on two variants whose totals match: each flagged with its own exception, Amazon moved last; the tolerance decides, a later run within it resolves them', async () => {
  const h = await harness();
  try {
    await receive846(h, count846(20, 20), 'RENO_846_1.edi');
    await drain(h);
    const calls = h.emulator.callLog().length;
    const first = await reconcileInventory(h.ctx, 'acme');
    // One report for every listing and one FBA inventory read: no call per SKU.
    const ops = h.emulator.callLog().slice(calls).map((c) => c.operation);
    assert.deepEqual([...new Set(ops)].sort(), ['createReport', 'getInventorySummaries', 'getReport', 'getReportDocument']);
    assert.equal(ops.filter((o) => o === 'createReport').length, 1);
    assert.deepEqual(first.drift.map((r) => r.sku), []);
    for (const sku of VARIANTS) {
      const r = rowOf(first.report.rows, sku);
      assert.deepEqual([r.expected, r.amazonAccepted, r.amazonQuantity, r.driftUnits, r.status, r.movedLast], [18, 18, 18, 0, 'ok', null], sku);
    }

    // The FBA SKU: Amazon's fulfillable units beside it (31; not the 81 of total supply), never fed.
    const fba = rowOf(first.report.rows, 'TSHIRT-RED-M-FBA');
    assert.deepEqual([fba.status, fba.amazonChannel, fba.amazonFulfillable, fba.amazonQuantity, fba.expected, fba.driftUnits], ['fba', 'AMAZON_NA', 31, null, null, null]);
    assert.deepEqual(h.emulator.seller('acme')!.listings.get('TSHIRT-RED-M-FBA')!.channels, [{ code: 'AMAZON_NA' }], 'no DEFAULT quantity was ever written to the FBA listing');
    assert.equal(h.emulator.callLog().filter((c) => c.operation === 'patchListingsItem' && c.path.includes('TSHIRT-RED-M-FBA')).length, 0);

    // Someone moves 3 from L to S in Seller Central: 21 + 15 = 18 + 18.
    h.clock.advance(3_600_000);
    editOnAmazon(h, 'TSHIRT-RED-S', 21);
    editOnAmazon(h, 'TSHIRT-RED-L', 15);
    const drifted = await reconcileInventory(h.ctx, 'acme');
    const [s, l] = VARIANTS.map((sku) => rowOf(drifted.report.rows, sku));
    assert.equal(s.amazonQuantity! + l.amazonQuantity!, s.amazonAccepted! + l.amazonAccepted!, 'the totals match');
    assert.deepEqual(drifted.drift.map((r) => r.sku).sort(), [...VARIANTS].sort(), 'both variants flagged, nothing else');
    for (const [r, diff] of [[s, 3], [l, -3]] as const) {
      assert.deepEqual([r.status, r.amazonDifference, r.driftUnits, r.movedLast, r.movedAt], ['drift', diff, 3, 'amazon', null], r.sku);
      assert.match(r.movedNote!, /Amazon changed: it shows \d+ .* last accepted publish was 18/);
    }
    assert.deepEqual(await openDrift(h), [...VARIANTS].sort());
    const x = (await h.store.work.exceptions.find('inventory-drift', 'TSHIRT-RED-S', 'acme', null))!;
    assert.equal(x.severity, 'warning');
    assert.deepEqual([x.context.details?.amazonQuantity, x.context.details?.accepted, x.context.details?.movedLast], [21, 18, 'amazon']);

    // The run is stored: the report without Amazon calls lays the same Amazon columns beside the rows.
    const stored = await loadInventoryRun(h.store, 'acme');
    assert.deepEqual(JSON.parse((await h.store.work.cursors.get(runCursor('acme', 'inventory')))!).counts, { skus: drifted.report.rows.length, drift: 2 });
    assert.equal(stored!.amazon.checkedAt, '2026-11-25T01:00:00.000Z');
    const before = h.emulator.callLog().length;
    const fromStore = await reconcileBySku(h.ctx, { seller: 'acme', amazon: await lastAmazonSides(h.store, ['acme']) });
    assert.equal(h.emulator.callLog().length, before);
    assert.deepEqual(VARIANTS.map((sku) => rowOf(fromStore.rows, sku).status), ['drift', 'drift']);

    // Tolerance: 2 units is not enough (still open, bumped), 3 is.
    h.ctx.settings.reconcileToleranceUnits = 2;
    assert.equal((await reconcileInventory(h.ctx, 'acme')).drift.length, 2);
    assert.equal((await h.store.work.exceptions.find('inventory-drift', 'TSHIRT-RED-L', 'acme', null))!.count, 2);
    h.ctx.settings.reconcileToleranceUnits = 3;
    const within = await reconcileInventory(h.ctx, 'acme');
    assert.deepEqual([within.drift.length, within.resolved], [0, 2]);
    assert.deepEqual(VARIANTS.map((sku) => rowOf(within.report.rows, sku).status), ['ok', 'ok']);
    assert.deepEqual(await openDrift(h), []);
    const resolved = (await h.store.work.exceptions.list({ kind: 'inventory-drift', seller: 'acme' })).filter((e) => e.key === 'TSHIRT-RED-S')[0];
    assert.equal(resolved.state, 'resolved');
    assert.match(resolved.note!, /within tolerance/);
  } finally {
    await h.close();
  }
});

test('which side moved last: the warehouse (orders sold after the publish), Dockgate (a publish accepted after the count), Amazon (the listing edited after the publish)', async () => {
  const h = await harness();
  try {
    await receive846(h, count846(20, 20), 'RENO_846_1.edi');
    await drain(h);
    // An hour after the publish, the seed's two orders are polled (2 TSHIRT-RED-M among them): the warehouse side moved.
    h.clock.advance(3_600_000);
    await pollOrders(h.ctx, 'acme');
    const orderedAt = h.clock.now().toISOString();
    // Two hours after: Dockgate publishes 25 for S (its last accepted), and Amazon holds it.
    h.clock.advance(3_600_000);
    await h.store.work.inventory.accepted('acme', 'TSHIRT-RED-S', 25, h.clock.now().toISOString());
    editOnAmazon(h, 'TSHIRT-RED-S', 25);
    const publishedAt = h.clock.now().toISOString();
    // And L is edited on Amazon.
    editOnAmazon(h, 'TSHIRT-RED-L', 11);
    h.clock.advance(60_000);

    const run = await reconcileInventory(h.ctx, 'acme');
    const t = rowOf(run.report.rows, 'TSHIRT-RED-M');
    assert.deepEqual([t.status, t.expected, t.amazonAccepted, t.movedLast, t.movedAt], ['drift', 116, 118, 'warehouse', orderedAt]);
    assert.match(t.movedNote!, /the warehouse moved to 116/);
    const s = rowOf(run.report.rows, 'TSHIRT-RED-S');
    assert.deepEqual([s.status, s.expected, s.amazonAccepted, s.amazonQuantity, s.movedLast, s.movedAt], ['drift', 18, 25, 25, 'dockgate', publishedAt]);
    const l = rowOf(run.report.rows, 'TSHIRT-RED-L');
    assert.deepEqual([l.status, l.expected, l.amazonAccepted, l.amazonQuantity, l.movedLast, l.movedAt], ['drift', 18, 18, 11, 'amazon', null]);
    assert.equal(l.amazonCheckedAt, h.clock.now().toISOString());
    assert.deepEqual(await openDrift(h), ['MUG-12OZ-WHT', 'MUG-GIFT-SET', 'SOCKS-6PK', 'TSHIRT-RED-L', 'TSHIRT-RED-M', 'TSHIRT-RED-S']);

    // The scheduled task: both reconciliations, counted; daily, not in a --once cycle.
    const [task] = sellerTasks;
    assert.deepEqual([task.name, task.inOnce, task.everySeconds(h.ctx)], ['reconcile', false, 86_400]);
    const summary = await task.run(h.ctx, 'acme');
    assert.equal(summary.failed, 0);
    assert.deepEqual([summary.flow, summary.scope, summary.counts.skus, summary.counts.drift], ['reconcile', 'acme', run.report.rows.length, 6]);
    assert.equal(typeof summary.counts.stuck, 'number');
  } finally {
    await h.close();
  }
});

test('the seller task: a seller whose credentials are missing is thrown to the gateway (its seller-unavailable), not counted as a reconciliation failure', async () => {
  const h = await startHarness({ clock: new TestClock(Date.parse('2026-11-25T00:00:00Z')), env: { ACME_LWA_REFRESH_TOKEN: '' } });
  try {
    await assert.rejects(sellerTasks[0].run(h.ctx, 'acme'), (e: Error) => e.name === 'AmazonConfigError');
    assert.equal(await h.store.work.cursors.get(runCursor('acme', 'inventory')), null, 'nothing stored');
  } finally {
    await h.close();
  }
});
