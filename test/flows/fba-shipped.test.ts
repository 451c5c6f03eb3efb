/**
 * FBA replenishment, the ship side, over real parts: the warehouse's 945 (or 856) for an FBA
 * shipment dropped in Reno's directory, taken by the inbound poll, its cartons checked against
 * Amazon's boxes, the tracking given to the SP-API emulator through the real adapter by the
 * outbox worker (the request validated against the official model), and our 856 ASN delivered to
 * the seller's fba.asn.partner (a test partner added to a copy of the sample mappings).
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { jobHandlers } from '../../src/flows/index.ts';
import { sendFbaShipment } from '../../src/flows/fba-replenishment.ts';
import { checks, retries as fbaRetries, TRACKING_WAIT_MS } from '../../src/flows/fba-shipped.ts';
import { pollPartnerFiles } from '../../src/flows/inbound.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { translator, writePartner } from '../../src/mapping/translate.ts';
import type { InboundAsn, ShipmentAdvice } from '../../src/model/index.ts';
import type { FbaShipmentRecord } from '../../src/store/fba.ts';
import type { OrderRecord } from '../../src/store/work.ts';
import { formatIssue, OpenApiModels } from '../sandbox/openapi.ts';
import { MAPPINGS, startHarness, type Harness } from './harness.ts';

const RENO = 'reno-wms';
const ASN_PARTNER = 'acme-asn';
const ID = 'FBA15ABCD1234';
const SKU = 'TSHIRT-RED-M-FBA';
const ITEM = 'TS-RED-M-FNSKU';
// The sample seed's shipment (samples/sandbox/amazon-seed.yaml): two boxes of 24.
const PLAN = 'wf1a2b3c4d-5e6f-7a8b-9c0d-111111111111';
const SH = 'sh1a2b3c4d-5e6f-7a8b-9c0d-222222222222';
const BOX1 = `${ID}U000001`;
const BOX2 = `${ID}U000002`;
const SSCC1 = '00006141411234567890';
const SSCC2 = '00006141411234567906';

const modelsDir = resolve(import.meta.dirname, '../../../shared/spapi-models');
let loaded: OpenApiModels | undefined;
const models = () => (loaded ??= OpenApiModels.load(modelsDir));

/** A receiving partner that takes an 856 from us (documents.inbound-asn direction: out), and acme pointing at it. */
const ASN_PARTNER_FILE = `# A test partner: the seller's customer / the FC carrier that wants an 856 per FBA shipment.
schemaVersion: 1
kind: partner
id: ${ASN_PARTNER}
name: Acme receiving (856 for FBA shipments)
usage: test
timeZone: America/Los_Angeles
x12:
  us: { qualifier: ZZ, id: ACME3PL, gsId: ACME3PL }
  them: { qualifier: ZZ, id: ACMEASN, gsId: ACMEASN }
  version: "00401"
  gsVersion: "004010"
transport:
  type: sftp
  host: sftp.acme-asn.example
  port: 22
  user: acme3pl
  auth: { keyPath: /etc/dockgate/keys/acme_asn }
  hostKey: SHA256:Jq1e6bMZ2qG7mB5xT3cW8vN0aK4yR9uL2pD6sF1hE7o
  directories: { inbound: /out, outbound: /in }
  fileNames:
    inbound-asn: "{partner}_856_{control}_{timestamp}.edi"
sellers: [acme]
documents:
  inbound-asn: { direction: out, format: x12, layout: reno-856 }
acks: { required: false, withinMinutes: 60 }
carriers: carriers-us
stockStates: { sellable: ["33"] }
`;

