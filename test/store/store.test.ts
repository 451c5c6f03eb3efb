import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { BlobIntegrityError, migrate, MigrationError, openStore, StoreError, type FileRecord } from '../../src/store/index.ts';

const run = promisify(execFile);
const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-store-'));
const KEY = randomBytes(32).toString('hex');

function record(sha256: string, size: number, extra: Partial<FileRecord> = {}, claims = false): FileRecord {
  return {
    direction: 'in',
    partner: 'reno',
    fileName: 'in/945.edi',
    sha256,
    size,
    status: 'valid',
    children: [
      {
        kind: 'interchange',
        control: '000000101',
        sender: 'ZZ:RENOWMS',
        status: 'valid',
        claimsControl: extra.direction !== 'out' && claims,
        children: [{ kind: 'group', control: '42', docType: 'SW', status: 'valid', children: [{ kind: 'set', control: '0001', docType: '945', status: 'valid' }] }],
      },
    ],
    ...extra,
  };
}

test('migrations: applied once, recorded in the ledger, a changed migration refused', () => {
  const migrations = dir();
  writeFileSync(join(migrations, '0001_one.sql'), 'CREATE TABLE t (a INTEGER);');
  const db = new Database(':memory:');
  assert.equal(migrate(db, migrations), 1);
  assert.equal(migrate(db, migrations), 0);
  writeFileSync(join(migrations, '0002_two.sql'), 'ALTER TABLE t ADD COLUMN b TEXT;');
  assert.equal(migrate(db, migrations), 1);
  assert.deepEqual((db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all() as unknown[]), [
    { version: 1, name: '0001_one.sql' },
    { version: 2, name: '0002_two.sql' },
  ]);
  writeFileSync(join(migrations, '0001_one.sql'), 'CREATE TABLE t (a INTEGER, c TEXT);');
  assert.throws(() => migrate(db, migrations), (e: unknown) => e instanceof MigrationError && /append-only/.test(e.message));
  // A failing migration leaves nothing behind.
  const db2 = new Database(':memory:');
  const bad = dir();
  writeFileSync(join(bad, '0001_bad.sql'), 'CREATE TABLE x (a INTEGER); SELECT * FROM missing_table;');
  assert.throws(() => migrate(db2, bad));
  assert.equal((db2.prepare("SELECT count(*) n FROM sqlite_master WHERE name = 'x'").get() as { n: number }).n, 0);
});

test('blobs: content-addressed, deduplicated, streamed without buffering the whole file', async () => {
  const store = openStore({ dataDir: dir() });
  const a = await store.blobs.putBuffer(Buffer.from('ISA*00*...'));
  assert.equal(a.sha256, createHash('sha256').update('ISA*00*...').digest('hex'));
  const again = await store.blobs.putBuffer(Buffer.from('ISA*00*...'));
  assert.equal(again.sha256, a.sha256);
  assert.equal((await store.blobs.read(a.sha256)).toString(), 'ISA*00*...');
  // 50 MB generated chunk by chunk; only the hash is compared.
  const hash = createHash('sha256');
  let left = 50;
  const source = new Readable({
    read() {
      if (left-- === 0) return this.push(null);
      const chunk = Buffer.alloc(1 << 20, left % 251);
      hash.update(chunk);
      this.push(chunk);
    },
  });
  const big = await store.blobs.putStream(source);
  assert.equal(big.size, 50 << 20);
  assert.equal(big.sha256, hash.digest('hex'));
  const back = createHash('sha256');
  for await (const c of await store.blobs.open(big.sha256)) back.update(c as Buffer);
  assert.equal(back.digest('hex'), big.sha256);
  await store.close();
});

