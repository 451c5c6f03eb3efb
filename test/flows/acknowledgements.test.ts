/**
 * The acknowledgement checks over real parts: orders from the emulator through the orders flow
 * into 940s delivered by the outbox to the partner's directory; no 997 within the partner's
 * acks.withinMinutes (the TestClock moved) -> overdue with an exception, resolved by a late
 * 997; a delivered file left on the server -> not-picked-up, X12 and CSV alike, picked-up once
 * gone; resend of a ship-order file (and of what cannot be resent).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkNotPickedUp, checkOverdue, resendMessage, ResendRefusedError, retries } from '../../src/flows/acknowledgements.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { handlers } from '../../src/flows/outbox-delivery.ts';
import type { MessageRow } from '../../src/store/store.ts';
import { readReceivedX12, settleAcknowledgements } from '../../src/tracking/acknowledgements.ts';
import type { OutboundSegment } from '../../src/x12/outbound.ts';
import { sendInterchange } from '../../src/x12/writer.ts';
import { MAPPINGS, startHarness, TestClock, type Harness, type HarnessOptions } from './harness.ts';

const RENO = 'reno-wms';
const MINUTE = 60_000;

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  return startHarness({ ...options, clock, emulator: { clock, ...options.emulator } });
}

async function drain(h: Harness): Promise<number> {
  const owner = 'test-worker';
  const now = h.clock.now().toISOString();
  const jobs = await h.store.work.jobs.claim({ owner, now, leaseMs: 60_000, limit: 100, kinds: ['deliver-file'] });
  for (const job of jobs) {
    await handlers['deliver-file']!(job, h.ctx);
    await h.store.work.jobs.complete(job.id, owner, now);
  }
  return jobs.length;
}

const children = (h: Harness, id: number, kind: MessageRow['kind']) => h.store.trace(id)!.children.filter((c) => c.kind === kind);

/** The ship-order files the orders flow queued for acme, delivered; each with its groups. */
async function ordersDelivered(h: Harness) {
  const run = await pollOrders(h.ctx, 'acme');
  assert.ok((run.counts.queued ?? 0) > 0, JSON.stringify(run));
  assert.ok((await drain(h)) > 0);
  const files = h.store.list({ kind: 'file' }).filter((m) => m.direction === 'out' && m.partner === RENO);
  return files.map((f) => ({ file: f, groups: children(h, f.id, 'interchange').flatMap((ic) => children(h, ic.id, 'group')) }));
}

let partnerControl = 700;
/** The partner's 997 accepting every set of a group we sent. */
function acceptingAck(h: Harness, group: MessageRow): Buffer {
  const sets = children(h, group.id, 'set');
  const body: OutboundSegment[] = [{ id: 'AK1', elements: ['OW', group.control!] }];
  for (const s of sets) body.push({ id: 'AK2', elements: ['940', s.control!] }, { id: 'AK5', elements: ['A'] });
  body.push({ id: 'AK9', elements: ['A', String(sets.length), String(sets.length), String(sets.length)] });
  return sendInterchange(
    { sender: { qualifier: 'ZZ', id: 'RENOWMS' }, receiver: { qualifier: 'ZZ', id: 'ACME3PL' }, version: '00401', usage: 'T', groups: [{ functionalId: 'FA', senderId: 'RENOWMS', receiverId: 'ACME3PL', version: '004010', sets: [{ id: '997', segments: body }] }] },
    { partner: 'partner-side', controlNumbers: { next: () => ++partnerControl }, now: h.clock.now() },
  ).bytes;
}

async function receiveAck(h: Harness, name: string, bytes: Buffer): Promise<string[]> {
  const r = await readReceivedX12(h.store, RENO, name, await h.store.blobs.putBuffer(bytes));
  return settleAcknowledgements(h.ctx, RENO, r.acks, r.ta1s);
}

test('no 997 within acks.withinMinutes: the group is overdue with an ack-overdue exception naming the file, orders and due time; a late 997 settles it and resolves the exception', async () => {
  const h = await harness();
  try {
    const [{ file, groups }] = await ordersDelivered(h);
    const group = groups[0];
    const due = (await h.store.work.messages.axes(group.id))!.ackDueAt!;
    assert.equal(due, '2026-11-25T01:00:00.000Z', 'reno-wms: acks within 60 minutes of delivery');

    h.clock.advance(59 * MINUTE);
    assert.equal((await checkOverdue(h.ctx)).counts.overdue, 0, 'not yet due');
    h.clock.advance(2 * MINUTE);
    const run = await checkOverdue(h.ctx);
    assert.deepEqual([run.counts.exceptions, run.failed], [1, 0]);
    assert.equal((await h.store.work.messages.axes(group.id))!.acknowledgement, 'overdue');
    assert.equal((await h.store.work.messages.axes(file.id))!.acknowledgement, 'overdue');
    const [x] = await h.store.work.exceptions.list({ kind: 'ack-overdue', states: ['open'] });
    assert.equal(x.partner, RENO);
    assert.equal(x.seller, 'acme');
    assert.deepEqual(x.context.file, { name: file.fileName, messageId: file.id });
    assert.equal(x.context.details?.dueAt, due);
    const orders = (await h.store.work.orders.byFileMessage(file.id)).map((o) => o.orderId).sort();
    assert.deepEqual([...(x.context.details?.orders as string[])].sort(), orders);
    assert.ok(h.logs.some((l) => l.event === 'ack.overdue' && l.file === file.fileName));
    // Checked again: not raised twice.
    assert.equal((await checkOverdue(h.ctx)).counts.overdue, 0);
    assert.equal((await h.store.work.exceptions.get(x.id))!.count, 1);

    h.clock.advance(30 * MINUTE);
    await receiveAck(h, '997-late.edi', acceptingAck(h, group));
    assert.equal((await h.store.work.messages.axes(group.id))!.acknowledgement, 'accepted');
    assert.equal((await h.store.work.messages.axes(file.id))!.acknowledgement, 'accepted');
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
    for (const id of orders) assert.equal((await h.store.work.orders.get('acme', id))!.state, 'acknowledged');
  } finally {
    await h.close();
  }
});

