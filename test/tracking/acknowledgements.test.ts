/**
 * Receive-and-track over real parts (test/flows/harness.ts): a received 945 recorded and
 * answered with our 997 through the outbox (delivered by the deliver-file handler), an invalid
 * 945 answered with its errors, the same file read twice answered once, and the partner's
 * 997 / TA1 settling the groups, sets and orders of a 940 we sent.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { handlers } from '../../src/flows/outbox-delivery.ts';
import { translator, writePartner } from '../../src/mapping/translate.ts';
import type { ShipOrder } from '../../src/model/index.ts';
import { sentNodes } from '../../src/store/envelope-nodes.ts';
import type { OrderRecord } from '../../src/store/work.ts';
import { answerReceivedGroups, readReceivedX12, settleAcknowledgements } from '../../src/tracking/acknowledgements.ts';
import { queueOutboundFile } from '../../src/flows/outbox-delivery.ts';
import { parseAcknowledgement } from '../../src/x12/ack/index.ts';
import { readX12 } from '../../src/x12/reader.ts';
import { validateFile } from '../../src/x12/validate-file.ts';
import { sendInterchange } from '../../src/x12/writer.ts';
import type { OutboundSegment } from '../../src/x12/outbound.ts';
import { root, startHarness, type Harness } from '../flows/harness.ts';

const PARTNER = 'reno-wms';
const sample = (name: string) => readFileSync(join(root, 'samples/x12', name));

let h: Harness;
before(async () => {
  h = await startHarness();
});
after(async () => {
  await h?.close();
});

/** A file the partner put in its directory, taken: bytes in the blob store, then read as the inbound flow does. */
async function receive(name: string, bytes: Buffer) {
  const blob = await h.store.blobs.putBuffer(bytes);
  const read = await readReceivedX12(h.store, PARTNER, name, blob);
  return { ...read, file: { messageId: read.messageId, partner: PARTNER, name, sha256: blob.sha256, size: blob.size } };
}

/** Run the deliver-file jobs that are ready, as the outbox worker does. */
async function deliverReady(): Promise<number> {
  const jobs = await h.store.work.jobs.claim({ owner: h.ctx.instanceId, now: h.clock.now().toISOString(), leaseMs: 60_000, limit: 10, kinds: ['deliver-file'] });
  for (const job of jobs) {
    await handlers['deliver-file']!(job, h.ctx);
    await h.store.work.jobs.complete(job.id, h.ctx.instanceId, h.clock.now().toISOString());
  }
  return jobs.length;
}

/** The sets of the 997s in a file we queued. */
async function acksIn(bytes: Buffer) {
  const out = [];
  for await (const e of readX12(bytes)) if (e.type === 'set' && (e.set.id === '997' || e.set.id === '999')) out.push(parseAcknowledgement(e.set));
  return out;
}

let partnerControl = 500;
/** What the partner's WMS sends: its own interchange, RENOWMS to ACME3PL, with its own control numbers. */
function fromPartner(functionalId: string, sets: Array<{ id: string; segments: OutboundSegment[] }>): Buffer {
  const source = { next: () => ++partnerControl };
  return sendInterchange(
    { sender: { qualifier: 'ZZ', id: 'RENOWMS' }, receiver: { qualifier: 'ZZ', id: 'ACME3PL' }, version: '00401', usage: 'T', groups: [{ functionalId, senderId: 'RENOWMS', receiverId: 'ACME3PL', version: '004010', sets }] },
    { partner: 'partner-side', controlNumbers: source, now: h.clock.now() },
  ).bytes;
}

