/**
 * The by-SKU reconciliation report over real parts: the sample 846 taken from Reno's directory
 * by the inbound flow, its quantities published to the SP-API emulator by the outbox worker,
 * orders polled from the emulator (in flight), SQLite, and a test clock. The report's expected
 * quantity must be what the inventory flow publishes: a second snapshot publishes exactly the
 * expected figures a drifted report showed.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { loadMappings } from '../../src/mapping/load.ts';
import { reconcileBySku, type ReconciliationRow } from '../../src/reconciliation/by-sku.ts';
import { MAPPINGS, root, startHarness, TestClock, type Harness } from '../flows/harness.ts';

const SAMPLE_846 = readFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi'), 'utf8');

/** The sample 846 counted at another time of 2026-11-24 (Reno's zone), under its own control numbers (a repeated interchange is a duplicate). */
const at = (time: string) =>
  SAMPLE_846.replace('BIA*00*DD*INVENTORY*20261124*0600~', `BIA*00*DD*INVENTORY*20261124*${time}~`)
    .replaceAll('000077290', `00007${time}`)
    .replaceAll('*77290', `*7${time}`);

/** What the inventory flow publishes for the sample (test/flows/inventory.test.ts works them out). */
const PUBLISHED = { 'TSHIRT-RED-M': 118, 'MUG-12OZ-WHT': 43, 'MUG-GIFT-SET': 22, 'SOCKS-6PK': 4 };

/** After the seed's two acme orders (2 TSHIRT-RED-M + 1 MUG-GIFT-SET; 1 SOCKS-6PK) are in flight. */
const WITH_ORDERS_IN_FLIGHT = {
  // 120 - 2 - buffer 2
  'TSHIRT-RED-M': 116,
  // 48 mugs - 2 (the gift set's two) - buffer 5
  'MUG-12OZ-WHT': 41,
  // min(46 / 2, 30 - 1) - 2
  'MUG-GIFT-SET': 21,
  // (40 - 6) pairs / 6 - 2
  'SOCKS-6PK': 3,
};

async function harness(): Promise<Harness> {
  // After the seed's orders, so that they are found by the first poll.
  const clock = new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  return startHarness({ clock });
}

async function receive846(h: Harness, text: string, name: string): Promise<void> {
  writeFileSync(join(h.partnerDir('reno-wms', 'inbound'), name), text);
  const summary = await pollPartnerFiles(h.ctx, 'reno-wms');
  assert.equal(summary.failed, 0, JSON.stringify(summary));
}

const drain = (h: Harness) => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();

const bySku = (rows: ReconciliationRow[]) => new Map(rows.map((r) => [`${r.seller}/${r.sku}`, r]));
const pick = (rows: ReconciliationRow[], seller: string, skus: string[], field: keyof ReconciliationRow) =>
  Object.fromEntries(skus.map((s) => [s, bySku(rows).get(`${seller}/${s}`)?.[field]]));
const MFN = Object.keys(PUBLISHED);

