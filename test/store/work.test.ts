/**
 * The durable-work contract on SQLite, and what only several connections to one database file
 * show: two stores (two connections, in one process or several) claiming the same outbox never
 * get the same job, and a transaction awaiting something while holding the write lock does not
 * stall the other connection of its own process.
 *
 * Run as a child (DOCKGATE_CLAIM_CHILD set), this file is a worker: it claims and completes jobs
 * until none is left and prints the ids it completed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore } from '../../src/store/work.ts';
import { at, workContract } from './work-contract.ts';

const MIN = 60_000;
const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-work-'));

async function claimUntilEmpty(store: GatewayStore, owner: string, inTransaction: boolean): Promise<number[]> {
  const done: number[] = [];
  for (;;) {
    let got: number[];
    if (inTransaction) {
      // Claim and complete in one transaction that awaits while it holds the write lock.
      got = await store.transaction(async (w) => {
        const jobs = await w.jobs.claim({ owner, now: at(), leaseMs: MIN, limit: 3 });
        await new Promise<void>((r) => setImmediate(r));
        for (const j of jobs) assert.equal(await w.jobs.complete(j.id, owner, at(1)), true);
        return jobs.map((j) => j.id);
      });
    } else {
      const jobs = await store.work.jobs.claim({ owner, now: at(), leaseMs: MIN, limit: 2 });
      for (const j of jobs) assert.equal(await store.work.jobs.complete(j.id, owner, at(1)), true, `${owner} holds job ${j.id}`);
      got = jobs.map((j) => j.id);
    }
    if (got.length === 0) return done;
    done.push(...got);
  }
}

if (process.env.DOCKGATE_CLAIM_CHILD) {
  const store = openStore({ dataDir: process.env.DOCKGATE_CLAIM_CHILD, retentionDays: 30 });
  const ids = await claimUntilEmpty(store, `child-${process.pid}`, process.env.DOCKGATE_CLAIM_TX === '1');
  await store.close();
  process.stdout.write(JSON.stringify(ids));
} else {
  // Each store's data directory, so that the contract can open a second store on its database.
  const dataDirs = new WeakMap<GatewayStore, string>();
  workContract(
    'sqlite',
    async () => {
      const dataDir = join(dir(), 'data');
      const store = openStore({ dataDir, retentionDays: 30 });
      dataDirs.set(store, dataDir);
      return store;
    },
    undefined,
    {
      sameDatabase: async (store) => openStore({ dataDir: dataDirs.get(store)!, retentionDays: 30 }),
      readOnlyOf: async (store) => openStore({ dataDir: dataDirs.get(store)!, readOnly: true }),
    },
  );

  test('sqlite: two stores on one database file claiming the same jobs never get the same job', async () => {
    const dataDir = join(dir(), 'data');
    const a = openStore({ dataDir, retentionDays: 30 });
    const b = openStore({ dataDir, retentionDays: 30 });
    try {
      await a.transaction(async (w) => {
        for (let i = 0; i < 120; i++) await w.jobs.enqueue({ kind: 'deliver-file', key: `deliver:${i}`, payload: { i } }, at());
      });
      // Outside transactions and inside ones that await while holding the lock, interleaved.
      const [a1, b1, a2, b2] = await Promise.all([claimUntilEmpty(a, 'a1', false), claimUntilEmpty(b, 'b1', true), claimUntilEmpty(a, 'a2', true), claimUntilEmpty(b, 'b2', false)]);
      const all = [...a1, ...b1, ...a2, ...b2];
      assert.equal(new Set(all).size, all.length, 'a job was claimed twice');
      assert.equal(all.length, 120, 'every job claimed');
      assert.equal((await b.work.jobs.list({ state: 'done' })).length, 120);

      // In rounds: each store claims in a transaction that awaits while holding the write lock.
      // The second store's BEGIN waits without blocking the event loop (else the first could
      // never commit), and each round both get their own jobs.
      await a.transaction(async (w) => {
        for (let i = 0; i < 30; i++) await w.jobs.enqueue({ kind: 'publish-quantity', key: `q:${i}`, payload: { i } }, at());
      });
      const step = (store: GatewayStore, owner: string) =>
        store.transaction(async (w) => {
          const jobs = await w.jobs.claim({ owner, now: at(), leaseMs: MIN, limit: 3, kinds: ['publish-quantity'] });
          await new Promise<void>((r) => setImmediate(r));
          for (const j of jobs) assert.equal(await w.jobs.complete(j.id, owner, at(1)), true);
          return jobs.map((j) => j.id);
        });
      const seen: number[] = [];
      for (let round = 0; round < 5; round++) {
        const [fromA, fromB] = await Promise.all([step(a, 'a'), step(b, 'b')]);
        assert.equal(fromA.length, 3, `round ${round}: a took its jobs`);
        assert.equal(fromB.length, 3, `round ${round}: b took its jobs`);
        seen.push(...fromA, ...fromB);
      }
      assert.equal(new Set(seen).size, 30);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('sqlite: four processes claiming one outbox at once complete each job exactly once', async () => {
    const dataDir = join(dir(), 'data');
    const store = openStore({ dataDir, retentionDays: 30 });
    await store.transaction(async (w) => {
      for (let i = 0; i < 300; i++) await w.jobs.enqueue({ kind: 'confirm-package', key: `pkg:${i}`, payload: { i } }, at());
    });
    await store.close();
    const self = fileURLToPath(import.meta.url);
    const run = (tx: boolean) =>
      new Promise<number[]>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', self], { env: { ...process.env, DOCKGATE_CLAIM_CHILD: dataDir, DOCKGATE_CLAIM_TX: tx ? '1' : '0' } });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`worker exited ${code}: ${err}`))));
      });
    const results = await Promise.all([run(false), run(true), run(false), run(true)]);
    const all = results.flat();
    assert.equal(new Set(all).size, all.length, 'a job was completed by two processes');
    assert.equal(all.length, 300);
    const check = openStore({ dataDir, readOnly: true });
    assert.equal((await check.work.jobs.list({ state: 'pending' })).length, 0);
    await check.close();
  });

  test('sqlite: a read-only store refuses transactions and work writes with a clear error', async () => {
    const dataDir = join(dir(), 'data');
    openStore({ dataDir }).close();
    const ro = openStore({ dataDir, readOnly: true });
    await assert.rejects(ro.transaction(async () => undefined), /read-only/);
    await assert.rejects(ro.work.cursors.set('x', 'y', at()), /readonly/);
    assert.equal(await ro.work.cursors.get('x'), null, 'reads work');
    await ro.close();
  });
}