/** A 940 we sent (two orders, one set each), queued with its orders as the orders flow does, and delivered. */
async function send940(): Promise<{ fileId: number; group: string; sets: Array<{ id: number; control: string; orderId: string }> }> {
  const base = (JSON.parse(readFileSync(join(root, 'samples/partners/canonical/ship-orders.json'), 'utf8')) as ShipOrder[])[0];
  const orders: ShipOrder[] = [1, 2].map((n) => ({ ...base, orderId: `113-${String(partnerControl).padStart(7, '0')}-000000${n}`, lines: base.lines.filter((l) => l.sellerSku === 'TSHIRT-RED-M') }));
  const t = translator(h.mappings, PARTNER, 'ship-order');
  const now = h.clock.now().toISOString();
  const fileId = await h.store.transaction(async (w) => {
    const written = writePartner(t, orders, { controlNumbers: h.store.controlNumbers, now: h.clock.now() });
    assert.ok(written.bytes, JSON.stringify(written.documents));
    const name = `reno-wms_940_${Date.now()}_${partnerControl}.edi`;
    const children = sentNodes(await validateFile(written.bytes, { file: name }), 'ready');
    const q = await queueOutboundFile(w, h.ctx, { partner: PARTNER, document: 'ship-order', fileName: name, bytes: written.bytes, containsPii: true, children, awaitsAcknowledgement: true });
    const sets = h.store.trace(h.store.trace(h.store.trace(q.messageId)!.children[0].id)!.children[0].id)!.children;
    assert.equal(sets.length, 2);
    for (const [i, o] of orders.entries()) {
      const record: OrderRecord = {
        seller: o.seller, orderId: o.orderId, marketplaceId: o.marketplaceId, partner: PARTNER, state: 'queued', amazonUpdatedAt: now, amazonStatus: 'Unshipped',
        shipBy: null, documentSha256: 'f'.repeat(64), addressHash: 'a'.repeat(64), lines: [{ lineNumber: 1, sellerSku: 'TSHIRT-RED-M', ordered: 2, shipped: 0 }], revision: 1, heldBy: null, createdAt: now, updatedAt: now,
      };
      await w.orders.put(record);
      await w.orders.addRevision({ seller: o.seller, orderId: o.orderId, revision: 1, purpose: 'new', fileMessageId: q.messageId, setMessageId: sets[i].id, createdAt: now });
    }
    return q.messageId;
  });
  assert.equal(await deliverReady(), 1);
  const group = h.store.trace(h.store.trace(fileId)!.children[0].id)!.children[0];
  const sets = h.store.trace(group.id)!.children.map((s, i) => ({ id: s.id, control: s.control!, orderId: orders[i].orderId }));
  return { fileId, group: group.control!, sets };
}

test('a received 945 is recorded as received, and our 997 accepting it is queued and delivered to the partner', async () => {
  const r = await receive('945-a.edi', sample('acme-945-shipment-advice.edi'));
  const row = h.store.get(r.messageId)!;
  assert.equal(row.status, 'received');
  assert.equal(row.containsPii, true, 'a 945 carries a ship-to name');
  assert.equal(r.duplicate, false);
  assert.equal(r.acks.length, 0);
  assert.equal(h.store.trace(r.messageId)!.children[0].kind, 'interchange');

  assert.equal(await answerReceivedGroups(h.ctx, r.file, r.result), 1);
  const jobs = await h.store.work.jobs.list({ kind: 'deliver-file', partner: PARTNER, state: 'pending' });
  assert.equal(jobs.length, 1);
  assert.equal(await deliverReady(), 1);
  const dir = h.partnerDir(PARTNER, 'outbound');
  const names = readdirSync(dir).filter((n) => n.includes('_997_'));
  assert.equal(names.length, 1, readdirSync(dir).join(', '));
  const bytes = readFileSync(join(dir, names[0]));
  const text = bytes.toString('latin1');
  // Our identity from the partner file's x12.us, to its x12.them.
  assert.match(text, /^ISA\*00\*.{10}\*00\*.{10}\*ZZ\*ACME3PL {8}\*ZZ\*RENOWMS {8}\*/);
  assert.match(text, /GS\*FA\*ACME3PL\*RENOWMS\*/);
  const [ack] = await acksIn(bytes);
  assert.equal(ack.group.control, '77301');
  assert.equal(ack.group.status, 'A');
  assert.deepEqual(ack.sets.map((s) => [s.control, s.status]), [['0001', 'A']]);
  // Valid by the 997's own schema.
  const v = await validateFile(bytes, { file: names[0] });
  assert.deepEqual(v.interchanges.flatMap((ic) => ic.groups.flatMap((g) => g.sets.flatMap((s) => s.diagnostics.filter((d) => d.level === 'error')))), []);
  const ours = h.store.list({ kind: 'file' }).find((m) => m.fileName === names[0])!;
  assert.equal((await h.store.work.messages.axes(ours.id))!.delivery, 'delivered');
  assert.equal((await h.store.work.messages.axes(ours.id))!.acknowledgement, 'not-expected', 'acknowledgements are not acknowledged');
});