test('the report follows the inventory flow: ok after a publish, drift while orders are in flight, ok again once the next snapshot publishes its expected figures', async () => {
  const h = await harness();
  try {
    await receive846(h, at('0600'), 'RENO_846_1.edi');
    await drain(h);
    const first = await reconcileBySku(h.ctx);
    assert.equal(first.generatedAt, '2026-11-25T00:00:00.000Z');
    assert.deepEqual(pick(first.rows, 'acme', MFN, 'expected'), PUBLISHED);
    assert.deepEqual(pick(first.rows, 'acme', MFN, 'amazonAccepted'), PUBLISHED, 'what the emulator accepted');
    assert.deepEqual(pick(first.rows, 'acme', MFN, 'status'), Object.fromEntries(MFN.map((s) => [s, 'ok'])));
    assert.deepEqual(pick(first.rows, 'acme', MFN, 'difference'), Object.fromEntries(MFN.map((s) => [s, 0])));
    for (const sku of MFN) assert.equal(h.emulator.seller('acme')!.listings.get(sku)!.channels.find((c) => c.code === 'DEFAULT')?.quantity, PUBLISHED[sku as keyof typeof PUBLISHED]);

    const rows = bySku(first.rows);
    const tshirt = rows.get('acme/TSHIRT-RED-M')!;
    assert.deepEqual(
      [tshirt.partner, tshirt.warehouseSku, tshirt.packSize, tshirt.sellable, tshirt.inFlight, tshirt.available, tshirt.buffer, tshirt.channel, tshirt.snapshotAsOf],
      ['reno-wms', 'TS-RED-M', 1, 120, 0, 120, 2, 'MFN', '2026-11-24T14:00:00.000Z'],
    );
    // Every state the warehouse counts, only QTY 33 sellable: 17 (on hand) and 74 (damaged) are not.
    assert.deepEqual(tshirt.warehouseStock.map((l) => [l.state, l.quantity, l.sellable]).sort(), [['17', 126, false], ['33', 120, true], ['74', 6, false]]);
    assert.ok(tshirt.acceptedAt && tshirt.pending === null);
    const kit = rows.get('acme/MUG-GIFT-SET')!;
    assert.deepEqual([kit.warehouseSku, kit.sellable, kit.available], [null, null, 24]);
    assert.deepEqual(kit.kit, [{ warehouseItem: 'MUG-12-WHT', perKit: 2, sellable: 48, inFlight: 0 }, { warehouseItem: 'GIFT-BOX-S', perKit: 1, sellable: 30, inFlight: 0 }]);
    assert.deepEqual([rows.get('acme/SOCKS-6PK')!.packSize, rows.get('acme/SOCKS-6PK')!.sellable, rows.get('acme/SOCKS-6PK')!.available], [6, 40, 6]);
    // The FBA SKU: Amazon fulfils it, warehouse counts never feed it.
    const fba = rows.get('acme/TSHIRT-RED-M-FBA')!;
    assert.deepEqual([fba.status, fba.channel, fba.amazonAccepted], ['fba', 'FBA', null]);
    // northwind's SKUs from the same file: the tent 12 (its 3 on hold aside), the lantern 0, no buffer.
    assert.deepEqual(pick(first.rows, 'northwind', ['NW-TENT-2P', 'NW-LANTERN'], 'expected'), { 'NW-TENT-2P': 12, 'NW-LANTERN': 0 });
    assert.deepEqual(pick(first.rows, 'northwind', ['NW-TENT-2P', 'NW-LANTERN'], 'status'), { 'NW-TENT-2P': 'ok', 'NW-LANTERN': 'ok' });
    assert.deepEqual(first.rows.map((r) => `${r.seller}/${r.sku}`), [...first.rows.map((r) => `${r.seller}/${r.sku}`)].sort(), 'seller, then SKU');

    // Orders sold on Amazon, not yet at the warehouse: the count does not know them.
    const polled = await pollOrders(h.ctx, 'acme');
    assert.equal(polled.counts.queued, 2);
    const drifted = await reconcileBySku(h.ctx, { seller: 'acme' });
    assert.ok(drifted.rows.every((r) => r.seller === 'acme'));
    assert.deepEqual(pick(drifted.rows, 'acme', MFN, 'expected'), WITH_ORDERS_IN_FLIGHT);
    assert.deepEqual(pick(drifted.rows, 'acme', MFN, 'status'), Object.fromEntries(MFN.map((s) => [s, 'drift'])));
    assert.deepEqual(pick(drifted.rows, 'acme', MFN, 'difference'), { 'TSHIRT-RED-M': -2, 'MUG-12OZ-WHT': -2, 'MUG-GIFT-SET': -1, 'SOCKS-6PK': -1 });
    assert.deepEqual(pick(drifted.rows, 'acme', ['TSHIRT-RED-M', 'SOCKS-6PK'], 'inFlight'), { 'TSHIRT-RED-M': 2, 'SOCKS-6PK': 6 });
    assert.deepEqual(bySku(drifted.rows).get('acme/MUG-GIFT-SET')!.kit!.map((p) => p.inFlight), [2, 1]);

    // Filter and sort: the largest shortfall first, unknown differences last.
    const sorted = await reconcileBySku(h.ctx, { seller: 'acme', sort: 'difference' });
    assert.deepEqual(sorted.rows.map((r) => r.sku), ['MUG-12OZ-WHT', 'TSHIRT-RED-M', 'MUG-GIFT-SET', 'SOCKS-6PK', 'TSHIRT-RED-M-FBA']);
    assert.deepEqual((await reconcileBySku(h.ctx, { status: 'fba' })).rows.map((r) => r.sku), ['TSHIRT-RED-M-FBA']);

    // The next count (same figures, an hour later): the flow publishes what the report expected.
    await receive846(h, at('0700'), 'RENO_846_2.edi');
    await drain(h);
    const settled = await reconcileBySku(h.ctx, { seller: 'acme' });
    assert.deepEqual(pick(settled.rows, 'acme', MFN, 'amazonAccepted'), WITH_ORDERS_IN_FLIGHT, 'Amazon holds what the drifted report expected');
    assert.deepEqual(pick(settled.rows, 'acme', MFN, 'status'), Object.fromEntries(MFN.map((s) => [s, 'ok'])));
    for (const [sku, q] of Object.entries(WITH_ORDERS_IN_FLIGHT)) assert.equal(h.emulator.seller('acme')!.listings.get(sku)!.channels.find((c) => c.code === 'DEFAULT')?.quantity, q, sku);

    // Past the partner's freshness window (the gateway's default day) without a snapshot: stale.
    h.clock.advance((h.ctx.settings.inventoryFreshnessMinutes + 1) * 60_000);
    const stale = await reconcileBySku(h.ctx, { seller: 'acme' });
    assert.deepEqual(pick(stale.rows, 'acme', MFN, 'status'), Object.fromEntries(MFN.map((s) => [s, 'stale'])));
    assert.equal(bySku(stale.rows).get('acme/TSHIRT-RED-M-FBA')!.status, 'fba');
  } finally {
    await h.close();
  }
});

