/**
 * Retention for everything the gateway's flows store: outbound files completed by their
 * delivery or acknowledgement, received files completed when processed, the canonical order
 * documents (with the buyer's address) of orders in a final state, and outbox jobs done long
 * ago. All times come from the test (the flows' clock), none from the system clock.
 */
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import type { FileRecord } from '../../src/store/store.ts';
import type { GatewayStore, OrderRecord, OrderState, Work } from '../../src/store/work.ts';

const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (ms = 0) => new Date(T0 + ms).toISOString();
const dataDir = () => join(mkdtempSync(join(tmpdir(), 'dockgate-work-retention-')), 'data');

async function file(store: GatewayStore, w: Work, direction: 'in' | 'out', name: string, containsPii: boolean): Promise<{ id: number; sha256: string }> {
  const blob = await store.blobs.putBuffer(Buffer.from(`${direction} ${name}: N1*ST*JANE BUYER~N3*1 MAIN ST~`));
  const record: FileRecord = { direction, partner: 'acme-3pl', fileName: name, sha256: blob.sha256, size: blob.size, status: direction === 'out' ? 'queued' : 'received', containsPii, children: [] };
  return { id: await w.messages.recordFile(record), sha256: blob.sha256 };
}

function order(orderId: string, state: OrderState, documentSha256: string, updatedAt: string): OrderRecord {
  return {
    seller: 'acme',
    orderId,
    marketplaceId: 'ATVPDKIKX0DER',
    partner: 'acme-3pl',
    state,
    amazonUpdatedAt: at(),
    amazonStatus: 'Unshipped',
    shipBy: null,
    documentSha256,
    addressHash: 'h',
    lines: [{ lineNumber: 1, sellerSku: 'SKU-1', ordered: 1, shipped: 0 }],
    revision: 1,
    heldBy: null,
    createdAt: at(),
    updatedAt,
  };
}

test('outbound files completed by delivery or acknowledgement and received files completed when processed are purged after the period; open ones stay', async () => {
  const store = openStore({ dataDir: dataDir(), retentionDays: 30 });
  try {
    const ids = await store.transaction(async (w) => {
      // A flat-file partner: complete once delivered.
      const delivered = await file(store, w, 'out', 'orders-1.csv', true);
      await w.messages.setValidation(delivered.id, 'valid', at());
      await w.messages.setDelivery(delivered.id, 'pending', at());
      // An X12 partner that acknowledges: complete when the 997 answered.
      const acknowledged = await file(store, w, 'out', '940-1.edi', true);
      // Still waiting for its 997: not complete, kept whatever its age.
      const awaiting = await file(store, w, 'out', '940-2.edi', true);
      const processed = await file(store, w, 'in', '945-1.edi', true);
      const unprocessed = await file(store, w, 'in', '945-2.edi', true);
      const noBuyerData = await file(store, w, 'in', '846-1.edi', false);
      return { delivered, acknowledged, awaiting, processed, unprocessed, noBuyerData };
    });
    await store.transaction(async (w) => {
      await w.messages.setDelivery(ids.delivered.id, 'delivered', at(DAY), 'put to /in');
      await w.messages.setStatus(ids.delivered.id, 'delivered', 'put to /in', true, at(DAY));
      await w.messages.setDelivery(ids.acknowledged.id, 'delivered', at(DAY));
      await w.messages.setStatus(ids.acknowledged.id, 'acknowledged', '997 accepted every group', true, at(2 * DAY));
      await w.messages.setDelivery(ids.awaiting.id, 'delivered', at(DAY));
      await w.messages.setAcknowledgement(ids.awaiting.id, 'awaiting', at(DAY), undefined, at(DAY + 3_600_000));
      await w.messages.setStatus(ids.processed.id, 'processed', 'one shipment advice', true, at(DAY));
      await w.messages.setStatus(ids.noBuyerData.id, 'processed', 'one inventory snapshot', true, at(DAY));
    });

    const early = await store.purgeExpired(new Date(T0 + 30 * DAY), { dryRun: true });
    assert.deepEqual(early.files, [], 'nothing is 30 days past completion yet');

    const preview = await store.purgeExpired(new Date(T0 + 33 * DAY), { dryRun: true });
    const expected = [ids.delivered.id, ids.processed.id, ids.acknowledged.id];
    assert.deepEqual(preview.files.map((f) => f.id), expected, 'oldest completion first');
    for (const id of expected) assert.ok(store.blobs.has(store.get(id)!.blobSha256!), 'a dry run deletes nothing');

    const purged = await store.purgeExpired(new Date(T0 + 33 * DAY));
    assert.deepEqual(purged.files.map((f) => f.id), expected);
    for (const id of expected) {
      assert.ok(store.get(id)!.purgedAt, `message ${id} marked purged`);
      assert.equal(store.blobs.has(store.get(id)!.blobSha256!), false, `message ${id}'s bytes deleted`);
    }
    for (const kept of [ids.awaiting, ids.unprocessed, ids.noBuyerData]) {
      assert.equal(store.get(kept.id)!.purgedAt, null);
      assert.ok(store.blobs.has(kept.sha256), `${store.get(kept.id)!.fileName} kept`);
    }
    assert.equal((await store.work.messages.axes(ids.delivered.id))!.delivery, 'delivered', 'its tracking stays');
  } finally {
    await store.close();
  }
});