test('encryption at rest: round trip, plaintext not on disk, wrong key and altered bytes refused, no key refused', async () => {
  const dataDir = dir();
  const store = openStore({ dataDir, encryptionKey: KEY });
  const text = 'N1*ST*JANE DOE~N3*123 MAIN ST~';
  const { sha256 } = await store.blobs.putBuffer(Buffer.from(text));
  assert.equal(sha256, createHash('sha256').update(text).digest('hex'), 'address of the plaintext');
  const path = join(dataDir, 'raw', sha256.slice(0, 2), sha256.slice(2, 4), sha256);
  assert.ok(!readFileSync(path).includes(Buffer.from('JANE DOE')));
  assert.equal((await store.blobs.read(sha256)).toString(), text);
  await store.close();
  const wrong = openStore({ dataDir, encryptionKey: randomBytes(32).toString('base64') });
  await assert.rejects(wrong.blobs.read(sha256), BlobIntegrityError);
  await wrong.close();
  const none = openStore({ dataDir });
  await assert.rejects(none.blobs.read(sha256), (e: unknown) => e instanceof StoreError && /encrypted and no store key/.test((e as Error).message));
  await none.close();
  const bytes = readFileSync(path);
  bytes[20] ^= 1;
  writeFileSync(path, bytes);
  const tampered = openStore({ dataDir, encryptionKey: KEY });
  await assert.rejects(tampered.blobs.read(sha256), BlobIntegrityError);
  await tampered.close();
  assert.throws(() => openStore({ dataDir, encryptionKey: 'short' }), /32 bytes/);
});

test('message log: a file and its envelope tree in one transaction, traceable both ways, with status history', async () => {
  const store = openStore({ dataDir: dir() });
  const blob = await store.blobs.putBuffer(Buffer.from('x'));
  const fileId = await store.recordFile(record(blob.sha256, blob.size, {}, true));
  const set = store.list({ kind: 'set' })[0];
  const t = store.trace(set.id);
  assert.ok(t);
  assert.deepEqual(t.parents.map((p) => p.kind), ['group', 'interchange', 'file']);
  assert.equal(t.parents[2].id, fileId);
  assert.deepEqual(store.trace(fileId)!.children.map((c) => c.kind), ['interchange']);
  assert.ok(store.hasInterchange('ZZ', 'RENOWMS', '101'), 'numeric control numbers compare as numbers');
  assert.ok(!store.hasInterchange('ZZ', 'RENOWMS', '102'));
  await store.setStatus(set.id, 'accepted', '997 AK5*A');
  assert.deepEqual(store.trace(set.id)!.events.map((e) => [e.fromStatus, e.toStatus]), [[null, 'valid'], ['valid', 'accepted']]);
  // Nothing is half-recorded: a file whose bytes are not stored is refused before any row.
  await assert.rejects(store.recordFile(record('0'.repeat(64), 1)), /not in the raw-file store/);
  const before = store.list({ limit: 100 }).length;
  const broken = record(blob.sha256, 1);
  (broken.children[0] as { kind: string }).kind = 'nonsense';
  await assert.rejects(store.recordFile(broken));
  assert.equal(store.list({ limit: 100 }).length, before, 'the failed file left no rows');
  await store.close();
});

test('sent groups and sets are found by partner and control numbers (for incoming 997s)', async () => {
  const store = openStore({ dataDir: dir() });
  const blob = await store.blobs.putBuffer(Buffer.from('y'));
  await store.recordFile(record(blob.sha256, blob.size, { direction: 'out', status: 'sent' }));
  assert.equal(store.findSent('reno', '0042')?.kind, 'group');
  assert.equal(store.findSent('reno', '42', '0001')?.docType, '945');
  assert.equal(store.findSent('reno', '42', '0002'), null);
  assert.equal(store.findSent('other', '42'), null);
  await store.close();
});

