/**
 * Golden fixtures: for every layout, a partner file or canonical input, the mapping files in
 * mappings/, and the expected output committed beside this test. UPDATE_GOLDEN=1 rewrites the
 * expected files (review the diff before committing).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadMappings } from '../../src/mapping/index.ts';
import { readPartner, translator, writePartner, type DocumentName } from '../../src/mapping/translate.ts';
import { parseCanonical } from '../../src/model/index.ts';

const root = resolve(import.meta.dirname, '../..');
const golden = join(root, 'test/mapping/golden');
const samples = join(root, 'samples/partners');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
const update = process.env.UPDATE_GOLDEN === '1';

interface Case {
  layout: string;
  partner: string;
  doc: DocumentName;
  input: string;
  expected: string;
  direction: 'in' | 'out';
}

const CASES: Case[] = [
  { layout: 'reno-940', partner: 'reno-wms', doc: 'ship-order', direction: 'out', input: 'canonical/ship-orders.json', expected: 'reno-940.edi' },
  { layout: 'reno-945', partner: 'reno-wms', doc: 'shipment-advice', direction: 'in', input: 'reno-wms/945-shipment-advice.edi', expected: 'reno-945.json' },
  { layout: 'reno-846', partner: 'reno-wms', doc: 'inventory', direction: 'in', input: 'reno-wms/846-inventory.edi', expected: 'reno-846.json' },
  { layout: 'reno-944', partner: 'reno-wms', doc: 'receipt', direction: 'in', input: 'reno-wms/944-receipt.edi', expected: 'reno-944.json' },
  { layout: 'reno-856', partner: 'reno-wms', doc: 'inbound-asn', direction: 'in', input: 'reno-wms/856-fba-asn.edi', expected: 'reno-856.json' },
  { layout: 'cascade-orders', partner: 'cascade-csv', doc: 'ship-order', direction: 'out', input: 'canonical/ship-orders.json', expected: 'cascade-orders.csv' },
  { layout: 'cascade-shipments', partner: 'cascade-csv', doc: 'shipment-advice', direction: 'in', input: 'cascade-csv/shipments.csv', expected: 'cascade-shipments.json' },
  { layout: 'cascade-inventory', partner: 'cascade-csv', doc: 'inventory', direction: 'in', input: 'cascade-csv/inventory.csv', expected: 'cascade-inventory.json' },
  { layout: 'cascade-receipts', partner: 'cascade-csv', doc: 'receipt', direction: 'in', input: 'cascade-csv/receipts.xml', expected: 'cascade-receipts.json' },
];

/** A fixed clock for the X12 envelope dates. */
const NOW = new Date('2026-11-24T22:05:00Z');

test('every layout in mappings/ has a golden fixture', () => {
  assert.deepEqual(problems, []);
  assert.deepEqual([...mappings.layouts.keys()].sort(), CASES.map((c) => c.layout).sort());
});

for (const c of CASES) {
  test(`golden ${c.layout}: ${c.input} -> ${c.expected}`, async () => {
    const t = translator(mappings, c.partner, c.doc);
    assert.equal(t.layout.id, c.layout);
    const input = readFileSync(join(samples, c.input));
    let actual: Buffer;
    if (c.direction === 'out') {
      const docs = (JSON.parse(input.toString('utf8')) as unknown[]).map(parseCanonical);
      const w = writePartner(t, docs, { now: NOW });
      assert.deepEqual(w.documents.map((d) => d.status), docs.map(() => 'ok'), JSON.stringify(w.documents));
      actual = w.bytes!;
    } else {
      const r = await readPartner(t, input, { file: c.input });
      assert.deepEqual(r.fileProblems, []);
      const notOk = r.documents.filter((d) => d.status !== 'ok');
      assert.deepEqual(notOk, [], JSON.stringify(notOk, null, 1));
      actual = Buffer.from(`${JSON.stringify(r.documents.map((d) => ({ where: d.where, document: d.document, ...(d.notes && { notes: d.notes }) })), null, 2)}\n`);
    }
    const file = join(golden, c.expected);
    if (update || !existsSync(file)) {
      if (!update) assert.fail(`${c.expected} is missing: run UPDATE_GOLDEN=1 npm test and review it`);
      writeFileSync(file, actual);
    }
    assert.equal(actual.toString('latin1'), readFileSync(file).toString('latin1'));
  });
}
