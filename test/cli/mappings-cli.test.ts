/**
 * `dockgate mappings check` and `mappings audit` through the real bin: folders with nothing to
 * work from, folders that are not there, --json findings, and SKU lists that are not text or
 * carry control characters (escaped, never echoed raw to the terminal).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), ...args], { cwd: root, encoding: 'utf8' });
const tmp = mkdtempSync(join(tmpdir(), 'dockgate-mappings-cli-'));
const noStack = (r: { stderr: string; stdout: string }) => assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at |Error:/);

test('mappings check: a folder with nothing to translate with fails with exit 1 and says so', () => {
  const empty = mkdtempSync(join(tmp, 'empty-'));
  const r = run(['mappings', 'check', empty]);
  assert.equal(r.status, 1);
  assert.match(r.stdout, /: no mapping file \(\*\.yaml\) in the folder: nothing to translate with/);
  noStack(r);
  // Files, but no partner (or no seller): still nothing to translate with.
  for (const [remove, what] of [['partners', 'partner'], ['sellers', 'seller']]) {
    const dir = mkdtempSync(join(tmp, `no-${what}-`));
    cpSync(join(root, 'mappings'), dir, { recursive: true });
    rmSync(join(dir, remove), { recursive: true });
    // What referred to the removed files is reported; with a partner but no seller that is the partner's sellers.
    const c = run(['mappings', 'check', dir, '--json']);
    assert.equal(c.status, 1, c.stdout);
    const findings = (JSON.parse(c.stdout) as { findings: Array<{ code: string; message: string }> }).findings;
    assert.ok(findings.length > 0);
  }
  const onlyLayouts = mkdtempSync(join(tmp, 'only-layouts-'));
  cpSync(join(root, 'mappings', 'layouts'), onlyLayouts, { recursive: true });
  const l = run(['mappings', 'check', onlyLayouts]);
  assert.equal(l.status, 1);
  assert.match(l.stdout, /no partner file \(kind: partner\) in the folder/);
  // translate and audit refuse it too, as a configuration problem (exit 2), naming the check.
  const t = run(['translate', '--partner', 'cascade-csv', '--doc', 'ship-order', '--from', 'canonical', '--to', 'csv', '--mappings', empty, 'samples/partners/canonical/ship-orders.json']);
  assert.equal(t.status, 2);
  assert.match(t.stderr, /the mapping files have 1 problem\(s\); fix them first \(dockgate mappings check .*\):\n.*no mapping file/);
});

test('a mapping folder that is not there, or is a file: exit 2, one line, for check, translate and audit', () => {
  for (const dir of ['/nonexistent', join(root, 'README.md')]) {
    for (const args of [
      ['mappings', 'check', dir],
      ['mappings', 'check', '--mappings', dir],
      ['mappings', 'check', '--json', dir],
      ['translate', '--partner', 'cascade-csv', '--doc', 'ship-order', '--from', 'canonical', '--to', 'csv', '--mappings', dir, 'samples/partners/canonical/ship-orders.json'],
      ['mappings', 'audit', '--partner', 'cascade-csv', '--skus', 'samples/partners/acme-active-listings.txt', '--mappings', dir],
    ]) {
      const r = run(args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^dockgate: mapping folder .* (does not exist|is a file, not a folder)\n$/);
      noStack(r);
    }
  }
  assert.equal(run(['mappings', 'check', 'mappings', '--mappings', '/elsewhere']).status, 2);
});

test('mappings check --json: the findings with file, line, column, code and message', () => {
  const clean = run(['mappings', 'check', '--json']);
  assert.equal(clean.status, 0);
  assert.deepEqual(JSON.parse(clean.stdout), { folder: 'mappings', ok: true, files: 17, counts: { sellers: 2, partners: 2, layouts: 9, skuTables: 2, carrierTables: 2 }, findings: [] });
  const dir = mkdtempSync(join(tmp, 'broken-'));
  cpSync(join(root, 'mappings'), dir, { recursive: true });
  const partner = join(dir, 'partners', 'reno-wms.yaml');
  writeFileSync(partner, readFileSync(partner, 'utf8').replace('carriers: carriers-us', 'carriers: carriers-eu'));
  writeFileSync(join(dir, 'sellers', 'broken.yaml'), 'kind: [seller\n');
  const r = run(['mappings', 'check', '--json', dir]);
  assert.equal(r.status, 1);
  const report = JSON.parse(r.stdout) as { ok: boolean; findings: Array<{ file: string; line: number; column: number; code: string; message: string }> };
  assert.equal(report.ok, false);
  for (const f of report.findings) assert.deepEqual(Object.keys(f), ['file', 'line', 'column', 'code', 'message']);
  const brief = report.findings.map((f) => [f.file.slice(dir.length + 1), f.line > 0, f.code]);
  assert.deepEqual(brief, [['partners/reno-wms.yaml', true, 'reference'], ['sellers/broken.yaml', true, 'yaml']]);
});

/** Raw control characters a terminal acts on (the output's own line breaks aside). */
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

