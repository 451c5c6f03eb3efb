/**
 * The simulator's receiving dock: what the test says arrived becomes the partner's receipt
 * document (a 944 for the X12 partner, receipts XML for the CSV one) in its inbound directory,
 * which reads back through the partner's own layout as the gateway reads it; sellable units go on
 * hand (the next count has them), damaged ones do not; a partner without receipts is refused.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { loadMappings } from '../../src/mapping/load.ts';
import { readPartner, translator } from '../../src/mapping/translate.ts';
import type { Receipt } from '../../src/model/receipt.ts';
import { WarehouseSetupError, WarehouseSimulator } from '../../src/sandbox/warehouse/index.ts';
import { validateFile } from '../../src/x12/validate-file.ts';

const root = resolve(import.meta.dirname, '../..');
const { mappings, problems } = loadMappings(join(root, 'mappings'));
assert.deepEqual(problems, []);
const T0 = new Date('2026-11-25T18:30:00Z');

function dock(partner: string) {
  const base = mkdtempSync(join(tmpdir(), 'dockgate-receiving-'));
  const sim = new WarehouseSimulator({ mappings, partner, root: base, inventoryEverySeconds: 0, stock: 10 });
  const inbound = join(base, partner, mappings.partners.get(partner)!.transport.directories.inbound);
  return { base, sim, inbound, close: () => rmSync(base, { recursive: true, force: true }) };
}

test('reno-wms: arrivals received become one 944 per seller that validates and reads back by the reno-944 layout, LPN, removal order and tracking on each line', async () => {
  const d = dock('reno-wms');
  try {
    const r = await d.sim.receiveReturns(
      [
        { seller: 'acme', sellerSku: 'TSHIRT-RED-M', quantity: 2, condition: 'sellable', removalOrderId: 'RMV-7000-0001', trackingNumber: '1Z999AA10100000001' },
        { seller: 'acme', sellerSku: 'MUG-12OZ-WHT', quantity: 1, condition: 'damaged', lpn: 'LPN5550001' },
      ],
      T0,
    );
    assert.equal(r.receipts.length, 1);
    assert.deepEqual(r.written.map((w) => w.kind), ['receipt']);
    const files = readdirSync(d.inbound).filter((f) => !f.startsWith('.'));
    assert.deepEqual(files, [r.receipts[0].file]);
    assert.match(files[0], /^RENO-WMS_944_\d{9}\.edi$/);
    const bytes = readFileSync(join(d.inbound, files[0]));
    const v = await validateFile(bytes);
    const errors = [...v.diagnostics, ...v.interchanges.flatMap((ic) => [...ic.diagnostics, ...ic.groups.flatMap((g) => [...g.diagnostics, ...g.sets.flatMap((s) => s.diagnostics)])])].filter((x) => x.level === 'error');
    assert.deepEqual(errors, []);
    const read = await readPartner(translator(mappings, 'reno-wms', 'receipt'), bytes);
    assert.equal(read.documents.length, 1);
    const doc = read.documents[0];
    assert.equal(doc.status, 'ok', JSON.stringify(doc.problems));
    const receipt = doc.document as Receipt;
    assert.equal(receipt.seller, 'acme');
    assert.equal(receipt.receiptId, r.receipts[0].receiptId);
    assert.equal(receipt.receivedAt.slice(0, 16), '2026-11-25T10:30', 'the partner clock (America/Los_Angeles)');
    assert.deepEqual(
      receipt.lines.map((l) => [l.sellerSku, l.warehouseItem, l.quantity, l.condition, l.lpn ?? null, l.removalOrderId ?? null, l.trackingNumber ?? null]),
      [
        ['TSHIRT-RED-M', 'TS-RED-M', 2, 'sellable', null, 'RMV-7000-0001', '1Z999AA10100000001'],
        ['MUG-12OZ-WHT', 'MUG-12-WHT', 1, 'damaged', 'LPN5550001', null, null],
      ],
    );
    // Sellable units on hand, damaged ones not.
    const stock = d.sim.status().stock.acme;
    assert.equal(stock['TS-RED-M'].onHand, 12);
    assert.equal(stock['MUG-12-WHT'].onHand, 10);
  } finally {
    d.close();
  }
});

test('cascade-csv: arrivals become receipts XML by the cascade-receipts layout; a pack SKU is received in warehouse units', async () => {
  const d = dock('cascade-csv');
  try {
    const r = await d.sim.receiveReturns([{ seller: 'acme', sellerSku: 'SOCKS-6PK', quantity: 2, condition: 'customer-damaged', lpn: 'LPN5550002', trackingNumber: '9400111899223300001111' }], T0);
    const file = r.receipts[0].file;
    assert.match(file, /^receipts_\d{6}\.xml$/);
    const bytes = readFileSync(join(d.inbound, file));
    assert.match(bytes.toString('utf8'), /<Receipts>[\s\S]*<Quantity>12<\/Quantity>[\s\S]*<Condition>CUSTOMER_DAMAGED<\/Condition>/);
    const read = await readPartner(translator(mappings, 'cascade-csv', 'receipt'), bytes);
    const receipt = read.documents[0].document as Receipt;
    assert.equal(read.documents[0].status, 'ok', JSON.stringify(read.documents[0].problems));
    assert.deepEqual(
      receipt.lines.map((l) => [l.sellerSku, l.quantity, l.condition, l.lpn]),
      [['SOCKS-6PK', 2, 'customer-damaged', 'LPN5550002']],
    );
    // A second receipt: its own number and file, nothing overwritten.
    const again = await d.sim.receiveReturns([{ seller: 'acme', warehouseItem: 'TS-RED-M', quantity: 1, condition: 'sellable', lpn: 'LPN5550003' }], T0);
    assert.notEqual(again.receipts[0].receiptId, r.receipts[0].receiptId);
    assert.equal(readdirSync(d.inbound).filter((f) => f.endsWith('.xml')).length, 2);
  } finally {
    d.close();
  }
});

test('receiving refuses what the warehouse cannot write: an item not in the SKU table, a seller it does not hold', async () => {
  const d = dock('reno-wms');
  try {
    await assert.rejects(d.sim.receiveReturns([{ seller: 'acme', sellerSku: 'NO-SUCH', quantity: 1, condition: 'sellable' }], T0), WarehouseSetupError);
    await assert.rejects(d.sim.receiveReturns([{ seller: 'globex', sellerSku: 'TSHIRT-RED-M', quantity: 1, condition: 'sellable' }], T0), /does not hold stock of seller globex/);
    assert.deepEqual(readdirSync(d.inbound).filter((f) => !f.startsWith('.')), []);
  } finally {
    d.close();
  }
});