function mappingsCopy(asn: string | false): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-fba-ship-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const nw = join(dir, 'sellers/northwind.yaml');
  writeFileSync(nw, readFileSync(nw, 'utf8').replace(/credentials:\n\s+secretsFile: .*\n/, 'credentials:\n  clientIdEnv: NORTHWIND_LWA_CLIENT_ID\n  clientSecretEnv: NORTHWIND_LWA_CLIENT_SECRET\n  refreshTokenEnv: NORTHWIND_LWA_REFRESH_TOKEN\n'));
  if (asn) {
    writeFileSync(join(dir, `partners/${ASN_PARTNER}.yaml`), ASN_PARTNER_FILE);
    const acme = join(dir, 'sellers/acme.yaml');
    const text = readFileSync(acme, 'utf8');
    // The sample may grow an fba: block of its own: the ASN partner goes into it, else a new one.
    writeFileSync(acme, /^fba:\s*\n/m.test(text) ? text.replace(/^fba:\s*\n/m, `fba:\n  asn: { partner: ${asn} }\n`) : `${text}fba:\n  asn: { partner: ${asn} }\n`);
  }
  return dir;
}

async function harness(options: { asn?: string | false } = {}): Promise<Harness & { mappingsDir: string }> {
  const mappingsDir = mappingsCopy(options.asn ?? ASN_PARTNER);
  const h = await startHarness({ mappingsDir });
  h.clock.set('2026-11-25T00:00:00Z');
  const close = h.close;
  return Object.assign(h, { mappingsDir, close: async () => (await close(), rmSync(mappingsDir, { recursive: true, force: true })) });
}

/** The FBA shipment as the send side leaves it: sent to Reno, its ship order acknowledged. */
async function sent(h: Harness, partner = RENO): Promise<FbaShipmentRecord> {
  const record: FbaShipmentRecord = {
    seller: 'acme',
    shipmentId: ID,
    inboundPlanId: PLAN,
    amazonShipmentId: SH,
    planName: 'Replenishment REPL-0077',
    marketplaceId: 'ATVPDKIKX0DER',
    partner,
    destinationFc: 'RNO4',
    amazonReferenceId: '3K7QXZ9A',
    amazonStatus: 'READY_TO_SHIP',
    boxes: [
      { boxId: BOX1, sscc: SSCC1, items: [{ msku: SKU, fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 24 }] },
      { boxId: BOX2, sscc: SSCC2, items: [{ msku: SKU, fnsku: 'X00123ABCE', asin: 'B0ACME0001', quantity: 24 }] },
    ],
    labelsUrl: null,
    state: 'sent',
    source: 'poll',
    sentAt: '2026-11-23T10:00:00Z',
    shippedAt: null,
    trackingAt: null,
    shipped: null,
    problems: [],
    asnMessageId: null,
    exceptionId: null,
    createdAt: '2026-11-23T10:00:00Z',
    updatedAt: '2026-11-23T10:00:00Z',
  };
  await h.store.work.fba.put(record);
  const doc = await h.store.blobs.putBuffer(Buffer.from('{"kind":"ShipOrder"}'));
  const order: OrderRecord = {
    seller: 'acme',
    orderId: ID,
    marketplaceId: 'ATVPDKIKX0DER',
    partner,
    state: 'acknowledged',
    amazonUpdatedAt: '2026-11-23T09:00:00Z',
    amazonStatus: 'READY_TO_SHIP',
    shipBy: null,
    documentSha256: doc.sha256,
    addressHash: 'hash',
    lines: [{ lineNumber: 1, sellerSku: SKU, ordered: 48, shipped: 0 }],
    revision: 1,
    heldBy: null,
    createdAt: '2026-11-23T10:00:00Z',
    updatedAt: '2026-11-23T10:00:00Z',
  };
  await h.store.work.orders.put(order);
  return record;
}

interface Carton {
  boxId?: string;
  sscc?: string;
  tracking?: string;
  quantity?: number;
}

