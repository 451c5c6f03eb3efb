/**
 * Removals and customer returns over real parts: the SP-API emulator's removal shipment and
 * customer returns reports read through the real client, expected arrivals in SQLite, the
 * warehouse simulator writing the 944 / receipts XML it received into the partner directory, the
 * gateway's inbound poll taking it to receiptRoute, the inventory flow's publish jobs run against
 * the emulator, the real `dockgate` bin and the API for matches by hand, and a test clock.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { exceptionRetries } from '../../src/flows/index.ts';
import { handlers as inventoryHandlers } from '../../src/flows/inventory-to-amazon.ts';
import { checkRemovalsOverdue, pullRemovalReports, receiptRoute, REMOVAL_REPORT, RETURNS_REPORT } from '../../src/flows/removals.ts';
import { readPartner, translator } from '../../src/mapping/translate.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';
import type { ExpectedArrival } from '../../src/store/removals.ts';
import { startApi } from '../server/api-harness.ts';
import { MAPPINGS, root, sampleSeed, SELLER_ENV, startHarness, type Harness, type HarnessOptions } from './harness.ts';

const T0 = '2026-11-25T12:00:00Z';
const at = (hours: number) => new Date(Date.parse(T0) + hours * 3600_000);
const RMV = 'RMV-7000-0001';
const TRACK = '1Z999AA10100000001';
const LPN = 'LPN8880000001';
const RETURN_ORDER = '112-1234567-7654321';
const RENO = 'reno-wms';

const drain = (h: Harness) => new OutboxWorker(h.ctx, { handlers: inventoryHandlers, random: () => 0 }).drain();
const mfn = (h: Harness, sku: string) => h.emulator.seller('acme')!.listings.get(sku)!.channels.find((c) => c.code === 'DEFAULT')?.quantity;
const arrival = async (h: Harness, reference: string): Promise<ExpectedArrival> => {
  const [a, ...more] = await h.store.work.removals.listExpected({ seller: 'acme', reference });
  assert.ok(a, `an arrival ${reference}`);
  assert.equal(more.length, 0);
  return a;
};
const stockOf = async (h: Harness, item: string, partner = RENO) => (await h.store.work.inventory.stock(partner, 'acme')).filter((l) => l.warehouseItem === item && l.state === '33').reduce((s, l) => s + l.quantity, 0);

interface World {
  h: Harness;
  reno: WarehouseSimulator;
  /** The simulator receives what arrived at `hours` after T0 and the gateway polls its files then. */
  receive(hours: number, arrivals: Parameters<WarehouseSimulator['receiveReturns']>[0], partner?: WarehouseSimulator): Promise<void>;
  close(): Promise<void>;
}

/**
 * Acme with a removal order of 5 MUG-12OZ-WHT (Amazon shipped it on 2026-11-22, UPS) and a
 * customer return of one TSHIRT-RED-M by license plate, both in the emulator's reports and pulled;
 * the Reno warehouse's first count (10 of each item) applied and published.
 */
async function world(options: HarnessOptions = {}): Promise<World> {
  const h = await startHarness(options);
  h.clock.set(T0);
  h.emulator.addRemovalShipment('acme', { requestDate: '2026-11-20T08:00:00Z', orderId: RMV, shipmentDate: '2026-11-22T15:00:00Z', sku: 'MUG-12OZ-WHT', fnsku: 'X00MUGWHT1', shippedQuantity: 5, carrier: 'UPS', trackingNumber: TRACK });
  h.emulator.addCustomerReturn('acme', { returnDate: '2026-11-23T10:00:00Z', orderId: RETURN_ORDER, sku: 'TSHIRT-RED-M', asin: 'B0ACME0001', fnsku: 'X00123ABCD', quantity: 1, licensePlateNumber: LPN });
  const pulled = await pullRemovalReports(h.ctx, 'acme');
  assert.equal(pulled.failed, 0);
  const reno = new WarehouseSimulator({ mappings: h.mappings, partner: RENO, root: h.partnerRoot, stock: 10, inventoryEverySeconds: 3600 });
  await reno.step(new Date(T0));
  await pollPartnerFiles(h.ctx, RENO);
  await drain(h);
  // 10 mugs less the mug's safety buffer of 5; 10 shirts less the table's 2.
  assert.deepEqual([mfn(h, 'MUG-12OZ-WHT'), mfn(h, 'TSHIRT-RED-M')], [5, 8]);
  return {
    h,
    reno,
    async receive(hours, arrivals, sim = reno) {
      await sim.receiveReturns(arrivals, at(hours));
      h.clock.set(at(hours).toISOString());
      const r = await pollPartnerFiles(h.ctx, sim.partner.id);
      assert.equal(r.failed, 0, JSON.stringify(r));
    },
    close: () => h.close(),
  };
}

