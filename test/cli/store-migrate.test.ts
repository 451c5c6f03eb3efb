/**
 * `dockgate store migrate --to postgres://...` through the real bin, into a real PostgreSQL
 * (test/store/postgres-server.ts): an SQLite store with real content (recorded files with their
 * envelope trees, orders, packages, jobs, exceptions, control numbers drawn, cursors, samples in
 * several batches) arrives whole, table by table and row by row; a second migrate into the same
 * database is refused with nothing changed; the identities continue past the copied ids; the
 * store opened on PostgreSQL reads it all back; a store still in use is refused; a failure part
 * way leaves the target empty; the password never appears in what the command prints.
 */
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import pg from 'pg';
import { openStore, type FileRecord } from '../../src/store/index.ts';
import { migratePostgres } from '../../src/store/postgres/migrate.ts';
import { SyncPostgres } from '../../src/store/postgres/sync-client.ts';
import { realPostgresPerFile } from '../store/postgres-per-file.ts';
import { dockgate } from '../store/fixtures/x12.ts';

const { skip: SKIP, server } = realPostgresPerFile('store-migrate');
const PASSWORD = 'never-print-me-7f3a';
const NOW = '2026-03-02T10:00:00.000Z';
/** Samples: more than one INSERT batch (500 rows) of health_samples. */
const SAMPLES = 1234;

