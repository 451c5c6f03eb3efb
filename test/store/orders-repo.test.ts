/**
 * The orders repository over SQLite (migration 0004), through the gateway store: put / get round
 * trips, every declared state accepted and others refused, the revisions that link an order to
 * the file and set that carried it, the late-order query, and a rolled-back transaction leaving
 * nothing behind.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { ORDER_STATES, type OrderRecord } from '../../src/store/work.ts';
import { orderRecord } from './work-contract.ts';

async function fixture() {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-orders-'));
  const store = openStore({ dataDir });
  const blob = await store.blobs.putBuffer(Buffer.from('ISA*...'));
  const fileId = await store.recordFile({
    direction: 'out',
    partner: 'reno-wms',
    fileName: 'reno-wms_940_1.edi',
    sha256: blob.sha256,
    size: blob.size,
    status: 'ready',
    children: [{ kind: 'interchange', control: '000000001', status: 'ready', children: [{ kind: 'group', control: '1', docType: 'OW', status: 'ready', children: [{ kind: 'set', control: '0001', docType: '940', status: 'ready' }, { kind: 'set', control: '0002', docType: '940', status: 'ready' }] }] }],
  });
  const group = store.findSent('reno-wms', '1')!;
  const set1 = store.findSent('reno-wms', '1', '0001')!;
  const set2 = store.findSent('reno-wms', '1', '0002')!;
  return {
    store,
    fileId,
    groupId: group.id,
    setIds: [set1.id, set2.id],
    async close() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const order = orderRecord;

test('orders: put / get round trip, replace whole, every declared state and no other', async () => {
  const f = await fixture();
  try {
    const repo = f.store.work.orders;
    await repo.put(order());
    const got = await repo.get('acme', '112-3456789-1234567');
    // Ship-by is kept in UTC with milliseconds, the form the late-order query compares as text.
    assert.deepEqual(got, { ...order(), shipBy: '2026-11-26T07:59:59.000Z' });
    assert.equal(await repo.get('northwind', '112-3456789-1234567'), null, 'keyed by seller and order id');
    await repo.put(order({ state: 'held', heldBy: 7, updatedAt: '2026-11-24T17:00:00.000Z' }));
    const held = (await repo.get('acme', '112-3456789-1234567'))!;
    assert.deepEqual([held.state, held.heldBy, held.createdAt, held.updatedAt], ['held', 7, '2026-11-24T16:05:00.000Z', '2026-11-24T17:00:00.000Z']);
    for (const [i, state] of ORDER_STATES.entries()) await repo.put(order({ orderId: `112-0000000-${String(i).padStart(7, '0')}`, state }));
    assert.equal((await repo.list({})).length, ORDER_STATES.length + 1);
    await assert.rejects(repo.put(order({ state: 'lost' as never })), /state "lost" is not one of new, held, queued/);
    assert.deepEqual((await repo.list({ states: ['held', 'queued'] })).map((o) => o.state).sort(), ['held', 'held', 'queued']);
    assert.deepEqual((await repo.list({ seller: 'northwind' })), []);
    assert.equal((await repo.list({ limit: 2 })).length, 2);
  } finally {
    await f.close();
  }
});

test('orders: revisions link each order to its file and set; bySetMessage / byFileMessage in file order', async () => {
  const f = await fixture();
  try {
    const repo = f.store.work.orders;
    const a = order({ orderId: '112-9999999-0000002', state: 'queued', revision: 1 });
    const b = order({ orderId: '112-9999999-0000001', state: 'queued', revision: 1 });
    await repo.put(a);
    await repo.put(b);
    await repo.addRevision({ seller: 'acme', orderId: a.orderId, revision: 1, purpose: 'new', fileMessageId: f.fileId, setMessageId: f.setIds[0], createdAt: '2026-11-24T16:05:00.000Z' });
    await repo.addRevision({ seller: 'acme', orderId: b.orderId, revision: 1, purpose: 'new', fileMessageId: f.fileId, setMessageId: f.setIds[1], createdAt: '2026-11-24T16:05:00.000Z' });
    assert.deepEqual((await repo.byFileMessage(f.fileId)).map((o) => o.orderId), [a.orderId, b.orderId], 'in the order of the sets, not of the ids');
    assert.deepEqual((await repo.bySetMessage(f.setIds[1])).map((o) => o.orderId), [b.orderId]);
    assert.deepEqual(await repo.bySetMessage(f.groupId), []);
    // One revision number once per order.
    await assert.rejects(repo.addRevision({ seller: 'acme', orderId: a.orderId, revision: 1, purpose: 'cancel', fileMessageId: f.fileId, setMessageId: null, createdAt: '2026-11-24T18:00:00.000Z' }), /UNIQUE|PRIMARY/);
    await assert.rejects(repo.addRevision({ seller: 'acme', orderId: a.orderId, revision: 2, purpose: 'undo' as never, fileMessageId: f.fileId, setMessageId: null, createdAt: '2026-11-24T18:00:00.000Z' }), /purpose "undo"/);
    // A revision for an order that is not recorded, or a file that is not, is refused.
    await assert.rejects(repo.addRevision({ seller: 'acme', orderId: '999-0000000-0000000', revision: 1, purpose: 'new', fileMessageId: f.fileId, setMessageId: null, createdAt: '2026-11-24T18:00:00.000Z' }), /FOREIGN KEY/);
    await assert.rejects(repo.addRevision({ seller: 'acme', orderId: a.orderId, revision: 2, purpose: 'cancel', fileMessageId: 99_999, setMessageId: null, createdAt: '2026-11-24T18:00:00.000Z' }), /FOREIGN KEY/);
    await repo.addRevision({ seller: 'acme', orderId: a.orderId, revision: 2, purpose: 'cancel', fileMessageId: f.fileId, setMessageId: null, createdAt: '2026-11-24T18:00:00.000Z' });
    assert.deepEqual((await repo.revisions('acme', a.orderId)).map((r) => [r.revision, r.purpose, r.setMessageId]), [[1, 'new', f.setIds[0]], [2, 'cancel', null]]);
  } finally {
    await f.close();
  }
});

test('orders: dueBefore lists open orders by ship-by, never shipped, confirmed or cancelled ones', async () => {
  const f = await fixture();
  try {
    const repo = f.store.work.orders;
    const at = (n: number, state: OrderRecord['state'], shipBy: string | null) => repo.put(order({ orderId: `112-1000000-000000${n}`, state, shipBy }));
    await at(1, 'delivered', '2026-11-26T08:00:00Z');
    await at(2, 'queued', '2026-11-26T06:00:00-08:00'); // 14:00 UTC: later than 1
    await at(3, 'shipped', '2026-11-26T05:00:00Z');
    await at(4, 'confirmed', '2026-11-26T05:00:00Z');
    await at(5, 'cancelled', '2026-11-26T05:00:00Z');
    await at(6, 'held', null);
    await at(7, 'partially-shipped', '2026-11-26T07:00:00Z');
    assert.deepEqual((await repo.dueBefore('2026-11-26T15:00:00Z')).map((o) => o.orderId.slice(-1)), ['7', '1', '2']);
    assert.deepEqual((await repo.dueBefore('2026-11-26T09:00:00Z')).map((o) => o.orderId.slice(-1)), ['7', '1']);
    assert.deepEqual((await repo.dueBefore('2026-11-26T15:00:00Z', 1)).map((o) => o.orderId.slice(-1)), ['7']);
  } finally {
    await f.close();
  }
});

test('orders: a rolled-back transaction leaves neither the order nor its revision', async () => {
  const f = await fixture();
  try {
    await assert.rejects(
      f.store.transaction(async (w) => {
        await w.orders.put(order({ state: 'queued', revision: 1 }));
        await w.orders.addRevision({ seller: 'acme', orderId: '112-3456789-1234567', revision: 1, purpose: 'new', fileMessageId: f.fileId, setMessageId: f.setIds[0], createdAt: '2026-11-24T16:05:00.000Z' });
        throw new Error('crash before commit');
      }),
      /crash before commit/,
    );
    assert.equal(await f.store.work.orders.get('acme', '112-3456789-1234567'), null);
    assert.deepEqual(await f.store.work.orders.bySetMessage(f.setIds[0]), []);
  } finally {
    await f.close();
  }
});
