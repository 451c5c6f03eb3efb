/**
 * Shipment advice -> Amazon over real parts: 945s and shipments CSVs written into the partner's
 * directory, taken by the inbound poll, confirmed at the SP-API emulator through the real
 * adapter by the outbox worker. Our own package ids reach Amazon (never the warehouse's LX-01);
 * partial shipments sum per order line; over-shipment, an unmapped carrier (fixed, then
 * retried), an invalid 945 and Amazon's refusal are exceptions.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { jobHandlers } from '../../src/flows/index.ts';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { retries as shipmentRetries } from '../../src/flows/shipment-to-amazon.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { loadMappings } from '../../src/mapping/load.ts';
import type { OrderRecord } from '../../src/store/work.ts';
import { MAPPINGS, root, startHarness, type Harness } from './harness.ts';

const RENO = 'reno-wms';
const ACME_ORDER = '112-3456789-1234567';

/**
 * The sample mappings in a folder of their own, with northwind's credentials taken from the
 * environment like acme's (the sample names a secrets file under /etc), and any edit a test makes.
 */
function mappingsCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-ship-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const nw = join(dir, 'sellers/northwind.yaml');
  writeFileSync(
    nw,
    readFileSync(nw, 'utf8').replace(
      /credentials:\n\s+secretsFile: .*\n/,
      'credentials:\n  clientIdEnv: NORTHWIND_LWA_CLIENT_ID\n  clientSecretEnv: NORTHWIND_LWA_CLIENT_SECRET\n  refreshTokenEnv: NORTHWIND_LWA_REFRESH_TOKEN\n',
    ),
  );
  return dir;
}

async function harness(): Promise<Harness & { mappingsDir: string }> {
  const mappingsDir = mappingsCopy();
  const h = await startHarness({ mappingsDir });
  // After the sample advices' ship times (24 November): the tracking lag comes out positive.
  h.clock.set('2026-11-25T00:00:00Z');
  const close = h.close;
  return Object.assign(h, { mappingsDir, close: async () => (await close(), rmSync(mappingsDir, { recursive: true, force: true })) });
}

interface Item {
  item: string;
  ordered: number;
  shipped: number;
  orderItemId: string;
  reason?: string;
}

/** One 945 set (segments between ST and SE) as Reno writes it: one LX loop per package. */
function set945(orderId: string, packages: Array<{ tracking: string; items: Item[] }>, carrier = 'UPSN'): string[] {
  const segs = [`W06*F*${orderId}**SHP${orderId.slice(-4)}`, 'G62*11*20261124*8*1405', `W27*U*${carrier}`];
  let total = 0;
  packages.forEach((p, i) => {
    segs.push(`LX*${i + 1}`, `MAN*CP*${p.tracking}`);
    for (const it of p.items) {
      total += it.shipped;
      segs.push(`W12*${it.shipped < it.ordered ? 'CP' : 'CC'}*${it.ordered}*${it.shipped}**EA**VN*${it.item}`, `N9*LI*${it.orderItemId}`);
      if (it.reason) segs.push(`NTE*LIN*${it.reason}`);
    }
  });
  segs.push(`W03*${total}`);
  return segs;
}

/** A whole 945 interchange from Reno (its own control number: the store refuses a resent one). */
function interchange(control: number, sets: string[][], options: { seCount?: (n: number) => number } = {}): Buffer {
  const isa13 = String(control).padStart(9, '0');
  const lines = [
    `ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1622*U*00401*${isa13}*0*T*>~`,
    `GS*SW*RENOWMS*ACME3PL*20261124*1622*${control}*X*004010~`,
  ];
  sets.forEach((segs, i) => {
    const st = String(i + 1).padStart(4, '0');
    const body = [`ST*945*${st}`, ...segs];
    lines.push(...body.map((s) => `${s}~`), `SE*${(options.seCount ?? ((n) => n))(body.length + 1)}*${st}~`);
  });
  lines.push(`GE*${sets.length}*${control}~`, `IEA*1*${isa13}~`);
  return Buffer.from(`${lines.join('\n')}\n`);
}