test('mappings audit --skus with a binary file: refused with where the first control character is, nothing echoed', () => {
  const files: Array<[string, Buffer]> = [['/bin/ls', readFileSync('/bin/ls')]];
  for (let i = 0; i < 6; i++) files.push([join(tmp, `random-${i}.bin`), randomBytes(2000 + i * 777)]);
  // Text for a while, then one control character: the message names its line and column.
  files.push([join(tmp, 'late-nul.txt'), Buffer.from('TSHIRT-RED-M\nSOCKS-6PK\nNW-\u0000LANTERN\n')]);
  files.push([join(tmp, 'escape.txt'), Buffer.from('TSHIRT-RED-M\n\u001b[2J\u001b]0;pwned\u0007\n')]);
  for (const [file, bytes] of files) {
    if (!file.startsWith('/bin/')) writeFileSync(file, bytes);
    const r = run(['mappings', 'audit', '--partner', 'cascade-csv', '--skus', file]);
    assert.equal(r.status, 2, `${file}: ${r.stdout.slice(0, 200)}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^dockgate: .*:\d+:\d+: control character U\+[0-9A-F]{4}: not a text file/);
    assert.doesNotMatch(r.stderr, RAW_CONTROL, `${file}: ${JSON.stringify(r.stderr)}`);
    noStack(r);
  }
  const late = run(['mappings', 'audit', '--partner', 'cascade-csv', '--skus', join(tmp, 'late-nul.txt')]);
  assert.match(late.stderr, /late-nul\.txt:3:4: control character U\+0000/);
});

test('mappings audit: SKUs with C1 and bidirectional controls are shown escaped in text, exact in JSON', () => {
  const skus = ['TSHIRT-RED-M', 'EVIL\u009b2J', 'RTL\u202eMK', 'SEP\u2028X', 'BOM\u0085Y', 'ISO\u2066Z'];
  const list = join(tmp, 'odd-skus.txt');
  writeFileSync(list, `${skus.join('\n')}\n`);
  const r = run(['mappings', 'audit', '--partner', 'cascade-csv', '--skus', list]);
  assert.equal(r.status, 1, r.stderr);
  assert.doesNotMatch(r.stdout, RAW_CONTROL, JSON.stringify(r.stdout));
  for (const s of ['EVIL\\u009b2J', 'RTL\\u202eMK', 'SEP\\u2028X', 'BOM\\u0085Y', 'ISO\\u2066Z']) assert.match(r.stdout, new RegExp(`^${s.replace(/\\/g, '\\\\')} +HELD`, 'm'));
  const j = run(['mappings', 'audit', '--partner', 'cascade-csv', '--skus', list, '--json']);
  const subjects = (JSON.parse(j.stdout) as { findings: Array<{ subject: string }> }).findings.map((f) => f.subject);
  for (const s of skus) assert.ok(subjects.includes(s), s);
});
