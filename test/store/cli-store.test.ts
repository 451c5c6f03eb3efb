/**
 * The store as commands open it, through the real bin: read-only commands write nothing (a
 * missing data directory is an empty store, not a created one); commands that record say once
 * when raw files will be kept unencrypted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { advice945, dockgate, samples, withControl, sample } from './fixtures/x12.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-cli-store-'));

/** Every path under a directory with its size and modification time, SQLite's WAL companions aside. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const s = statSync(p);
      if (s.isDirectory()) walk(p);
      else if (!/-(wal|shm)$/.test(name)) out.push(`${relative(root, p)} ${s.size} ${s.mtimeMs}`);
    }
    out.push(`${relative(root, d)}/`);
  };
  walk(root);
  return out.sort();
}

const READ_ONLY: Array<{ args: string[]; code: number; out?: RegExp }> = [
  { args: ['store', 'list'], code: 0, out: /no messages recorded yet/ },
  { args: ['store', 'list', '--json', '--kind', 'file'], code: 0, out: /^\[\]\n$/ },
  { args: ['store', 'trace', '1'], code: 1 },
  { args: ['store', 'purge', '--dry-run', '--now', '2099-01-01'], code: 0, out: /would purge 0 raw file/ },
  { args: ['x12', 'validate', join(samples, 'acme-945-shipment-advice.edi')], code: 0 },
  { args: ['x12', 'ack', join(samples, 'acme-945-shipment-advice.edi')], code: 0 },
];

test('read-only commands against a data directory that does not exist create nothing', () => {
  const parent = dir();
  const dataDir = join(parent, 'data', 'not-yet');
  for (const c of READ_ONLY) {
    const r = dockgate(c.args, { DOCKGATE_DATA_DIR: dataDir });
    assert.equal(r.code, c.code, `${c.args.join(' ')}: ${r.err}`);
    if (c.out) assert.match(r.out, c.out, c.args.join(' '));
    assert.doesNotMatch(r.err, /warning/, `${c.args.join(' ')} records nothing: nothing to warn about`);
    assert.deepEqual(readdirSync(parent), [], `${c.args.join(' ')} created ${readdirSync(parent).join(', ')}`);
  }
});

test('read-only commands against an existing store change no file in it and recreate no temporary directory', () => {
  const dataDir = join(dir(), 'data');
  const files = dir();
  writeFileSync(join(files, '945.edi'), advice945('JANE ROE', 801));
  assert.equal(dockgate(['x12', 'validate', '--record', join(files, '945.edi')], { DOCKGATE_DATA_DIR: dataDir }).code, 0);
  rmSync(join(dataDir, 'raw', 'tmp'), { recursive: true });
  const before = snapshot(dataDir);
  const db = readFileSync(join(dataDir, 'dockgate.sqlite'));
  for (const c of READ_ONLY) {
    const r = dockgate(c.args, { DOCKGATE_DATA_DIR: dataDir });
    assert.doesNotMatch(r.err, /\n\s+at /, c.args.join(' '));
    assert.deepEqual(snapshot(dataDir), before, c.args.join(' '));
  }
  assert.ok(readFileSync(join(dataDir, 'dockgate.sqlite')).equals(db));
});

test('recording without a store key warns once per run on stderr, in one line; with a key, or when only reading or purging, it does not', () => {
  const dataDir = join(dir(), 'data');
  const files = dir();
  for (let i = 0; i < 3; i++) writeFileSync(join(files, `945-${i}.edi`), advice945(`BUYER ${i}`, 900 + i));
  writeFileSync(join(files, '846.edi'), withControl(sample('acme-846-inventory.edi'), 950));
  const names = readdirSync(files).map((f) => join(files, f));
  const warning = /^dockgate: warning: DOCKGATE_STORE_KEY is not set: raw files \(buyer names and addresses among them\) are stored unencrypted in .*raw; set it to a 32-byte key/;
  const clear = dockgate(['x12', 'validate', '--record', ...names], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(clear.code, 0, clear.err);
  const lines = clear.err.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, clear.err);
  assert.match(lines[0], warning);
  const ack = dockgate(['x12', 'ack', '--record', names[0]], { DOCKGATE_DATA_DIR: dataDir });
  assert.equal(ack.err.split('\n').filter((l) => warning.test(l)).length, 1, ack.err);
  assert.equal(dockgate(['store', 'purge'], { DOCKGATE_DATA_DIR: dataDir }).err, '');
  const keyed = dockgate(['x12', 'validate', '--record', ...names], { DOCKGATE_DATA_DIR: join(dir(), 'data'), DOCKGATE_STORE_KEY: randomBytes(32).toString('hex') });
  assert.equal(keyed.err, '');
});
