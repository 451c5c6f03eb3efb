/**
 * The durable-work contract (work-contract.ts) on a real PostgreSQL server started for this file
 * (postgres-server.ts), a fresh database per test, and what only several instances on one
 * database show: claims with SKIP LOCKED hand disjoint jobs to instances claiming at once, a
 * task lock goes to exactly one of them, and four instances drawing 10,000 control numbers at
 * once never get the same number.
 *
 * Where PostgreSQL cannot start the tests say so by name; under CI=true that fails the suite.
 * Run as a child (DOCKGATE_DRAW_CHILD set), this file draws control numbers and prints them.
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
import { realPostgresPerFile } from './postgres-per-file.ts';
import { at, POSTGRES_TRAITS, workContract } from './work-contract.ts';

const MIN = 60_000;
const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-pg-work-'));
const open = (url: string, dataDir = join(dir(), 'data'), more: { readOnly?: boolean } = {}) => openStore({ dataDir, retentionDays: 30, databaseUrl: url, poolSize: 4, ...more });

if (process.env.DOCKGATE_DRAW_CHILD) {
  const store = open(process.env.DOCKGATE_DRAW_CHILD, process.env.DOCKGATE_DRAW_DATA);
  const n = Number(process.env.DOCKGATE_DRAW_COUNT);
  const drawn: number[] = [];
  for (let i = 0; i < n; i++) drawn.push(store.controlNumbers.next('acme-3pl', 'ISA13'));
  await store.close();
  process.stdout.write(JSON.stringify(drawn));
} else {
  const { skip, server: running } = realPostgresPerFile('store');

  if (!skip) {
    const server = { migratedDatabase: (prefix: string) => running().migratedDatabase(prefix) };

    // Each store's database, so that the contract can open a second instance on it.
    const urls = new WeakMap<GatewayStore, string>();
    workContract(
      'postgres',
      async () => {
        const url = await server.migratedDatabase('contract');
        const store = open(url);
        urls.set(store, url);
        return store;
      },
      POSTGRES_TRAITS,
      {
        sameDatabase: async (store) => open(urls.get(store)!),
        readOnlyOf: async (store) => open(urls.get(store)!, undefined, { readOnly: true }),
      },
    );

    test('postgres: two instances claiming the same outbox at once never get the same job (SKIP LOCKED)', async () => {
      const url = await server.migratedDatabase('claims');
      const a = open(url);
      const b = open(url);
      try {
        await a.transaction(async (w) => {
          for (let i = 0; i < 200; i++) await w.jobs.enqueue({ kind: 'deliver-file', key: `deliver:${i}`, payload: { i } }, at());
        });
        const worker = async (store: GatewayStore, owner: string) => {
          const done: number[] = [];
          for (;;) {
            // Claim and complete in one transaction that holds its row locks while it awaits.
            const got = await store.transaction(async (w) => {
              const jobs = await w.jobs.claim({ owner, now: at(), leaseMs: MIN, limit: 3 });
              await new Promise<void>((r) => setImmediate(r));
              for (const j of jobs) assert.equal(await w.jobs.complete(j.id, owner, at(1)), true, `${owner} holds job ${j.id}`);
              return jobs.map((j) => j.id);
            });
            if (got.length === 0) return done;
            done.push(...got);
          }
        };
        const [x, y, z] = await Promise.all([worker(a, 'a1'), worker(a, 'a2'), worker(b, 'b1')]);
        const all = [...x, ...y, ...z];
        assert.equal(all.length, 200, 'every job done');
        assert.equal(new Set(all).size, 200, 'no job done twice');
        assert.ok(z.length > 0 && x.length + y.length > 0, `both instances worked (a ${x.length + y.length}, b ${z.length})`);
      } finally {
        await a.close();
        await b.close();
      }
    });

    test('postgres: a scheduled task lock goes to exactly one of several instances asking at once, and to another once its lease ran out', async () => {
      const url = await server.migratedDatabase('locks');
      const stores = [open(url), open(url), open(url)];
      try {
        const got = await Promise.all(stores.map((s, i) => s.work.locks.acquire('poll:acme', `instance-${i}`, at(), MIN)));
        assert.equal(got.filter(Boolean).length, 1, `one holder: ${JSON.stringify(got)}`);
        const holder = got.indexOf(true);
        const other = (holder + 1) % 3;
        assert.equal(await stores[other].work.locks.acquire('poll:acme', `instance-${other}`, at(MIN - 1), MIN), false, 'held while the lease runs');
        assert.equal(await stores[other].work.locks.acquire('poll:acme', `instance-${other}`, at(MIN), MIN), true, 'taken over when it ran out');
        assert.equal(await stores[holder].work.locks.acquire('poll:acme', `instance-${holder}`, at(MIN + 1), MIN), false, 'the old holder does not get it back');
      } finally {
        for (const s of stores) await s.close();
      }
    });

    test('postgres: four instances drawing 10,000 control numbers at once never get the same number, and none is reused', async () => {
      const url = await server.migratedDatabase('numbers');
      // Migrate once before the children start, as a first instance would.
      const first = open(url);
      const dataDir = join(dir(), 'data');
      await first.close();
      const child = () =>
        new Promise<number[]>((resolve, reject) => {
          const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
            env: { ...process.env, DOCKGATE_DRAW_CHILD: url, DOCKGATE_DRAW_DATA: dataDir, DOCKGATE_DRAW_COUNT: '2500' },
            stdio: ['ignore', 'pipe', 'inherit'],
          });
          let out = '';
          p.stdout.on('data', (d: Buffer) => (out += d.toString()));
          p.once('error', reject);
          p.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out) as number[]) : reject(new Error(`drawer exited with ${code}`))));
        });
      const drawn = await Promise.all([child(), child(), child(), child()]);
      const all = drawn.flat();
      assert.equal(all.length, 10_000);
      assert.equal(new Set(all).size, 10_000, 'no number handed out twice');
      for (const d of drawn) for (let i = 1; i < d.length; i++) assert.ok(d[i] > d[i - 1], 'each instance sees its numbers rise');
      const store = open(url, dataDir);
      try {
        assert.equal(store.peekControlNumber('acme-3pl', 'ISA13'), 10_001, 'the next number follows every drawn one: none will be reused');
      } finally {
        await store.close();
      }
    });
  }
}