const drop = (h: Harness, partner: string, name: string, bytes: Buffer) => writeFileSync(join(h.partnerDir(partner, 'inbound'), name), bytes);
const drain = (h: Harness) => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();

/** The order as the orders flow leaves it once the warehouse acknowledged it. */
async function sentOrder(h: Harness, over: Partial<OrderRecord> = {}): Promise<OrderRecord> {
  const doc = await h.store.blobs.putBuffer(Buffer.from('{"kind":"ShipOrder"}'));
  const o: OrderRecord = {
    seller: 'acme',
    orderId: ACME_ORDER,
    marketplaceId: 'ATVPDKIKX0DER',
    partner: RENO,
    state: 'acknowledged',
    amazonUpdatedAt: '2026-11-24T16:02:11Z',
    amazonStatus: 'Unshipped',
    shipBy: '2026-11-26T07:59:59Z',
    documentSha256: doc.sha256,
    addressHash: 'hash',
    lines: [
      { lineNumber: 1, sellerSku: 'TSHIRT-RED-M', orderItemId: '12345678901234', ordered: 2, shipped: 0 },
      { lineNumber: 2, sellerSku: 'MUG-GIFT-SET', orderItemId: '12345678901235', ordered: 1, shipped: 0 },
    ],
    revision: 1,
    heldBy: null,
    createdAt: '2026-11-24T16:10:00Z',
    updatedAt: '2026-11-24T16:10:00Z',
    ...over,
  };
  await h.store.work.orders.put(o);
  return o;
}

const confirmations = (h: Harness, seller: string, orderId: string) => h.emulator.orders(seller).find((o) => o.orderId === orderId)!.confirmations;

test('a 945 is confirmed at Amazon with our own package ids, for both sellers in the one file; the tracking lag is recorded; our 997 goes back', async () => {
  const h = await harness();
  try {
    drop(h, RENO, '945-sample.edi', readFileSync(join(root, 'samples/partners/reno-wms/945-shipment-advice.edi')));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([run.counts.taken, run.counts.processed, run.failed], [1, 1, 0]);
    const results = await drain(h);
    assert.deepEqual(results.filter((r) => r.outcome !== 'done'), []);

    const acme = await h.store.work.packages.forOrder('acme', ACME_ORDER);
    const northwind = await h.store.work.packages.forOrder('northwind', '113-1111111-2222222');
    assert.equal(acme.length, 1, 'the kit parts travel with the first package: one package to confirm');
    assert.equal(northwind.length, 1);
    // Both the warehouse's packages are its "LX*1": ours are distinct, and those are what Amazon got.
    assert.deepEqual([acme[0].warehousePackageId, northwind[0].warehousePackageId], ['1', '1']);
    assert.notEqual(acme[0].id, northwind[0].id);
    const atAmazon = confirmations(h, 'acme', ACME_ORDER);
    assert.deepEqual(atAmazon.map((c) => [c.packageReferenceId, c.trackingNumber, c.carrierCode]), [[String(acme[0].id), '1Z999AA10123456784', 'UPS']]);
    assert.deepEqual(
      atAmazon[0].items.sort((a, b) => a.orderItemId.localeCompare(b.orderItemId)),
      [
        { orderItemId: '12345678901234', quantity: 2 },
        { orderItemId: '12345678901235', quantity: 1 },
      ],
    );
    assert.deepEqual(confirmations(h, 'northwind', '113-1111111-2222222').map((c) => c.packageReferenceId), [String(northwind[0].id)]);
    for (const p of [acme[0], northwind[0]]) {
      const now = (await h.store.work.packages.get(p.id))!;
      assert.equal(now.state, 'confirmed');
      assert.equal(now.confirmedAt, '2026-11-25T00:00:00.000Z');
      assert.equal(now.lagSeconds, (Date.parse('2026-11-25T00:00:00Z') - Date.parse(p.shippedAt)) / 1000);
    }
    // Shipped 14:05 Pacific on the 24th = 22:05Z: 1 h 55 min before the confirmation.
    assert.equal((await h.store.work.packages.get(acme[0].id))!.lagSeconds, 6900);

    // The file: processed, archived, each document with its seller; the one short line with a reason reported.
    const file = h.store.list({ kind: 'file' }).find((m) => m.fileName === '945-sample.edi')!;
    assert.equal(file.status, 'processed');
    assert.ok(file.completedAt);
    assert.deepEqual(readdirSync(h.partnerDir(RENO, 'archive')), ['945-sample.edi']);
    const docs = await h.store.work.inbound.forFile(file.id);
    assert.deepEqual(docs.map((d) => [d.document, d.seller, d.key, d.state]), [
      ['shipment-advice', 'acme', ACME_ORDER, 'processed'],
      ['shipment-advice', 'northwind', '113-1111111-2222222', 'processed'],
    ]);
    const shorts = await h.store.work.exceptions.list({ kind: 'short-ship' });
    assert.deepEqual(shorts.map((x) => [x.seller, x.key]), [['northwind', '113-1111111-2222222']]);
    assert.match(shorts[0].message, /NW-LANTERN shipped 2 of 3 \(1 short: damaged in picking\)/);
    // Orders this gateway never sent are confirmed all the same, and the log says so.
    assert.equal(h.logs.filter((l) => l.event === 'advice.order-not-sent-by-us').length, 2);
    // Our 997 for the received group, delivered into the directory Reno reads.
    const acks = readdirSync(h.partnerDir(RENO, 'outbound')).filter((n) => n.includes('997'));
    assert.equal(acks.length, 1);
    assert.match(readFileSync(join(h.partnerDir(RENO, 'outbound'), acks[0]), 'latin1'), /AK1\*SW\*77301~[\s\S]*AK9\*A\*2\*2\*2~/);

    // Polled and drained again: nothing new, nothing confirmed twice.
    const again = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(again.counts.taken, 0);
    await drain(h);
    assert.equal(confirmations(h, 'acme', ACME_ORDER).length, 1);
  } finally {
    await h.close();
  }
});