test('an invalid 945 gets a 997 rejecting it with the located errors', async () => {
  const r = await receive('945-bad.edi', sample('bad-945.edi'));
  assert.equal(h.store.get(r.messageId)!.status, 'received');
  assert.equal(await answerReceivedGroups(h.ctx, r.file, r.result), 1);
  const job = (await h.store.work.jobs.list({ kind: 'deliver-file', state: 'pending' }))[0];
  const bytes = await h.store.blobs.read(String(job.payload.sha256));
  const [ack] = await acksIn(bytes);
  assert.equal(ack.group.control, '77306');
  assert.equal(ack.group.status, 'R');
  assert.equal(ack.sets[0].status, 'R');
  assert.ok(ack.sets[0].segments.length > 0, 'AK3 segments say where');
  assert.ok(ack.sets[0].segments.some((s) => s.segmentId === 'W06'), JSON.stringify(ack.sets[0].segments));
  await deliverReady();
});

test('the same file read and answered twice (a crash after answering) is recorded once and answered once', async () => {
  const bytes = fromPartner('SW', [{ id: '945', segments: sample('acme-945-shipment-advice.edi').toString('latin1').split('~').map((s) => s.trim()).filter((s) => s && !/^(ISA|GS|ST|SE|GE|IEA)\*/.test(s)).map((s) => { const [id, ...el] = s.split('*'); return { id, elements: el }; }) }]);
  const first = await receive('945-twice.edi', bytes);
  assert.equal(await answerReceivedGroups(h.ctx, first.file, first.result), 1);
  const again = await receive('945-twice.edi', bytes);
  assert.equal(again.messageId, first.messageId);
  assert.equal(again.alreadyRecorded, true);
  assert.equal(again.duplicate, false, 'its own claim does not make it a resend');
  assert.equal(await answerReceivedGroups(h.ctx, again.file, again.result), 0);
  const pending = await h.store.work.jobs.list({ kind: 'deliver-file', state: 'pending' });
  assert.equal(pending.length, 1);
  await deliverReady();
  // The same interchange in another file is a resend: recorded as such.
  const resend = await receive('945-resent.edi', bytes);
  assert.notEqual(resend.messageId, first.messageId);
  assert.equal(resend.duplicate, true);
});

test('a received 997 is not answered: acknowledgements are not acknowledged', async () => {
  const r = await receive('997-nothing.edi', sample('acme-997-from-warehouse.edi'));
  assert.equal(r.acks.length, 1);
  assert.equal(await answerReceivedGroups(h.ctx, r.file, r.result), 0);
  assert.equal((await h.store.work.jobs.list({ kind: 'deliver-file', state: 'pending' })).length, 0);
  assert.equal(h.store.get(r.messageId)!.containsPii, false);
});

test('a 997 accepting our 940 settles its group, sets and orders', async () => {
  const sent = await send940();
  const axes = await h.store.work.messages.axes(h.store.trace(sent.sets[0].id)!.parents[0].id);
  assert.equal(axes!.acknowledgement, 'awaiting');
  const body: OutboundSegment[] = [{ id: 'AK1', elements: ['OW', sent.group] }];
  for (const s of sent.sets) body.push({ id: 'AK2', elements: ['940', s.control] }, { id: 'AK5', elements: ['A'] });
  body.push({ id: 'AK9', elements: ['A', '2', '2', '2'] });
  const r = await receive('997-accept.edi', fromPartner('FA', [{ id: '997', segments: body }]));
  const lines = await settleAcknowledgements(h.ctx, PARTNER, r.acks, r.ta1s);
  assert.ok(lines.includes(`group OW ${sent.group} -> accepted`), lines.join('\n'));
  const groupRow = h.store.trace(sent.sets[0].id)!.parents[0];
  assert.equal(groupRow.status, 'accepted');
  assert.equal((await h.store.work.messages.axes(groupRow.id))!.acknowledgement, 'accepted');
  for (const s of sent.sets) {
    assert.equal((await h.store.work.messages.axes(s.id))!.acknowledgement, 'accepted');
    assert.equal((await h.store.work.orders.get('acme', s.orderId))!.state, 'acknowledged');
  }
  const file = h.store.get(sent.fileId)!;
  assert.equal(file.status, 'acknowledged');
  assert.ok(file.completedAt);
  assert.equal((await h.store.work.messages.axes(sent.fileId))!.acknowledgement, 'accepted');
  assert.equal((await h.store.work.exceptions.list({ kind: 'ack-rejected' })).length, 0);
});

