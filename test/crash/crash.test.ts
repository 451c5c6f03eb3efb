/**
 * The crash test (issue 10): 1,000 orders, their advices and inventory snapshots, while the
 * gateway (`dockgate start --once`, the real binary) is killed with SIGKILL at 20 random moments
 * and started again each time over the same data directory. The SP-API emulator and the warehouse
 * simulator run in this process and survive the kills, as Amazon and the 3PL would.
 *
 * Afterwards: every order went to the warehouse in exactly one set across all delivered files,
 * every package was confirmed at the emulator exactly once, Amazon's MFN quantity is what the
 * last snapshot says, every file the warehouse wrote was recorded and processed, and SQLite's
 * integrity check passes. The kill moments are drawn from a fixed seed; what the test waits for
 * are states, never durations (a run that ends before its kill moment simply is not counted).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { loadMappings } from '../../src/mapping/load.ts';
import { mfnQuantities, skuIndex } from '../../src/mapping/resolve.ts';
import { readPartnerDocuments, translator } from '../../src/mapping/translate.ts';
import type { InventorySnapshot, ShipOrder } from '../../src/model/index.ts';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';
import { MAPPINGS, root, SELLER_ENV, sampleSeed } from '../flows/harness.ts';

const ORDERS = 1000;
const KILLS = 20;
const BIN = join(root, 'bin/dockgate.js');

/** A small seeded generator: the same kill moments on every run of the test. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

test(`crash: ${ORDERS} orders with the gateway killed ${KILLS} times`, { timeout: 20 * 60_000 }, async () => {
  const seed = sampleSeed();
  // Only the generated orders: the sample orders' exceptions (and its FBA replenishment, which
  // the fba task would send as one more ship order) are other tests' business.
  for (const s of seed.sellers) {
    s.orders = [];
    s.inboundPlans = [];
  }
  const emulator = new AmazonEmulator({ seed, timeScale: 1000 });
  emulator.generateOrders('acme', { count: ORDERS, sku: 'TSHIRT-RED-M', quantity: 3, startTime: new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  const port = await emulator.start();
  const work = mkdtempSync(join(tmpdir(), 'dockgate-crash-'));
  const dataDir = join(work, 'data');
  const partnerRoot = join(work, 'partners');
  const { mappings } = loadMappings(MAPPINGS);
  const warehouse = new WarehouseSimulator({ mappings, partner: 'reno-wms', root: partnerRoot, shipAfterSeconds: 0, partialShare: 0.1, splitShare: 0.1, inventoryEverySeconds: 1, seed: 10 });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...SELLER_ENV,
    DOCKGATE_DATA_DIR: dataDir,
    DOCKGATE_LOG_LEVEL: 'warn',
  };
  delete env.DOCKGATE_STORE_KEY;
  // The simulator renames its files into place: the two looks need not be seconds apart.
  writeFileSync(join(work, 'dockgate.yaml'), 'gateway:\n  secondLookMs: 300\n');
  const args = ['start', '--once', '--config', join(work, 'dockgate.yaml'), '--mappings', MAPPINGS, '--partner-root', partnerRoot, '--amazon-endpoint', `http://127.0.0.1:${port}`, '--amazon-time-scale', '1000', '--poll-seconds', '10'];
  const runGateway = (killAfterMs: number | null): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: work, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        resolve({ code, signal, stderr });
      });
    });
  const confirmedOrders = () => emulator.orders('acme').filter((o) => o.status === 'SHIPPED').length;
  const random = lcg(20261201);
  try {
    let kills = 0;
    let runs = 0;
    // The kill moments spread over a run's whole life: start-up, polling, writing, delivering, confirming.
    while (kills < KILLS) {
      assert.ok(runs < KILLS * 4, `only ${kills} of ${KILLS} kills landed in ${runs} runs`);
      runs++;
      const r = await runGateway(300 + Math.floor(random() * 6000));
      if (r.signal === 'SIGKILL') kills++;
      else assert.ok(r.code === 0 || r.code === 1, `run ${runs} ended with ${r.code ?? r.signal}: ${r.stderr}`);
      await warehouse.step();
    }
    // Then runs to completion until every order is confirmed at Amazon; then the warehouse counts
    // once more (everything shipped) and a last run applies that snapshot.
    for (let i = 0; confirmedOrders() < ORDERS; i++) {
      assert.ok(i < 30, `not settled after ${i} clean runs: ${confirmedOrders()} of ${ORDERS} orders shipped at Amazon`);
      const r = await runGateway(null);
      assert.notEqual(r.code, null, r.stderr);
      await warehouse.step();
    }
    await warehouse.step();
    const last = await runGateway(null);
    assert.notEqual(last.code, null, last.stderr);

    // 1. Every order delivered exactly once: one set per order across all files the warehouse took.
    const shipOrders = translator(mappings, 'reno-wms', 'ship-order');
    const sets = new Map<string, number>();
    const processed = warehouse.directories.processed;
    for (const name of readdirSync(processed)) {
      if (/\.dup\d+$/.test(name)) continue; // the same file delivered again, same bytes: not a second set
      for await (const e of readPartnerDocuments(shipOrders, readFileSync(join(processed, name)), { file: name })) {
        if (e.type !== 'document' || !e.document.document) continue;
        const o = e.document.document as ShipOrder;
        if (o.purpose !== 'new') continue;
        sets.set(o.orderId, (sets.get(o.orderId) ?? 0) + 1);
      }
    }
    assert.equal(sets.size, ORDERS, 'every order reached the warehouse');
    const twice = [...sets].filter(([, n]) => n > 1);
    assert.deepEqual(twice, [], 'no order in two sets');

    // 2. Every package confirmed exactly once at the emulator.
    let packages = 0;
    for (const o of emulator.orders('acme')) {
      assert.equal(o.status, 'SHIPPED', `order ${o.orderId} is ${o.status} at Amazon`);
      const tracking = o.confirmations.map((c) => c.trackingNumber);
      assert.equal(new Set(tracking).size, tracking.length, `order ${o.orderId} confirmed a package twice: ${tracking.join(', ')}`);
      packages += tracking.length;
    }
    const counters = warehouse.status().counters;
    assert.equal(packages, counters.packagesShipped, 'as many confirmations as packages the warehouse shipped');
    assert.ok(counters.packagesShipped > ORDERS, 'split and partial shipments were among them');

    // 3. The final quantities are the last snapshot's: the latest as-of, and of counts as of the
    //    same minute the last written (the simulator stamps to the minute, as BIA-04/05 do).
    const inventory = translator(mappings, 'reno-wms', 'inventory');
    const archive = join(partnerRoot, 'reno-wms', mappings.partners.get('reno-wms')!.transport.directories.archive!);
    let snapshot: InventorySnapshot | null = null;
    for (const name of readdirSync(archive).sort()) {
      if (!/846/.test(name)) continue;
      for await (const e of readPartnerDocuments(inventory, readFileSync(join(archive, name)), { file: name })) {
        const s = e.type === 'document' ? (e.document.document as InventorySnapshot | undefined) : undefined;
        if (s?.seller === 'acme' && (!snapshot || Date.parse(s.asOf) >= Date.parse(snapshot.asOf))) snapshot = s;
      }
    }
    assert.ok(snapshot, 'the warehouse sent inventory snapshots');
    const listings = new Map(emulator.listings('acme').map((l) => [l.sku, l.mfnQuantity]));
    for (const q of mfnQuantities(snapshot, skuIndex(mappings, 'acme'), mappings.partners.get('reno-wms')!)) {
      if (q.sellerSku === 'TSHIRT-RED-M-FBA') continue; // FBA: never fed
      assert.equal(listings.get(q.sellerSku), q.quantity, `${q.sellerSku} at Amazon`);
    }

    // 4. No file lost: every file the warehouse wrote was recorded and processed.
    const db = new Database(join(dataDir, 'dockgate.sqlite'), { readonly: true });
    try {
      const received = db.prepare("SELECT file_name, status FROM messages WHERE kind = 'file' AND direction = 'in' AND partner = 'reno-wms'").all() as Array<{ file_name: string; status: string }>;
      const byName = new Map(received.map((r) => [r.file_name, r.status]));
      for (const name of readdirSync(archive)) {
        const base = name.replace(/\.\d{8}T\d+Z?$/, '');
        assert.ok(byName.has(base) || byName.has(name), `${name} was archived but not recorded`);
      }
      const unprocessed = received.filter((r) => r.status === 'received' || r.status === 'failed');
      assert.deepEqual(unprocessed, [], 'every received file processed');
      // 5. The database survived 20 kills.
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    } finally {
      db.close();
    }
  } finally {
    await emulator.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