test('two 945s for one order (a partial without a reason, then the rest): two packages with distinct ids of ours, the lines summed, the order shipped then confirmed; a resent advice adds nothing', async () => {
  const h = await harness();
  try {
    await sentOrder(h);
    // First advice: one T-shirt of two, no reason given (the rest follows): accepted, the line stays open.
    drop(h, RENO, '945-part1.edi', interchange(501, [set945(ACME_ORDER, [{ tracking: '1ZPART0000000001', items: [{ item: 'TS-RED-M', ordered: 2, shipped: 1, orderItemId: '12345678901234' }] }])]));
    const first = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([first.counts.processed, first.counts.rejected, first.counts.held], [1, 0, 0]);
    let order = (await h.store.work.orders.get('acme', ACME_ORDER))!;
    assert.equal(order.state, 'partially-shipped');
    assert.deepEqual(order.lines.map((l) => [l.sellerSku, l.ordered, l.shipped]), [['TSHIRT-RED-M', 2, 1], ['MUG-GIFT-SET', 1, 0]]);
    assert.deepEqual(await h.store.work.exceptions.list({}), [], 'a short without a reason is no exception');
    await drain(h);
    assert.equal((await h.store.work.orders.get('acme', ACME_ORDER))!.state, 'partially-shipped', 'confirmed packages do not confirm an order with open lines');

    // Second advice: the other T-shirt and the gift set, again the warehouse's package "1".
    drop(
      h,
      RENO,
      '945-part2.edi',
      interchange(502, [
        set945(ACME_ORDER, [
          {
            tracking: '1ZPART0000000002',
            items: [
              { item: 'TS-RED-M', ordered: 2, shipped: 1, orderItemId: '12345678901234' },
              { item: 'MUG-12-WHT', ordered: 2, shipped: 2, orderItemId: '12345678901235' },
              { item: 'GIFT-BOX-S', ordered: 1, shipped: 1, orderItemId: '12345678901235' },
            ],
          },
        ]),
      ]),
    );
    await pollPartnerFiles(h.ctx, RENO);
    order = (await h.store.work.orders.get('acme', ACME_ORDER))!;
    assert.equal(order.state, 'shipped');
    assert.deepEqual(order.lines.map((l) => [l.sellerSku, l.shipped]), [['TSHIRT-RED-M', 2], ['MUG-GIFT-SET', 1]]);
    await drain(h);
    const packages = await h.store.work.packages.forOrder('acme', ACME_ORDER);
    assert.equal(packages.length, 2);
    assert.deepEqual(packages.map((p) => p.warehousePackageId), ['1', '1']);
    assert.notEqual(packages[0].id, packages[1].id);
    assert.deepEqual(confirmations(h, 'acme', ACME_ORDER).map((c) => c.packageReferenceId), packages.map((p) => String(p.id)));
    assert.equal((await h.store.work.orders.get('acme', ACME_ORDER))!.state, 'confirmed');
    assert.equal(h.emulator.orders('acme').find((o) => o.orderId === ACME_ORDER)!.status, 'SHIPPED');

    // The second advice sent again (another interchange, same packages): nothing added, nothing sent.
    drop(h, RENO, '945-part2-again.edi', interchange(503, [set945(ACME_ORDER, [{ tracking: '1ZPART0000000002', items: [{ item: 'TS-RED-M', ordered: 2, shipped: 1, orderItemId: '12345678901234' }] }])]));
    await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual(await h.store.work.jobs.list({ kind: 'confirm-package', state: 'pending' }), []);
    assert.equal((await h.store.work.packages.forOrder('acme', ACME_ORDER)).length, 2);
    assert.deepEqual((await h.store.work.orders.get('acme', ACME_ORDER))!.lines.map((l) => l.shipped), [2, 1]);
    assert.deepEqual(await h.store.work.exceptions.list({ kind: 'over-ship' }), []);
  } finally {
    await h.close();
  }
});

