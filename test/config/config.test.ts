import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config/config.ts';

function dir(): string {
  return mkdtempSync(join(tmpdir(), 'dockgate-config-'));
}

test('defaults: ./data relative to the working directory, 30-day retention, no key', () => {
  const cwd = dir();
  const loaded = loadConfig({ env: {}, cwd });
  assert.equal(loaded.dataDir, join(cwd, 'data'));
  assert.equal(loaded.config.store.retentionDays, 30);
  assert.equal(loaded.storeKey, undefined);
  assert.equal(loaded.file, undefined);
});

test('a file sets values; dataDir is relative to the file; environment overrides the file', () => {
  const cwd = dir();
  writeFileSync(
    join(cwd, 'dockgate.yaml'),
    'dataDir: var/dg\nstore:\n  retentionDays: 45\nus:\n  isaQualifier: ZZ\n  isaId: ACME3PL\n  gsId: ACME3PL\npartners:\n  reno-wms:\n    isaQualifier: "01"\n    isaId: "123456789"\n    gsId: RENOWMS\n',
  );
  const fromFile = loadConfig({ env: {}, cwd });
  assert.equal(fromFile.dataDir, join(cwd, 'var/dg'));
  assert.equal(fromFile.config.store.retentionDays, 45);
  assert.equal(fromFile.config.partners['reno-wms'].gsVersion, '004010');
  const overridden = loadConfig({ env: { DOCKGATE_DATA_DIR: '/tmp/x', DOCKGATE_RETENTION_DAYS: '7', DOCKGATE_STORE_KEY: 'k' }, cwd });
  assert.equal(overridden.dataDir, '/tmp/x');
  assert.equal(overridden.config.store.retentionDays, 7);
  assert.equal(overridden.storeKey, 'k');
});

test('errors name the file, line and column and what was expected', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'bad.yaml'), 'dataDir: ./d\nus:\n  isaQualifier: ZZZ\n  isaId: X\n  gsId: XY\n');
  assert.throws(
    () => loadConfig({ file: 'bad.yaml', env: {}, cwd }),
    (e: unknown) => e instanceof ConfigError && e.line === 3 && /us\.isaQualifier/.test(e.message) && /2-character/.test(e.message),
  );
  writeFileSync(join(cwd, 'typo.yaml'), 'dataDri: ./d\n');
  assert.throws(() => loadConfig({ file: 'typo.yaml', env: {}, cwd }), (e: unknown) => e instanceof ConfigError && /dataDri|Unrecognized/i.test(e.message));
  assert.throws(() => loadConfig({ env: { DOCKGATE_RETENTION_DAYS: 'soon' }, cwd }), /DOCKGATE_RETENTION_DAYS/);
  assert.throws(() => loadConfig({ file: 'missing.yaml', env: {}, cwd }), /not found/);
});

test('hostile configuration files: alias bombs, self-containing aliases and deep nesting are located ConfigErrors', () => {
  const cwd = dir();
  const bomb = (depth: number, width: number) => {
    const lines = ['dataDir: ./d', `x0: &x0 "lol"`];
    for (let i = 1; i <= depth; i++) lines.push(`x${i}: &x${i} [${Array(width).fill(`*x${i - 1}`).join(', ')}]`);
    return `${lines.join('\n')}\n`;
  };
  const cases: Array<[string, RegExp, number]> = [
    [bomb(9, 9), /aliases expand to too many nodes/, 3],
    [bomb(2, 300), /aliases expand to too many nodes/, 3],
    ['dataDir: ./d\nus: &us { isaQualifier: ZZ, isaId: X, gsId: XY, self: *us }\n', /inside the node &us it names/, 2],
    [`dataDir: ${'['.repeat(50_000)}\n`, /Maximum call stack|nest|deep/i, 1],
  ];
  for (const [text, message, line] of cases) {
    writeFileSync(join(cwd, 'dockgate.yaml'), text);
    assert.throws(
      () => loadConfig({ env: {}, cwd }),
      (e: unknown) => e instanceof ConfigError && message.test(e.message) && e.line === line && e.file === 'dockgate.yaml' && /^dockgate\.yaml:\d+:\d+: /.test(e.message),
      text.slice(0, 60),
    );
  }
});