test('the reports become expected arrivals: a removal by order id, tracking and carrier; a return by Amazon order id and LPN; pulled again, refreshed not doubled', async () => {
  const w = await world();
  const { h } = w;
  try {
    const removal = await arrival(h, RMV);
    assert.deepEqual(
      [removal.source, removal.sellerSku, removal.fnsku, removal.carrier, removal.trackingNumber, removal.expected, removal.received, removal.state, removal.shippedAt],
      ['removal', 'MUG-12OZ-WHT', 'X00MUGWHT1', 'UPS', TRACK, 5, 0, 'expected', '2026-11-22T15:00:00.000Z'],
    );
    const ret = await arrival(h, RETURN_ORDER);
    assert.deepEqual([ret.source, ret.sellerSku, ret.lpn, ret.expected, ret.disposition], ['return', 'TSHIRT-RED-M', LPN, 1, 'SELLABLE']);
    // The sample seed's own removal (RMV-5120-0042) and return (LPN7770001234) are there too.
    assert.equal((await h.store.work.removals.listExpected({ seller: 'acme', lpn: 'LPN7770001234' })).length, 1);
    assert.equal((await arrival(h, 'RMV-5120-0042')).expected, 3);
    const before = (await h.store.work.removals.listExpected({ seller: 'acme' })).length;
    const again = await pullRemovalReports(h.ctx, 'acme');
    assert.deepEqual([again.counts.created, again.counts.refreshed], [0, before]);
    assert.equal((await h.store.work.removals.listExpected({ seller: 'acme' })).length, before);
    const calls = h.emulator.calls.filter((c) => c.operation === 'createReport').length;
    assert.equal(calls, 4, 'two reports per pull, through the real client');
  } finally {
    await w.close();
  }
});

test('a report row that does not read is an exception naming the report, row and column; the other rows are stored', async () => {
  const seed = sampleSeed();
  const acme = seed.sellers.find((s) => s.id === 'acme')!;
  acme.removalShipments = [];
  acme.customerReturns = [];
  const reports = (acme.reports ??= {});
  const header = 'request-date\torder-id\tshipment-date\tsku\tfnsku\tdisposition\tshipped-quantity\tcarrier\ttracking-number\tremoval-order-type';
  reports[REMOVAL_REPORT] = [
    header,
    `2026-11-18T08:00:00+00:00\tRMV-1000-0001\t2026-11-21T15:00:00+00:00\tMUG-12OZ-WHT\tX00MUGWHT1\tSellable\t3\tUPS\t1Z999AA10111111111\tReturn`,
    `2026-11-18T08:00:00+00:00\tRMV-1000-0002\t2026-11-21T15:00:00+00:00\tMUG-12OZ-WHT\tX00MUGWHT1\tSellable\tthree\tUPS\t1Z999AA10122222222\tReturn`,
    `2026-11-18T08:00:00+00:00\tRMV-1000-0003\t2026-11-21T15:00:00+00:00\tTSHIRT-RED-M\tX00123ABCD\tSellable\t1\tUSPS\t9400111899223300009999\tReturn`,
    '',
  ].join('\n');
  reports[RETURNS_REPORT] = 'return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments\nnot a date\t111-0000000-0000001\tTSHIRT-RED-M\tB0ACME0001\tX00123ABCD\tShirt\t1\tRNO4\tSELLABLE\t\t\tLPN1\tplease call me\n';
  const h = await startHarness({ seed });
  try {
    h.clock.set(T0);
    const r = await pullRemovalReports(h.ctx, 'acme');
    assert.deepEqual([r.counts.created, r.counts.problems, r.failed], [2, 2, 0]);
    assert.deepEqual((await h.store.work.removals.listExpected({ seller: 'acme' })).map((a) => a.reference), ['RMV-1000-0001', 'RMV-1000-0003']);
    const problems = await h.store.work.exceptions.list({ kind: 'partner-data-rejected', seller: 'acme' });
    assert.deepEqual(problems.map((x) => x.context.where).sort(), [`${RETURNS_REPORT} row 1, column return-date`, `${REMOVAL_REPORT} row 2, column shipped-quantity`]);
    const qty = problems.find((x) => x.context.where?.includes('shipped-quantity'))!;
    assert.match(qty.message, /row 2, column shipped-quantity: expected a whole number of units, got "three"/);
    assert.equal(qty.context.excerpt, 'three');
    // Never the customer's comment, whatever the row.
    assert.ok(!JSON.stringify(problems).includes('please call me'));
    // The same bad row next pull: the same exception, counted.
    await pullRemovalReports(h.ctx, 'acme');
    assert.equal((await h.store.work.exceptions.get(qty.id))!.count, 2);
  } finally {
    await h.close();
  }
});

