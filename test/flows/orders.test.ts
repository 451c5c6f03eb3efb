/**
 * Flow 1, Orders -> warehouse, end to end on real parts: the SP-API emulator (acting as the
 * buyer) through the real client, SQLite, the example mappings (or a copy a test edits), and the
 * warehouse's directory. What reaches the warehouse is read back as the warehouse would read it.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkLateOrders, pollOrders, retries, sendOrdersAgain } from '../../src/flows/orders-to-warehouse.ts';
import { loadMappings } from '../../src/mapping/load.ts';
import { readPartner, translator } from '../../src/mapping/translate.ts';
import type { ShipOrder } from '../../src/model/index.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { drainDeliveries, MAPPINGS, startHarness, TestClock, type Harness, type HarnessOptions } from './harness.ts';

const SEATTLE = '112-3456789-1234567';
const MONTREAL = '112-9999999-0000001';

/** Emulator time is the test's clock, after the seed orders, so that each buyer action moves lastUpdatedTime. */
async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  return startHarness({ ...options, clock, emulator: { clock, ...options.emulator } });
}

const drain = drainDeliveries;

const delivered = (h: Harness) => readdirSync(h.partnerDir('reno-wms', 'outbound')).filter((n) => !n.startsWith('.')).sort();
const bytesOf = (h: Harness, name: string) => readFileSync(join(h.partnerDir('reno-wms', 'outbound'), name));
/** The warehouse's reading of a delivered 940: each set's purpose (W05-01) and order. */
async function warehouseReads(h: Harness, name: string) {
  const r = await readPartner(translator(h.ctx.mappings, 'reno-wms', 'ship-order'), bytesOf(h, name), { seller: 'acme' });
  return r.documents.map((d) => {
    const o = d.document as ShipOrder | undefined;
    return { status: d.status, orderId: o?.orderId, purpose: o?.purpose, city: o?.shipTo.city };
  });
}

function editedMappings(edit: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  edit(dir);
  return dir;
}
const edit = (file: string, change: (text: string) => string) => writeFileSync(file, change(readFileSync(file, 'utf8')));

test('new orders go to the warehouse once, as one 940 with a set per order; a re-poll sends nothing', async () => {
  const h = await harness();
  try {
    const first = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([first.counts.queued, first.counts.files, first.failed], [2, 1, 0]);
    const queued = await h.store.work.orders.list({ seller: 'acme' });
    assert.deepEqual(queued.map((o) => [o.orderId, o.state, o.partner, o.revision]).sort(), [[SEATTLE, 'queued', 'reno-wms', 1], [MONTREAL, 'queued', 'reno-wms', 1]].sort());
    // The buyer's address is not in the row: only its hash, and the document in the (encrypted) blob store.
    assert.ok(queued.every((o) => /^[0-9a-f]{64}$/.test(o.addressHash) && h.store.blobs.has(o.documentSha256)));
    assert.equal((await h.store.work.jobs.list({ kind: 'deliver-file' })).length, 1);
    assert.deepEqual(delivered(h), [], 'queued, not yet delivered: delivery is the outbox worker\'s');

    assert.deepEqual(await drain(h), { done: 1, failed: [] });
    const [name] = delivered(h);
    assert.match(name, /^reno-wms_940_1_20261125T000000Z\.edi$/);
    assert.deepEqual(await warehouseReads(h, name), [
      { status: 'ok', orderId: SEATTLE, purpose: 'new', city: 'Seattle' },
      { status: 'ok', orderId: MONTREAL, purpose: 'new', city: 'Montreal' },
    ]);
    const read = await validateFile(bytesOf(h, name));
    assert.deepEqual(read.interchanges.map((ic) => ic.groups.map((g) => g.sets.map((s) => s.control))), [[['0001', '0002']]]);
    // Each order linked to its own set, the set the partner's 997 will answer.
    for (const [i, id] of [SEATTLE, MONTREAL].entries()) {
      const [rev] = await h.store.work.orders.revisions('acme', id);
      assert.deepEqual([rev.purpose, rev.setMessageId], ['new', h.store.findSent('reno-wms', '1', `000${i + 1}`)!.id]);
      assert.deepEqual((await h.store.work.orders.bySetMessage(rev.setMessageId!)).map((o) => o.orderId), [id]);
      assert.equal((await h.store.work.orders.get('acme', id))!.state, 'delivered');
    }
    const fileId = (await h.store.work.orders.revisions('acme', SEATTLE))[0].fileMessageId;
    const axes = (await h.store.work.messages.axes(fileId))!;
    assert.deepEqual([axes.validation, axes.delivery, axes.acknowledgement, axes.ackDueAt], ['valid', 'delivered', 'awaiting', '2026-11-25T01:00:00.000Z'], 'Reno acknowledges within 60 minutes');
    assert.equal(h.store.get(fileId)!.completedAt, null, 'its 997 completes the file, not the delivery');
    assert.equal(await h.store.work.cursors.get('orders:acme:ATVPDKIKX0DER'), '2026-11-24T16:02:11Z');
    assert.equal(await h.store.work.cursors.get('orders:acme:A2EUQ1WTGCTBG2'), '2026-11-24T18:30:00Z');

    h.clock.advance(5 * 60_000);
    const again = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([again.counts.queued ?? 0, again.counts.unchanged, again.counts.files ?? 0], [0, 2, 0]);
    assert.deepEqual(await drain(h), { done: 0, failed: [] });
    assert.deepEqual(delivered(h), [name]);
    // Logs say what happened without the buyer's name or address.
    assert.ok(h.logs.some((l) => l.event === 'file-delivered' && l.file === name));
    assert.ok(!JSON.stringify(h.logs).includes('Jane Doe') && !JSON.stringify(h.logs).includes('Main St'));
  } finally {
    await h.close();
  }
});

