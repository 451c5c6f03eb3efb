/**
 * Flow 4 over real parts: 846 / CSV snapshots through inventoryRoute, publish jobs run by the
 * outbox worker against the SP-API emulator (its listings state and recorded calls checked),
 * SQLite for stock, snapshots, quantities, channels and exceptions, and a test clock.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ReceivedFile } from '../../src/flows/context.ts';
import { checkInventoryFreshness, handlers, inventoryRoute, refreshChannels, retries } from '../../src/flows/inventory-to-amazon.ts';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { readPartnerDocuments, translator, type InboundDocument } from '../../src/mapping/translate.ts';
import type { OrderRecord } from '../../src/store/work.ts';
import { MAPPINGS, root, startHarness, type Harness } from './harness.ts';

const SAMPLE_846 = readFileSync(join(root, 'samples/partners/reno-wms/846-inventory.edi'), 'utf8');
const SAMPLE_CSV = readFileSync(join(root, 'samples/partners/cascade-csv/inventory.csv'));
/** The sample's as-of: BIA 20261124 0600 in Reno's zone (America/Los_Angeles). */
const SAMPLE_AS_OF = '2026-11-24T14:00:00.000Z';

/** The sample 846 with another BIA (time, and DD full / MM change) and segment edits. */
function edi(options: { time?: string; scope?: 'DD' | 'MM'; replace?: Array<[string, string]> } = {}): Buffer {
  let text = SAMPLE_846.replace('BIA*00*DD*INVENTORY*20261124*0600~', `BIA*00*${options.scope ?? 'DD'}*INVENTORY*20261124*${options.time ?? '0600'}~`);
  for (const [from, to] of options.replace ?? []) {
    assert.ok(text.includes(from), `the sample has ${from}`);
    text = text.replace(from, to);
  }
  return Buffer.from(text);
}

/** A change 846: only these LIN/QTY loops, as deltas. */
function change846(time: string, lines: Array<[string, string, number]>): Buffer {
  const body = lines.flatMap(([item, state, qty], i) => [`LIN*${i + 1}*VN*${item}~`, `QTY*${state}*${qty}~`]);
  const segs = ['ST*846*0001~', `BIA*00*MM*INVENTORY*20261124*${time}~`, 'N1*WH*RENO FULFILLMENT*92*RNO1~', ...body, `CTT*${lines.length}~`];
  segs.push(`SE*${segs.length + 1}*0001~`);
  const head = SAMPLE_846.split('\n').slice(0, 2).join('\n');
  return Buffer.from([head, ...segs, 'GE*1*77290~', 'IEA*1*000077290~', ''].join('\n'));
}

let fileSeq = 0;
/** Record the file as the inbound step would (bytes in the blob store, a received file message) and route its documents. */
async function receive(h: Harness, partner: string, bytes: Buffer, name = `inv-${++fileSeq}.${partner === 'reno-wms' ? 'edi' : 'csv'}`) {
  const blob = await h.store.blobs.putBuffer(bytes);
  const messageId = await h.store.recordFile({ direction: 'in', partner, fileName: name, sha256: blob.sha256, size: blob.size, status: 'received', children: [] });
  const file: ReceivedFile = { messageId, partner, name, sha256: blob.sha256, size: blob.size };
  const docs: InboundDocument[] = [];
  for await (const e of readPartnerDocuments(translator(h.mappings, partner, 'inventory'), bytes, { file: name })) {
    assert.equal(e.type, 'document', `no file problem in ${name}: ${JSON.stringify(e)}`);
    if (e.type === 'document') docs.push(e.document);
  }
  const results = [];
  for (const [i, d] of docs.entries()) results.push({ seller: (d.document as { seller?: string } | undefined)?.seller, ...(await inventoryRoute.handle(h.ctx, file, d, i)) });
  return { file, docs, results };
}

const drain = (h: Harness) => new OutboxWorker(h.ctx, { handlers, random: () => 0 }).drain();

