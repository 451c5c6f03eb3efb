/**
 * Every command's edges as a new user meets them, through the real bin: a folder where a file
 * belongs, paths that do not exist or run through a file, names with control characters, an
 * output file in a missing folder, a data directory that is a file, a busy port, a wrong store
 * key, numbers that are not numbers. Each is exit 2 with one `dockgate: ...` line that names
 * the path, port or option, and never a stack trace.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { decimalNumber, portNumber, wholeNumber } from '../../src/cli/options.ts';
import { requireDataDir, requireInputDir, requireInputFile, requireOutputFile } from '../../src/cli/user-paths.ts';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/dockgate.js');
const samples = join(root, 'samples/x12');
const csv = join(root, 'samples/partners/cascade-csv/shipments.csv');

function dockgate(args: string[], env: Record<string, string> = {}) {
  const dataDir = env.DOCKGATE_DATA_DIR ?? mkdtempSync(join(tmpdir(), 'dockgate-edges-'));
  // The timeout only keeps a broken build from hanging the run; nothing is asserted about time.
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', timeout: 120_000, env: { ...process.env, DOCKGATE_DATA_DIR: dataDir, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** Exit 2, one line on stderr starting `dockgate: ` and naming `names`, no stack trace. */
function assertUsage(r: ReturnType<typeof dockgate>, names: string, what: string): void {
  assert.equal(r.code, 2, `${what}: exit ${r.code}\n${r.err}`);
  assert.doesNotMatch(r.err, /\n\s+at /, `${what}: a stack trace\n${r.err}`);
  assert.match(r.err, /^dockgate: [^\n]*\n$/, `${what}: not one dockgate: line\n${r.err}`);
  assert.ok(r.err.includes(names), `${what}: the message does not name ${names}\n${r.err}`);
}

/** How a path appears in a message: as is, or JSON-quoted when it holds control characters. */
const shown = (p: string) => (/[\u0000-\u001f\u007f-\u009f]/.test(p) ? JSON.stringify(p) : p);

/** Bad paths of every kind, generated in a fresh folder. */
function badPaths(): Array<[string, string]> {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-badpaths-'));
  const folder = join(dir, 'inbox');
  mkdirSync(folder);
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'x');
  symlinkSync(join(dir, 'gone'), join(dir, 'dangling'));
  symlinkSync(join(dir, 'loop-b'), join(dir, 'loop-a'));
  symlinkSync(join(dir, 'loop-a'), join(dir, 'loop-b'));
  const odd = join(dir, 'odd\nname\u001b[31m');
  mkdirSync(odd);
  return [
    ['a folder', folder],
    ['a folder with a trailing slash', `${folder}/`],
    ['a missing file', join(dir, 'missing.edi')],
    ['a path through a file', join(file, 'below.edi')],
    ['a dangling symlink', join(dir, 'dangling')],
    ['a symlink loop', join(dir, 'loop-a')],
    ['a folder named with a line break and ESC', odd],
    ['a missing file named with random bytes', join(dir, randomBytes(6).toString('latin1').replace(/[/\u0000]/g, '_'))],
  ];
}

test('the path checks name every kind of bad path in one line (in process, on real files)', () => {
  for (const [kind, path] of badPaths()) {
    const line = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return (e as Error).message;
      }
      return assert.fail(`${kind}: accepted`);
    };
    const out = join(path, 'x', 'out.json');
    for (const [message, named] of [[line(() => requireInputFile(path)), path], [line(() => requireOutputFile(out)), out]]) {
      assert.ok(message.includes(shown(named)), `${kind}: ${message}`);
      assert.doesNotMatch(message, /[\n\u001b]/, `${kind}: one printable line`);
    }
    if (!kind.startsWith('a folder')) assert.ok(line(() => requireInputDir(path)).includes(shown(path)), kind);
  }
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-goodpaths-'));
  writeFileSync(join(dir, 'f.edi'), 'x');
  assert.equal(requireInputFile(join(dir, 'f.edi')), join(dir, 'f.edi'));
  assert.equal(requireInputDir(dir), dir);
  assert.equal(requireOutputFile(join(dir, 'new.json')), join(dir, 'new.json'));
  assert.equal(requireDataDir(join(dir, 'not-yet', 'data')), join(dir, 'not-yet', 'data'), 'a data directory not made yet is fine');
  assert.throws(() => requireDataDir(join(dir, 'f.edi')), { name: 'ConfigError' });
  assert.throws(() => requireDataDir(join(dir, 'f.edi', 'data')), { name: 'ConfigError' });
});

/**
 * Each kind of bad path once, the commands taken in turn (a spawn costs seconds on a loaded box;
 * the in-process test above takes every kind through the checks themselves).
 */
function inTurn<C>(commands: C[], paths: Array<[string, string]>): Array<[C, [string, string]]> {
  return paths.map((p, i) => [commands[i % commands.length], p]);
}

/** The kinds worth a spawn: the ones that reach a different branch of the checks. */
const spawnKinds = () => badPaths().filter(([kind]) => !['a folder with a trailing slash', 'a missing file named with random bytes'].includes(kind));

