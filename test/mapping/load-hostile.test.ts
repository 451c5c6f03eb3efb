/**
 * Hostile mapping folders: YAML alias bombs, aliases that contain themselves, nesting too deep
 * to read, symbolic links (out to /etc, to a parent folder, in loops), pipes named *.yaml.
 * Each is a located problem of the folder; loading never throws, never follows a link.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatProblem, loadMappings } from '../../src/mapping/index.ts';

const root = resolve(import.meta.dirname, '../..');

/** A copy of the example mappings, changed by `change` (which gets the folder). */
function folder(change: (dir: string) => void): string {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-hostile-'));
  cpSync(join(root, 'mappings'), dir, { recursive: true });
  change(dir);
  return dir;
}

/** A billion-laughs document: `depth` levels, each a list of `width` aliases of the level below. */
function aliasBomb(depth: number, width: number): string {
  const lines = ['schemaVersion: 1', 'kind: seller', 'id: bomb', `l0: &l0 ${JSON.stringify('lol'.repeat(8))}`];
  for (let i = 1; i <= depth; i++) lines.push(`l${i}: &l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  return `${lines.join('\n')}\n`;
}

test('alias bombs of every shape are located problems, not an exception', () => {
  for (const [depth, width] of [[9, 9], [4, 40], [2, 200], [30, 2], [1, 500]]) {
    const dir = folder((d) => writeFileSync(join(d, 'sellers', 'bomb.yaml'), aliasBomb(depth, width)));
    const r = loadMappings(dir);
    const own = r.problems.filter((p) => p.file.endsWith('bomb.yaml'));
    assert.equal(own.length, 1, `${depth}x${width}: ${r.problems.map(formatProblem).join('\n')}`);
    assert.equal(own[0].code, 'yaml');
    assert.match(own[0].message, /aliases expand to too many nodes/);
    assert.equal(own[0].line, 5, `${depth}x${width}: the first alias is on line 5`);
  }
  // A few aliases, as a person writes them, are fine.
  const aliased = folder((d) => {
    const file = join(d, 'tables', 'carriers-us.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('{ scac: VEHO, carrierCode: Other, carrierName: Veho }', '{ scac: VEHO, carrierCode: &other Other, carrierName: &veho Veho }\n  - { scac: VEHY, carrierCode: *other, carrierName: *veho }'));
  });
  assert.deepEqual(loadMappings(aliased).problems, []);
});

test('an alias inside the node it names, and nesting too deep to read, are located', () => {
  const cycles = ['a: &a [*a]\n', 'a: &a { b: *a }\n', 'x: 1\na: &a [1, [2, [3, *a]]]\n'];
  for (const text of cycles) {
    const dir = folder((d) => writeFileSync(join(d, 'sellers', 'cycle.yaml'), `schemaVersion: 1\nkind: seller\n${text}`));
    const p = loadMappings(dir).problems.find((x) => x.file.endsWith('cycle.yaml'));
    assert.ok(p && p.code === 'yaml' && /inside the node &a it names/.test(p.message) && p.line >= 3, `${text}: ${JSON.stringify(p)}`);
  }
  for (const deep of ['a: ' + '['.repeat(50_000) + ']'.repeat(50_000), 'a: ' + '{b: '.repeat(20_000) + '1' + '}'.repeat(20_000)]) {
    const dir = folder((d) => writeFileSync(join(d, 'sellers', 'deep.yaml'), `${deep}\n`));
    const p = loadMappings(dir).problems.find((x) => x.file.endsWith('deep.yaml'));
    assert.ok(p && p.code === 'yaml' && p.line === 1 && p.column > 1, JSON.stringify(p));
  }
});

test('symbolic links are refused, not followed: out to /etc, to a folder above, in a loop, dangling', () => {
  const dir = folder((d) => {
    symlinkSync('/etc/passwd', join(d, 'sellers', 'passwd.yaml'));
    symlinkSync('/etc', join(d, 'etc'));
    symlinkSync('..', join(d, 'tables', 'up'));
    symlinkSync(d, join(d, 'layouts', 'self'));
    symlinkSync('loop-b.yaml', join(d, 'loop-a.yaml'));
    symlinkSync('loop-a.yaml', join(d, 'loop-b.yaml'));
    symlinkSync('me.yaml', join(d, 'me.yaml'));
    symlinkSync('/nonexistent/x.yaml', join(d, 'dangling.yaml'));
  });
  const r = loadMappings(dir);
  const links = r.problems.filter((p) => p.code === 'not-a-file').map((p) => p.file.slice(p.file.indexOf('dockgate-hostile-')).replace(/^[^/]+\//, ''));
  assert.deepEqual(links.sort(), ['dangling.yaml', 'etc', 'layouts/self', 'loop-a.yaml', 'loop-b.yaml', 'me.yaml', 'sellers/passwd.yaml', 'tables/up']);
  assert.ok(r.problems.every((p) => p.code === 'not-a-file' && /symbolic link/.test(p.message)), r.problems.map(formatProblem).join('\n'));
  // Nothing behind a link was read: the example files are loaded once each.
  assert.equal(r.files, 17);
  // The folder itself may be a link (a release folder named by a stable path).
  const linked = join(mkdtempSync(join(tmpdir(), 'dockgate-hostile-')), 'current');
  symlinkSync(join(root, 'mappings'), linked);
  assert.deepEqual(loadMappings(linked).problems, []);
});

test('a pipe named *.yaml is refused without being opened (reading it would wait forever)', () => {
  const dir = folder((d) => {
    const r = spawnSync('mkfifo', [join(d, 'sellers', 'pipe.yaml')]);
    assert.equal(r.status, 0, String(r.stderr));
  });
  const p = loadMappings(dir).problems;
  assert.equal(p.length, 1);
  assert.equal(p[0].code, 'not-a-file');
  assert.match(formatProblem(p[0]), /sellers\/pipe\.yaml:1:1: not a regular file/);
});

test('dockgate mappings check on hostile folders: exit 1, located lines, no stack', () => {
  const dir = folder((d) => {
    writeFileSync(join(d, 'sellers', 'bomb.yaml'), aliasBomb(9, 9));
    symlinkSync('/etc', join(d, 'etc'));
    symlinkSync('loop.yaml', join(d, 'loop.yaml'));
    mkdirSync(join(d, 'deep'));
    writeFileSync(join(d, 'deep', 'deep.yaml'), `a: ${'['.repeat(50_000)}\n`);
  });
  const r = spawnSync(process.execPath, [join(root, 'bin/dockgate.js'), 'mappings', 'check', dir], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stderr, '');
  assert.match(r.stdout, /sellers\/bomb\.yaml:5:\d+: not valid YAML: aliases expand to too many nodes/);
  assert.match(r.stdout, /etc:1:1: a symbolic link/);
  assert.match(r.stdout, /loop\.yaml:1:1: a symbolic link/);
  assert.match(r.stdout, /deep\/deep\.yaml:1:\d+: not valid YAML/);
  assert.doesNotMatch(r.stdout, /\n\s+at /);
});