test('receipts from the X12 warehouse: a return by LPN, a removal by order id and by tracking + SKU, partially twice, then over; damaged units never sellable; sellable ones published, and the next full count replaces them', async () => {
  const w = await world();
  const { h } = w;
  try {
    await w.receive(1, [
      { seller: 'acme', sellerSku: 'TSHIRT-RED-M', quantity: 1, condition: 'sellable', lpn: LPN },
      { seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 2, condition: 'sellable', removalOrderId: RMV },
      { seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 1, condition: 'damaged', removalOrderId: RMV },
    ]);
    const ret = await arrival(h, RETURN_ORDER);
    assert.deepEqual([ret.received, ret.state], [1, 'received']);
    let removal = await arrival(h, RMV);
    assert.deepEqual([removal.received, removal.state], [3, 'partially-received']);
    const postings = await h.store.work.removals.postings({ seller: 'acme' });
    assert.deepEqual(
      postings.map((p) => [p.line, p.matchedBy, p.quantity, p.condition, p.disposition, p.state]),
      [
        [0, 'lpn', 1, 'sellable', 'sellable', 'posted'],
        [1, 'removal-order', 2, 'sellable', 'sellable', 'posted'],
        [2, 'removal-order', 1, 'damaged', 'damaged', 'posted'],
      ],
    );
    // Only the sellable units reach the stock and Amazon: 10 + 2 mugs (the damaged one not), 10 + 1 shirts.
    assert.deepEqual([await stockOf(h, 'MUG-12-WHT'), await stockOf(h, 'TS-RED-M')], [12, 11]);
    await drain(h);
    assert.deepEqual([mfn(h, 'MUG-12OZ-WHT'), mfn(h, 'TSHIRT-RED-M')], [7, 9]);

    // The second part of the removal, by its tracking number and SKU alone.
    await w.receive(2, [{ seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 1, condition: 'sellable', trackingNumber: TRACK }]);
    removal = await arrival(h, RMV);
    assert.deepEqual([removal.received, removal.state], [4, 'partially-received']);
    assert.equal((await h.store.work.removals.postings({ arrivalId: removal.id })).at(-1)!.matchedBy, 'tracking-sku');
    assert.equal((await h.store.work.exceptions.list({ kind: 'over-receipt' })).length, 0);

    // Three more than the one still expected: over-received, the excess named.
    await w.receive(3, [{ seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 3, condition: 'sellable', removalOrderId: RMV }]);
    removal = await arrival(h, RMV);
    assert.deepEqual([removal.received, removal.state], [7, 'over-received']);
    const [over, ...others] = await h.store.work.exceptions.list({ kind: 'over-receipt' });
    assert.equal(others.length, 0);
    assert.equal(over.key, `${RMV}:MUG-12OZ-WHT`);
    assert.equal(over.context.details?.excess, 2);
    assert.match(over.message, /received 7 of MUG-12OZ-WHT against removal order RMV-7000-0001; Amazon shipped 5: 2 more than expected/);
    // The units are on the shelf all the same: sellable, published.
    await drain(h);
    assert.equal(mfn(h, 'MUG-12OZ-WHT'), 11);

    // The warehouse's next full count has the received sellable units itself (16 mugs): it
    // replaces the stock, nothing counted twice, Amazon unchanged.
    await w.reno.step(at(4));
    h.clock.set(at(4).toISOString());
    await pollPartnerFiles(h.ctx, RENO);
    assert.equal(await stockOf(h, 'MUG-12-WHT'), 16);
    await drain(h);
    assert.deepEqual([mfn(h, 'MUG-12OZ-WHT'), mfn(h, 'TSHIRT-RED-M')], [11, 9]);

    // A receipt handed to the route again (a crash between its postings and its file's ledger): nothing is posted twice.
    const first = (await h.store.work.removals.postings({ seller: 'acme' }))[0];
    const m = h.store.get(first.fileMessageId)!;
    const file = { messageId: m.id, partner: RENO, name: m.fileName!, sha256: m.blobSha256!, size: 0 };
    const [doc] = (await readPartner(translator(h.mappings, RENO, 'receipt'), await h.store.blobs.open(m.blobSha256!), { file: m.fileName! })).documents;
    const before = (await h.store.work.removals.postings({ seller: 'acme' })).length;
    const again = await receiptRoute.handle(h.ctx, file, doc, 0);
    assert.equal(again.state, 'processed');
    assert.equal((await h.store.work.removals.postings({ seller: 'acme' })).length, before);
    assert.deepEqual([(await arrival(h, RMV)).received, await stockOf(h, 'MUG-12-WHT')], [7, 16]);
  } finally {
    await w.close();
  }
});

