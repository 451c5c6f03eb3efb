/**
 * What the crash tests share (crash.test.ts: one gateway on SQLite; crash-postgres.test.ts:
 * three on one PostgreSQL): the SP-API emulator seeded with N generated orders and the warehouse
 * simulator, both in this process so that they survive the kills as Amazon and the 3PL would;
 * the real binary started with `dockgate start --once` and killed with SIGKILL at a moment drawn
 * from a fixed seed; and the checks made once everything settled, which hold whatever store the
 * gateway ran on.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMappings, type Mappings } from '../../src/mapping/load.ts';
import { mfnQuantities, skuIndex } from '../../src/mapping/resolve.ts';
import { readPartnerDocuments, translator } from '../../src/mapping/translate.ts';
import type { InventorySnapshot, ShipOrder } from '../../src/model/index.ts';
import { AmazonEmulator } from '../../src/sandbox/amazon/emulator.ts';
import { WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';
import { MAPPINGS, root, SELLER_ENV, sampleSeed } from '../flows/harness.ts';

const BIN = join(root, 'bin/dockgate.js');

/** A small seeded generator: the same kill moments on every run of the test. */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** When the process was seen to end (ms since the epoch). */
  endedAt: number;
  /** Its log lines (stdout), kept only when asked for. */
  log: string[];
}

export interface CrashWorld {
  orders: number;
  emulator: AmazonEmulator;
  warehouse: WarehouseSimulator;
  mappings: Mappings;
  work: string;
  dataDir: string;
  partnerRoot: string;
  /** The `dockgate start --once` command line (after the bin) and its environment. */
  args: string[];
  env: NodeJS.ProcessEnv;
  /** `dockgate start --once`, killed after `killAfterMs` (null: left to finish). */
  runGateway(killAfterMs: number | null, options?: { keepLog?: boolean }): Promise<Run>;
  confirmedOrders(): number;
  close(): Promise<void>;
}

export async function crashWorld(options: { orders: number; env?: NodeJS.ProcessEnv }): Promise<CrashWorld> {
  const seed = sampleSeed();
  // Only the generated orders: the sample orders' exceptions (and its FBA replenishment, which
  // the fba task would send as one more ship order) are other tests' business.
  for (const s of seed.sellers) {
    s.orders = [];
    s.inboundPlans = [];
  }
  const emulator = new AmazonEmulator({ seed, timeScale: 1000 });
  emulator.generateOrders('acme', { count: options.orders, sku: 'TSHIRT-RED-M', quantity: 3, startTime: new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z') });
  const port = await emulator.start();
  const work = mkdtempSync(join(tmpdir(), 'dockgate-crash-'));
  const dataDir = join(work, 'data');
  const partnerRoot = join(work, 'partners');
  const { mappings } = loadMappings(MAPPINGS);
  const warehouse = new WarehouseSimulator({ mappings, partner: 'reno-wms', root: partnerRoot, shipAfterSeconds: 0, partialShare: 0.1, splitShare: 0.1, inventoryEverySeconds: 1, seed: 10 });
  const env: NodeJS.ProcessEnv = { ...process.env, ...SELLER_ENV, DOCKGATE_DATA_DIR: dataDir, DOCKGATE_LOG_LEVEL: 'warn', ...options.env };
  delete env.DOCKGATE_STORE_KEY;
  // The simulator renames its files into place: the two looks need not be seconds apart.
  writeFileSync(join(work, 'dockgate.yaml'), 'gateway:\n  secondLookMs: 300\n');
  const args = ['start', '--once', '--config', join(work, 'dockgate.yaml'), '--mappings', MAPPINGS, '--partner-root', partnerRoot, '--amazon-endpoint', `http://127.0.0.1:${port}`, '--amazon-time-scale', '1000', '--poll-seconds', '10'];
  const runGateway = (killAfterMs: number | null, o: { keepLog?: boolean } = {}): Promise<Run> =>
    new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, ...args], { env, cwd: work, stdio: ['ignore', o.keepLog ? 'pipe' : 'ignore', 'pipe'] });
      let stderr = '';
      const log: string[] = [];
      let partial = '';
      child.stdout?.on('data', (d: Buffer) => {
        const lines = (partial + d.toString()).split('\n');
        partial = lines.pop()!;
        log.push(...lines);
      });
      child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
      child.on('exit', (code, signal) => {
        if (timer) clearTimeout(timer);
        const endedAt = Date.now();
        if (partial) log.push(partial);
        resolve({ code, signal, stderr, endedAt, log });
      });
    });
  return {
    orders: options.orders,
    emulator,
    warehouse,
    mappings,
    work,
    dataDir,
    partnerRoot,
    args,
    env,
    runGateway,
    confirmedOrders: () => emulator.orders('acme').filter((o) => o.status === 'SHIPPED').length,
    close: async () => {
      await emulator.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

/** The warehouse's archive directory (where the gateway moves what it took). */
export function archiveOf(world: CrashWorld): string {
  return join(world.partnerRoot, 'reno-wms', world.mappings.partners.get('reno-wms')!.transport.directories.archive!);
}

/**
 * Once settled: every order delivered in exactly one set, every package confirmed exactly once,
 * Amazon's MFN quantity the last snapshot's, and every file the warehouse wrote recorded and
 * processed (`received` lists the store's received files of reno-wms).
 */
export async function assertSettled(world: CrashWorld, received: Array<{ file_name: string; status: string }>): Promise<void> {
  const { mappings, warehouse, emulator } = world;
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
  assert.equal(sets.size, world.orders, 'every order reached the warehouse');
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
  assert.ok(counters.packagesShipped > world.orders, 'split and partial shipments were among them');

  // 3. The final quantities are the last snapshot's: the latest as-of, and of counts as of the
  //    same minute the last written (the simulator stamps to the minute, as BIA-04/05 do).
  const inventory = translator(mappings, 'reno-wms', 'inventory');
  const archive = archiveOf(world);
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
  const byName = new Map(received.map((r) => [r.file_name, r.status]));
  for (const name of readdirSync(archive)) {
    const base = name.replace(/\.\d{8}T\d+Z?$/, '');
    assert.ok(byName.has(base) || byName.has(name), `${name} was archived but not recorded`);
  }
  const unprocessed = received.filter((r) => r.status === 'received' || r.status === 'failed');
  assert.deepEqual(unprocessed, [], 'every received file processed');
}