test('a delivered 940 still in the partner directory after the window is not-picked-up; once the partner takes it, picked-up and the exception resolved', async () => {
  const h = await harness();
  try {
    const [{ file }] = await ordersDelivered(h);
    const path = join(h.partnerDir(RENO, 'outbound'), file.fileName!);
    assert.deepEqual((await checkNotPickedUp(h.ctx, RENO)).counts.notPickedUp, 0, 'within the window');
    h.clock.advance(61 * MINUTE);
    const run = await checkNotPickedUp(h.ctx, RENO);
    assert.deepEqual([run.counts.notPickedUp, run.failed], [1, 0]);
    assert.equal((await h.store.work.messages.axes(file.id))!.delivery, 'not-picked-up');
    const [x] = await h.store.work.exceptions.list({ kind: 'not-picked-up', states: ['open'] });
    assert.deepEqual([x.partner, x.key, x.context.file?.messageId], [RENO, file.fileName, file.id]);
    // Seen again while it is still there: the same exception, not a new one.
    await checkNotPickedUp(h.ctx, RENO);
    assert.equal((await h.store.work.exceptions.list({ kind: 'not-picked-up' })).length, 1);

    unlinkSync(path);
    const later = await checkNotPickedUp(h.ctx, RENO);
    assert.equal(later.counts.pickedUp, 1);
    assert.equal((await h.store.work.messages.axes(file.id))!.delivery, 'picked-up');
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
  } finally {
    await h.close();
  }
});

test('a file the partner answered is picked up even when its WMS leaves it in the directory', async () => {
  const h = await harness();
  try {
    const [{ file, groups }] = await ordersDelivered(h);
    await receiveAck(h, '997-ok.edi', acceptingAck(h, groups[0]));
    h.clock.advance(120 * MINUTE);
    const run = await checkNotPickedUp(h.ctx, RENO);
    assert.deepEqual([run.counts.pickedUp, run.counts.notPickedUp], [1, 0]);
    assert.ok(readdirSync(h.partnerDir(RENO, 'outbound')).includes(file.fileName!));
    assert.equal((await h.store.work.messages.axes(file.id))!.delivery, 'picked-up');
  } finally {
    await h.close();
  }
});

test('a flat-file partner: a CSV still on its server after notPickedUpMinutes is not-picked-up', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const seller = join(dir, 'sellers/acme.yaml');
  writeFileSync(seller, readFileSync(seller, 'utf8').replace(/^warehouse: .*$/m, 'warehouse: cascade-csv'));
  const h = await harness({ mappingsDir: dir, settings: { notPickedUpMinutes: 15 } });
  try {
    await pollOrders(h.ctx, 'acme');
    assert.ok((await drain(h)) > 0);
    const [name] = readdirSync(h.partnerDir('cascade-csv', 'outbound')).filter((n) => n.endsWith('.csv'));
    h.clock.advance(14 * MINUTE);
    assert.equal((await checkNotPickedUp(h.ctx, 'cascade-csv')).counts.notPickedUp, 0);
    h.clock.advance(2 * MINUTE);
    assert.equal((await checkNotPickedUp(h.ctx, 'cascade-csv')).counts.notPickedUp, 1);
    const [x] = await h.store.work.exceptions.list({ kind: 'not-picked-up', partner: 'cascade-csv', states: ['open'] });
    assert.equal(x.key, name);
    assert.match(x.message, /still in/);
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('resend: a ship-order file goes again under new control numbers (also as the retry of its ack-rejected exception); other messages are refused with the reason', async () => {
  const h = await harness();
  try {
    const [{ file, groups }] = await ordersDelivered(h);
    const line = await resendMessage(h.ctx, groups[0].id);
    assert.match(line, /sent again/);
    const out = h.store.list({ kind: 'file' }).filter((m) => m.direction === 'out' && m.partner === RENO);
    assert.equal(out.length, 2);
    const again = out.find((m) => m.id !== file.id)!;
    const [g1, g2] = [groups[0], children(h, children(h, again.id, 'interchange')[0].id, 'group')[0]];
    assert.notEqual(g1.control, g2.control, 'new control numbers');

    // A received file, and our own 997, cannot be resent.
    const r = await readReceivedX12(h.store, RENO, '997-in.edi', await h.store.blobs.putBuffer(acceptingAck(h, g2)));
    await assert.rejects(resendMessage(h.ctx, r.messageId), (e: unknown) => e instanceof ResendRefusedError && /only what we sent/.test(e.message));
    await assert.rejects(resendMessage(h.ctx, 999_999), ResendRefusedError);

    // The retry of an ack-rejected exception resends its file and resolves it.
    const x = await h.store.work.exceptions.raise({ kind: 'ack-rejected', partner: RENO, key: 'test', message: 'rejected', context: { file: { name: again.fileName!, messageId: again.id } }, now: h.clock.now().toISOString() });
    assert.match(await retries['ack-rejected']!(h.ctx, x), /sent again/);
    assert.equal((await h.store.work.exceptions.get(x.id))!.state, 'resolved');
    assert.equal(h.store.list({ kind: 'file' }).filter((m) => m.direction === 'out' && m.partner === RENO).length, 3);
  } finally {
    await h.close();
  }
});