/** The real bin, asynchronously: the emulator answering its calls lives in this process. */
function dockgate(h: Harness, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/dockgate.js'), ...args], {
      cwd: h.dataDir,
      env: {
        ...process.env,
        ...SELLER_ENV,
        DOCKGATE_DATA_DIR: h.dataDir,
        DOCKGATE_MAPPINGS: MAPPINGS,
        DOCKGATE_PARTNER_ROOT: h.partnerRoot,
        DOCKGATE_AMAZON_ENDPOINT: `http://127.0.0.1:${h.emulator.port}`,
        DOCKGATE_AMAZON_TIME_SCALE: '1000',
      },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

test('an unmatched receipt line lists its best candidates; resolved by hand through the bin (--match RMV-...) and through the API (by LPN), its units posted and published', async () => {
  const w = await world();
  const { h } = w;
  try {
    // A tracking number one digit off, no removal order id; a return's LPN one character off.
    await w.receive(1, [
      { seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 2, condition: 'sellable', trackingNumber: '1Z999AA10100000009' },
      { seller: 'acme', sellerSku: 'TSHIRT-RED-M', quantity: 1, condition: 'sellable', lpn: 'LPN8880000002' },
    ]);
    const unmatched = await h.store.work.exceptions.list({ kind: 'receipt-unmatched', states: ['open'] });
    assert.equal(unmatched.length, 2);
    const mug = unmatched.find((x) => x.context.details?.sellerSku === 'MUG-12OZ-WHT')!;
    const shirt = unmatched.find((x) => x.context.details?.sellerSku === 'TSHIRT-RED-M')!;
    assert.match(mug.key, /^reno-wms:RCV\d+:0$/);
    const candidates = mug.context.details!.candidates as Array<{ reference: string; why: string[] }>;
    assert.equal(candidates[0].reference, RMV);
    assert.ok(candidates[0].why.includes('same SKU MUG-12OZ-WHT'));
    assert.ok(candidates[0].why.some((y) => /tracking number 1Z999AA10100000001 is 1 edit from 1Z999AA10100000009/.test(y)));
    assert.equal((shirt.context.details!.candidates as Array<{ reference: string }>)[0].reference, RETURN_ORDER);
    // Nothing posted, nothing stocked while unmatched.
    assert.deepEqual([(await arrival(h, RMV)).received, await stockOf(h, 'MUG-12-WHT')], [0, 10]);

    // A reference that fits no open arrival: a usage error naming what exists.
    const wrong = await dockgate(h, ['exceptions', 'resolve', String(mug.id), '--match', 'RMV-9999-9999']);
    assert.equal(wrong.code, 2, wrong.err);
    assert.match(wrong.err, /RMV-9999-9999 is no open removal or return of acme/);
    assert.match(wrong.err, /candidates: RMV-7000-0001 MUG-12OZ-WHT, 5 open/);
    assert.equal((await h.store.work.exceptions.get(mug.id))!.state, 'open');

    const ok = await dockgate(h, ['exceptions', 'resolve', String(mug.id), '--match', RMV, '--note', 'tracking label misread at the dock']);
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /resolved: receipt RCV\d+ line 1 \(2 MUG-12OZ-WHT, sellable\) matched by hand to removal order RMV-7000-0001/);
    const resolved = (await h.store.work.exceptions.get(mug.id))!;
    assert.equal(resolved.state, 'resolved');
    assert.match(resolved.note!, /matched by hand to removal order RMV-7000-0001.*tracking label misread at the dock/);
    assert.deepEqual([(await arrival(h, RMV)).received, await stockOf(h, 'MUG-12-WHT')], [2, 12]);
    const posted = (await h.store.work.removals.postings({ seller: 'acme' })).find((p) => p.exceptionId === mug.id)!;
    assert.deepEqual([posted.state, posted.matchedBy], ['posted', 'manual']);
    // Matched again: refused, nothing posted twice.
    const twice = await dockgate(h, ['exceptions', 'resolve', String(mug.id), '--match', RMV]);
    assert.equal(twice.code, 2);
    assert.match(twice.err, /matched already/);
    assert.equal((await arrival(h, RMV)).received, 2);

    // The API: the shirt's posting matched by the return's LPN.
    const api = await startApi({ harness: h });
    try {
      const shirtPosting = (await h.store.work.removals.postings({ seller: 'acme', state: 'unmatched' })).find((p) => p.exceptionId === shirt.id)!;
      const bad = await api.request('POST', `/api/v1/removals/postings/${shirtPosting.id}/match`, { body: { reference: 'LPN0000000000' } });
      assert.equal(bad.status, 400);
      assert.match(bad.body.error.message, /LPN0000000000 is no open removal or return/);
      const res = await api.request('POST', `/api/v1/removals/postings/${shirtPosting.id}/match`, { body: { reference: LPN, note: 'LPN sticker reprinted' } });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.deepEqual([res.body.arrival.reference, res.body.arrival.state, res.body.posting.matchedBy, res.body.exceptionId, res.body.stocked], [RETURN_ORDER, 'received', 'manual', shirt.id, 1]);
      assert.equal((await h.store.work.exceptions.get(shirt.id))!.state, 'resolved');
      const again = await api.request('POST', `/api/v1/removals/postings/${shirtPosting.id}/match`, { body: { reference: LPN } });
      assert.equal(again.status, 409);

      // The arrivals and their postings, as the dashboard reads them.
      const open = await api.request('GET', '/api/v1/removals?seller=acme&state=open&limit=1');
      assert.equal(open.status, 200);
      assert.equal(open.body.items.length, 1);
      assert.ok(open.body.next);
      const page2 = await api.request('GET', `/api/v1/removals?seller=acme&state=open&limit=1&cursor=${open.body.next}`);
      assert.ok(page2.body.items[0].id < open.body.items[0].id);
      const removal = await arrival(h, RMV);
      const one = await api.request('GET', `/api/v1/removals/${removal.id}`);
      assert.deepEqual([one.body.arrival.received, one.body.postings.length, one.body.postings[0].matchedBy], [2, 1, 'manual']);
      assert.equal((await api.request('GET', '/api/v1/removals/999999')).status, 404);
      assert.equal((await api.request('POST', `/api/v1/removals/postings/${shirtPosting.id}/match`, { token: api.ro, body: { reference: LPN } })).status, 403);
    } finally {
      await api.close();
    }

    // Matched by hand, published like any receipt: 12 mugs less 5, 11 shirts less 2. (The bin's
    // jobs were enqueued on the real clock: the test's clock catches up to run them.)
    h.clock.set(new Date(Date.now() + 60_000).toISOString());
    await drain(h);
    assert.deepEqual([mfn(h, 'MUG-12OZ-WHT'), mfn(h, 'TSHIRT-RED-M')], [7, 9]);
  } finally {
    await w.close();
  }
});

