/**
 * Receipts of one interchange at the same moment, from several processes: the store's unique key
 * on (sender, ISA13) among received interchanges lets exactly one be recorded as the interchange,
 * whatever the timing; the others are recorded as its duplicates, never lost.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { openStore } from '../../src/store/index.ts';
import { advice945, bin, root } from './fixtures/x12.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-race-'));

/** Lines a child writes, one at a time. */
function lineReader(child: ChildProcessWithoutNullStreams): () => Promise<string> {
  const waiting: Array<(line: string) => void> = [];
  const ready: string[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => (waiting.length ? waiting.shift()!(l) : ready.push(l)));
  return () => (ready.length ? Promise.resolve(ready.shift()!) : new Promise((r) => waiting.push(r)));
}

/** Interchanges received as the store recorded them: per control number, how many hold it as valid. */
function validPerControl(dataDir: string): Map<string, number> {
  const store = openStore({ dataDir, readOnly: true });
  const counts = new Map<string, number>();
  for (const m of store.list({ kind: 'interchange', limit: 100_000 })) {
    counts.set(m.control!, (counts.get(m.control!) ?? 0) + (m.status === 'valid' ? 1 : 0));
  }
  store.close();
  return counts;
}

test('one interchange received by 4 processes at once, 40 rounds: exactly one recorded valid each round, the rest duplicates', { timeout: 300_000 }, async () => {
  // A fresh data directory: the processes also migrate it at the same time.
  const dataDir = dir();
  const files = dir();
  const fixture = resolve(import.meta.dirname, 'fixtures/receive.ts');
  const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--import', 'tsx', fixture, dataDir], { cwd: root }));
  const read = children.map(lineReader);
  try {
    assert.deepEqual(await Promise.all(read.map((r) => r())), ['ready', 'ready', 'ready', 'ready']);
    const rounds = 40;
    for (let round = 0; round < rounds; round++) {
      // The same interchange (sender, ISA13) with other bytes in each copy: a resend is rarely byte-identical.
      const paths = children.map((_, i) => {
        const path = join(files, `r${round}-p${i}.edi`);
        writeFileSync(path, advice945(`BUYER ${randomBytes(6).toString('hex').toUpperCase()}`, 100_000 + round));
        return path;
      });
      children.forEach((c, i) => c.stdin.write(`go ${paths[i]}\n`));
      const answers = (await Promise.all(read.map((r) => r()))).map((l) => JSON.parse(l) as { valid: boolean; duplicate: boolean });
      assert.equal(answers.filter((a) => a.valid).length, 1, `round ${round}: ${JSON.stringify(answers)}`);
      assert.equal(answers.filter((a) => a.duplicate).length, 3, `round ${round}`);
    }
    const counts = validPerControl(dataDir);
    assert.equal(counts.size, rounds);
    for (const [control, valid] of counts) assert.equal(valid, 1, `interchange ${control}`);
    const store = openStore({ dataDir, readOnly: true });
    assert.equal(store.list({ kind: 'file', limit: 1000 }).length, rounds * 4, 'every receipt recorded, none lost');
    store.close();
  } finally {
    for (const c of children) c.stdin.end();
    await Promise.all(children.map((c) => new Promise((r) => c.once('close', r))));
  }
});

test('x12 validate --record by 4 processes at once on the same interchange: one exit 0, three exit 1 as isa.duplicate, every round', { timeout: 300_000 }, async () => {
  const dataDir = dir();
  const files = dir();
  const run = (file: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((done) => {
      const c = spawn(process.execPath, [bin, 'x12', 'validate', '--record', file], { cwd: root, env: { ...process.env, DOCKGATE_DATA_DIR: dataDir } });
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => (out += d));
      c.stderr.on('data', (d) => (err += d));
      c.on('close', (code) => done({ code, out, err }));
    });
  for (let round = 0; round < 3; round++) {
    const paths = [0, 1, 2, 3].map((i) => {
      const path = join(files, `r${round}-p${i}.edi`);
      writeFileSync(path, advice945(`BUYER ${i}`, 200_000 + round));
      return path;
    });
    const results = await Promise.all(paths.map(run));
    for (const r of results) assert.doesNotMatch(r.err, /\n\s+at /, 'no stack trace');
    assert.deepEqual(results.map((r) => r.code).sort(), [0, 1, 1, 1], `round ${round}: ${results.map((r) => r.out + r.err).join('\n')}`);
    for (const r of results.filter((x) => x.code === 1)) assert.match(r.out, /isa\.duplicate/);
  }
  for (const [control, valid] of validPerControl(dataDir)) assert.equal(valid, 1, `interchange ${control}`);
});