const mfn = (h: Harness, seller: string, sku: string) => h.emulator.seller(seller)!.listings.get(sku)!.channels.find((c) => c.code === 'DEFAULT')?.quantity;
const calls = (h: Harness, operation: string, sku?: string) => h.emulator.calls.filter((c) => c.operation === operation && (!sku || c.path.endsWith(`/${encodeURIComponent(sku)}`))).length;
const acmeJobs = async (h: Harness) => (await h.store.work.jobs.list({ seller: 'acme' })).filter((j) => j.kind === 'publish-quantity' || j.kind === 'publish-feed');

const EXPECTED = {
  // 120 available (QTY 33) - buffer 2; the 126 on hand (17) and 6 damaged (74) are not sellable.
  'TSHIRT-RED-M': 118,
  // 48 - its own buffer 5.
  'MUG-12OZ-WHT': 43,
  // kit: min(48 mugs / 2, 30 boxes) = 24 - 2.
  'MUG-GIFT-SET': 22,
  // 40 pairs in 6-packs: 6 - 2.
  'SOCKS-6PK': 4,
};

/** northwind without its refresh token: a seller whose credentials are missing. */
const NORTHWIND_UNAVAILABLE = { NORTHWIND_LWA_REFRESH_TOKEN: '' };

test('the sample 846 publishes MFN quantities with buffers, packs and kits; damaged stock, FBA SKUs and an unavailable seller aside', async () => {
  const h = await startHarness({ env: NORTHWIND_UNAVAILABLE });
  try {
    const { results } = await receive(h, 'reno-wms', edi());
    assert.deepEqual(results.map((r) => [r.seller, r.state]), [['acme', 'processed'], ['northwind', 'processed']]);
    const jobs = await acmeJobs(h);
    assert.deepEqual(jobs.map((j) => [j.kind, j.payload.sku, j.payload.quantity]).sort(), Object.entries(EXPECTED).map(([sku, q]) => ['publish-quantity', sku, q]).sort());
    assert.equal((await h.store.work.inventory.quantity('acme', 'TSHIRT-RED-M'))?.pending, 118);
    const done = await drain(h);
    for (const [sku, q] of Object.entries(EXPECTED)) {
      assert.equal(mfn(h, 'acme', sku), q, sku);
      const p = await h.store.work.inventory.quantity('acme', sku);
      assert.equal(p?.accepted, q);
      assert.equal(p?.pending, null);
    }
    // The FBA SKU: its channel read once, never patched, no job.
    assert.equal(calls(h, 'getListingsItem', 'TSHIRT-RED-M-FBA'), 1);
    assert.equal(calls(h, 'patchListingsItem', 'TSHIRT-RED-M-FBA'), 0);
    assert.equal((await h.store.work.inventory.channel('acme', 'TSHIRT-RED-M-FBA'))?.channel, 'FBA');
    assert.ok(h.logs.some((l) => l.sku === 'TSHIRT-RED-M-FBA' && l.msg === 'fba sku not fed from warehouse stock'));
    // northwind's refresh token is missing: its jobs die with one seller-unavailable exception,
    // acme's quantities went out all the same.
    const nw = done.filter((r) => r.key.includes(':northwind:'));
    assert.ok(nw.length > 0 && nw.every((r) => r.outcome === 'dead'), JSON.stringify(nw));
    const x = await h.store.work.exceptions.find('seller-unavailable', 'amazon', 'northwind', null);
    assert.ok(x, 'a seller-unavailable exception for northwind');
    assert.equal((await h.store.work.inventory.quantity('northwind', 'NW-TENT-2P'))?.pending ?? null, null, 'a refused publish leaves nothing pending');
  } finally {
    await h.close();
  }
});