test('a receipt that reaches the warehouse before Amazon reports the removal: unmatched, a retry still finds nothing, the next report pull matches it, posts it and publishes', async () => {
  const w = await world();
  const { h } = w;
  try {
    await w.receive(1, [{ seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 2, condition: 'sellable', removalOrderId: 'RMV-8000-0001', trackingNumber: '1Z999AA10188888888' }]);
    const [x] = await h.store.work.exceptions.list({ kind: 'receipt-unmatched', states: ['open'] });
    assert.ok(x);
    const retry = exceptionRetries['receipt-unmatched']!;
    assert.match(await retry(h.ctx, x), /still no expected arrival fits: match it by hand/);
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'open');

    h.emulator.addRemovalShipment('acme', { requestDate: '2026-11-24T08:00:00Z', orderId: 'RMV-8000-0001', shipmentDate: '2026-11-24T15:00:00Z', sku: 'MUG-12OZ-WHT', fnsku: 'X00MUGWHT1', shippedQuantity: 2, carrier: 'UPS', trackingNumber: '1Z999AA10188888888' });
    const pulled = await pullRemovalReports(h.ctx, 'acme');
    assert.equal(pulled.counts.rematched, 1);
    const resolved = (await h.store.work.exceptions.get(x.id))!;
    assert.equal(resolved.state, 'resolved');
    assert.match(resolved.note!, /matched by removal order id once Amazon reported it to removal order RMV-8000-0001/);
    const a = await arrival(h, 'RMV-8000-0001');
    assert.deepEqual([a.received, a.state], [2, 'received']);
    assert.deepEqual((await h.store.work.removals.postings({ arrivalId: a.id })).map((p) => [p.matchedBy, p.state]), [['removal-order', 'posted']]);
    assert.equal(await stockOf(h, 'MUG-12-WHT'), 12);
    await drain(h);
    assert.equal(mfn(h, 'MUG-12OZ-WHT'), 7);
  } finally {
    await w.close();
  }
});

