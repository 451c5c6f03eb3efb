/**
 * The PostgreSQL store after its connections were cut (a database restart, a failover, an
 * administrator's pg_terminate_backend): a gateway runs for months and must go on without a
 * restart of its own. Every backend of the store's database is terminated, then the next
 * control number, read, write and transaction must simply work, on new connections; a number
 * drawn again after the cut is never one handed out before it.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/index.ts';
import { realPostgresPerFile } from './postgres-per-file.ts';

const { skip, server } = realPostgresPerFile('reconnect');

const T = '2026-12-02T10:00:00.000Z';

/** Terminate every other backend on `database`; how many were. */
async function cutConnections(adminUrl: string, database: string): Promise<number> {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query('SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) t', [database]);
    return r.rows[0].n as number;
  } finally {
    await c.end();
  }
}

test('postgres: the store goes on after every connection to its database was terminated', { skip: skip ?? false }, async () => {
  const url = await server().migratedDatabase('reconnect');
  const database = new URL(url).pathname.slice(1);
  const store = openStore({ dataDir: join(mkdtempSync(join(tmpdir(), 'dockgate-reconnect-')), 'data'), databaseUrl: url, poolSize: 3 });
  try {
    const before = [store.controlNumbers.next('reno-wms', 'ISA13'), store.controlNumbers.next('reno-wms', 'ISA13')];
    // Fill the pool with idle connections: three transactions at once.
    await Promise.all(['a', 'b', 'c'].map((k) => store.transaction(async (w) => w.cursors.set(k, 'before', T))));
    assert.ok((await cutConnections(server().url(), database)) >= 2, 'the synchronous connection and the pool were connected');

    // The synchronous connection (control numbers, the message log's reads).
    const after = store.controlNumbers.next('reno-wms', 'ISA13');
    assert.ok(after > Math.max(...before), `the number drawn after the cut (${after}) is past those before it (${before.join(', ')})`);
    assert.equal(store.peekControlNumber('reno-wms', 'ISA13'), after + 1);
    // The pool: its idle connections are dead; reads, writes and transactions get new ones.
    assert.equal(await store.work.cursors.get('a'), 'before');
    await Promise.all(['a', 'b', 'c'].map((k) => store.transaction(async (w) => w.cursors.set(k, 'after', T))));
    assert.deepEqual(await Promise.all(['a', 'b', 'c'].map((k) => store.work.cursors.get(k))), ['after', 'after', 'after']);

    // Cut again while a transaction is open on the pool: that transaction fails (it is gone
    // with its connection), nothing of it stays, and the next one works.
    await assert.rejects(
      store.transaction(async (w) => {
        await w.cursors.set('a', 'lost', T);
        await cutConnections(server().url(), database);
        await w.cursors.set('b', 'lost', T);
      }),
    );
    assert.equal(await store.work.cursors.get('a'), 'after', 'the cut transaction left nothing');
    await store.work.cursors.set('a', 'again', T);
    assert.equal(await store.work.cursors.get('a'), 'again');
    assert.ok(store.controlNumbers.next('reno-wms', 'ISA13') > after);
  } finally {
    await store.close();
  }
});