/** Reno's 945 for the FBA shipment, written with Reno's own layout (as the partner writes it). */
function file945(h: Harness, cartons: Carton[], control = 101): Buffer {
  const total = cartons.reduce((n, c) => n + (c.quantity ?? 24), 0);
  const advice: ShipmentAdvice = {
    kind: 'ShipmentAdvice',
    orderId: ID,
    seller: 'acme',
    marketplaceId: 'ATVPDKIKX0DER',
    shippedAt: '2026-11-24T14:05:00-08:00',
    packages: cartons.map((c, i) => ({
      packageId: String(i + 1),
      carrierScac: 'UPSN',
      trackingNumber: c.tracking ?? `1Z999AA1000000000${i + 1}`,
      ...(c.sscc && { sscc: c.sscc }),
      ...(c.boxId && { lpn: c.boxId }),
      lines: [{ sellerSku: SKU, warehouseItem: ITEM, quantity: c.quantity ?? 24 }],
    })),
    lines: [{ sellerSku: SKU, warehouseItem: ITEM, ordered: 48, shipped: total }],
  };
  const w = writePartner(translator(h.mappings, RENO, 'shipment-advice'), [advice], { controlNumbers: { next: () => control }, now: h.clock.now() });
  assert.equal(w.documents[0].status, 'ok', JSON.stringify(w.documents[0].problems));
  return w.bytes!;
}

/** Reno's 856 for the FBA shipment (freight: BOL and PRO, no per-carton tracking). */
function file856(h: Harness, asn: Partial<InboundAsn>, control = 201): Buffer {
  const doc: InboundAsn = {
    kind: 'InboundAsn',
    seller: 'acme',
    marketplaceId: 'ATVPDKIKX0DER',
    shipmentId: ID,
    shippedAt: '2026-11-24T14:05:00-08:00',
    cartons: [
      { boxId: BOX1, sscc: SSCC1, contents: [{ sellerSku: SKU, warehouseItem: ITEM, quantity: 24 }] },
      { boxId: BOX2, sscc: SSCC2, contents: [{ sellerSku: SKU, warehouseItem: ITEM, quantity: 24 }] },
    ],
    ...asn,
  };
  const w = writePartner(translator(h.mappings, RENO, 'inbound-asn'), [doc], { controlNumbers: { next: () => control }, now: h.clock.now() });
  assert.equal(w.documents[0].status, 'ok', JSON.stringify(w.documents[0].problems));
  return w.bytes!;
}

const drop = (h: Harness, name: string, bytes: Buffer) => writeFileSync(join(h.partnerDir(RENO, 'inbound'), name), bytes);
const drain = (h: Harness) => new OutboxWorker(h.ctx, { handlers: jobHandlers, random: () => 0 }).drain();
const atAmazon = (h: Harness) => h.emulator.inboundShipments('acme').find((s) => s.confirmationId === ID)!;
const trackingCalls = (h: Harness) => h.emulator.calls.filter((c) => c.operation === 'updateShipmentTrackingDetails');
const open = async (h: Harness, kind: string) => (await h.store.work.exceptions.list({ states: ['open'], kind: kind as never }));

/** The tracking calls and their operation-status reads against Amazon's official model (none when the models are absent). */
function nonConforming(h: Harness): string[] {
  if (!existsSync(modelsDir)) return [];
  return h.emulator.calls.filter((c) => c.operation === 'updateShipmentTrackingDetails' || c.operation === 'getInboundOperationStatus').flatMap((c) => {
    const op = models().find(c.method, c.path);
    if (!op) return [`${c.method} ${c.path}: no operation in the models`];
    return [...models().validateRequest(op, { path: c.path, query: c.query, body: c.body }), ...models().validateResponse(op, { status: c.status, body: c.response })].map(formatIssue);
  });
}

/** The segments of an X12 file, each as its elements. */
const segments = (text: string) => text.split('~').map((s) => s.trim()).filter(Boolean).map((s) => s.split('*'));