test('jobs done before the cutoff are deleted; recent, pending and dead ones stay', async () => {
  const store = openStore({ dataDir: dataDir(), retentionDays: 30 });
  try {
    const jobs = store.work.jobs;
    const make = async (key: string) => (await jobs.enqueue({ kind: 'deliver-file', key, payload: {} }, at())).job.id;
    const old = await make('old');
    const recent = await make('recent');
    const dead = await make('dead');
    const pending = await make('pending');
    for (const j of await jobs.claim({ owner: 'w', now: at(), leaseMs: 60_000, limit: 3 })) {
      if (j.id === old) await jobs.complete(j.id, 'w', at(DAY));
      if (j.id === recent) await jobs.complete(j.id, 'w', at(20 * DAY));
      if (j.id === dead) await jobs.fail(j.id, 'w', 'HTTP 400', at(DAY));
    }
    const dry = await store.purgeExpired(new Date(T0 + 40 * DAY), { dryRun: true });
    assert.equal(dry.doneJobs, 1);
    assert.ok(await jobs.get(old), 'a dry run deletes nothing');
    const r = await store.purgeExpired(new Date(T0 + 40 * DAY));
    assert.equal(r.doneJobs, 1);
    assert.equal(await jobs.get(old), null, 'done 39 days ago: deleted');
    assert.ok(await jobs.get(recent), 'done 20 days ago: kept');
    assert.equal((await jobs.get(dead))!.state, 'dead', 'dead jobs wait for a person');
    assert.equal((await jobs.get(pending))!.state, 'pending');
    assert.equal((await store.purgeExpired(new Date(T0 + 40 * DAY))).doneJobs, undefined, 'nothing more to delete');
  } finally {
    await store.close();
  }
});

test('order documents of orders final before the cutoff are purged; open or recently final orders keep theirs', async () => {
  const store = openStore({ dataDir: dataDir(), retentionDays: 30 });
  try {
    const doc = async (text: string) => (await store.blobs.putBuffer(Buffer.from(JSON.stringify({ shipTo: { name: text, line1: '1 Main St' } })))).sha256;
    const docs = {
      confirmed: await doc('A'),
      cancelled: await doc('B'),
      cancelSent: await doc('C'),
      recentConfirmed: await doc('D'),
      oldButOpen: await doc('E'),
      shared: await doc('F'),
    };
    await store.transaction(async (w) => {
      await w.orders.put(order('111-confirmed', 'confirmed', docs.confirmed, at(DAY)));
      await w.orders.put(order('222-cancelled', 'cancelled', docs.cancelled, at(DAY)));
      await w.orders.put(order('333-cancel-sent', 'cancel-sent', docs.cancelSent, at(DAY)));
      await w.orders.put(order('444-recent', 'confirmed', docs.recentConfirmed, at(25 * DAY)));
      await w.orders.put(order('555-open', 'delivered', docs.oldButOpen, at(DAY)));
      // Two orders with the same bytes: one final long ago, one still open: the bytes stay.
      await w.orders.put(order('666-a', 'confirmed', docs.shared, at(DAY)));
      await w.orders.put(order('666-b', 'shipped', docs.shared, at(DAY)));
    });
    const now = new Date(T0 + 40 * DAY);
    const dry = await store.purgeExpired(now, { dryRun: true });
    assert.deepEqual(dry.orderDocuments?.map((d) => d.orderId).sort(), ['111-confirmed', '222-cancelled', '333-cancel-sent']);
    assert.ok(store.blobs.has(docs.confirmed), 'a dry run deletes nothing');

    const r = await store.purgeExpired(now);
    assert.deepEqual(r.orderDocuments?.map((d) => d.orderId).sort(), ['111-confirmed', '222-cancelled', '333-cancel-sent']);
    for (const sha of [docs.confirmed, docs.cancelled, docs.cancelSent]) {
      assert.equal(store.blobs.has(sha), false);
      assert.ok(r.blobs.includes(sha));
    }
    for (const sha of [docs.recentConfirmed, docs.oldButOpen, docs.shared]) assert.ok(store.blobs.has(sha), 'kept');
    assert.equal((await store.purgeExpired(now)).orderDocuments, undefined, 'gone once, not listed again');
    assert.equal((await store.work.orders.get('acme', '111-confirmed'))?.state, 'confirmed', 'the order row stays');
  } finally {
    await store.close();
  }
});

test('a store without the orders table (a database from before migration 0004) purges as before', async () => {
  const dir = dataDir();
  openStore({ dataDir: dir }).close();
  const db = new Database(join(dir, 'dockgate.sqlite'));
  db.exec('DROP TABLE order_revisions; DROP TABLE orders;');
  db.close();
  const store = openStore({ dataDir: dir, retentionDays: 30 });
  try {
    const r = await store.purgeExpired(new Date(T0 + 40 * DAY));
    assert.deepEqual(r, { dryRun: false, cutoff: at(10 * DAY), files: [], blobs: [] });
  } finally {
    await store.close();
  }
});
