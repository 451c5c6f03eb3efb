/**
 * The read-then-write repositories (exceptions, removals, message axes) with two gateway
 * instances on one real PostgreSQL database under READ COMMITTED, each call racing the same
 * call of the other instance: one cause raised by many at once is one row counting every
 * sighting, refs dropped at once are all dropped, units received at once are all counted, one
 * report line or receipt line upserted at once is one row, and the events of one axis moved at
 * once chain. SQLite runs one write transaction at a time, so only PostgreSQL can race.
 *
 * Where PostgreSQL cannot start the test says so by name; under CI=true that fails the suite.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { openStore } from '../../src/store/index.ts';
import type { GatewayStore } from '../../src/store/work.ts';
import { realPostgresPerFile } from './postgres-per-file.ts';
import { at, recordOutbound } from './work-contract.ts';

const MIN = 60_000;
const RACERS = 12;
const open = (url: string) => openStore({ dataDir: join(mkdtempSync(join(tmpdir(), 'dockgate-pg-race-')), 'data'), retentionDays: 30, databaseUrl: url, poolSize: 4 });
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const { skip: SKIP, server } = realPostgresPerFile('race');

if (!SKIP) {
  /** Two instances on a fresh migrated database; `fn` gets them and the database URL. */
  const twoInstances = (name: string, fn: (a: GatewayStore, b: GatewayStore, url: string) => Promise<void>) =>
    test(`postgres race: ${name}`, async () => {
      const url = await server().migratedDatabase('race');
      const a = open(url);
      const b = open(url);
      try {
        await fn(a, b, url);
      } finally {
        await a.close();
        await b.close();
      }
    });

  /** Racer i on instance a or b in turn, each in its own transaction. */
  const race = <T>(a: GatewayStore, b: GatewayStore, fn: (w: Parameters<Parameters<GatewayStore['transaction']>[0]>[0], i: number) => Promise<T>) =>
    Promise.all(range(RACERS).map((i) => (i % 2 ? b : a).transaction((w) => fn(w, i))));

  twoInstances('one new cause raised at once by both instances is one open row counting every sighting', async (a, b) => {
    const raised = await race(a, b, (w, i) => w.exceptions.raise({ kind: 'unmapped-sku', seller: 'acme', partner: 'reno-wms', key: 'SKU-9', message: `seen by ${i}`, ref: `order-${i}`, now: at(i) }));
    assert.equal(new Set(raised.map((x) => x.id)).size, 1, 'every raise found the one row');
    const [open] = await a.work.exceptions.list({ states: ['open'] });
    assert.equal(open.count, RACERS, 'no sighting lost');
    assert.deepEqual([...open.refs].sort(), range(RACERS).map((i) => `order-${i}`).sort(), 'no ref lost');
    assert.equal((await a.work.exceptions.list({})).length, 1);
  });

  twoInstances('refs dropped at once are all dropped, each kept as released, and the last one resolves it', async (a, b) => {
    for (const i of range(RACERS)) await a.work.exceptions.raise({ kind: 'unmapped-sku', seller: 'acme', key: 'SKU-9', message: 'held', ref: `order-${i}`, now: at() });
    const [x] = await a.work.exceptions.list({});
    await race(a, b, (w, i) => w.exceptions.dropRef(x.id, `order-${i}`, 'all released', at(MIN)));
    const after = (await a.work.exceptions.get(x.id))!;
    assert.deepEqual(after.refs, []);
    assert.deepEqual([...(after.context.details?.released as string[])].sort(), range(RACERS).map((i) => `order-${i}`).sort());
    assert.equal(after.state, 'resolved');
  });

  const arrival = { seller: 'acme', source: 'removal' as const, reference: 'RMV-1', sellerSku: 'SKU-1', fnsku: null, lpn: null, carrier: 'UPS', trackingNumber: '1Z1', disposition: 'Sellable', expected: RACERS, shippedAt: at() };

  twoInstances('one report line upserted at once is one arrival; units received at once are all counted', async (a, b) => {
    const upserted = await race(a, b, (w, i) => w.removals.upsertExpected({ ...arrival, carrier: `UPS ${i}` }, at(i)));
    assert.equal(new Set(upserted.map((u) => u.record.id)).size, 1, 'one arrival');
    assert.equal(upserted.filter((u) => u.created).length, 1, 'created once');
    const id = upserted[0].record.id;
    await race(a, b, (w) => w.removals.receive(id, 1, at(MIN)));
    const got = (await a.work.removals.getExpected(id))!;
    assert.equal(got.received, RACERS, 'no unit lost');
    assert.equal(got.state, 'received');
  });

  twoInstances('one receipt line posted at once is one posting', async (a, b) => {
    const line = { seller: 'acme', partner: 'reno-wms', fileMessageId: 7, receiptId: 'RCV-1', line: 0, arrivalId: null, sellerSku: 'SKU-1', warehouseItem: null, condition: 'sellable', disposition: 'sellable' as const, matchedBy: null, state: 'unmatched' as const, exceptionId: null, at: at() };
    const posted = await race(a, b, (w, i) => w.removals.addPosting({ ...line, quantity: i + 1 }));
    assert.equal(new Set(posted.map((p) => p.id)).size, 1);
    assert.equal((await a.work.removals.postings({ fileMessageId: 7 })).length, 1);
  });

  twoInstances('one axis moved at once by both instances: each event leaves the state the one before it set', async (a, b, url) => {
    const { fileId } = await recordOutbound(a, null);
    const states = ['pending', 'delivered', 'failed'] as const;
    await race(a, b, (w, i) => w.messages.setDelivery(fileId, states[i % states.length], at(i)));
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ from_status: string; to_status: string }>("SELECT from_status, to_status FROM message_events WHERE message_id = $1 AND to_status LIKE 'delivery: %' ORDER BY id", [fileId]);
      assert.ok(rows.length > 0);
      for (let i = 1; i < rows.length; i++) assert.equal(rows[i].from_status, rows[i - 1].to_status, `event ${i} follows event ${i - 1}`);
    } finally {
      await c.end();
    }
  });
}