test('over-shipment is an exception; Amazon refusing the package (more than ordered) marks it refused with an amazon-refused exception', async () => {
  const h = await harness();
  try {
    await sentOrder(h);
    drop(h, RENO, '945-over.edi', interchange(601, [set945(ACME_ORDER, [{ tracking: '1ZOVER0000000001', items: [{ item: 'TS-RED-M', ordered: 2, shipped: 3, orderItemId: '12345678901234' }] }])]));
    await pollPartnerFiles(h.ctx, RENO);
    const over = await h.store.work.exceptions.list({ kind: 'over-ship' });
    assert.equal(over.length, 1);
    assert.deepEqual([over[0].seller, over[0].key, over[0].refs], ['acme', ACME_ORDER, [ACME_ORDER]]);
    assert.match(over[0].message, /TSHIRT-RED-M 3 of 2/);
    assert.deepEqual(over[0].context.file?.name, '945-over.edi');
    const results = await drain(h);
    assert.deepEqual(results.filter((r) => r.kind === 'confirm-package').map((r) => r.outcome), ['dead']);
    const [p] = await h.store.work.packages.forOrder('acme', ACME_ORDER);
    assert.equal(p.state, 'refused');
    const refused = await h.store.work.exceptions.list({ kind: 'amazon-refused' });
    assert.equal(refused.length, 1);
    assert.deepEqual([refused[0].seller, refused[0].partner, refused[0].key], ['acme', RENO, ACME_ORDER]);
    assert.match(refused[0].message, /ConfirmationConflict/);
    assert.deepEqual(confirmations(h, 'acme', ACME_ORDER), []);
  } finally {
    await h.close();
  }
});