test('shipped with matching cartons: tracking per box at Amazon (valid in the model), tracking-accepted, order confirmed, fba-not-shipped resolved, an 856 with one HL P per carton delivered', async () => {
  const h = await harness();
  try {
    await sent(h);
    await h.store.work.exceptions.raise({ kind: 'fba-not-shipped', severity: 'warning', seller: 'acme', partner: RENO, key: ID, message: 'not shipped', now: h.clock.now().toISOString() });
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([run.counts.processed, run.failed], [1, 0]);
    let record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'shipped');
    assert.deepEqual(record.problems, []);
    assert.equal(record.shipped?.cartons.length, 2);
    assert.ok(record.asnMessageId, 'the ASN is queued with the state change');
    assert.equal((await h.store.work.orders.get('acme', ID))?.state, 'shipped');
    assert.deepEqual(await open(h, 'fba-not-shipped'), []);
    // Nothing reached confirmShipment: an FBA shipment is not an MFN order.
    assert.deepEqual(await h.store.work.packages.forOrder('acme', ID), []);

    const results = await drain(h);
    assert.deepEqual(results.filter((r) => r.outcome !== 'done'), []);
    record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'tracking-accepted');
    assert.equal(record.trackingAt, h.clock.now().toISOString());
    assert.equal((await h.store.work.orders.get('acme', ID))?.state, 'confirmed');
    const t = atAmazon(h).tracking;
    assert.equal(t?.kind, 'small-parcel');
    assert.deepEqual(t?.kind === 'small-parcel' && t.boxes, [{ boxId: BOX1, trackingId: '1Z999AA10000000001' }, { boxId: BOX2, trackingId: '1Z999AA10000000002' }]);
    assert.equal(trackingCalls(h).length, 1);
    assert.equal(trackingCalls(h)[0].status, 202);
    assert.deepEqual(nonConforming(h), []);

    const files = readdirSync(h.partnerDir(ASN_PARTNER, 'outbound'));
    assert.equal(files.length, 1);
    assert.match(files[0], /^acme-asn_856_\d+_/);
    const segs = segments(readFileSync(join(h.partnerDir(ASN_PARTNER, 'outbound'), files[0]), 'latin1'));
    assert.deepEqual(segs.find((s) => s[0] === 'ISA')?.slice(6, 7).map((v) => v.trim()), ['ACME3PL'], 'we are the sender');
    assert.deepEqual(segs.find((s) => s[0] === 'BSN')?.[2], ID);
    assert.equal(segs.filter((s) => s[0] === 'HL' && s[3] === 'P').length, 2, 'one HL P per carton');
    assert.deepEqual(segs.filter((s) => s[0] === 'MAN' && s[1] === 'GM').map((s) => s[2]), [SSCC1, SSCC2]);
    assert.deepEqual(segs.filter((s) => s[0] === 'REF' && s[1] === 'LV').map((s) => s[2]), [BOX1, BOX2]);
    assert.deepEqual(segs.filter((s) => s[0] === 'SN1').map((s) => s[2]), ['24', '24']);
    const message = await h.store.work.messages.axes(record.asnMessageId!);
    assert.equal(message?.delivery, 'delivered');
  } finally {
    await h.close();
  }
});

test('a missing box: mismatched, fba-carton-mismatch naming the box and the SKU, no tracking; a retry with Amazon\'s boxes unchanged still mismatches; the warehouse\'s corrected 945 matches and the tracking goes', async () => {
  const h = await harness({ asn: false });
  try {
    await sent(h);
    drop(h, 'fba-945-short.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }]));
    await pollPartnerFiles(h.ctx, RENO);
    await drain(h);
    const record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'mismatched');
    assert.ok(record.problems.includes(`box ${BOX2}: missing`), record.problems.join('\n'));
    assert.ok(record.problems.includes(`${SKU}: 48 expected, 24 shipped`));
    const [x] = await open(h, 'fba-carton-mismatch');
    assert.equal(x.key, ID);
    assert.equal(record.exceptionId, x.id);
    assert.match(x.message, new RegExp(`box ${BOX2}: missing`));
    assert.equal(x.context.file?.name, 'fba-945-short.edi');
    assert.match(String(x.context.where), /set 945/);
    const findings = (x.context.details as { findings: Array<{ code: string; box?: string }> }).findings;
    assert.ok(findings.some((f) => f.code === 'box-missing' && f.box === BOX2));
    assert.equal(atAmazon(h).tracking, null, 'no tracking for a shipment whose cartons do not match');
    assert.equal((await h.store.work.jobs.list({ kind: 'fba-tracking' })).length, 0);
    assert.equal((await h.store.work.orders.get('acme', ID))?.state, 'partially-shipped');

    const line = await fbaRetries['fba-carton-mismatch']!(h.ctx, x);
    assert.match(line, /still does not match: .*missing/);
    assert.equal((await h.store.work.exceptions.get(x.id))?.count, 2);

    drop(h, 'fba-945-resent.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }], 102));
    await pollPartnerFiles(h.ctx, RENO);
    await drain(h);
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'tracking-accepted');
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
    assert.equal(atAmazon(h).tracking?.kind, 'small-parcel');
  } finally {
    await h.close();
  }
});

