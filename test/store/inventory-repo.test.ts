/**
 * The inventory repository, over SQLite (the class on its connection) and over a real PostgreSQL
 * server (the store's own, each call its transaction): a pending quantity stays pending when
 * Amazon accepts an older one, the last snapshot per (partner, seller) keeps one as-of form
 * whatever offset it came with, stock is replaced whole (lines of one item and state summed),
 * channels are cached. Where PostgreSQL cannot start its tests say so by name; under CI=true
 * that fails the suite.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.ts';
import { SqlInventory } from '../../src/store/repos/inventory.ts';
import { SqliteRunner } from '../../src/store/sqlite/runner.ts';
import type { InventoryRepo } from '../../src/store/work.ts';
import { realPostgresPerFile } from './postgres-per-file.ts';

interface Fixture {
  repo: InventoryRepo;
  close(): Promise<void>;
}

async function sqliteFixture(): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-inventory-'));
  // The store applies every migration; the repository then works on the same database file.
  const store = openStore({ dataDir });
  const db = new Database(join(dataDir, 'dockgate.sqlite'));
  return {
    repo: new SqlInventory(new SqliteRunner(db)),
    async close() {
      db.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const { skip: SKIP, server } = realPostgresPerFile('inventory');

async function postgresFixture(): Promise<Fixture> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-inventory-pg-'));
  const store = openStore({ dataDir, databaseUrl: await server().migratedDatabase('inventory'), poolSize: 2 });
  return {
    repo: store.work.inventory,
    async close() {
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const backends: Array<[string, () => Promise<Fixture>]> = [['sqlite', sqliteFixture]];
if (!SKIP) backends.push(['postgres', postgresFixture]);

for (const [backend, fixture] of backends) {
  test(`${backend}: published quantities: pending, accepted, and a newer pending that outlives an older acceptance`, async () => {
    const f = await fixture();
    try {
      const r = f.repo;
      assert.equal(await r.quantity('acme', 'SKU-1'), null);
      await r.setPending('acme', 'SKU-1', 10, '2026-11-02T12:00:00.000Z');
      assert.deepEqual(await r.quantity('acme', 'SKU-1'), { seller: 'acme', sku: 'SKU-1', accepted: null, acceptedAt: null, pending: 10, pendingSince: '2026-11-02T12:00:00.000Z' });
      // A newer snapshot asks for 8 while 10 is still on its way: 10's acceptance leaves 8 pending.
      await r.setPending('acme', 'SKU-1', 8, '2026-11-02T12:05:00.000Z');
      await r.accepted('acme', 'SKU-1', 10, '2026-11-02T12:06:00.000Z');
      assert.deepEqual(await r.quantity('acme', 'SKU-1'), { seller: 'acme', sku: 'SKU-1', accepted: 10, acceptedAt: '2026-11-02T12:06:00.000Z', pending: 8, pendingSince: '2026-11-02T12:05:00.000Z' });
      await r.accepted('acme', 'SKU-1', 8, '2026-11-02T12:07:00.000Z');
      assert.deepEqual(await r.quantity('acme', 'SKU-1'), { seller: 'acme', sku: 'SKU-1', accepted: 8, acceptedAt: '2026-11-02T12:07:00.000Z', pending: null, pendingSince: null });
      // Accepted without a job of ours (a read back) creates the row.
      await r.accepted('acme', 'SKU-2', 0, '2026-11-02T12:08:00.000Z');
      await r.setPending('acme', 'SKU-3', 4, '2026-11-02T12:08:00.000Z');
      await r.clearPending('acme', 'SKU-3');
      assert.deepEqual(
        (await r.quantities('acme')).map((x) => [x.sku, x.accepted, x.pending]),
        [
          ['SKU-1', 8, null],
          ['SKU-2', 0, null],
          ['SKU-3', null, null],
        ],
      );
      assert.deepEqual(await r.quantities('northwind'), []);
    } finally {
      await f.close();
    }
  });

  test(`${backend}: channels are cached per seller and SKU, and replaced when looked up again`, async () => {
    const f = await fixture();
    try {
      const r = f.repo;
      assert.equal(await r.channel('acme', 'TSHIRT-RED-M-FBA'), null);
      await r.setChannel({ seller: 'acme', sku: 'TSHIRT-RED-M-FBA', channel: 'FBA', checkedAt: '2026-11-02T12:00:00.000Z' });
      await r.setChannel({ seller: 'northwind', sku: 'TSHIRT-RED-M-FBA', channel: 'MFN', checkedAt: '2026-11-02T12:00:00.000Z' });
      await r.setChannel({ seller: 'acme', sku: 'TSHIRT-RED-M-FBA', channel: 'unknown', checkedAt: '2026-11-03T12:00:00.000Z' });
      assert.deepEqual(await r.channel('acme', 'TSHIRT-RED-M-FBA'), { seller: 'acme', sku: 'TSHIRT-RED-M-FBA', channel: 'unknown', checkedAt: '2026-11-03T12:00:00.000Z' });
      assert.equal((await r.channel('northwind', 'TSHIRT-RED-M-FBA'))?.channel, 'MFN');
    } finally {
      await f.close();
    }
  });

  test(`${backend}: the last snapshot per (partner, seller) is kept in UTC, and stock is replaced whole`, async () => {
    const f = await fixture();
    try {
      const r = f.repo;
      assert.equal(await r.lastSnapshot('reno-wms', 'acme'), null);
      await r.setLastSnapshot('reno-wms', 'acme', '2026-11-24T06:00:00-08:00', '2026-11-24T14:01:00.000Z', 7);
      assert.deepEqual(await r.lastSnapshot('reno-wms', 'acme'), { asOf: '2026-11-24T14:00:00.000Z', appliedAt: '2026-11-24T14:01:00.000Z', fileMessageId: 7 });
      assert.equal(await r.lastSnapshot('cascade-csv', 'acme'), null);
      await assert.rejects(r.setLastSnapshot('reno-wms', 'acme', 'yesterday', '2026-11-24T14:01:00.000Z', 8), /not a timestamp/);

      await r.setStock('reno-wms', 'acme', [
        { warehouseItem: 'TS-RED-M', state: '33', quantity: 100 },
        { warehouseItem: 'TS-RED-M', state: '33', quantity: 20 },
        { warehouseItem: 'TS-RED-M', state: '74', quantity: 6 },
        { warehouseItem: 'MUG-12-WHT', state: '33', quantity: 48 },
      ]);
      await r.setStock('reno-wms', 'northwind', [{ warehouseItem: 'TENT-2P-GRN', state: '33', quantity: 12 }]);
      assert.deepEqual(await r.stock('reno-wms', 'acme'), [
        { warehouseItem: 'MUG-12-WHT', state: '33', quantity: 48 },
        { warehouseItem: 'TS-RED-M', state: '33', quantity: 120 },
        { warehouseItem: 'TS-RED-M', state: '74', quantity: 6 },
      ]);
      await r.setStock('reno-wms', 'acme', [{ warehouseItem: 'SOCK-BLK', state: '33', quantity: 40 }]);
      assert.deepEqual(await r.stock('reno-wms', 'acme'), [{ warehouseItem: 'SOCK-BLK', state: '33', quantity: 40 }]);
      assert.deepEqual(await r.stock('reno-wms', 'northwind'), [{ warehouseItem: 'TENT-2P-GRN', state: '33', quantity: 12 }]);
      await r.setStock('reno-wms', 'acme', []);
      assert.deepEqual(await r.stock('reno-wms', 'acme'), []);
    } finally {
      await f.close();
    }
  });
}