test('every command that reads a file: a folder, a missing path, a path through a file, a symlink loop, control characters -> exit 2 naming the path', () => {
  const commands: Array<[string, (p: string) => string[]]> = [
    ['x12 validate', (p) => ['x12', 'validate', join(samples, 'acme-940-orders.edi'), p]],
    ['x12 validate --record', (p) => ['x12', 'validate', '--record', p]],
    ['x12 ack', (p) => ['x12', 'ack', p]],
    ['x12 to-json', (p) => ['x12', 'to-json', p]],
    ['x12 from-json', (p) => ['x12', 'from-json', p]],
    ['translate', (p) => ['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', p]],
    ['mappings audit --skus', (p) => ['mappings', 'audit', '--partner', 'reno-wms', '--skus', p]],
    ['sandbox amazon --seed', (p) => ['sandbox', 'amazon', '--port', '0', '--seed', p]],
    ['--config', (p) => ['--config', p, 'x12', 'validate', join(samples, 'acme-940-orders.edi')]],
  ];
  // The issue's own example first: a folder for a file, for every command.
  const folder = badPaths()[0][1];
  for (const [name, args] of commands) assertUsage(dockgate(args(folder)), folder, `${name} with a folder`);
  for (const [[name, args], [kind, path]] of inTurn(commands.slice(1), spawnKinds().slice(1))) assertUsage(dockgate(args(path)), shown(path), `${name} with ${kind}`);
});

test('every command that reads a folder: --mappings and --samples that are missing, a file, or a loop -> exit 2 naming the folder', () => {
  const commands: Array<[string, (p: string) => string[]]> = [
    ['mappings check', (p) => ['mappings', 'check', p]],
    ['mappings audit --mappings', (p) => ['mappings', 'audit', '--partner', 'reno-wms', '--skus', join(root, 'samples/partners/acme-active-listings.txt'), '--mappings', p]],
    ['translate --mappings', (p) => ['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', '--mappings', p, csv]],
    ['sftp check --mappings', (p) => ['sftp', 'check', '--partner', 'reno-wms', '--mappings', p]],
  ];
  const paths: Array<[string, string]> = [['/nonexistent', '/nonexistent'], ['a file', csv], ...spawnKinds().filter(([kind]) => !kind.startsWith('a folder'))];
  for (const [[name, args], [kind, path]] of inTurn(commands, paths)) assertUsage(dockgate(args(path)), shown(path), `${name} with ${kind}`);
});

test('-o into a missing folder, onto a folder, or below a file -> exit 2 naming the path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-out-'));
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'x');
  const targets: Array<[string, string]> = [
    ['a missing folder', '/nonexistent/dir/out.json'],
    ['a folder', dir],
    ['a path below a file', join(file, 'out.json')],
  ];
  const commands: Array<[string, (o: string) => string[]]> = [
    ['translate -o', (o) => ['translate', '--partner', 'cascade-csv', '--doc', 'shipment-advice', '--from', 'csv', '--to', 'canonical', '-o', o, csv]],
    ['x12 to-json -o', (o) => ['x12', 'to-json', '-o', o, join(samples, 'acme-940-orders.edi')]],
  ];
  for (const [kind, target] of targets) {
    for (const [name, args] of commands) assertUsage(dockgate(args(target)), target, `${name} to ${kind}`);
  }
  assert.equal(readFileSync(file, 'utf8'), 'x', 'the file below which -o pointed is untouched');
});

test('a data directory that is a file, or below a file, is a configuration error (exit 2) for commands that write and that only read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-datadir-'));
  const file = join(dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const commands = [
    ['x12', 'validate', '--record', join(samples, 'acme-940-orders.edi')],
    ['x12', 'ack', join(samples, 'bad-945.edi')],
    ['store', 'list'],
    ['store', 'purge'],
    ['demo'],
  ];
  for (const [i, args] of commands.entries()) {
    const dataDir = i % 2 ? join(file, 'below') : file;
    assertUsage(dockgate(args, { DOCKGATE_DATA_DIR: dataDir }), dataDir, `${args.join(' ')} with DOCKGATE_DATA_DIR=${dataDir}`);
  }
});

test('a damaged data directory (raw/ is a file) reaches the last-resort classification: Node\'s one-line message naming the path, exit 2, no stack', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-damaged-'));
  writeFileSync(join(dataDir, 'raw'), 'x');
  assertUsage(dockgate(['x12', 'validate', '--record', join(samples, 'acme-940-orders.edi')], { DOCKGATE_DATA_DIR: dataDir }), join(dataDir, 'raw'), 'raw/ is a file');
});