test('an unmapped carrier holds the advice with an exception naming the file, the value and the carrier table; after the table is fixed the retry confirms it', async () => {
  const h = await harness();
  try {
    await sentOrder(h);
    drop(h, RENO, '945-lso.edi', interchange(701, [set945(ACME_ORDER, [{ tracking: 'LSO123456', items: [{ item: 'TS-RED-M', ordered: 2, shipped: 2, orderItemId: '12345678901234' }] }], 'LSOC')]));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(run.counts.held, 1);
    const file = h.store.list({ kind: 'file' }).find((m) => m.fileName === '945-lso.edi')!;
    assert.equal(file.status, 'held');
    assert.equal(file.completedAt, null, 'a held file still waits for its fix');
    // Kept on our side (recorded, its bytes stored), gone from the partner's directory.
    assert.deepEqual(readdirSync(h.partnerDir(RENO, 'inbound')).filter((n) => n.endsWith('.edi')), []);
    const [x] = await h.store.work.exceptions.list({ kind: 'unmapped-carrier' });
    assert.equal(x.key, 'LSOC');
    assert.equal(x.seller, 'acme');
    assert.deepEqual(x.context.file, { name: '945-lso.edi', messageId: file.id });
    assert.match(x.context.where!, /^set 945 0001 \(line 3\)$/);
    assert.match(x.context.mappingFile!, /tables\/carriers-us\.yaml$/);
    assert.equal(x.context.excerpt, 'LSOC');
    assert.deepEqual(x.refs, [`file:${file.id}`]);
    assert.deepEqual(await h.store.work.packages.forOrder('acme', ACME_ORDER), []);
    assert.deepEqual((await h.store.work.inbound.forFile(file.id)).map((d) => d.state), ['held']);

    // Retried before the fix: still held, the same exception counted again.
    await shipmentRetries['unmapped-carrier']!(h.ctx, x);
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'open');
    assert.equal((await h.store.work.exceptions.get(x.id))!.count, 2);

    // The fix: LSOC added to the carrier table, the mappings loaded again, the exception retried.
    const table = join(h.mappingsDir, 'tables/carriers-us.yaml');
    writeFileSync(table, `${readFileSync(table, 'utf8').trimEnd()}\n  - { scac: LSOC, carrierCode: Other, carrierName: Lone Star Overnight }\n`);
    const reloaded = loadMappings(h.mappingsDir);
    assert.deepEqual(reloaded.problems, []);
    h.ctx.mappings = reloaded.mappings;
    const line = await shipmentRetries['unmapped-carrier']!(h.ctx, (await h.store.work.exceptions.get(x.id))!);
    assert.match(line, /945-lso\.edi .*processed/);
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
    assert.equal(h.store.get(file.id)!.status, 'processed');
    assert.deepEqual((await h.store.work.inbound.forFile(file.id)).map((d) => d.state), ['processed']);
    await drain(h);
    const atAmazon = confirmations(h, 'acme', ACME_ORDER);
    assert.deepEqual(atAmazon.map((c) => [c.carrierCode, c.carrierName, c.trackingNumber]), [['Other', 'Lone Star Overnight', 'LSO123456']]);
  } finally {
    await h.close();
  }
});