test('removal-overdue on the clock: a removal not fully received past the window is an exception by order id and SKU, resolved once it is all in', async () => {
  const w = await world();
  const { h } = w;
  try {
    // Amazon shipped RMV-7000-0001 on 2026-11-22 15:00; the sample's RMV-5120-0042 on 2026-11-21 15:00. Window: 14 days.
    h.clock.set('2026-12-06T12:00:00Z');
    await checkRemovalsOverdue(h.ctx);
    assert.deepEqual((await h.store.work.exceptions.list({ kind: 'removal-overdue' })).map((x) => x.key), ['RMV-5120-0042:TSHIRT-RED-M-FBA']);
    h.clock.set('2026-12-06T16:00:00Z');
    await checkRemovalsOverdue(h.ctx);
    const overdue = await h.store.work.exceptions.list({ kind: 'removal-overdue', states: ['open'] });
    assert.deepEqual(overdue.map((x) => x.key).sort(), ['RMV-5120-0042:TSHIRT-RED-M-FBA', `${RMV}:MUG-12OZ-WHT`]);
    const mine = overdue.find((x) => x.key.startsWith(RMV))!;
    assert.match(mine.message, /5 of 5 MUG-12OZ-WHT not received 14 days after Amazon shipped it/);
    // Part of it: still overdue; all of it: resolved.
    await w.receive(24 * 11 + 5, [{ seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 4, condition: 'sellable', removalOrderId: RMV }]);
    await checkRemovalsOverdue(h.ctx);
    assert.equal((await h.store.work.exceptions.get(mine.id))!.state, 'open');
    assert.match((await h.store.work.exceptions.get(mine.id))!.message, /1 of 5 MUG-12OZ-WHT/);
    await w.receive(24 * 11 + 6, [{ seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 1, condition: 'damaged', trackingNumber: TRACK }]);
    assert.equal((await h.store.work.exceptions.get(mine.id))!.state, 'resolved');
    await checkRemovalsOverdue(h.ctx);
    assert.deepEqual((await h.store.work.exceptions.list({ kind: 'removal-overdue', states: ['open'] })).map((x) => x.key), ['RMV-5120-0042:TSHIRT-RED-M-FBA']);
  } finally {
    await w.close();
  }
});

