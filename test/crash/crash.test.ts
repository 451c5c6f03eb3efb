/**
 * The crash test (issue 10): 1,000 orders, their advices and inventory snapshots, while the
 * gateway (`dockgate start --once`, the real binary) is killed with SIGKILL at 20 random moments
 * and started again each time over the same data directory. The SP-API emulator and the warehouse
 * simulator run in this process and survive the kills, as Amazon and the 3PL would (world.ts).
 *
 * Afterwards: every order went to the warehouse in exactly one set across all delivered files,
 * every package was confirmed at the emulator exactly once, Amazon's MFN quantity is what the
 * last snapshot says, every file the warehouse wrote was recorded and processed, and SQLite's
 * integrity check passes. The kill moments are drawn from a fixed seed; what the test waits for
 * are states, never durations (a run that ends before its kill moment simply is not counted).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { assertSettled, crashWorld, lcg } from './world.ts';

const ORDERS = 1000;
const KILLS = 20;

test(`crash: ${ORDERS} orders with the gateway killed ${KILLS} times`, { timeout: 20 * 60_000 }, async () => {
  const world = await crashWorld({ orders: ORDERS });
  const random = lcg(20261201);
  try {
    let kills = 0;
    let runs = 0;
    // The kill moments spread over a run's whole life: start-up, polling, writing, delivering, confirming.
    while (kills < KILLS) {
      assert.ok(runs < KILLS * 4, `only ${kills} of ${KILLS} kills landed in ${runs} runs`);
      runs++;
      const r = await world.runGateway(300 + Math.floor(random() * 6000));
      if (r.signal === 'SIGKILL') kills++;
      else assert.ok(r.code === 0 || r.code === 1, `run ${runs} ended with ${r.code ?? r.signal}: ${r.stderr}`);
      await world.warehouse.step();
    }
    // Then runs to completion until every order is confirmed at Amazon; then the warehouse counts
    // once more (everything shipped) and a last run applies that snapshot.
    for (let i = 0; world.confirmedOrders() < ORDERS; i++) {
      assert.ok(i < 30, `not settled after ${i} clean runs: ${world.confirmedOrders()} of ${ORDERS} orders shipped at Amazon`);
      const r = await world.runGateway(null);
      assert.notEqual(r.code, null, r.stderr);
      await world.warehouse.step();
    }
    await world.warehouse.step();
    const last = await world.runGateway(null);
    assert.notEqual(last.code, null, last.stderr);

    const db = new Database(join(world.dataDir, 'dockgate.sqlite'), { readonly: true });
    try {
      const received = db.prepare("SELECT file_name, status FROM messages WHERE kind = 'file' AND direction = 'in' AND partner = 'reno-wms'").all() as Array<{ file_name: string; status: string }>;
      await assertSettled(world, received);
      // 5. The database survived 20 kills.
      assert.equal((db.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    } finally {
      db.close();
    }
  } finally {
    await world.close();
  }
});