test('an unchanged second snapshot publishes nothing, an older one is not applied, and an FBA channel is read again only after the refresh window', async () => {
  const h = await startHarness();
  try {
    await receive(h, 'reno-wms', edi({ time: '0600' }));
    await drain(h);
    const patches = calls(h, 'patchListingsItem');
    const jobs = (await acmeJobs(h)).length;

    const second = await receive(h, 'reno-wms', edi({ time: '0700' }));
    assert.equal(second.results[0].state, 'processed');
    await drain(h);
    assert.equal((await acmeJobs(h)).length, jobs, 'no new publish job');
    assert.equal(calls(h, 'patchListingsItem'), patches, 'nothing patched');
    assert.equal(calls(h, 'getListingsItem', 'TSHIRT-RED-M-FBA'), 1, 'the FBA channel came from the cache');
    assert.equal((await h.store.work.inventory.lastSnapshot('reno-wms', 'acme'))?.asOf, '2026-11-24T15:00:00.000Z');

    // Older than the one applied: skipped, its counts not taken.
    const old = await receive(h, 'reno-wms', edi({ time: '0630', replace: [['QTY*33*120~', 'QTY*33*7~']] }));
    assert.deepEqual(old.results.map((r) => r.state), ['skipped', 'skipped']);
    assert.match(old.results[0].reason ?? '', /not after the last snapshot applied/);
    const red = async () => (await h.store.work.inventory.stock('reno-wms', 'acme')).find((l) => l.warehouseItem === 'TS-RED-M' && l.state === '33')?.quantity;
    assert.equal(await red(), 120);
    assert.equal((await acmeJobs(h)).length, jobs);
    assert.ok(h.logs.some((l) => l.msg === 'inventory snapshot skipped: not newer than the last one applied'));

    // A second full count as of the same minute, in another file, is the warehouse's later word:
    // applied (846s are stamped to the minute, or only to the day). The same file again is not.
    const same = await receive(h, 'reno-wms', edi({ time: '0700', replace: [['QTY*33*120~', 'QTY*33*7~']] }));
    assert.equal(same.results[0].state, 'processed');
    assert.equal(await red(), 7);
    await drain(h);
    assert.equal((await acmeJobs(h)).length, jobs + 1, 'the new quantity published');
    const back = await receive(h, 'reno-wms', edi({ time: '0700' }));
    assert.equal(back.results[0].state, 'processed');
    assert.equal(await red(), 120);
    const again = await inventoryRoute.handle(h.ctx, back.file, back.docs[0], 0);
    assert.equal(again.state, 'skipped', 'the same file processed again does not replace itself');
    await drain(h);

    // Past the refresh window the FBA SKU's channel is read again (once), still not fed.
    h.clock.advance((h.ctx.settings.channelRefreshHours + 1) * 3600_000);
    await receive(h, 'reno-wms', edi({ time: '0800' }));
    await drain(h);
    assert.equal(calls(h, 'getListingsItem', 'TSHIRT-RED-M-FBA'), 2);
    assert.equal(calls(h, 'patchListingsItem', 'TSHIRT-RED-M-FBA'), 0);

    // refreshChannels reads every SKU not checked within half the window, then none.
    h.clock.advance(13 * 3600_000);
    const before = calls(h, 'getListingsItem');
    await refreshChannels(h.ctx, 'acme');
    assert.equal(calls(h, 'getListingsItem') - before, 5);
    await refreshChannels(h.ctx, 'acme');
    assert.equal(calls(h, 'getListingsItem') - before, 5);
  } finally {
    await h.close();
  }
});