test('a wrong SSCC check digit: the 945 is partner-data-rejected at its segment and the FBA shipment is flagged, the finding naming the box and the digit', async () => {
  const h = await harness({ asn: false });
  try {
    await sent(h);
    const bad = `${SSCC2.slice(0, 19)}1`;
    const bytes = Buffer.from(file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]).toString('latin1').replace(`MAN*GM*${SSCC2}`, `MAN*GM*${bad}`), 'latin1');
    drop(h, 'fba-945-badsscc.edi', bytes);
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(run.counts.rejected, 1);
    const [rejected] = await open(h, 'partner-data-rejected');
    assert.match(rejected.message, /sscc/i);
    const [x] = await open(h, 'fba-carton-mismatch');
    assert.equal(x.key, ID);
    assert.match(x.message, new RegExp(`SSCC ${bad} \\(box ${BOX2}\\): check digit should be 6`));
    const record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'mismatched');
    await drain(h);
    assert.equal(atAmazon(h).tracking, null);
  } finally {
    await h.close();
  }
});

test('extra units of a SKU: the box and the total say how many more', async () => {
  const h = await harness({ asn: false });
  try {
    await sent(h);
    drop(h, 'fba-945-extra.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2, quantity: 30 }]));
    await pollPartnerFiles(h.ctx, RENO);
    const record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'mismatched');
    assert.deepEqual(record.problems, [`box ${BOX2}: ${SKU}: 24 expected, 30 shipped`, `${SKU}: 48 expected, 54 shipped`]);
    assert.equal((await open(h, 'fba-carton-mismatch')).length, 1);
  } finally {
    await h.close();
  }
});

test('an LTL shipment by the warehouse\'s 856 (BOL and PRO, no per-carton tracking): Amazon gets the BOL and the freight bill number', async () => {
  const h = await harness();
  try {
    await sent(h);
    drop(h, 'fba-856.edi', file856(h, { bol: 'BOL778812', proNumber: 'PRO55512', carrier: { scac: 'ODFL' } }));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.deepEqual([run.counts.processed, run.failed], [1, 0]);
    await drain(h);
    const record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'tracking-accepted');
    assert.equal(record.shipped?.bol, 'BOL778812');
    const t = atAmazon(h).tracking;
    assert.equal(t?.kind, 'ltl');
    assert.deepEqual(t?.kind === 'ltl' && [t.billOfLadingNumber, t.freightBillNumbers], ['BOL778812', ['PRO55512']]);
    assert.deepEqual(nonConforming(h), []);
    const files = readdirSync(h.partnerDir(ASN_PARTNER, 'outbound'));
    const segs = segments(readFileSync(join(h.partnerDir(ASN_PARTNER, 'outbound'), files[0]), 'latin1'));
    assert.deepEqual(segs.filter((s) => s[0] === 'REF' && (s[1] === 'BM' || s[1] === 'CN')).map((s) => s[2]), ['BOL778812', 'PRO55512']);
  } finally {
    await h.close();
  }
});