test("the seller's returns settings: its overdue window wins over the gateway's, its dispositions decide what becomes sellable", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-removals-maps-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const sellerFile = join(dir, 'sellers/acme.yaml');
  writeFileSync(sellerFile, `${readFileSync(sellerFile, 'utf8')}returns:\n  overdueDays: 2\n  dispositions: { customer-damaged: sellable, sellable: quarantine }\n`);
  const w = await world({ mappingsDir: dir });
  const { h } = w;
  try {
    await w.receive(1, [
      { seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 2, condition: 'customer-damaged', removalOrderId: RMV },
      { seller: 'acme', sellerSku: 'TSHIRT-RED-M', quantity: 1, condition: 'sellable', lpn: LPN },
    ]);
    assert.deepEqual((await h.store.work.removals.postings({ seller: 'acme' })).map((p) => p.disposition), ['sellable', 'quarantine']);
    assert.deepEqual([await stockOf(h, 'MUG-12-WHT'), await stockOf(h, 'TS-RED-M')], [12, 10]);
    // 2026-11-22 15:00 + 2 days: overdue on the 25th already (3 of 5 still out).
    await checkRemovalsOverdue(h.ctx);
    const x = await h.store.work.exceptions.find('removal-overdue', `${RMV}:MUG-12OZ-WHT`, 'acme', null);
    assert.ok(x);
    assert.equal(x.context.details?.windowDays, 2);
    assert.equal(x.context.mappingKey, 'returns.overdueDays');
  } finally {
    await w.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('receipts XML from the CSV warehouse: matched by LPN and posted; not the seller\u2019s MFN warehouse and no count there, so nothing is stocked or published', async () => {
  const w = await world();
  const { h } = w;
  try {
    const cascade = new WarehouseSimulator({ mappings: h.mappings, partner: 'cascade-csv', root: h.partnerRoot, inventoryEverySeconds: 0 });
    const jobsBefore = (await h.store.work.jobs.list({ seller: 'acme' })).length;
    await w.receive(1, [{ seller: 'acme', sellerSku: 'TSHIRT-RED-M', quantity: 1, condition: 'sellable', lpn: LPN, trackingNumber: '9400111899223300001111' }], cascade);
    const ret = await arrival(h, RETURN_ORDER);
    assert.equal(ret.state, 'received');
    const [p] = await h.store.work.removals.postings({ arrivalId: ret.id });
    assert.deepEqual([p.partner, p.matchedBy, p.disposition], ['cascade-csv', 'lpn', 'sellable']);
    assert.deepEqual(await h.store.work.inventory.stock('cascade-csv', 'acme'), []);
    assert.equal((await h.store.work.jobs.list({ seller: 'acme' })).length, jobsBefore);
    assert.deepEqual((await h.store.work.inbound.forFile(p.fileMessageId)).map((d) => [d.document, d.state]), [['receipt', 'processed']]);
  } finally {
    await w.close();
  }
});