test('a SKU Amazon has a quantity of that the table no longer maps is unmapped; a new SKU never published is not-published; no snapshot yet is stale', async () => {
  const h = await harness();
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  try {
    const none = await reconcileBySku(h.ctx, { seller: 'northwind' });
    assert.deepEqual(none.rows.map((r) => [r.sku, r.status, r.expected, r.partner]), [['NW-LANTERN', 'stale', null, 'reno-wms'], ['NW-TENT-2P', 'stale', null, 'reno-wms']]);

    await receive846(h, at('0600'), 'RENO_846_1.edi');
    await drain(h);
    cpSync(MAPPINGS, dir, { recursive: true });
    const table = join(dir, 'tables/acme-skus.yaml');
    const text = readFileSync(table, 'utf8');
    const socks = text.split('\n').find((l) => l.includes('sellerSku: SOCKS-6PK'))!;
    writeFileSync(table, `${text.replace(`${socks}\n`, '')}  - { sellerSku: CAP-BLUE-L, warehouseItem: CAP-BL-L }\n`);
    const loaded = loadMappings(dir);
    assert.deepEqual(loaded.problems, []);
    h.ctx.mappings = loaded.mappings;

    const rows = bySku((await reconcileBySku(h.ctx, { seller: 'acme' })).rows);
    const socksRow = rows.get('acme/SOCKS-6PK')!;
    assert.deepEqual([socksRow.status, socksRow.expected, socksRow.amazonAccepted, socksRow.warehouseSku], ['unmapped', null, 4, null]);
    const cap = rows.get('acme/CAP-BLUE-L')!;
    assert.deepEqual([cap.status, cap.expected, cap.amazonAccepted, cap.sellable, cap.warehouseStock], ['not-published', 0, null, 0, []]);
    await assert.rejects(reconcileBySku(h.ctx, { seller: 'nobody' }), /no seller 'nobody'/);
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