test('retention: PII files purged N days after completion, others kept, shared bytes kept while referenced, idempotent', async () => {
  const dataDir = dir();
  const store = openStore({ dataDir, retentionDays: 30 });
  const old = await store.blobs.putBuffer(Buffer.from('945 with buyer address'));
  const shared = await store.blobs.putBuffer(Buffer.from('same bytes twice'));
  const noPii = await store.blobs.putBuffer(Buffer.from('846 inventory'));
  const day = (n: number) => new Date(Date.UTC(2026, 0, n)).toISOString();
  await store.recordFile(record(old.sha256, old.size, { containsPii: true, completedAt: day(1) }));
  await store.recordFile(record(shared.sha256, shared.size, { containsPii: true, completedAt: day(1) }));
  await store.recordFile(record(shared.sha256, shared.size, { containsPii: true, completedAt: day(25) }));
  await store.recordFile(record(noPii.sha256, noPii.size, { containsPii: false, completedAt: day(1) }));
  const open = await store.blobs.putBuffer(Buffer.from('940 not yet acknowledged'));
  await store.recordFile(record(open.sha256, open.size, { containsPii: true })); // never completed: kept
  const now = new Date(Date.UTC(2026, 1, 5)); // 35 days after Jan 1, 11 after Jan 25
  const first = await store.purgeExpired(now);
  assert.deepEqual(first.blobs, [old.sha256]);
  assert.equal(first.files.length, 1);
  assert.ok(!store.blobs.has(old.sha256));
  assert.ok(store.blobs.has(shared.sha256), 'still referenced by a file completed 11 days ago');
  assert.ok(store.blobs.has(noPii.sha256));
  assert.ok(store.blobs.has(open.sha256));
  assert.deepEqual(await store.purgeExpired(now), { dryRun: false, cutoff: day(6), files: [], blobs: [] });
  const later = await store.purgeExpired(new Date(Date.UTC(2026, 2, 1)));
  assert.deepEqual(later.blobs, [shared.sha256]);
  assert.equal(store.list({ kind: 'file', limit: 10 }).filter((m) => m.purgedAt).length, 3);
  await store.close();
});

test('control numbers: sequential per partner and kind, kept across restarts, wrapped at the maximum', async () => {
  const dataDir = dir();
  let store = openStore({ dataDir });
  assert.deepEqual([1, 2, 3].map(() => store.controlNumbers.next('reno', 'ISA13')), [1, 2, 3]);
  assert.equal(store.controlNumbers.next('reno', 'GS06'), 1);
  assert.equal(store.controlNumbers.next('other', 'ISA13'), 1);
  assert.equal(store.peekControlNumber('reno', 'ISA13'), 4);
  await store.close();
  store = openStore({ dataDir });
  assert.equal(store.controlNumbers.next('reno', 'ISA13'), 4);
  await store.close();
  const db = new Database(join(dataDir, 'dockgate.sqlite'));
  db.prepare("UPDATE control_numbers SET last = 999999999 WHERE partner = 'reno' AND kind = 'ISA13'").run();
  db.close();
  store = openStore({ dataDir });
  assert.equal(store.peekControlNumber('reno', 'ISA13'), 1);
  assert.equal(store.controlNumbers.next('reno', 'ISA13'), 1);
  await store.close();
  const readOnly = openStore({ dataDir, readOnly: true });
  assert.throws(() => readOnly.controlNumbers.next('reno', 'ISA13'), /read-only/);
  await readOnly.close();
});

test('control numbers are never handed out twice by concurrent processes', async () => {
  const dataDir = dir();
  openStore({ dataDir }).close();
  const fixture = resolve(import.meta.dirname, 'fixtures/draw-numbers.ts');
  const outputs = await Promise.all(
    [0, 1, 2, 3].map(() => run(process.execPath, ['--import', 'tsx', fixture, dataDir, '200'], { cwd: resolve(import.meta.dirname, '../..') })),
  );
  const all = outputs.flatMap((o) => JSON.parse(o.stdout) as number[]).sort((a, b) => a - b);
  assert.equal(all.length, 800);
  assert.deepEqual(all, Array.from({ length: 800 }, (_, i) => i + 1));
});