const tempDir = (t: { after: (fn: () => void) => void }) => {
  const d = mkdtempSync(join(tmpdir(), 'dockgate-store-migrate-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

/** A fresh database's URL, with a password in it (the test cluster trusts 127.0.0.1 and ignores it). */
async function target(): Promise<string> {
  const url = new URL(await server().freshDatabase('migrate'));
  url.password = PASSWORD;
  return url.toString();
}

function inbound(sha256: string, size: number, control: string): FileRecord {
  return {
    direction: 'in',
    partner: 'reno',
    fileName: `in/945-${control}.edi`,
    sha256,
    size,
    status: 'valid',
    containsPii: true,
    children: [
      {
        kind: 'interchange',
        control,
        sender: 'ZZ:RENOWMS',
        status: 'valid',
        claimsControl: true,
        children: [{ kind: 'group', control: '42', docType: 'SW', status: 'valid', children: [{ kind: 'set', control: '0001', docType: '945', status: 'valid' }] }],
      },
    ],
  };
}

interface Seeded {
  inboundFileId: number;
  outboundFileId: number;
  blobSha: string;
  doneJobId: number;
  packageId: number;
}

/** An SQLite store with something in every kind of record the flows keep, through the store API. */
async function seed(dataDir: string): Promise<Seeded> {
  const store = openStore({ dataDir });
  try {
    const blob = await store.blobs.putBuffer(Buffer.from('ISA*00*...~ a 945 with JANE ROE in it'));
    const inboundFileId = await store.recordFile(inbound(blob.sha256, blob.size, '000000101'));
    await store.recordFile(inbound(blob.sha256, blob.size, '000000102'));
    for (let i = 0; i < 3; i++) store.controlNumbers.next('reno', 'ISA13');
    store.controlNumbers.next('reno', 'ST02');
    const order = await store.blobs.putBuffer(Buffer.from('{"shipTo":"JANE ROE"}'));
    const outboundFileId = await store.recordFile({
      direction: 'out',
      partner: 'reno',
      fileName: 'out/940-1.edi',
      sha256: order.sha256,
      size: order.size,
      status: 'sent',
      children: [{ kind: 'interchange', control: '000000001', status: 'sent', children: [{ kind: 'group', control: '1', docType: 'OW', status: 'sent', children: [{ kind: 'set', control: '0001', docType: '940', status: 'sent' }] }] }],
    });
    const setId = store.trace(outboundFileId)!.children[0].id;
    const w = store.work;
    await w.messages.setDelivery(outboundFileId, 'delivered', NOW, undefined, '/in');
    await w.orders.put({
      seller: 'acme',
      orderId: '111-0000001-0000001',
      marketplaceId: 'ATVPDKIKX0DER',
      partner: 'reno',
      state: 'delivered',
      amazonUpdatedAt: NOW,
      amazonStatus: 'Unshipped',
      shipBy: '2026-03-04T00:00:00.000Z',
      documentSha256: order.sha256,
      addressHash: 'a'.repeat(64),
      lines: [{ lineNumber: 1, sellerSku: 'SKU-1', orderItemId: 'item-1', ordered: 2, shipped: 0 }],
      revision: 1,
      heldBy: null,
      createdAt: NOW,
      updatedAt: NOW,
    });
    await w.orders.addRevision({ seller: 'acme', orderId: '111-0000001-0000001', revision: 1, purpose: 'new', fileMessageId: outboundFileId, setMessageId: setId, createdAt: NOW });
    const pkg = await w.packages.add(
      {
        seller: 'acme',
        orderId: '111-0000001-0000001',
        marketplaceId: 'ATVPDKIKX0DER',
        partner: 'reno',
        fileMessageId: inboundFileId,
        warehousePackageId: '1',
        trackingNumber: '1Z999',
        carrierCode: 'UPS',
        carrierName: null,
        shippingMethod: 'Ground',
        items: [{ orderItemId: 'item-1', sellerSku: 'SKU-1', quantity: 2 }],
        shippedAt: NOW,
        state: 'pending',
      },
      NOW,
    );
    const done = await w.jobs.enqueue({ kind: 'deliver-file', key: 'deliver:1', partner: 'reno', payload: { messageId: outboundFileId } }, NOW);
    await w.jobs.enqueue({ kind: 'confirm-package', key: `confirm:${pkg.record.id}`, seller: 'acme', payload: { packageId: pkg.record.id } }, NOW);
    const [claimed] = await w.jobs.claim({ owner: 'seed', now: NOW, leaseMs: 60_000, limit: 1, kinds: ['deliver-file'] });
    await w.jobs.complete(claimed.id, 'seed', NOW);
    await w.exceptions.raise({ kind: 'unmapped-sku', seller: 'acme', partner: 'reno', key: 'SKU-9', message: 'SKU-9 is not mapped', ref: '111-0000001-0000001', now: NOW });
    const resolved = await w.exceptions.raise({ kind: 'unmapped-carrier', partner: 'reno', key: 'FEDX', message: 'FEDX is not mapped', now: NOW });
    await w.exceptions.resolve(resolved.id, 'mapped', NOW);
    await w.cursors.set('orders:acme', NOW, NOW);
    await w.cursors.set('files:reno', 'in/945-000000102.edi', NOW);
    await w.inventory.setStock('reno', 'acme', [{ warehouseItem: 'W-1', state: '33', quantity: 7 }]);
    await w.inventory.accepted('acme', 'SKU-1', 7, NOW);
    await w.inbound.add({ fileMessageId: inboundFileId, index: 0, where: 'set 945 0001 (line 3)', document: '945', seller: 'acme', key: '111-0000001-0000001', state: 'processed', reason: null, at: NOW });
    await w.alerts.fire({ rule: 'ack-overdue', key: 'reno', partner: 'reno', severity: 'warning', message: 'no 997 from reno', details: { files: 1 } }, NOW);
    await w.health.add(Array.from({ length: SAMPLES }, (_, i) => ({ at: new Date(Date.parse(NOW) + i * 60_000).toISOString(), metric: 'jobs_ready', scope: '', value: i / 4 })));
    return { inboundFileId, outboundFileId, blobSha: blob.sha256, doneJobId: done.job.id, packageId: pkg.record.id };
  } finally {
    await store.close();
  }
}

/** The SQLite tables the copy covers (all but the ledger), each with its rows as sorted JSON. */
function sqliteDump(dataDir: string): Map<string, string[]> {
  const db = new Database(join(dataDir, 'dockgate.sqlite'), { readonly: true });
  try {
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    return new Map(tables.map((t) => [t, (db.prepare(`SELECT * FROM "${t}"`).all() as object[]).map((r) => JSON.stringify(r)).sort()]));
  } finally {
    db.close();
  }
}

/** bigint as numbers, as the store reads them. */
const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format as 'text')) };

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url, types } as pg.ClientConfig);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function postgresDump(url: string, tables: Iterable<string>): Promise<Map<string, string[]>> {
  return withClient(url, async (c) => {
    const out = new Map<string, string[]>();
    for (const t of tables) out.set(t, (await c.query(`SELECT * FROM "${t}"`)).rows.map((r) => JSON.stringify(r)).sort());
    return out;
  });
}

const summaryCount = (out: string, table: string) => Number(new RegExp(`^  ${table} +(\\d+)$`, 'm').exec(out)?.[1]);

