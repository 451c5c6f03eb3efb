/**
 * One partner registry: the X12 commands take partner identities from the partner mapping
 * files (the ids the flows use, so one control-number sequence per partner); dockgate.yaml's
 * partners: is read only as a deprecated fallback, with a warning.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/config.ts';
import { partnerRegistry, requireKnownPartner, resolvePartner } from '../../src/cli/partners.ts';
import { MAPPINGS } from '../flows/harness.ts';

const dir = () => mkdtempSync(join(tmpdir(), 'dockgate-partners-'));
const PARTNERS_YAML = 'partners:\n  legacy:\n    isaQualifier: "01"\n    isaId: "123456789"\n    gsId: LEGACY\n';

test('with a mappings folder: identities from x12.them of the partner files; a sender resolves to the flows\' partner id', () => {
  const cwd = dir();
  const r = partnerRegistry(loadConfig({ env: {}, cwd }), { DOCKGATE_MAPPINGS: MAPPINGS }, cwd);
  assert.equal(r.source, 'mappings');
  assert.deepEqual(r.partners.get('reno-wms'), { qualifier: 'ZZ', id: 'RENOWMS' });
  assert.ok(!r.partners.has('cascade-csv'), 'a partner without an x12 section has no X12 identity');
  assert.equal(resolvePartner(r, { qualifier: 'ZZ', id: 'RENOWMS' }).id, 'reno-wms');
  assert.equal(resolvePartner(r, { qualifier: 'ZZ', id: 'STRANGER' }).id, 'ZZ:STRANGER');
  assert.match(resolvePartner(r, { qualifier: 'ZZ', id: 'OTHER' }, 'reno-wms').warning!, /configured as ZZ\/RENOWMS, but this interchange comes from ZZ\/OTHER/);
  assert.throws(() => requireKnownPartner(r, 'ghost'), /--partner "ghost" is not a configured partner \(known: reno-wms; partners come from the partner files/);
  assert.deepEqual(r.warnings, []);
});

test('gateway.mappings in dockgate.yaml is the folder; a partners: section beside it is ignored with a deprecation warning', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'dockgate.yaml'), `gateway:\n  mappings: ${MAPPINGS}\n${PARTNERS_YAML}`);
  const r = partnerRegistry(loadConfig({ env: {}, cwd }), {}, cwd);
  assert.equal(r.source, 'mappings');
  assert.ok(!r.partners.has('legacy'));
  assert.match(r.warnings.join('\n'), /"partners:" in dockgate\.yaml is deprecated.*ignored/);
});

test('no mappings folder: dockgate.yaml partners: still read, with a warning; nothing at all: the sender\'s qualifier:id', () => {
  const cwd = dir();
  writeFileSync(join(cwd, 'dockgate.yaml'), PARTNERS_YAML);
  const r = partnerRegistry(loadConfig({ env: {}, cwd }), {}, cwd);
  assert.equal(r.source, 'config');
  assert.equal(resolvePartner(r, { qualifier: '01', id: '123456789' }).id, 'legacy');
  assert.match(r.warnings[0], /deprecated/);
  const empty = partnerRegistry(loadConfig({ env: {}, cwd: dir() }), {}, dir());
  assert.equal(empty.source, 'none');
  assert.equal(resolvePartner(empty, { qualifier: 'ZZ', id: 'RENOWMS' }).id, 'ZZ:RENOWMS');
});
