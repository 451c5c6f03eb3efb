/**
 * The outbox's delivery of files, on real parts (SQLite, the directory transport, the emulator
 * for the orders that make the files): a crash between the committed transaction and the
 * delivery, a final name already holding our bytes (or other bytes), a job run again after its
 * file was delivered, ordering of a cancel behind its order, and a flat-file partner that sends
 * no acknowledgement.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { PermanentError } from '../../src/flows/context.ts';
import { pollOrders } from '../../src/flows/orders-to-warehouse.ts';
import { handlers } from '../../src/flows/outbox-delivery.ts';
import { OutboxWorker } from '../../src/gateway/worker.ts';
import { drainDeliveries, MAPPINGS, startHarness, TestClock, type Harness, type HarnessOptions } from './harness.ts';

const SEATTLE = '112-3456789-1234567';

async function harness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = options.clock ?? new TestClock(Date.parse('2026-11-25T00:00:00Z'));
  return startHarness({ ...options, clock, emulator: { clock, ...options.emulator } });
}

const drain = drainDeliveries;

const listing = (h: Harness, partner = 'reno-wms') => readdirSync(h.partnerDir(partner, 'outbound')).filter((n) => !n.startsWith('.')).sort();

/** The file the orders flow fixed for the Seattle order: its message, name and bytes as recorded. */
async function fixedFile(h: Harness) {
  const [rev] = await h.store.work.orders.revisions('acme', SEATTLE);
  const m = h.store.get(rev.fileMessageId)!;
  return { id: m.id, name: m.fileName!, bytes: await h.store.blobs.read(m.blobSha256!) };
}

