/**
 * The seller file's FBA settings name partners: each reference is checked when the mappings load
 * (src/mapping/load.ts), located at the key that names it, like `warehouse:`.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { formatProblem, loadMappings } from '../../src/mapping/index.ts';

const examples = resolve(import.meta.dirname, '../../mappings');

function withAcme(fba: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'dockgate-fba-refs-'));
  try {
    cpSync(examples, dir, { recursive: true });
    const f = join(dir, 'sellers/acme.yaml');
    writeFileSync(f, `${readFileSync(f, 'utf8')}${fba}`);
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      return loadMappings(dir).problems.map(formatProblem);
    } finally {
      process.chdir(cwd);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('fba.warehouse, fba.plans and fba.asn.partner that name good partners load clean', () => {
  assert.deepEqual(withAcme('fba:\n  warehouse: reno-wms\n  plans:\n    "Cascade replenishment": cascade-csv\n  asn: { partner: reno-wms }\n'), []);
});

test('an unknown fba.warehouse, a plan routed to an unknown partner, an ASN partner without an 856 layout: each located at its key', () => {
  const bad = 'fba:\n  warehouse: nowhere\n  plans:\n    wf0001aaaa-0000: ghost\n    "REPL-0077": reno-wms\n  asn: { partner: cascade-csv }\n';
  assert.deepEqual(withAcme(bad), [
    "sellers/acme.yaml:16:14: fba.warehouse: no partner with id 'nowhere'",
    "sellers/acme.yaml:18:22: fba.plans.wf0001aaaa-0000: no partner with id 'ghost'",
    "sellers/acme.yaml:20:19: fba.asn.partner: partner 'cascade-csv' has no inbound-asn layout to write the 856 with (documents.inbound-asn)",
  ]);
});