test('store migrate copies every table of an SQLite store into PostgreSQL; a second migrate is refused; ids continue; the PostgreSQL store reads it back', { timeout: 180_000 }, async (t) => {
  if (SKIP) return t.skip(SKIP);
  const dataDir = join(tempDir(t), 'data');
  const seeded = await seed(dataDir);
  const url = await target();
  const env = { DOCKGATE_DATA_DIR: dataDir };
  const source = sqliteDump(dataDir);
  const sqliteBefore = readFileSync(join(dataDir, 'dockgate.sqlite'));

  const r = dockgate(['store', 'migrate', '--to', url], env);
  assert.equal(r.code, 0, r.err);
  for (const text of [r.out, r.err]) assert.ok(!text.includes(PASSWORD), `the password was printed:\n${text}`);
  assert.match(r.out, /postgres:\/\/dockgate:\*\*\*@127\.0\.0\.1/);
  assert.match(r.out, /store: \{ postgres: \{ url: postgres:\/\/dockgate:\*\*\*@.* \} \}/);
  assert.match(r.out, /DOCKGATE_DATABASE_URL=/);
  assert.match(r.out, new RegExp(`raw files: 2 in ${join(dataDir, 'raw').replace(/[/.]/g, '\\$&')}`));
  assert.match(r.out, /keep the gateway on it stopped/);
  assert.equal(summaryCount(r.out, 'messages'), source.get('messages')!.length);
  assert.equal(summaryCount(r.out, 'health_samples'), SAMPLES);
  // The source is only read.
  assert.deepEqual(readFileSync(join(dataDir, 'dockgate.sqlite')), sqliteBefore);

  // Table by table, row by row: the same tables, the same rows.
  const copied = await postgresDump(url, source.keys());
  for (const [table, rows] of source) {
    assert.equal(copied.get(table)!.length, rows.length, `rows of ${table}`);
    assert.equal(summaryCount(r.out, table), rows.length, `the summary's count of ${table}`);
    assert.deepEqual(copied.get(table), rows, `the rows of ${table}`);
  }
  for (const table of ['messages', 'message_events', 'control_numbers', 'jobs', 'exceptions', 'orders', 'order_revisions', 'packages', 'cursors', 'health_samples', 'blobs']) {
    assert.ok(source.get(table)!.length > 0, `the seed put rows in ${table}`);
  }

  // A second migrate into the same database: refused, one line, exit 2, nothing changed.
  const again = dockgate(['store', 'migrate', '--to', url], env);
  assert.equal(again.code, 2, again.err);
  assert.match(again.err, /^dockgate: the PostgreSQL database postgres:\/\/dockgate:\*\*\*@[^ ]+ already holds Dockgate rows \(in .*messages.*\): migrate into an empty database\n$/);
  assert.ok(!again.err.includes(PASSWORD));
  assert.deepEqual(await postgresDump(url, source.keys()), copied);

  // Identities continue past the copied ids.
  const maxId = Math.max(...source.get('messages')!.map((row) => (JSON.parse(row) as { id: number }).id));
  await withClient(url, async (c) => {
    const row = await c.query<{ id: number }>("INSERT INTO messages (kind, direction, status, created_at, updated_at) VALUES ('file', 'in', 'valid', $1, $1) RETURNING id", [NOW]);
    assert.equal(row.rows[0].id, maxId + 1);
    await c.query('DELETE FROM messages WHERE id = $1', [row.rows[0].id]);
  });

  // Read back through the store interface, on PostgreSQL, with the raw files where they were.
  const pgStore = openStore({ dataDir, databaseUrl: url });
  try {
    const trace = pgStore.trace(seeded.inboundFileId)!;
    assert.equal(trace.message.fileName, 'in/945-000000101.edi');
    assert.deepEqual(
      trace.children.map((m) => [m.kind, m.control]),
      [['interchange', '000000101']],
    );
    assert.ok(pgStore.hasInterchange('ZZ', 'RENOWMS', '101'));
    assert.equal((await pgStore.blobs.read(seeded.blobSha)).toString(), 'ISA*00*...~ a 945 with JANE ROE in it');
    assert.equal(pgStore.controlNumbers.next('reno', 'ISA13'), 4);
    const w = pgStore.work;
    assert.equal((await w.orders.get('acme', '111-0000001-0000001'))!.lines[0].sellerSku, 'SKU-1');
    assert.equal((await w.orders.revisions('acme', '111-0000001-0000001'))[0].fileMessageId, seeded.outboundFileId);
    assert.equal((await w.jobs.get(seeded.doneJobId))!.state, 'done');
    assert.equal((await w.jobs.byKey(`confirm:${seeded.packageId}`))!.state, 'pending');
    assert.equal((await w.exceptions.find('unmapped-sku', 'SKU-9', 'acme', 'reno'))!.refs[0], '111-0000001-0000001');
    assert.equal((await w.jobs.list({ state: 'pending' })).length, 1);
    assert.deepEqual((await w.exceptions.list({ states: ['open'] })).map((x) => x.key), ['SKU-9']);
    assert.equal((await w.health.list({ since: NOW })).length, SAMPLES);
    assert.equal(await w.cursors.get('orders:acme'), NOW);
    assert.equal((await w.packages.get(seeded.packageId))!.trackingNumber, '1Z999');
    // A new package gets an id past the copied ones.
    const next = await w.packages.add(
      { ...(await w.packages.get(seeded.packageId))!, trackingNumber: '1Z1000', fileMessageId: seeded.inboundFileId },
      NOW,
    );
    assert.equal(next.record.id, seeded.packageId + 1);
  } finally {
    await pgStore.close();
  }
});

