/**
 * The packages repository over SQLite: our own ids (never the warehouse's), one package per
 * (seller, order, tracking number) however often an advice repeats it, the confirmation time and
 * tracking lag, and the state filters.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.ts';
import { SqlPackages } from '../../src/store/repos/packages.ts';
import { SqliteRunner } from '../../src/store/sqlite/runner.ts';

async function fixture() {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-packages-'));
  const store = openStore({ dataDir });
  const blob = await store.blobs.putBuffer(Buffer.from('ISA*...'));
  const fileId = await store.recordFile({ direction: 'in', partner: 'reno-wms', fileName: '945.edi', sha256: blob.sha256, size: blob.size, status: 'received', children: [] });
  const db = new Database(join(dataDir, 'dockgate.sqlite'));
  db.pragma('foreign_keys = ON');
  return {
    repo: new SqlPackages(new SqliteRunner(db)),
    fileId,
    async close() {
      db.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const pkg = (fileMessageId: number, over: Record<string, unknown> = {}) => ({
  seller: 'acme',
  orderId: '112-3456789-1234567',
  marketplaceId: 'ATVPDKIKX0DER',
  partner: 'reno-wms',
  fileMessageId,
  warehousePackageId: '1',
  trackingNumber: '1Z999AA10123456784',
  carrierCode: 'UPS',
  carrierName: null,
  shippingMethod: 'UPS Ground',
  items: [{ orderItemId: '12345678901234', sellerSku: 'TSHIRT-RED-M', quantity: 2 }],
  shippedAt: '2026-11-24T14:05:00-08:00',
  state: 'pending' as const,
  ...over,
});

test('packages: our own ids, one row per (seller, order, tracking number), confirmation with the tracking lag', async () => {
  const f = await fixture();
  try {
    const a = await f.repo.add(pkg(f.fileId), '2026-11-24T22:10:00.000Z');
    assert.equal(a.created, true);
    assert.deepEqual(a.record.items, [{ orderItemId: '12345678901234', sellerSku: 'TSHIRT-RED-M', quantity: 2 }]);
    assert.equal(a.record.warehousePackageId, '1');
    // The same package again (a resent advice): the existing row, not a second one.
    const again = await f.repo.add(pkg(f.fileId, { warehousePackageId: '7', state: 'held' }), '2026-11-24T23:00:00.000Z');
    assert.deepEqual([again.created, again.record.id, again.record.warehousePackageId, again.record.state], [false, a.record.id, '1', 'pending']);
    // A second advice for the same order, also "package 1" at the warehouse: another id of ours.
    const b = await f.repo.add(pkg(f.fileId, { trackingNumber: '1Z999AA10123456795' }), '2026-11-25T10:00:00.000Z');
    assert.equal(b.created, true);
    assert.notEqual(b.record.id, a.record.id);
    assert.equal(b.record.warehousePackageId, '1');
    // The same tracking number for another seller's order is another package.
    const other = await f.repo.add(pkg(f.fileId, { seller: 'northwind', orderId: '113-1111111-2222222' }), '2026-11-25T10:00:00.000Z');
    assert.equal(other.created, true);

    assert.deepEqual((await f.repo.forOrder('acme', '112-3456789-1234567')).map((p) => p.id), [a.record.id, b.record.id]);
    await f.repo.setState(a.record.id, 'confirmed', '2026-11-24T22:20:00.000Z', '2026-11-24T22:20:00.000Z');
    const confirmed = (await f.repo.get(a.record.id))!;
    // Shipped 14:05 Pacific (22:05Z), confirmed 22:20Z: 15 minutes of tracking lag.
    assert.deepEqual([confirmed.state, confirmed.confirmedAt, confirmed.lagSeconds], ['confirmed', '2026-11-24T22:20:00.000Z', 900]);
    await f.repo.setState(b.record.id, 'refused', '2026-11-25T11:00:00.000Z');
    const refused = (await f.repo.get(b.record.id))!;
    assert.deepEqual([refused.state, refused.confirmedAt, refused.lagSeconds, refused.updatedAt], ['refused', null, null, '2026-11-25T11:00:00.000Z']);

    assert.deepEqual((await f.repo.list({ states: ['pending'] })).map((p) => p.id), [other.record.id]);
    assert.deepEqual((await f.repo.list({ seller: 'acme' })).map((p) => p.id), [a.record.id, b.record.id]);
    assert.deepEqual((await f.repo.list({ seller: 'acme', states: ['confirmed', 'refused'], limit: 1 })).map((p) => p.id), [a.record.id]);
    assert.equal(await f.repo.get(9999), null);
  } finally {
    await f.close();
  }
});

test('packages: a package names the received file it came from (the foreign key holds)', async () => {
  const f = await fixture();
  try {
    await assert.rejects(f.repo.add(pkg(f.fileId + 1000), '2026-11-24T22:10:00.000Z'), /FOREIGN KEY/);
  } finally {
    await f.close();
  }
});