test('a refused tracking: Amazon answers 400 (the shipment is closed there): tracking-refused, amazon-refused, the job dead', async () => {
  const h = await harness({ asn: false });
  try {
    await sent(h);
    h.emulator.setInboundShipmentStatus('acme', ID, 'CLOSED');
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    await pollPartnerFiles(h.ctx, RENO);
    const results = await drain(h);
    assert.deepEqual(results.filter((r) => r.kind === 'fba-tracking').map((r) => r.outcome), ['dead']);
    const record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'tracking-refused');
    assert.match(record.problems.at(-1) ?? '', /Amazon refused the tracking/);
    const [x] = await open(h, 'amazon-refused');
    assert.equal(x.key, ID);
    assert.equal(trackingCalls(h).length, 1, 'a 4xx is not retried');
    assert.deepEqual(nonConforming(h), []);
    // Re-opened at Amazon: `exceptions retry` sends the same tracking again, and Amazon takes it.
    h.emulator.setInboundShipmentStatus('acme', ID, 'READY_TO_SHIP');
    assert.match(await fbaRetries['amazon-refused']!(h.ctx, x), /tracking goes to Amazon again/);
    await drain(h);
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'tracking-accepted');
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
    assert.equal(atAmazon(h).tracking?.kind, 'small-parcel');
  } finally {
    await h.close();
  }
});

test('crash-safe tracking: a re-run of a job whose state change committed sends nothing; one whose commit was lost sends the same set again, which Amazon\'s PUT replaces with itself', async () => {
  const h = await harness({ asn: false });
  try {
    await sent(h);
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    await pollPartnerFiles(h.ctx, RENO);
    // The same advice again (another file: a resend) queues no second job: the key is the shipment and its tracking set.
    drop(h, 'fba-945-again.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }], 102));
    await pollPartnerFiles(h.ctx, RENO);
    const jobs = await h.store.work.jobs.list({ kind: 'fba-tracking' });
    assert.equal(jobs.length, 1);
    const job = jobs[0];
    const handler = jobHandlers['fba-tracking']!;
    await handler(job, h.ctx);
    assert.equal(atAmazon(h).tracking?.updates, 1);
    // The worker died before marking the job done: the lease runs out, the job runs again.
    await handler(job, h.ctx);
    assert.equal(atAmazon(h).tracking?.updates, 1, 'no second call: the record says Amazon has it');
    assert.equal(trackingCalls(h).length, 1);
    // Amazon accepted but our commit was lost (the record still says shipped): the same set goes again.
    const record = (await h.store.work.fba.get('acme', ID))!;
    await h.store.work.fba.put({ ...record, state: 'shipped', trackingAt: null });
    const before = structuredClone(atAmazon(h).tracking);
    await handler(job, h.ctx);
    const after = atAmazon(h).tracking;
    assert.equal(after?.updates, 2);
    assert.deepEqual(after?.kind === 'small-parcel' && after.boxes, before?.kind === 'small-parcel' && before.boxes, 'the same tracking, replaced by itself');
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'tracking-accepted');
  } finally {
    await h.close();
  }
});

const CASCADE = 'cascade-csv';
/** Cascade's shipments CSV for the FBA shipment: one row per carton (its FBA label scanned as the LPN). */
const csv = (rows: Array<{ box: string; sscc: string; tracking: string }>) =>
  Buffer.from(
    `OrderNumber,ShipmentNumber,ShipDate,Carrier,Service,TrackingNumber,PackageWeightLb,LPN,SSCC,Item,QtyOrdered,QtyShipped,OrderItemId,ShortReason\n${rows
      .map((r) => `${ID},CS-9001,11/24/2026 16:40,UPSN,GND,${r.tracking},16.8,${r.box},${r.sscc},${ITEM},48,24,,`)
      .join('\n')}\n`,
  );