test('store migrate --raw-dir copies the raw files to the new data directory, and says to use it', { timeout: 120_000 }, async (t) => {
  if (SKIP) return t.skip(SKIP);
  const base = tempDir(t);
  const dataDir = join(base, 'data');
  const seeded = await seed(dataDir);
  const url = await target();
  const shared = join(base, 'shared', 'dockgate');
  const r = dockgate(['store', 'migrate', '--to', url, '--raw-dir', join(shared, 'raw')], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, new RegExp(`copied to ${join(shared, 'raw').replace(/[/.]/g, '\\$&')}`));
  assert.match(r.out, new RegExp(`^  dataDir: ${shared.replace(/[/.]/g, '\\$&')}$`, 'm'));
  const files = (root: string) =>
    (readdirSync(root, { recursive: true }) as string[])
      .filter((p) => !p.startsWith('tmp') && statSync(join(root, p)).isFile())
      .sort();
  assert.deepEqual(files(join(shared, 'raw')), files(join(dataDir, 'raw')));
  const pgStore = openStore({ dataDir: shared, databaseUrl: url });
  try {
    assert.equal((await pgStore.blobs.read(seeded.blobSha)).toString(), 'ISA*00*...~ a 945 with JANE ROE in it');
  } finally {
    await pgStore.close();
  }

  // A folder not named raw cannot be the store's: refused before anything is copied.
  const other = await target();
  const bad = dockgate(['store', 'migrate', '--to', other, '--raw-dir', join(base, 'elsewhere')], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--raw-dir .*elsewhere: the PostgreSQL store reads raw files from <its dataDir>\/raw/);
});

test('store migrate refuses a store a gateway still holds (a running lease), and creates nothing in PostgreSQL', { timeout: 120_000 }, async (t) => {
  if (SKIP) return t.skip(SKIP);
  const dataDir = join(tempDir(t), 'data');
  await seed(dataDir);
  const store = openStore({ dataDir });
  // The CLI compares with its own clock: a lease of a day from now is still running then.
  assert.ok(await store.work.locks.acquire('poll-orders', 'gateway-1', new Date().toISOString(), 86_400_000));
  const url = await target();
  const r = dockgate(['store', 'migrate', '--to', url], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(r.code, 2, r.err);
  assert.match(r.err, /^dockgate: the SQLite store is in use: lock poll-orders held by gateway-1 until .*Stop the gateway/);
  const tables = await withClient(url, async (c) => (await c.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")).rows);
  assert.deepEqual(tables, []);
  await store.work.locks.release('poll-orders', 'gateway-1');
  await store.close();
  assert.equal(dockgate(['store', 'migrate', '--to', url], { DOCKGATE_DATA_DIR: dataDir }).code, 0);
});

test('store migrate failing part way leaves the PostgreSQL database without a row', { timeout: 120_000 }, async (t) => {
  if (SKIP) return t.skip(SKIP);
  const dataDir = join(tempDir(t), 'data');
  await seed(dataDir);
  const url = await target();
  // The schema is there already (migrate applies none), with a trigger that refuses packages,
  // copied after messages, jobs, health samples and the rest.
  const sync = new SyncPostgres(url);
  try {
    migratePostgres(sync);
    sync.query(`CREATE FUNCTION refuse_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                CREATE TRIGGER refuse_packages BEFORE INSERT ON packages FOR EACH ROW EXECUTE FUNCTION refuse_row();`);
  } finally {
    await sync.close();
  }
  const r = dockgate(['store', 'migrate', '--to', url], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(r.code, 1, r.err);
  assert.match(r.err, /^dockgate: copying into postgres:\/\/dockgate:\*\*\*@.* failed, nothing was kept there: refused by the test\n$/);
  const counts = await withClient(url, async (c) => {
    const out: Record<string, number> = {};
    for (const table of ['messages', 'jobs', 'exceptions', 'orders', 'health_samples', 'cursors']) out[table] = (await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0].n;
    return out;
  });
  assert.deepEqual(counts, { messages: 0, jobs: 0, exceptions: 0, orders: 0, health_samples: 0, cursors: 0 });
});