test('a store key that is malformed, or not the one the stored files were written with, is a configuration error (exit 2) and writes nothing under it', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dockgate-key-'));
  const key = randomBytes(32).toString('hex');
  const first = dockgate(['x12', 'validate', '--record', join(samples, 'acme-940-orders.edi')], { DOCKGATE_DATA_DIR: dataDir, DOCKGATE_STORE_KEY: key });
  assert.equal(first.code, 0, first.err);
  // Another key, the same key in base64 with one bit changed, the hex key with its last digit changed.
  const flipped = Buffer.from(key, 'hex');
  flipped[0] ^= 1;
  const wrongKeys = [randomBytes(32).toString('hex'), flipped.toString('base64'), `${key.slice(0, 63)}${key[63] === '0' ? '1' : '0'}`];
  const commands = [['x12', 'validate', '--record', join(samples, 'acme-945-shipment-advice.edi')], ['store', 'list'], ['store', 'purge']];
  for (const [i, wrong] of wrongKeys.entries()) {
    const args = commands[i];
    const r = dockgate(args, { DOCKGATE_DATA_DIR: dataDir, DOCKGATE_STORE_KEY: wrong });
    assertUsage(r, 'store key', `${args.join(' ')} with a wrong key`);
    assert.ok(!r.err.includes(wrong) && !r.err.includes(key), 'the key is never printed');
  }
  for (const malformed of ['abc', randomBytes(16).toString('hex')]) {
    assertUsage(dockgate(['x12', 'validate', '--record', join(samples, 'acme-940-orders.edi')], { DOCKGATE_DATA_DIR: dataDir, DOCKGATE_STORE_KEY: malformed }), 'store key', `a malformed key ${malformed}`);
  }
  // Nothing was recorded under the wrong keys: the store still holds the first file only, and the right key reads it.
  const list = dockgate(['store', 'list', '--kind', 'file', '--json'], { DOCKGATE_DATA_DIR: dataDir, DOCKGATE_STORE_KEY: key });
  assert.equal(list.code, 0, list.err);
  assert.deepEqual((JSON.parse(list.out) as Array<{ fileName: string }>).map((m) => m.fileName.replace(/.*\//, '')), ['acme-940-orders.edi']);
});

test('sandbox amazon on a port in use: exit 2 naming the port, no stack', async () => {
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  const port = (busy.address() as { port: number }).port;
  try {
    // spawnSync blocks this process, but the kernel keeps the port bound for it all the same.
    assertUsage(dockgate(['sandbox', 'amazon', '--port', String(port)]), `port ${port}`, 'sandbox amazon on a busy port');
  } finally {
    await new Promise((r) => busy.close(r));
  }
});

const NOT_WHOLE = ['abc', '', ' ', '-1', '+5', '1e3', '0x10', '1.5', 'Infinity', 'NaN', '\u0661\u0662', '5\n', ' 5', '99999999999999999999'];
const NOT_DECIMAL = ['abc', '', '-0.5', '1e-1', '0x1', 'Infinity', 'NaN', '.', '1..2', '1,5', ' 1'];

test('numeric option parsers: words, signs, exponents, hex, blanks, other digits and out-of-range values are usage errors naming the option and the value', () => {
  const whole = wholeNumber('--limit', { min: 1, max: 1000 });
  for (const v of [...NOT_WHOLE, '0', '1001']) assert.throws(() => whole(v), (e: Error) => e.name === 'UsageError' && e.message.includes('--limit') && e.message.includes(JSON.stringify(v)) && !/[\n]/.test(e.message), JSON.stringify(v));
  assert.deepEqual(['1', '007', '1000'].map(whole), [1, 7, 1000]);
  const share = decimalNumber('--error-share', { min: 0, max: 1 });
  for (const v of [...NOT_DECIMAL, '1.01', '2']) assert.throws(() => share(v), { name: 'UsageError' }, JSON.stringify(v));
  assert.deepEqual(['0', '0.25', '.5', '1', '1.'].map(share), [0, 0.25, 0.5, 1, 1]);
  const above = decimalNumber('--time-scale', { min: 0, aboveMin: true, max: 10 });
  assert.throws(() => above('0'), /above 0/);
  assert.equal(above('0.001'), 0.001);
  const port = portNumber('--port', false);
  for (const v of ['0', '65536', '-1', '80.5']) assert.throws(() => port(v), { name: 'UsageError' });
  assert.equal(port('65535'), 65535);
});

test('numeric options through the bin: each command\'s numbers are checked (--timeout abc and the others) -> exit 2 naming the option', () => {
  const options: Array<[string, string, (v: string) => string[]]> = [
    ['--timeout', 'abc', (v) => ['sftp', 'check', '--partner', 'reno-wms', '--timeout', v]],
    ['--port', '65536', (v) => ['sandbox', 'amazon', '--port', v]],
    ['--error-share', '1e-1', (v) => ['sandbox', 'amazon', '--port', '0', '--error-share', v]],
    ['--time-scale', '0', (v) => ['sandbox', 'amazon', '--port', '0', '--time-scale', v]],
    ['--latency-ms', '-5', (v) => ['sandbox', 'amazon', '--port', '0', '--latency-ms', v]],
    ['--limit', '1e3', (v) => ['store', 'list', '--limit', v]],
  ];
  for (const [flag, v, args] of options) assertUsage(dockgate(args(v)), flag, `${flag} ${JSON.stringify(v)}`);
});