test('a 997 rejecting one set: the set and its order rejected, an ack-rejected exception with the AK3/AK4/AK5 reasons and the order', async () => {
  const sent = await send940();
  const [ok, bad] = sent.sets;
  const body: OutboundSegment[] = [
    { id: 'AK1', elements: ['OW', sent.group] },
    { id: 'AK2', elements: ['940', ok.control] },
    { id: 'AK5', elements: ['A'] },
    { id: 'AK2', elements: ['940', bad.control] },
    { id: 'AK3', elements: ['N4', '6', '', '8'] },
    { id: 'AK4', elements: ['4', '26', '7', 'XX'] },
    { id: 'AK5', elements: ['R', '5'] },
    { id: 'AK9', elements: ['P', '2', '2', '1'] },
  ];
  const r = await receive('997-reject.edi', fromPartner('FA', [{ id: '997', segments: body }]));
  await settleAcknowledgements(h.ctx, PARTNER, r.acks, r.ta1s);
  const groupRow = h.store.trace(ok.id)!.parents[0];
  assert.equal((await h.store.work.messages.axes(groupRow.id))!.acknowledgement, 'partially-accepted');
  assert.equal((await h.store.work.messages.axes(ok.id))!.acknowledgement, 'accepted');
  assert.equal((await h.store.work.messages.axes(bad.id))!.acknowledgement, 'rejected');
  assert.equal((await h.store.work.orders.get('acme', ok.orderId))!.state, 'acknowledged');
  assert.equal((await h.store.work.orders.get('acme', bad.orderId))!.state, 'rejected');
  const xs = await h.store.work.exceptions.list({ kind: 'ack-rejected', states: ['open'] });
  assert.equal(xs.length, 1);
  const x = xs[0];
  assert.equal(x.partner, PARTNER);
  assert.equal(x.seller, 'acme');
  assert.deepEqual(x.refs, [bad.orderId]);
  assert.equal(x.context.file?.messageId, sent.fileId);
  const reasons = (x.context.details?.reasons ?? []) as string[];
  assert.ok(reasons.some((l) => l.startsWith('5 ')), reasons.join('\n'));
  assert.ok(reasons.some((l) => l.startsWith('N4 at 6')), reasons.join('\n'));
  assert.ok(reasons.some((l) => /N404 \(26\): 7 .*'XX'/.test(l)), reasons.join('\n'));
});

test('a TA1 rejecting our interchange rejects every group, set and order in it', async () => {
  const sent = await send940();
  const ic = h.store.trace(sent.fileId)!.children[0];
  const ta1 = sendInterchange(
    { sender: { qualifier: 'ZZ', id: 'RENOWMS' }, receiver: { qualifier: 'ZZ', id: 'ACME3PL' }, version: '00401', usage: 'T', groups: [], service: [{ id: 'TA1', elements: [ic.control!, '261102', '1200', 'R', '006'] }] },
    { partner: 'partner-side', controlNumbers: { next: () => ++partnerControl }, now: h.clock.now() },
  ).bytes;
  const r = await receive('ta1-reject.edi', ta1);
  assert.equal(r.ta1s.length, 1);
  await settleAcknowledgements(h.ctx, PARTNER, r.acks, r.ta1s);
  assert.equal((await h.store.work.messages.axes(ic.id))!.acknowledgement, 'rejected');
  for (const s of sent.sets) assert.equal((await h.store.work.orders.get('acme', s.orderId))!.state, 'rejected');
  const xs = (await h.store.work.exceptions.list({ kind: 'ack-rejected', states: ['open'] })).filter((x) => x.context.file?.messageId === sent.fileId);
  assert.equal(xs.length, 2);
  assert.equal(xs[0].context.details?.acknowledgement, 'TA1');
});