test('crash after the transaction committed, before delivery: the next run delivers the same name and bytes, exactly once', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-crash-'));
  try {
    const a = await harness({ dataDir });
    let recorded;
    try {
      await pollOrders(a.ctx, 'acme');
      recorded = await fixedFile(a);
      assert.deepEqual(listing(a), []);
    } finally {
      // The process dies here: the delivery job never ran.
      await a.close();
    }
    const b = await harness({ dataDir, clock: new TestClock(Date.parse('2026-11-25T00:10:00Z')) });
    try {
      // The restarted gateway polls first: the orders are known, nothing new is written.
      const again = await pollOrders(b.ctx, 'acme');
      assert.deepEqual([again.counts.queued ?? 0, again.counts.files ?? 0, again.counts.unchanged], [0, 0, 2]);
      assert.deepEqual(await drain(b), { done: 1, failed: [] });
      assert.deepEqual(listing(b), [recorded.name]);
      assert.ok(readFileSync(join(b.partnerDir('reno-wms', 'outbound'), recorded.name)).equals(recorded.bytes), 'the bytes fixed before the crash');
      assert.deepEqual(await drain(b), { done: 0, failed: [] });
      await pollOrders(b.ctx, 'acme');
      await drain(b);
      assert.deepEqual(listing(b), [recorded.name]);
      assert.equal((await b.store.work.orders.get('acme', SEATTLE))!.state, 'delivered');
      // Control numbers: the restarted store hands out the next one, never the crashed file's again.
      assert.equal(b.store.peekControlNumber('reno-wms', 'ISA13'), 2);
    } finally {
      await b.close();
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('a final name already holding our bytes counts as delivered; other bytes under it are a delivery failure, taken again by its retry once they are gone', async () => {
  const h = await harness();
  try {
    await pollOrders(h.ctx, 'acme');
    const f = await fixedFile(h);
    // An earlier put completed but its answer was lost.
    writeFileSync(join(h.partnerDir('reno-wms', 'outbound'), f.name), f.bytes);
    assert.deepEqual(await drain(h), { done: 1, failed: [] });
    assert.deepEqual(listing(h), [f.name]);
    assert.equal((await h.store.work.messages.axes(f.id))!.delivery, 'delivered');
    assert.ok(h.logs.some((l) => l.event === 'delivery-already-there' && l.file === f.name));
    assert.equal((await h.store.work.orders.get('acme', SEATTLE))!.state, 'delivered');
  } finally {
    await h.close();
  }

  const o = await harness();
  try {
    await pollOrders(o.ctx, 'acme');
    const f = await fixedFile(o);
    writeFileSync(join(o.partnerDir('reno-wms', 'outbound'), f.name), 'someone else\'s file');
    // The real worker: a permanent refusal makes the job dead with its exception.
    const [r] = await new OutboxWorker(o.ctx, { handlers, random: () => 0 }).drain();
    assert.equal(r.outcome, 'dead');
    assert.match(r.error ?? '', /already on the server with other bytes/);
    assert.equal(readFileSync(join(o.partnerDir('reno-wms', 'outbound'), f.name), 'utf8'), 'someone else\'s file', 'never overwritten');
    const axes = (await o.store.work.messages.axes(f.id))!;
    assert.deepEqual([axes.delivery, o.store.get(f.id)!.status], ['failed', 'delivery-failed']);
    assert.equal((await o.store.work.jobs.byKey(`deliver:${f.id}`))!.state, 'dead');
    assert.equal((await o.store.work.orders.get('acme', SEATTLE))!.state, 'queued', 'not delivered');

    // The partner moves its stray file away; the exception's retry takes the same delivery again.
    const x = (await o.store.work.exceptions.find('delivery-failed', f.name, null, 'reno-wms'))!;
    assert.ok(x, 'a delivery-failed exception names the file');
    unlinkSync(join(o.partnerDir('reno-wms', 'outbound'), f.name));
    const { exceptionRetries } = await import('../../src/flows/index.ts');
    assert.match(await exceptionRetries['delivery-failed']!(o.ctx, x), new RegExp(`${f.name}: taken again`));
    assert.equal((await o.store.work.exceptions.get(x.id))!.state, 'resolved');
    assert.equal((await o.store.work.messages.axes(f.id))!.delivery, 'pending');
    assert.deepEqual(await drain(o), { done: 1, failed: [] });
    assert.deepEqual(readFileSync(join(o.partnerDir('reno-wms', 'outbound'), f.name)), f.bytes, 'our bytes under the same name');
    assert.equal((await o.store.work.messages.axes(f.id))!.delivery, 'delivered');
    assert.equal((await o.store.work.orders.get('acme', SEATTLE))!.state, 'delivered');
    assert.match(await exceptionRetries['delivery-failed']!(o.ctx, x), /no dead delivery left/, 'a second retry has nothing to take');
  } finally {
    await o.close();
  }
});

test('a deliver-file job run again after its file was delivered (and taken by the partner) puts nothing', async () => {
  const h = await harness();
  try {
    await pollOrders(h.ctx, 'acme');
    const f = await fixedFile(h);
    await drain(h);
    // The warehouse took the file; the worker crashed before marking its job done and runs it again.
    unlinkSync(join(h.partnerDir('reno-wms', 'outbound'), f.name));
    const job = (await h.store.work.jobs.byKey(`deliver:${f.id}`))!;
    await handlers['deliver-file']!(job, h.ctx);
    assert.deepEqual(listing(h), []);
  } finally {
    await h.close();
  }
});

test('a cancel waits for the file of its order while that one is still pending', async () => {
  const h = await harness();
  try {
    await pollOrders(h.ctx, 'acme');
    const f = await fixedFile(h);
    h.clock.advance(60_000);
    h.emulator.cancelOrder('acme', SEATTLE);
    await pollOrders(h.ctx, 'acme');
    const revs = await h.store.work.orders.revisions('acme', SEATTLE);
    assert.deepEqual(revs.map((r) => r.purpose), ['new', 'cancel']);
    const cancelJob = (await h.store.work.jobs.byKey(`deliver:${revs[1].fileMessageId}`))!;
    assert.deepEqual(cancelJob.payload.after, [f.id]);
    await assert.rejects(handlers['deliver-file']!(cancelJob, h.ctx), (e: Error) => !(e instanceof PermanentError) && /waits for file message/.test(e.message));
    assert.deepEqual(listing(h), []);
    assert.deepEqual(await drain(h), { done: 2, failed: [] });
    assert.equal(listing(h).length, 2);
    assert.equal((await h.store.work.orders.get('acme', SEATTLE))!.state, 'cancel-sent');
  } finally {
    await h.close();
  }
});

test('a flat-file partner: no acknowledgement expected, the file completes on delivery; names unique within one second', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-mappings-'));
  cpSync(MAPPINGS, dir, { recursive: true });
  const seller = join(dir, 'sellers/acme.yaml');
  writeFileSync(seller, readFileSync(seller, 'utf8').replace(/^warehouse: .*$/m, 'warehouse: cascade-csv'));
  const h = await harness({ mappingsDir: dir, settings: { ordersPerFile: 1 } });
  try {
    const s = await pollOrders(h.ctx, 'acme');
    assert.deepEqual([s.counts.queued, s.counts.files], [2, 2]);
    assert.deepEqual(await drain(h), { done: 2, failed: [] });
    // Pattern orders_{timestamp}.csv: the second file of the same second takes the next one.
    assert.deepEqual(listing(h, 'cascade-csv'), ['orders_20261125T000000Z.csv', 'orders_20261125T000001Z.csv']);
    const text = readFileSync(join(h.partnerDir('cascade-csv', 'outbound'), 'orders_20261125T000000Z.csv'), 'latin1');
    assert.match(text, /^OrderNumber,CustomerRef,Action/);
    assert.match(text, /112-3456789-1234567,,ADD/);
    const [rev] = await h.store.work.orders.revisions('acme', SEATTLE);
    const axes = (await h.store.work.messages.axes(rev.fileMessageId))!;
    assert.deepEqual([axes.delivery, axes.acknowledgement, rev.setMessageId], ['delivered', 'not-expected', null]);
    assert.ok(h.store.get(rev.fileMessageId)!.completedAt, 'nothing more waits on it: retention counts from delivery');
  } finally {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