test('a change 846 (BIA-02 MM) adds to the last full count; one before any full count is held with an exception', async () => {
  const h = await startHarness();
  try {
    const early = await receive(h, 'reno-wms', change846('0500', [['TS-RED-M', '33', -10]]));
    assert.equal(early.results[0].state, 'held');
    const held = await h.store.work.exceptions.find('partner-data-rejected', 'inventory-change-without-count', 'acme', 'reno-wms');
    assert.ok(held);
    assert.match(held.message, /before any full count/);
    assert.equal((await acmeJobs(h)).length, 0);

    await receive(h, 'reno-wms', edi({ time: '0600' }));
    assert.equal((await h.store.work.exceptions.get(held.id))?.state, 'resolved', 'the full count resolves it');
    await drain(h);

    const r = await receive(h, 'reno-wms', change846('0630', [['TS-RED-M', '33', -10], ['TS-RED-M', '74', 2], ['SOCK-BLK', '33', 12]]));
    assert.deepEqual(r.results.map((x) => x.state), ['processed']);
    const stock = await h.store.work.inventory.stock('reno-wms', 'acme');
    assert.equal(stock.find((l) => l.warehouseItem === 'TS-RED-M' && l.state === '33')?.quantity, 110);
    assert.equal(stock.find((l) => l.warehouseItem === 'TS-RED-M' && l.state === '74')?.quantity, 8);
    assert.equal(stock.find((l) => l.warehouseItem === 'MUG-12-WHT')?.quantity, 48, 'items the change does not name keep their count');
    await drain(h);
    assert.equal(mfn(h, 'acme', 'TSHIRT-RED-M'), 108);
    assert.equal(mfn(h, 'acme', 'SOCKS-6PK'), 6, '52 pairs: 8 six-packs - 2');
    assert.equal(mfn(h, 'acme', 'MUG-12OZ-WHT'), 43);
    // The same change again (a reprocessed file) is not added twice.
    const again = await receive(h, 'reno-wms', change846('0630', [['TS-RED-M', '33', -10]]));
    assert.equal(again.results[0].state, 'skipped');
    assert.equal((await h.store.work.inventory.stock('reno-wms', 'acme')).find((l) => l.warehouseItem === 'TS-RED-M' && l.state === '33')?.quantity, 110);
  } finally {
    await h.close();
  }
});

test('more changes than the threshold go as one feed; a SKU the feed refuses becomes a feed-error exception, retried after the fix', async () => {
  const h = await startHarness({ settings: { feedThreshold: 2 }, env: NORTHWIND_UNAVAILABLE });
  try {
    // The socks listing is gone from Amazon after its channel was cached.
    await refreshChannels(h.ctx, 'acme');
    const socks = h.emulator.seller('acme')!.listings.get('SOCKS-6PK')!;
    h.emulator.seller('acme')!.listings.delete('SOCKS-6PK');
    await receive(h, 'reno-wms', edi());
    const jobs = await acmeJobs(h);
    assert.deepEqual(jobs.map((j) => j.kind), ['publish-feed']);
    assert.equal((jobs[0].payload.entries as unknown[]).length, 4);
    await drain(h);
    assert.equal(calls(h, 'createFeed'), 1, "one feed, acme's (northwind's job fails before it reaches Amazon)");
    for (const sku of ['TSHIRT-RED-M', 'MUG-12OZ-WHT', 'MUG-GIFT-SET']) assert.equal(mfn(h, 'acme', sku), EXPECTED[sku as keyof typeof EXPECTED], sku);
    assert.equal(calls(h, 'patchListingsItem'), 0, 'no per-SKU patches');
    const x = await h.store.work.exceptions.find('feed-error', 'SOCKS-6PK', 'acme', null);
    assert.ok(x, 'a feed-error for the socks');
    assert.match(x.message, /SOCKS-6PK quantity 4 refused: no listing/);
    assert.equal((await h.store.work.inventory.quantity('acme', 'SOCKS-6PK'))?.pending, null);

    // The listing is back: the retry publishes the socks again, and only them.
    h.emulator.seller('acme')!.listings.set('SOCKS-6PK', socks);
    const line = await retries['feed-error']!(h.ctx, x);
    assert.match(line, /SOCKS-6PK 4 queued again/);
    await drain(h);
    assert.equal(mfn(h, 'acme', 'SOCKS-6PK'), 4);
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
    assert.equal((await h.store.work.inventory.quantity('acme', 'SOCKS-6PK'))?.accepted, 4);
  } finally {
    await h.close();
  }
});