test('a CSV warehouse: the shipments CSV of an FBA shipment gives per-box tracking by the LPN; one with a bad SSCC is partner-data-rejected and flags the shipment naming the box', async () => {
  const h = await harness({ asn: false });
  try {
    await sent(h, CASCADE);
    const dropCsv = (name: string, bytes: Buffer) => writeFileSync(join(h.partnerDir(CASCADE, 'inbound'), name), bytes);
    const bad = `${SSCC1.slice(0, 19)}3`;
    dropCsv('fba-bad.csv', csv([{ box: BOX1, sscc: bad, tracking: '1Z4A5B6C0300000001' }, { box: BOX2, sscc: SSCC2, tracking: '1Z4A5B6C0300000002' }]));
    const run = await pollPartnerFiles(h.ctx, CASCADE);
    assert.equal(run.counts.rejected, 1);
    assert.equal((await open(h, 'partner-data-rejected')).length, 1);
    const [x] = await open(h, 'fba-carton-mismatch');
    assert.match(x?.message ?? '', new RegExp(`SSCC ${bad} \\(box ${BOX1}\\): check digit should be 0`));
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'mismatched');

    dropCsv('fba-good.csv', csv([{ box: BOX1, sscc: SSCC1, tracking: '1Z4A5B6C0300000001' }, { box: BOX2, sscc: SSCC2, tracking: '1Z4A5B6C0300000002' }]));
    await pollPartnerFiles(h.ctx, CASCADE);
    await drain(h);
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'tracking-accepted');
    const t = atAmazon(h).tracking;
    assert.deepEqual(t?.kind === 'small-parcel' && t.boxes, [{ boxId: BOX1, trackingId: '1Z4A5B6C0300000001' }, { boxId: BOX2, trackingId: '1Z4A5B6C0300000002' }]);
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
    assert.deepEqual(nonConforming(h), []);
  } finally {
    await h.close();
  }
});

test('an ASN partner that takes no 856 from us (reno-wms: documents.inbound-asn direction in) is a mapping-problem naming fba.asn.partner; the tracking goes all the same', async () => {
  const h = await harness({ asn: RENO });
  try {
    await sent(h);
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    await pollPartnerFiles(h.ctx, RENO);
    await drain(h);
    const [x] = await open(h, 'mapping-problem');
    assert.equal(x?.key, `${ID} asn`);
    assert.equal(x.context.mappingKey, 'fba.asn.partner');
    assert.match(x.message, /direction: out/);
    const record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.asnMessageId, null);
    assert.equal(record.state, 'tracking-accepted');
  } finally {
    await h.close();
  }
});

test('an 856 for an FBA shipment this gateway did not send: fba-shipment-problem, the document held, nothing told to Amazon', async () => {
  const h = await harness({ asn: false });
  try {
    drop(h, 'fba-856.edi', file856(h, { bol: 'BOL1', proNumber: 'PRO1' }));
    const run = await pollPartnerFiles(h.ctx, RENO);
    assert.equal(run.counts.held, 1);
    const [x] = await open(h, 'fba-shipment-problem');
    assert.equal(x?.key, ID);
    await drain(h);
    assert.equal(trackingCalls(h).length, 0);
  } finally {
    await h.close();
  }
});

