/**
 * Migration 0002 on a database that already holds received interchanges, duplicates among them
 * (resends, and pairs that won the old check-then-act race): it applies, the first receipt of
 * each (sender, control) holds it, and from then on the store refuses a second holder.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { DuplicateInterchangeError, migrate, openStore, type FileRecord } from '../../src/store/index.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-migrate-'));

/** A seeded generator, so that a failure can be replayed. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

const normal = (c: string) => (/^\d+$/.test(c) ? c.replace(/^0+(?=\d)/, '') : c);

test('0002 applies to an existing log with duplicates; the first receipt holds each interchange; later receipts are refused', async () => {
  const dataDir = dir();
  const only0001 = dir();
  copyFileSync(resolve(import.meta.dirname, '../../src/store/migrations/0001_init.sql'), join(only0001, '0001_init.sql'));
  const db = new Database(join(dataDir, 'dockgate.sqlite'));
  migrate(db, only0001);
  const pick = random(20261124);
  const one = <T>(xs: T[]) => xs[Math.floor(pick() * xs.length)];
  const insert = db.prepare(
    "INSERT INTO messages (parent_id, kind, direction, sender, control, status, created_at, updated_at) VALUES (NULL, ?, ?, ?, ?, ?, '2026-01-01', '2026-01-01')",
  );
  // Padded and unpadded numbers, text, empty and missing controls, other senders, sent ones, groups.
  const controls = ['000000101', '101', '0000101', '000000102', '102', '0', '000000000', 'ABC', 'abc', '', ' ', '00A1'];
  const rows: Array<{ id: number; kind: string; direction: string; sender: string | null; control: string | null }> = [];
  db.transaction(() => {
    for (let i = 0; i < 3000; i++) {
      const row = {
        kind: pick() < 0.8 ? 'interchange' : 'group',
        direction: pick() < 0.85 ? 'in' : 'out',
        sender: pick() < 0.05 ? null : one(['ZZ:RENOWMS', 'ZZ:OTHER', '01:123456789']),
        control: pick() < 0.03 ? null : one(controls),
      };
      const status = one(['valid', 'invalid', 'valid']);
      rows.push({ id: Number(insert.run(row.kind, row.direction, row.sender, row.control, status).lastInsertRowid), ...row });
    }
  })();
  db.close();

  const store = openStore({ dataDir });
  const check = new Database(join(dataDir, 'dockgate.sqlite'), { readonly: true });
  const holders = check.prepare('SELECT id, sender, received_key FROM messages WHERE received_key IS NOT NULL ORDER BY id').all() as Array<{ id: number; sender: string; received_key: string }>;
  const expected = new Map<string, number>();
  for (const r of rows) {
    if (r.kind !== 'interchange' || r.direction !== 'in' || r.sender === null || r.control === null || r.control === '') continue;
    const key = `${r.sender}|${normal(r.control)}`;
    if (!expected.has(key)) expected.set(key, r.id);
  }
  assert.deepEqual(new Map(holders.map((h) => [`${h.sender}|${h.received_key}`, h.id])), expected);
  check.close();

  for (const key of expected.keys()) {
    const [sender, control] = key.split('|');
    const [q, id] = sender.split(':');
    assert.ok(store.hasInterchange(q, id, control), key);
    if (/^\d+$/.test(control)) assert.ok(store.hasInterchange(q, id, control.padStart(9, '0')), `${key} padded`);
  }
  assert.ok(!store.hasInterchange('ZZ', 'RENOWMS', '000000103'));

  const blob = await store.blobs.putBuffer(Buffer.from('ISA'));
  const receipt = (control: string, claims: boolean): FileRecord => ({
    direction: 'in',
    fileName: 'again.edi',
    sha256: blob.sha256,
    size: blob.size,
    status: 'valid',
    children: [{ kind: 'interchange', sender: 'ZZ:RENOWMS', control, status: 'valid', claimsControl: claims }],
  });
  const before = store.list({ limit: 100_000 }).length;
  await assert.rejects(store.recordFile(receipt('000000101', true)), (e: unknown) => e instanceof DuplicateInterchangeError && e.interchanges[0].control === '000000101');
  assert.equal(store.list({ limit: 100_000 }).length, before, 'a refused file leaves no rows');
  await store.recordFile(receipt('000000101', false));
  await store.recordFile(receipt('000000103', true));
  await assert.rejects(store.recordFile(receipt('103', true)), DuplicateInterchangeError);
  // Sent interchanges never hold a received control number.
  await store.recordFile({ ...receipt('000000104', true), direction: 'out' });
  assert.ok(!store.hasInterchange('ZZ', 'RENOWMS', '104'));
  await store.close();
});