test('an invalid 945 is rejected with the located diagnostic; our 997 says so; nothing reaches Amazon', async () => {
  const h = await harness();
  try {
    await sentOrder(h);
    // SE-01 one short of the segments the set holds.
    drop(h, RENO, '945-bad.edi', interchange(801, [set945(ACME_ORDER, [{ tracking: '1ZBAD00000000001', items: [{ item: 'TS-RED-M', ordered: 2, shipped: 2, orderItemId: '12345678901234' }] }])], { seCount: (n) => n - 1 }));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([run.counts.rejected, run.failed], [1, 0]);
    const file = h.store.list({ kind: 'file' }).find((m) => m.fileName === '945-bad.edi')!;
    assert.equal(file.status, 'rejected');
    const [x] = await h.store.work.exceptions.list({ kind: 'partner-data-rejected' });
    assert.equal(x.partner, RENO);
    assert.deepEqual(x.context.file, { name: '945-bad.edi', messageId: file.id });
    // Where: the set, then the line, segment and element of the diagnostic.
    assert.match(x.context.where!, /^set 945 0001 \(line 3\), line 12 SE-01$/);
    assert.match(x.message, /945-bad\.edi from reno-wms: .*line 12 SE-01/);
    assert.deepEqual((await h.store.work.inbound.forFile(file.id)).map((d) => [d.document, d.state]), [['shipment-advice', 'rejected']]);
    await drain(h);
    assert.deepEqual(await h.store.work.packages.forOrder('acme', ACME_ORDER), []);
    assert.deepEqual(confirmations(h, 'acme', ACME_ORDER), []);
    const acks = readdirSync(h.partnerDir(RENO, 'outbound')).filter((n) => n.includes('997'));
    assert.equal(acks.length, 1);
    const ack = readFileSync(join(h.partnerDir(RENO, 'outbound'), acks[0]), 'latin1');
    assert.match(ack, /AK5\*R/);
    assert.match(ack, /AK9\*R\*1\*1\*0/);
  } finally {
    await h.close();
  }
});

test('a shipments CSV with two sellers\' orders: both routed in one run, confirmed at Amazon under our ids', async () => {
  const h = await harness();
  try {
    const recipient = { name: 'Test Buyer', addressLine1: '1 Main St', city: 'Memphis', stateOrRegion: 'TN', postalCode: '38103', countryCode: 'US' };
    h.emulator.addOrder('acme', {
      orderId: '114-2223334-4445556',
      marketplaceId: 'ATVPDKIKX0DER',
      recipient,
      items: [
        { orderItemId: '31112223334441', sellerSku: 'TSHIRT-RED-M', asin: 'B0ACME0001', quantity: 3 },
        { orderItemId: '31112223334442', sellerSku: 'MUG-12OZ-WHT', asin: 'B0ACME0002', quantity: 1 },
        { orderItemId: '31112223334443', sellerSku: 'SOCKS-6PK', asin: 'B0ACME0004', quantity: 1 },
      ],
    });
    h.emulator.addOrder('northwind', { orderId: '115-9998887-7776665', marketplaceId: 'ATVPDKIKX0DER', recipient, items: [{ orderItemId: '41112223334441', sellerSku: 'NW-TENT-2P', asin: 'B0NWTENT01', quantity: 1 }] });
    drop(h, 'cascade-csv', 'shipments.csv', readFileSync(join(root, 'samples/partners/cascade-csv/shipments.csv')));
    const run = await pollPartnerFiles(h.ctx, 'cascade-csv');
    assert.deepEqual([run.counts.taken, run.counts.processed, run.failed], [1, 1, 0]);
    const file = h.store.list({ kind: 'file' }).find((m) => m.fileName === 'shipments.csv')!;
    assert.deepEqual((await h.store.work.inbound.forFile(file.id)).map((d) => [d.seller, d.key, d.state]), [
      ['acme', '114-2223334-4445556', 'processed'],
      ['northwind', '115-9998887-7776665', 'processed'],
    ]);
    assert.equal(file.containsPii, true, 'a shipment advice may carry a ship-to');
    await drain(h);
    const acme = await h.store.work.packages.forOrder('acme', '114-2223334-4445556');
    const northwind = await h.store.work.packages.forOrder('northwind', '115-9998887-7776665');
    assert.equal(acme.length, 2);
    assert.equal(northwind.length, 1);
    assert.deepEqual(confirmations(h, 'acme', '114-2223334-4445556').map((c) => c.packageReferenceId), acme.map((p) => String(p.id)));
    assert.deepEqual(confirmations(h, 'northwind', '115-9998887-7776665').map((c) => [c.packageReferenceId, c.carrierCode]), [[String(northwind[0].id), 'USPS']]);
    assert.deepEqual((await h.store.work.packages.list({ states: ['confirmed'] })).map((p) => p.id), [...acme, ...northwind].map((p) => p.id).sort((x, y) => x - y));
  } finally {
    await h.close();
  }
});