function order(id: string, state: OrderRecord['state'], lines: Array<[string, number, number?]>): OrderRecord {
  const now = '2026-11-24T12:00:00.000Z';
  return {
    seller: 'acme',
    orderId: id,
    marketplaceId: 'ATVPDKIKX0DER',
    partner: 'reno-wms',
    state,
    amazonUpdatedAt: now,
    amazonStatus: 'Unshipped',
    shipBy: null,
    documentSha256: '0'.repeat(64),
    addressHash: '0'.repeat(64),
    lines: lines.map(([sellerSku, ordered, shipped], i) => ({ lineNumber: i + 1, sellerSku, ordered, shipped: shipped ?? 0 })),
    revision: 1,
    heldBy: null,
    createdAt: now,
    updatedAt: now,
  };
}

/** An order the warehouse got at `at`: its ship-order file delivered then. */
async function deliveredOrder(h: Harness, o: OrderRecord, at: string): Promise<void> {
  const blob = await h.store.blobs.putBuffer(Buffer.from(`940 for ${o.orderId}`));
  const fileMessageId = await h.store.recordFile({ direction: 'out', partner: 'reno-wms', fileName: `940-${o.orderId}.edi`, sha256: blob.sha256, size: blob.size, status: 'sent', children: [] });
  await h.store.work.messages.setDelivery(fileMessageId, 'delivered', at);
  await h.store.work.orders.put(o);
  await h.store.work.orders.addRevision({ seller: o.seller, orderId: o.orderId, revision: 1, purpose: 'new', fileMessageId, setMessageId: null, createdAt: at });
}

test('units of orders in flight are subtracted (warehouse units: kits take their parts), never below 0', async () => {
  const h = await startHarness();
  try {
    // Not yet at the warehouse: 5 shirts, and 3 gift sets (6 mugs + 3 boxes).
    await h.store.work.orders.put(order('111-0000001-0000001', 'queued', [['TSHIRT-RED-M', 5], ['MUG-GIFT-SET', 3]]));
    await h.store.work.orders.put(order('111-0000001-0000002', 'held', [['TSHIRT-RED-M', 1]]));
    // Delivered before the count: allocated in it. Delivered after: not yet.
    await deliveredOrder(h, order('111-0000001-0000003', 'delivered', [['TSHIRT-RED-M', 50]]), '2026-11-24T13:00:00.000Z');
    await deliveredOrder(h, order('111-0000001-0000004', 'acknowledged', [['TSHIRT-RED-M', 4]]), '2026-11-24T14:30:00.000Z');
    // Shipped or cancelled: not in flight; partly shipped after the count: only what is left.
    await h.store.work.orders.put(order('111-0000001-0000005', 'shipped', [['TSHIRT-RED-M', 9, 9]]));
    await h.store.work.orders.put(order('111-0000001-0000006', 'cancelled', [['TSHIRT-RED-M', 9]]));
    await deliveredOrder(h, order('111-0000001-0000007', 'partially-shipped', [['TSHIRT-RED-M', 3, 1]]), '2026-11-24T14:10:00.000Z');
    // More socks sold than counted: 0, not negative.
    await h.store.work.orders.put(order('111-0000001-0000008', 'new', [['SOCKS-6PK', 20]]));

    await receive(h, 'reno-wms', edi());
    await drain(h);
    // 120 - (5 + 1 + 4 + 2) = 108 - 2.
    assert.equal(mfn(h, 'acme', 'TSHIRT-RED-M'), 106);
    // 48 - 6 = 42 - 5.
    assert.equal(mfn(h, 'acme', 'MUG-12OZ-WHT'), 37);
    // min(42 / 2, 30 - 3) = 21 - 2.
    assert.equal(mfn(h, 'acme', 'MUG-GIFT-SET'), 19);
    assert.equal(mfn(h, 'acme', 'SOCKS-6PK'), 0);
    const applied = h.logs.find((l) => l.msg === 'inventory snapshot applied' && l.seller === 'acme');
    assert.equal(applied?.inFlightOrders, 5, 'queued, held, acknowledged after the count, partly shipped, new');
  } finally {
    await h.close();
  }
});