test('orders per file: at most the limit, each file under its own control number', async () => {
  const h = await harness({ settings: { ordersPerFile: 1 } });
  try {
    const s = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([s.counts.queued, s.counts.files], [2, 2]);
    await drain(h);
    assert.deepEqual(delivered(h).map((n) => n.split('_')[2]), ['1', '2']);
    for (const n of delivered(h)) assert.equal((await warehouseReads(h, n)).length, 1);
  } finally {
    await h.close();
  }
});

test('an unmapped SKU holds its orders with one exception listing them; a retry after the SKU table is fixed sends them', async () => {
  const dir = editedMappings(() => undefined);
  const h = await harness({ mappingsDir: dir });
  try {
    const recipient = { name: 'Pat Lee', addressLine1: '9 Elm St', city: 'Portland', stateOrRegion: 'OR', postalCode: '97201', countryCode: 'US' };
    for (const [i, id] of ['114-0000000-0000001', '114-0000000-0000002'].entries()) {
      h.emulator.addOrder('acme', { orderId: id, marketplaceId: 'ATVPDKIKX0DER', recipient, items: [{ orderItemId: `4440000000000${i}`, sellerSku: 'CAP-BLUE-L', asin: 'B0ACME0009', quantity: 1 }] });
    }
    const s = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([s.counts.queued, s.counts.held], [2, 2]);
    const [x] = await h.store.work.exceptions.list({ kind: 'unmapped-sku' });
    assert.deepEqual([x.key, x.seller, x.partner, x.refs, x.state], ['CAP-BLUE-L', 'acme', 'reno-wms', ['114-0000000-0000001', '114-0000000-0000002'], 'open']);
    assert.match(x.context.mappingFile!, /tables\/acme-skus\.yaml$/);
    assert.equal(x.context.mappingKey, 'items');
    for (const id of x.refs) assert.deepEqual([(await h.store.work.orders.get('acme', id))!.state, (await h.store.work.orders.get('acme', id))!.heldBy], ['held', x.id]);
    await drain(h);
    assert.equal(delivered(h).length, 1, 'the mapped orders went without waiting for the held ones');

    // Seen again unchanged: still one exception, still held, nothing sent.
    h.clock.advance(60_000);
    await pollOrders(h.ctx, 'acme');
    assert.equal((await h.store.work.exceptions.list({ kind: 'unmapped-sku' })).length, 1);
    // A retry before the fix changes nothing.
    assert.match(await retries['unmapped-sku']!(h.ctx, x), /0 of 2 held order\(s\) queued.*2 still held/);

    edit(join(dir, 'tables/acme-skus.yaml'), (t) => `${t}  - { sellerSku: CAP-BLUE-L, warehouseItem: CAP-BL-L }\n`);
    const loaded = loadMappings(dir);
    assert.deepEqual(loaded.problems, []);
    h.ctx.mappings = loaded.mappings;
    const line = await retries['unmapped-sku']!(h.ctx, (await h.store.work.exceptions.get(x.id))!);
    assert.match(line, /2 of 2 held order\(s\) queued.*resolved/);
    const after = (await h.store.work.exceptions.get(x.id))!;
    assert.deepEqual([after.state, after.refs], ['resolved', []]);
    await drain(h);
    const files = delivered(h);
    assert.equal(files.length, 2);
    assert.deepEqual((await warehouseReads(h, files[1])).map((d) => [d.orderId, d.purpose]), [['114-0000000-0000001', 'new'], ['114-0000000-0000002', 'new']]);
    assert.match(bytesOf(h, files[1]).toString('latin1'), /W01\*1\*EA\*\*VN\*CAP-BL-L/);
    for (const id of x.refs) assert.equal((await h.store.work.orders.get('acme', id))!.state, 'delivered');
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cancelled before it was sent: never sent; cancelled after: a cancel (W05-01 F) goes; after shipping: an exception', async () => {
  const h = await harness();
  try {
    const recipient = { name: 'Pat Lee', addressLine1: '9 Elm St', city: 'Portland', stateOrRegion: 'OR', postalCode: '97201', countryCode: 'US' };
    // Held (unknown SKU), then cancelled by the buyer: cancelled here, dropped from the exception.
    h.emulator.addOrder('acme', { orderId: '114-0000000-0000003', marketplaceId: 'ATVPDKIKX0DER', recipient, items: [{ orderItemId: '44400000000003', sellerSku: 'CAP-RED-S', asin: 'B0ACME0009', quantity: 1 }] });
    // Cancelled before the gateway ever saw it.
    h.emulator.addOrder('acme', { orderId: '114-0000000-0000004', marketplaceId: 'ATVPDKIKX0DER', recipient, items: [{ orderItemId: '44400000000004', sellerSku: 'SOCKS-6PK', asin: 'B0ACME0004', quantity: 1 }] });
    h.emulator.cancelOrder('acme', '114-0000000-0000004');
    const first = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([first.counts.queued, first.counts.held, first.counts['cancelled-unseen']], [2, 1, 1]);
    assert.equal(await h.store.work.orders.get('acme', '114-0000000-0000004'), null);
    await drain(h);

    h.clock.advance(60_000);
    h.emulator.cancelOrder('acme', '114-0000000-0000003');
    h.emulator.cancelOrder('acme', SEATTLE);
    const second = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([second.counts.cancelled, second.counts['cancel-sent'], second.counts.files], [1, 1, 1]);
    assert.equal((await h.store.work.orders.get('acme', '114-0000000-0000003'))!.state, 'cancelled');
    assert.equal((await h.store.work.exceptions.list({ kind: 'unmapped-sku' }))[0].state, 'resolved', 'its only order was cancelled');
    assert.equal((await h.store.work.orders.get('acme', SEATTLE))!.state, 'cancel-sent');
    await drain(h);
    const files = delivered(h);
    assert.equal(files.length, 2);
    assert.deepEqual(await warehouseReads(h, files[1]), [{ status: 'ok', orderId: SEATTLE, purpose: 'cancel', city: 'Seattle' }]);
    assert.match(bytesOf(h, files[1]).toString('latin1'), /W05\*F\*112-3456789-1234567/);
    assert.deepEqual((await h.store.work.orders.revisions('acme', SEATTLE)).map((r) => [r.revision, r.purpose]), [[1, 'new'], [2, 'cancel']]);
    assert.ok(files.every((n) => !readFileSync(join(h.partnerDir('reno-wms', 'outbound'), n), 'latin1').includes('114-0000000-0000003')), 'never sent');
    // Seen again: nothing more goes.
    h.clock.advance(60_000);
    await pollOrders(h.ctx, 'acme');
    await drain(h);
    assert.equal(delivered(h).length, 2);

    // The warehouse shipped the other order (its advice recorded it), then the buyer cancels.
    const montreal = (await h.store.work.orders.get('acme', MONTREAL))!;
    await h.store.work.orders.put({ ...montreal, state: 'shipped' });
    h.emulator.cancelOrder('acme', MONTREAL);
    h.clock.advance(60_000);
    const third = await pollOrders(h.ctx, 'acme');
    assert.equal(third.counts['cancel-after-ship'], 1);
    const [x] = await h.store.work.exceptions.list({ kind: 'order-cancel-after-ship' });
    assert.deepEqual([x.key, x.refs, x.state], [MONTREAL, [MONTREAL], 'open']);
    await drain(h);
    assert.equal(delivered(h).length, 2, 'no cancel for a shipped order');
  } finally {
    await h.close();
  }
});

test('an address changed after sending: a change (W05-01 R) where the partner takes changes, else an exception', async () => {
  const newAddress = { name: 'Jane Doe', addressLine1: '500 Pine St', city: 'Tacoma', stateOrRegion: 'WA', postalCode: '98402', countryCode: 'US' };
  const without = editedMappings((d) => edit(join(d, 'partners/reno-wms.yaml'), (t) => t.replace('orders: { changes: true }', 'orders: { changes: false }')));
  const h = await harness({ mappingsDir: without });
  try {
    await pollOrders(h.ctx, 'acme');
    await drain(h);
    h.clock.advance(60_000);
    h.emulator.changeAddress('acme', SEATTLE, newAddress);
    const s = await pollOrders(h.ctx, 'acme');
    assert.equal(s.counts['change-unsupported'], 1);
    const [x] = await h.store.work.exceptions.list({ kind: 'order-change-unsupported' });
    assert.deepEqual([x.key, x.context.mappingKey], [SEATTLE, 'orders.changes']);
    assert.ok(!x.message.includes('Tacoma') && !x.message.includes('Pine'), 'no address in the exception');
    await drain(h);
    assert.equal(delivered(h).length, 1);
  } finally {
    await h.close();
    rmSync(without, { recursive: true, force: true });
  }

  const dir = editedMappings((d) => edit(join(d, 'partners/reno-wms.yaml'), (t) => t.replace('orders: { changes: true }', 'orders: { changes: true, perFile: 50 }')));
  const c = await harness({ mappingsDir: dir });
  try {
    await pollOrders(c.ctx, 'acme');
    await drain(c);
    const before = (await c.store.work.orders.get('acme', SEATTLE))!;
    c.clock.advance(60_000);
    c.emulator.changeAddress('acme', SEATTLE, newAddress);
    const s = await pollOrders(c.ctx, 'acme');
    assert.deepEqual([s.counts['change-sent'], s.counts.files], [1, 1]);
    await drain(c);
    const files = delivered(c);
    assert.deepEqual(await warehouseReads(c, files[1]), [{ status: 'ok', orderId: SEATTLE, purpose: 'change', city: 'Tacoma' }]);
    assert.match(bytesOf(c, files[1]).toString('latin1'), /W05\*R\*112-3456789-1234567/);
    const after = (await c.store.work.orders.get('acme', SEATTLE))!;
    assert.deepEqual([after.state, after.revision], ['delivered', 2]);
    assert.notEqual(after.addressHash, before.addressHash);
    assert.deepEqual((await c.store.work.orders.revisions('acme', SEATTLE)).map((r) => r.purpose), ['new', 'change']);
    assert.deepEqual(await c.store.work.exceptions.list({ kind: 'order-change-unsupported' }), []);
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('order-late is raised before ship-by passes (the lead), once, and resolved when the order ships', async () => {
  const h = await harness();
  try {
    await pollOrders(h.ctx, 'acme');
    // Seattle must ship by 2026-11-26T07:59:59Z; the lead is 120 minutes.
    h.clock.set('2026-11-26T05:59:00Z');
    assert.equal((await checkLateOrders(h.ctx)).counts.raised ?? 0, 0);
    h.clock.set('2026-11-26T06:00:00Z');
    assert.equal((await checkLateOrders(h.ctx)).counts.raised, 1);
    const [x] = await h.store.work.exceptions.list({ kind: 'order-late' });
    assert.deepEqual([x.key, x.severity, x.state, x.count], [SEATTLE, 'warning', 'open', 1]);
    h.clock.set('2026-11-26T06:30:00Z');
    const again = await checkLateOrders(h.ctx);
    assert.deepEqual([again.counts.raised ?? 0, again.counts['already-raised']], [0, 1]);
    const o = (await h.store.work.orders.get('acme', SEATTLE))!;
    await h.store.work.orders.put({ ...o, state: 'confirmed' });
    assert.equal((await checkLateOrders(h.ctx)).counts.resolved, 1);
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
  } finally {
    await h.close();
  }
});

test('messages resend: the orders of a ship-order file go again in a new file under new control numbers', async () => {
  const h = await harness();
  try {
    await pollOrders(h.ctx, 'acme');
    await drain(h);
    const fileId = (await h.store.work.orders.revisions('acme', SEATTLE))[0].fileMessageId;
    h.clock.advance(60_000);
    assert.match(await sendOrdersAgain(h.ctx, fileId), /2 order\(s\) sent again in 1 new file/);
    await drain(h);
    const files = delivered(h);
    assert.deepEqual(files.map((n) => n.split('_')[2]), ['1', '2']);
    assert.deepEqual((await warehouseReads(h, files[1])).map((d) => [d.orderId, d.purpose]), [[SEATTLE, 'new'], [MONTREAL, 'new']]);
    assert.deepEqual((await h.store.work.orders.revisions('acme', SEATTLE)).map((r) => [r.revision, r.purpose]), [[1, 'new'], [2, 'new']]);
    await assert.rejects(sendOrdersAgain(h.ctx, 999_999), /not a ship-order file/);
  } finally {
    await h.close();
  }
});

test('unsendable text holds the order (keyed by order, no buyer text in the exception); a corrected address on Amazon releases it', async () => {
  const h = await harness();
  try {
    const id = '114-0000000-0000005';
    h.emulator.addOrder('acme', { orderId: id, marketplaceId: 'ATVPDKIKX0DER', recipient: { name: '☃☃', addressLine1: '1 Elm St', city: 'Portland', stateOrRegion: 'OR', postalCode: '97201', countryCode: 'US' }, items: [{ orderItemId: '44400000000005', sellerSku: 'SOCKS-6PK', asin: 'B0ACME0004', quantity: 1 }] });
    const s = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([s.counts.queued, s.counts.held], [2, 1]);
    const [x] = await h.store.work.exceptions.list({ kind: 'unsendable-text' });
    assert.deepEqual([x.key, x.refs, x.context.mappingKey, x.context.where], [id, [id], 'textPolicy', 'shipTo.name']);
    assert.match(x.context.mappingFile!, /partners\/reno-wms\.yaml$/);
    assert.ok(!JSON.stringify(x).includes('☃'));
    assert.equal((await h.store.work.orders.get('acme', id))!.state, 'held');

    h.clock.advance(60_000);
    h.emulator.changeAddress('acme', id, { name: 'Zhang Wei', addressLine1: '1 Elm St', city: 'Portland', stateOrRegion: 'OR', postalCode: '97201', countryCode: 'US' });
    const again = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([again.counts.queued, again.counts.held ?? 0], [1, 0]);
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
    await drain(h);
    const files = delivered(h);
    assert.deepEqual(await warehouseReads(h, files[1]), [{ status: 'ok', orderId: id, purpose: 'new', city: 'Portland' }]);
    assert.match(bytesOf(h, files[1]).toString('latin1'), /N1\*ST\*Zhang Wei/);
  } finally {
    await h.close();
  }
});

test('a seller whose credentials are missing: the poll throws for the gateway (its seller-unavailable exception), nothing is recorded', async () => {
  const h = await harness({ env: { ACME_LWA_REFRESH_TOKEN: '' } });
  try {
    await assert.rejects(pollOrders(h.ctx, 'acme'), (e: Error) => e.name === 'AmazonConfigError');
    assert.deepEqual(await h.store.work.orders.list({}), []);
    assert.equal(await h.store.work.cursors.get('orders:acme:ATVPDKIKX0DER'), null, 'the watermark stays');
  } finally {
    await h.close();
  }
});