test('the retry reads Amazon\'s boxes again: boxes corrected on Amazon after the send (the record held a stale box list) make the shipped cartons match, and the tracking goes', async () => {
  const h = await harness({ asn: false });
  try {
    const record = await sent(h);
    // What Amazon said when the shipment was sent: one box of 48 (the seller re-packed into two since).
    await h.store.work.fba.put({ ...record, boxes: [{ boxId: BOX1, sscc: SSCC1, items: [{ msku: SKU, quantity: 48 }] }] });
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    await pollPartnerFiles(h.ctx, RENO);
    const [x] = await open(h, 'fba-carton-mismatch');
    assert.ok((await h.store.work.fba.get('acme', ID))?.problems.includes(`box ${BOX2}: not one of Amazon's boxes for ${ID}`));
    const line = await fbaRetries['fba-carton-mismatch']!(h.ctx, x);
    assert.match(line, /now matches Amazon's boxes: tracking queued/);
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved');
    await drain(h);
    const after = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(after.state, 'tracking-accepted');
    assert.deepEqual(after.boxes.map((b) => b.boxId), [BOX1, BOX2]);
    assert.equal(atAmazon(h).tracking?.kind, 'small-parcel');
  } finally {
    await h.close();
  }
});

test('end to end with the send side: sent by `fba send` (the 940 delivered), shipped by the warehouse\'s 945, tracking at Amazon, the ASN delivered', async () => {
  const h = await harness();
  try {
    const sentNow = await sendFbaShipment(h.ctx, 'acme', ID);
    assert.equal(sentNow.outcome, 'sent', sentNow.message);
    await drain(h);
    const record = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(record.state, 'sent');
    assert.deepEqual(record.boxes.map((b) => b.boxId), [BOX1, BOX2]);
    assert.ok(await h.store.work.orders.get('acme', ID), 'the ship order is an order record');
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    await pollPartnerFiles(h.ctx, RENO);
    await drain(h);
    const after = (await h.store.work.fba.get('acme', ID))!;
    assert.equal(after.state, 'tracking-accepted', after.problems.join('; '));
    assert.equal(atAmazon(h).tracking?.kind, 'small-parcel');
    assert.equal((await h.store.work.orders.get('acme', ID))?.state, 'confirmed');
    assert.equal(readdirSync(h.partnerDir(ASN_PARTNER, 'outbound')).length, 1);
    assert.deepEqual(nonConforming(h), []);
  } finally {
    await h.close();
  }
});

test('a cancelled FBA shipment shipped anyway: fba-shipment-problem, no tracking', async () => {
  const h = await harness({ asn: false });
  try {
    const record = await sent(h);
    await h.store.work.fba.put({ ...record, state: 'cancelled' });
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    await pollPartnerFiles(h.ctx, RENO);
    await drain(h);
    const [x] = await open(h, 'fba-shipment-problem');
    assert.match(x?.message ?? '', /cancelled and reno-wms shipped it anyway/);
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'cancelled');
    assert.equal(trackingCalls(h).length, 0);
  } finally {
    await h.close();
  }
});

test('an 856 without per-carton tracking or a PRO from a warehouse that also sends 945s waits for the 945, which brings the tracking; a tracking that never comes is an fba-shipment-problem after a day', async () => {
  const h = await harness({ asn: false });
  try {
    await sent(h);
    drop(h, 'fba-856.edi', file856(h, {}));
    await pollPartnerFiles(h.ctx, RENO);
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'shipped');
    assert.deepEqual(await open(h, 'fba-shipment-problem'), [], 'the 945 that carries the tracking may follow the 856: nothing to report yet');
    // Within the day: nothing; past it, with no tracking: the problem, naming the shipment.
    const check = checks.find((c) => c.flow === 'fba-tracking-overdue')!;
    const shippedAt = Date.parse((await h.store.work.fba.get('acme', ID))!.shippedAt!);
    h.clock.set(new Date(shippedAt + TRACKING_WAIT_MS - 60_000).toISOString());
    await check.run(h.ctx);
    assert.deepEqual(await open(h, 'fba-shipment-problem'), []);
    h.clock.advance(120_000);
    assert.equal((await check.run(h.ctx)).counts.raised, 1);
    const [x] = await open(h, 'fba-shipment-problem');
    assert.match(x?.message ?? '', new RegExp(`${ID} shipped at .* no tracking has come`));
    drop(h, 'fba-945.edi', file945(h, [{ boxId: BOX1, sscc: SSCC1 }, { boxId: BOX2, sscc: SSCC2 }]));
    await pollPartnerFiles(h.ctx, RENO);
    await drain(h);
    assert.equal((await h.store.work.fba.get('acme', ID))?.state, 'tracking-accepted');
    assert.equal((await h.store.work.exceptions.get(x.id))?.state, 'resolved', 'the tracking resolves it');
    assert.equal((await check.run(h.ctx)).counts.raised, 0);
  } finally {
    await h.close();
  }
});