test("an 'on-hand' partner has every open unshipped unit subtracted, and its own freshness window", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-inv-mappings-'));
  try {
    cpSync(MAPPINGS, dir, { recursive: true });
    const partnerFile = join(dir, 'partners/reno-wms.yaml');
    writeFileSync(partnerFile, readFileSync(partnerFile, 'utf8') + 'inventory: { semantics: on-hand, freshnessMinutes: 30 }\n');
    const h = await startHarness({ mappingsDir: dir });
    try {
      await deliveredOrder(h, order('111-0000002-0000001', 'delivered', [['TSHIRT-RED-M', 50]]), '2026-11-24T13:00:00.000Z');
      await receive(h, 'reno-wms', edi());
      await drain(h);
      assert.equal(mfn(h, 'acme', 'TSHIRT-RED-M'), 68, '120 on the shelf, 50 of them sold: 70 - 2');

      await checkInventoryFreshness(h.ctx);
      h.clock.advance(31 * 60_000);
      const s = await checkInventoryFreshness(h.ctx);
      assert.ok(await h.store.work.exceptions.find('inventory-stale', 'reno-wms', 'acme', 'reno-wms'), 'reno-wms is stale after its own 30 minutes');
      assert.equal(await h.store.work.exceptions.find('inventory-stale', 'cascade-csv', 'acme', 'cascade-csv'), null, 'cascade-csv keeps the gateway window');
      assert.equal(s.counts.stale, 2);
    } finally {
      await h.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no snapshot within the freshness window is inventory-stale, resolved when a fresh one is applied', async () => {
  const h = await startHarness();
  try {
    const first = await checkInventoryFreshness(h.ctx);
    assert.deepEqual(first.counts, { fresh: 4, stale: 0 });
    h.clock.advance(h.ctx.settings.inventoryFreshnessMinutes * 60_000 - 60_000);
    assert.equal((await checkInventoryFreshness(h.ctx)).counts.stale, 0);
    h.clock.advance(2 * 60_000);
    assert.deepEqual((await checkInventoryFreshness(h.ctx)).counts, { fresh: 0, stale: 4 });
    const x = await h.store.work.exceptions.find('inventory-stale', 'reno-wms', 'acme', 'reno-wms');
    assert.ok(x);
    assert.match(x.message, /no inventory snapshot from reno-wms for acme/);
    await checkInventoryFreshness(h.ctx);
    assert.equal((await h.store.work.exceptions.get(x.id))?.count, 2, 'seen again: counted, not a second exception');

    await receive(h, 'reno-wms', edi());
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
    // The cascade CSV (acme's stock kept there is recorded, not published: reno-wms fills its orders).
    const csv = await receive(h, 'cascade-csv', SAMPLE_CSV);
    assert.ok(csv.results.every((r) => r.state === 'processed'));
    assert.equal((await h.store.work.inventory.stock('cascade-csv', 'acme')).find((l) => l.warehouseItem === 'TS-RED-M' && l.state === 'AVAILABLE')?.quantity, 118);
    assert.deepEqual((await checkInventoryFreshness(h.ctx)).counts, { fresh: 4, stale: 0 });
    assert.equal((await acmeJobs(h)).filter((j) => j.payload.partner === 'cascade-csv').length, 0);
    // A day later with nothing new: stale again.
    h.clock.advance((h.ctx.settings.inventoryFreshnessMinutes + 1) * 60_000);
    assert.equal((await checkInventoryFreshness(h.ctx)).counts.stale, 4);
    assert.equal((await h.store.work.exceptions.list({ kind: 'inventory-stale', states: ['open'] })).length, 4);
  } finally {
    await h.close();
  }
});

test('held documents: an unknown item is an unmapped-sku exception, an unknown stock state a mapping-problem, each naming the file and what to fix', async () => {
  const h = await startHarness();
  try {
    const { file, results } = await receive(h, 'reno-wms', edi({ replace: [['LIN*6*VN*LANT-LED-01~', 'LIN*6*VN*LANT-LED-99~'], ['QTY*QH*3~', 'QTY*Q9*3~']] }));
    assert.ok(results.length > 0 && results.every((r) => r.state === 'held'));
    const sku = await h.store.work.exceptions.find('unmapped-sku', 'LANT-LED-99', null, 'reno-wms');
    assert.ok(sku, 'unmapped-sku for the item');
    assert.deepEqual(sku.context.file, { name: file.name, messageId: file.messageId });
    assert.match(sku.context.where ?? '', /set 846 0001/);
    assert.match(sku.context.mappingFile ?? '', /skus\.yaml/);
    assert.equal(sku.context.mappingKey, 'items');
    const state = await h.store.work.exceptions.find('mapping-problem', 'unknown-stock-state:Q9', null, 'reno-wms');
    assert.ok(state, 'mapping-problem for the state');
    assert.match(state.context.mappingFile ?? '', /reno-wms\.yaml/);
    assert.equal(state.context.mappingKey, 'stockStates');
    assert.equal(await h.store.work.inventory.lastSnapshot('reno-wms', 'acme'), null, 'nothing applied');
    assert.equal((await acmeJobs(h)).length, 0);
  } finally {
    await h.close();
  }
});

test('held inventory documents are taken again by their exceptions\' retry once the mappings are fixed: the snapshot applies and both exceptions resolve', async () => {
  const h = await startHarness();
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-inventory-fix-'));
  try {
    const { file } = await receive(h, 'reno-wms', edi({ replace: [['LIN*6*VN*LANT-LED-01~', 'LIN*6*VN*LANT-LED-99~'], ['QTY*QH*3~', 'QTY*Q9*3~']] }));
    const sku = (await h.store.work.exceptions.find('unmapped-sku', 'LANT-LED-99', null, 'reno-wms'))!;
    const state = (await h.store.work.exceptions.find('mapping-problem', 'unknown-stock-state:Q9', null, 'reno-wms'))!;
    assert.deepEqual(sku.refs, [`file:${file.messageId}`], 'the held file is named as the retries read it');
    assert.deepEqual(state.refs, [`file:${file.messageId}`]);
    // The fix: the item in northwind's table, the state among Reno's not-sellable ones.
    cpSync(MAPPINGS, dir, { recursive: true });
    const table = join(dir, 'tables/northwind-skus.yaml');
    writeFileSync(table, `${readFileSync(table, 'utf8').trimEnd()}\n  - { sellerSku: NW-LANTERN-99, warehouseItem: LANT-LED-99 }\n`);
    const partner = join(dir, 'partners/reno-wms.yaml');
    writeFileSync(partner, readFileSync(partner, 'utf8').replace('notSellable: ["17", "QH", "74", "20"]', 'notSellable: ["17", "QH", "74", "20", "Q9"]'));
    const { loadMappings } = await import('../../src/mapping/load.ts');
    const fixed = loadMappings(dir);
    assert.deepEqual(fixed.problems, []);
    h.ctx.mappings = fixed.mappings;
    const { exceptionRetries } = await import('../../src/flows/index.ts');
    const outcome = await exceptionRetries['unmapped-sku']!(h.ctx, sku);
    assert.match(outcome, new RegExp(`message ${file.messageId}\\): processed`), outcome);
    assert.equal((await h.store.work.exceptions.get(sku.id))?.state, 'resolved');
    assert.ok(await h.store.work.inventory.lastSnapshot('reno-wms', 'acme'), 'the snapshot applied');
    await exceptionRetries['mapping-problem']!(h.ctx, state);
    assert.equal((await h.store.work.exceptions.get(state.id))?.state, 'resolved', 'the state exception resolves too: its file no longer raises it');
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a patch Amazon refuses is an amazon-refused exception (job dead, nothing left pending); its retry publishes the SKU again; a superseded job publishes nothing', async () => {
  const h = await startHarness();
  try {
    await refreshChannels(h.ctx, 'acme');
    const mug = h.emulator.seller('acme')!.listings.get('MUG-12OZ-WHT')!;
    h.emulator.seller('acme')!.listings.delete('MUG-12OZ-WHT');
    await receive(h, 'reno-wms', edi());
    const done = await drain(h);
    const dead = done.find((r) => r.key.startsWith('publish-quantity:acme:MUG-12OZ-WHT:'));
    assert.equal(dead?.outcome, 'dead');
    const x = await h.store.work.exceptions.find('amazon-refused', 'MUG-12OZ-WHT', 'acme', null);
    assert.ok(x, 'amazon-refused keyed by the SKU');
    assert.match(x.message, /MUG-12OZ-WHT has no listing/);
    assert.deepEqual(await h.store.work.inventory.quantity('acme', 'MUG-12OZ-WHT'), { seller: 'acme', sku: 'MUG-12OZ-WHT', accepted: null, acceptedAt: null, pending: null, pendingSince: null });
    assert.equal(mfn(h, 'acme', 'TSHIRT-RED-M'), 118, 'the other SKUs went out');

    h.emulator.seller('acme')!.listings.set('MUG-12OZ-WHT', mug);
    assert.match(await retries['amazon-refused']!(h.ctx, x), /MUG-12OZ-WHT 43 queued again/);
    await drain(h);
    assert.equal(mfn(h, 'acme', 'MUG-12OZ-WHT'), 43);
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
    // Another flow's amazon-refused (a package) is left to that flow's retry.
    assert.match(await retries['amazon-refused']!(h.ctx, { ...x, key: '17' }), /not about a published quantity/);

    // Two snapshots before the worker runs: the first one's job finds a newer quantity pending and does nothing.
    await receive(h, 'reno-wms', edi({ time: '0700', replace: [['QTY*33*120~', 'QTY*33*100~']] }));
    await receive(h, 'reno-wms', edi({ time: '0800', replace: [['QTY*33*120~', 'QTY*33*90~']] }));
    const patches = calls(h, 'patchListingsItem', 'TSHIRT-RED-M');
    await drain(h);
    assert.equal(calls(h, 'patchListingsItem', 'TSHIRT-RED-M') - patches, 1, 'only the newest quantity is patched');
    assert.equal(mfn(h, 'acme', 'TSHIRT-RED-M'), 88);
    assert.ok(h.logs.some((l) => l.msg === 'publish superseded: a newer quantity is pending (or none is)' && l.quantity === 98));
  } finally {
    await h.close();
  }
});

test('end to end through the inbound step: the 846 dropped in the partner directory is taken, routed and published', async () => {
  const h = await startHarness();
  try {
    writeFileSync(join(h.partnerDir('reno-wms', 'inbound'), 'RENO_846_77290.edi'), edi());
    const summary = await pollPartnerFiles(h.ctx, 'reno-wms');
    assert.equal(summary.failed, 0, JSON.stringify(summary));
    await drain(h);
    for (const [sku, q] of Object.entries(EXPECTED)) assert.equal(mfn(h, 'acme', sku), q, sku);
    const last = await h.store.work.inventory.lastSnapshot('reno-wms', 'acme');
    assert.equal(last?.asOf, SAMPLE_AS_OF);
    assert.deepEqual((await h.store.work.inbound.forFile(last!.fileMessageId)).map((d) => [d.document, d.seller, d.state]), [['inventory', 'acme', 'processed'], ['inventory', 'northwind', 'processed']]);
  } finally {
    await h.close();
  }
});
