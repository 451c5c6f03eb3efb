/**
 * Translation behaviour through the example mappings: what is held and why, kits, pack sizes,
 * inventory quantities, the text policy, and hostile CSV / XML / X12 input.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import iconv from 'iconv-lite';
import { loadMappings, type Mappings } from '../../src/mapping/index.ts';
import { mfnQuantities, skuIndex } from '../../src/mapping/resolve.ts';
import { readPartner, translator, writePartner } from '../../src/mapping/translate.ts';
import { parseCanonical, type InventorySnapshot, type ShipmentAdvice, type ShipOrder } from '../../src/model/index.ts';

const root = resolve(import.meta.dirname, '../..');
const samples = join(root, 'samples/partners');
const loaded = loadMappings(join(root, 'mappings'));
assert.deepEqual(loaded.problems, []);
const mappings: Mappings = loaded.mappings;
const sample = (p: string) => readFileSync(join(samples, p));
const orders = (JSON.parse(sample('canonical/ship-orders.json').toString()) as unknown[]).map(parseCanonical) as ShipOrder[];

const ISA = 'ISA*00*          *00*          *ZZ*RENOWMS        *ZZ*ACME3PL        *261124*1622*U*00401*000077301*0*T*>~\nGS*SW*RENOWMS*ACME3PL*20261124*1622*77301*X*004010~\n';
const END = 'GE*1*77301~\nIEA*1*000077301~\n';
/** A 945 with the given W27 carrier and W12 item, SE count computed. */
function x945(scac: string, item: string, qty = 1, service = ''): Buffer {
  const body = ['W06*F*112-3456789-1234567**SHP1', 'G62*11*20261124*8*1405', `W27*U*${scac}${service ? `*${service}` : ''}`, 'LX*1', 'MAN*CP*1Z999AA10123456784', `W12*CC*${qty}*${qty}**EA**VN*${item}`, `W03*${qty}`];
  return Buffer.from(`${ISA}ST*945*0001~\n${body.map((s) => `${s}~\n`).join('')}SE*${body.length + 2}*0001~\n${END}`);
}

test('an unknown warehouse item holds the advice with an exception naming the item and the SKU table', async () => {
  const t = translator(mappings, 'reno-wms', 'shipment-advice');
  const r = await readPartner(t, x945('UPSN', 'NOPE-1'), { seller: 'acme' });
  assert.equal(r.documents.length, 1);
  const d = r.documents[0];
  assert.equal(d.status, 'held');
  assert.equal(d.document, undefined);
  assert.deepEqual(d.exceptions.map((e) => [e.code, e.value, e.file]), [['unknown-sku', 'NOPE-1', 'mappings/tables/acme-skus.yaml']]);
  assert.match(d.exceptions[0].message, /warehouseItem NOPE-1 is not in SKU table acme-skus \(mappings\/tables\/acme-skus\.yaml\): add it under items/);
  // Without --seller the items must tell the seller; an unknown item tells none.
  const unknownSeller = await readPartner(t, x945('UPSN', 'NOPE-1'));
  assert.equal(unknownSeller.documents[0].exceptions[0].code, 'unknown-seller');
});

test('an unknown carrier holds the advice (policy hold); policy other sends Other with the SCAC as name', async () => {
  const t = translator(mappings, 'reno-wms', 'shipment-advice');
  const held = (await readPartner(t, x945('ZZZZ', 'TS-RED-M'))).documents[0];
  assert.equal(held.status, 'held');
  assert.deepEqual(held.exceptions.map((e) => e.code), ['unknown-carrier']);
  assert.match(held.exceptions[0].message, /carrier ZZZZ is not in carrier table carriers-us \(mappings\/tables\/carriers-us\.yaml\): add an entry/);
  const known = (await readPartner(t, x945('UPSN', 'TS-RED-M', 1, '2DA'))).documents[0];
  assert.equal(known.status, 'ok');
  assert.deepEqual((known.document as ShipmentAdvice).packages[0].amazonCarrier, { carrierCode: 'UPS', shippingMethod: 'UPS 2nd Day Air' });

  const lenient: Mappings = { ...mappings, carrierTables: new Map(mappings.carrierTables) };
  lenient.carrierTables.set('carriers-us', { ...mappings.carrierTables.get('carriers-us')!, unknownCarrier: 'other' });
  const other = (await readPartner(translator(lenient, 'reno-wms', 'shipment-advice'), x945('ZZZZ', 'TS-RED-M'))).documents[0];
  assert.equal(other.status, 'ok');
  assert.deepEqual((other.document as ShipmentAdvice).packages[0].amazonCarrier, { carrierCode: 'Other', carrierName: 'ZZZZ' });
});

test('pack sizes: a 6-pack ships as 6 units and is confirmed as 1; units that are not whole packs are held', async () => {
  const t = translator(mappings, 'reno-wms', 'shipment-advice');
  const ok = (await readPartner(t, x945('UPSN', 'SOCK-BLK', 12))).documents[0];
  assert.equal(ok.status, 'ok');
  assert.deepEqual((ok.document as ShipmentAdvice).packages[0].lines.map((l) => [l.sellerSku, l.quantity]), [['SOCKS-6PK', 2]]);
  const odd = (await readPartner(t, x945('UPSN', 'SOCK-BLK', 7))).documents[0];
  assert.equal(odd.status, 'held');
  assert.deepEqual(odd.exceptions.map((e) => e.code), ['unit-mismatch']);
  assert.match(odd.exceptions[0].message, /7 units of SOCK-BLK are not whole packs of 6 of SOCKS-6PK/);
});

test('kits: exploded into their parts on the order, put back together from the advice however they were packed', async () => {
  const t = translator(mappings, 'reno-wms', 'ship-order');
  const w = writePartner(t, [orders[0]]);
  const read = await readPartner(t, w.bytes!);
  // What the warehouse was asked to pick: 2 shirts, and for 1 gift set 2 mugs and 1 gift box.
  const x12 = w.bytes!.toString();
  assert.match(x12, /W01\*2\*EA\*\*VN\*MUG-12-WHT\*UK\*012345678912~\nN9\*SK\*MUG-GIFT-SET~\nN9\*LI\*12345678901235~/);
  assert.match(x12, /W01\*1\*EA\*\*VN\*GIFT-BOX-S~\nN9\*SK\*MUG-GIFT-SET~\nN9\*LI\*12345678901235~/);
  assert.deepEqual((read.documents[0].document as ShipOrder).lines.map((l) => [l.sellerSku, l.quantity]), [['TSHIRT-RED-M', 2], ['MUG-GIFT-SET', 1]]);
  // The sample 945 packs the gift set's mugs with the shirt and its box alone: confirmed once, with a note.
  const advice = (await readPartner(translator(mappings, 'reno-wms', 'shipment-advice'), sample('reno-wms/945-shipment-advice.edi'))).documents[0];
  assert.equal(advice.status, 'ok');
  const a = advice.document as ShipmentAdvice;
  assert.deepEqual(a.packages.map((p) => p.lines.map((l) => `${l.quantity} ${l.sellerSku}`)), [['2 TSHIRT-RED-M', '1 MUG-GIFT-SET']]);
  assert.match(advice.notes![0], /package 2 \(tracking 1Z999AA10123456795\) holds only parts of kits/);
  // A kit part short: not a whole kit, held.
  const short = await readPartner(translator(mappings, 'reno-wms', 'shipment-advice'), Buffer.from(sample('reno-wms/945-shipment-advice.edi').toString().replace('W12*CC*2*2**EA**VN*MUG-12-WHT', 'W12*CP*2*1**EA**VN*MUG-12-WHT')));
  assert.equal(short.documents[0].status, 'held');
  assert.ok(short.documents[0].exceptions.some((e) => e.code === 'kit-incomplete' && e.value === 'GIFT-BOX-S'));
});

test('inventory: one snapshot per seller; MFN quantities count sellable states only, packs, kits and buffers', async () => {
  const r = await readPartner(translator(mappings, 'reno-wms', 'inventory'), sample('reno-wms/846-inventory.edi'));
  assert.deepEqual(r.documents.map((d) => [d.status, (d.document as InventorySnapshot).seller]), [['ok', 'acme'], ['ok', 'northwind']]);
  const acme = r.documents[0].document as InventorySnapshot;
  const q = mfnQuantities(acme, skuIndex(mappings, 'acme'), mappings.partners.get('reno-wms')!);
  assert.deepEqual(
    q.map((x) => [x.sellerSku, x.quantity, x.available, x.buffer, x.limitedBy ?? '', x.shares.join(',')]),
    [
      ['TSHIRT-RED-M', 118, 120, 2, '', ''], // 33 = 120 sellable; 17 (on hand) and 74 (damaged) are not
      ['MUG-12OZ-WHT', 43, 48, 5, '', 'MUG-12-WHT'],
      ['MUG-GIFT-SET', 22, 24, 2, 'MUG-12-WHT', 'MUG-12-WHT'], // min(48 / 2, 30 / 1) = 24
      ['SOCKS-6PK', 4, 6, 2, '', ''], // 40 pairs make 6 packs of 6
      ['TSHIRT-RED-M-FBA', 0, 0, 2, '', ''],
    ],
  );
  // An unknown stock state or item holds the report rather than guessing.
  const odd = await readPartner(translator(mappings, 'reno-wms', 'inventory'), Buffer.from(sample('reno-wms/846-inventory.edi').toString().replace('QTY*74*6', 'QTY*XX*6').replace('LIN*3*VN*GIFT-BOX-S', 'LIN*3*VN*GIFT-BOX-Q')));
  assert.deepEqual(odd.documents[0].exceptions.map((e) => [e.code, e.value]), [['unknown-stock-state', 'XX'], ['unknown-item', 'GIFT-BOX-Q']]);
  assert.ok(odd.documents.every((d) => d.status === 'held'));
  assert.throws(() => mfnQuantities({ ...acme, scope: 'change' }, skuIndex(mappings, 'acme'), mappings.partners.get('reno-wms')!), /full count/);
});

test('text policy: separators and non-ASCII never reach an X12 file, windows-1252 keeps what it can; every change is recorded', () => {
  const order: ShipOrder = { ...orders[2], shipTo: { ...orders[2].shipTo, name: 'Ann*Smith~Jones', company: 'Łódź Straße Café' } };
  const x = writePartner(translator(mappings, 'reno-wms', 'ship-order'), [order]);
  assert.equal(x.documents[0].status, 'ok');
  assert.match(x.bytes!.toString(), /N1\*ST\*Ann Smith Jones~\nN2\*Lodz Strasse Cafe~/);
  assert.deepEqual(x.documents[0].textChanges, [
    { field: 'shipTo.name', from: 'Ann*Smith~Jones', to: 'Ann Smith Jones' },
    { field: 'shipTo.company', from: 'Łódź Straße Café', to: 'Lodz Strasse Cafe' },
  ]);
  const c = writePartner(translator(mappings, 'cascade-csv', 'ship-order'), [order]);
  const text = iconv.decode(c.bytes!, 'windows-1252');
  // windows-1252 has ó, ß and é but neither Ł nor ź.
  assert.match(text, /Ann\*Smith~Jones,Lódz Straße Café,/);
  assert.deepEqual(c.documents[0].textChanges, [{ field: 'shipTo.company', from: 'Łódź Straße Café', to: 'Lódz Straße Café' }]);
});

test('CSV: a formula is neutralised on the way out and restored on the way in; a byte-order mark is read; a missing column is located', async () => {
  const t = translator(mappings, 'cascade-csv', 'ship-order');
  const order: ShipOrder = { ...orders[2], shipTo: { ...orders[2].shipTo, name: '=HYPERLINK("http://x.example")', company: '-5 Dept' } };
  const w = writePartner(t, [order]);
  const text = w.bytes!.toString('latin1');
  assert.match(text, /"'=HYPERLINK\(""http:\/\/x\.example""\)",'-5 Dept,/);
  const back = await readPartner(t, w.bytes!);
  assert.equal((back.documents[0].document as ShipOrder).shipTo.name, '=HYPERLINK("http://x.example")');
  const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), sample('cascade-csv/inventory.csv')]);
  assert.equal((await readPartner(translator(mappings, 'cascade-csv', 'inventory'), withBom)).documents[0].status, 'ok');
  const noQty = await readPartner(translator(mappings, 'cascade-csv', 'inventory'), Buffer.from('Warehouse,SnapshotTime,Item,Status\r\nMEM1,2026-11-24 05:00:00,TS-RED-M,AVAILABLE\r\n'));
  assert.deepEqual(noQty.fileProblems, [{ where: 'line 1', message: 'header lacks the column Qty (expected Warehouse,SnapshotTime,Item,Status,Qty)' }]);
  const badDate = await readPartner(translator(mappings, 'cascade-csv', 'shipment-advice'), Buffer.from(sample('cascade-csv/shipments.csv').toString('latin1').replace('11/24/2026 17:05', '24.11.2026 17:05'), 'latin1'));
  assert.equal(badDate.documents[1].status, 'rejected');
  assert.deepEqual(badDate.documents[1].problems, [{ where: 'line 5', field: 'shippedAt', message: "ShipDate: '24.11.2026 17:05' is not a date in the format MM/dd/yyyy HH:mm" }]);
});

test('XML: no DOCTYPE, no entity expansion beyond the predefined five, size and depth limits, located errors', async () => {
  const t = translator(mappings, 'cascade-csv', 'receipt');
  const good = sample('cascade-csv/receipts.xml').toString();
  const bomb = `<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>\n${good.split('\n').slice(1).join('\n')}`;
  assert.deepEqual((await readPartner(t, Buffer.from(bomb))).fileProblems, [{ where: 'line 2', message: 'a DOCTYPE is refused (no DTDs or entities are processed)' }]);
  const deep = `<Receipts>${'<a>'.repeat(40)}${'</a>'.repeat(40)}</Receipts>`;
  assert.match((await readPartner(t, Buffer.from(deep))).fileProblems[0].message, /nested deeper than 32/);
  const small = { ...t, layout: { ...t.layout, xml: { ...(t.layout as { xml: object }).xml, maxBytes: 100 } } } as typeof t;
  assert.match((await readPartner(small, Buffer.from(good))).fileProblems[0].message, /bytes is more than this layout accepts/);
  assert.match((await readPartner(t, Buffer.from('<Receipts><Receipt></Receipts>'))).fileProblems[0].message, /^not well-formed XML/);
  const amp = good.replace('<Item>TS-RED-M</Item>', '<Item>TS-RED-M</Item><FNSKU>X00123&amp;CD</FNSKU>');
  const r = await readPartner(t, Buffer.from(amp));
  assert.equal(r.documents[0].status, 'rejected');
  assert.match(r.documents[0].problems[0].message, /fnsku: a 10-character FNSKU/);
  assert.equal(((r.documents[0].read as { lines: Array<{ fnsku: string }> }).lines[0]).fnsku, 'X00123&CD');
});

test('X12: a file from someone else, a set of the wrong type and a set the validator refuses are rejected with their location', async () => {
  const t = translator(mappings, 'reno-wms', 'shipment-advice');
  const other = await readPartner(t, Buffer.from(x945('UPSN', 'TS-RED-M').toString().replace('ZZ*RENOWMS        ', 'ZZ*SOMEONE        ')));
  assert.deepEqual(other.fileProblems, [{ where: 'line 1', message: 'ISA05/06 is ZZ/SOMEONE, partner reno-wms sends as ZZ/RENOWMS' }]);
  const wrongSet = await readPartner(t, Buffer.from(sample('reno-wms/944-receipt.edi').toString().replace(/RENOWMS {8}\*ZZ\*ACME3PL/, 'RENOWMS        *ZZ*ACME3PL')));
  assert.deepEqual(wrongSet.documents.map((d) => [d.status, d.problems[0].message]), [['rejected', 'a 944 set, this layout reads 945']]);
  const invalid = await readPartner(t, Buffer.from(x945('UPSN', 'TS-RED-M').toString().replace('W12*CC*1*1**EA**VN*TS-RED-M', 'W12*CC*1*1**EA**VN')));
  assert.equal(invalid.documents[0].status, 'rejected');
  assert.match(invalid.documents[0].problems.map((p) => p.message).join('\n'), /line 9 ST02=0001 W12 \(segment 7 from ST\) element W1208: W12: P0708: elements 07, 08 go together; 08 is missing/);
});

test('outbound: an unknown seller SKU holds the order; the others are written; what we write is validated against the set', () => {
  const t = translator(mappings, 'reno-wms', 'ship-order');
  const unknown: ShipOrder = { ...orders[2], lines: [{ ...orders[2].lines[0], sellerSku: 'NW-KAYAK' }] };
  const w = writePartner(t, [unknown, orders[2]]);
  assert.deepEqual(w.documents.map((d) => d.status), ['held', 'ok']);
  assert.match(w.documents[0].exceptions[0].message, /sellerSku NW-KAYAK is not in SKU table northwind-skus \(mappings\/tables\/northwind-skus\.yaml\)/);
  assert.equal((w.bytes!.toString().match(/ST\*940/g) ?? []).length, 1);
  // LX01 is at most 6 digits: a line number of 7 cannot be sent, and the order is not.
  const long: ShipOrder = { ...orders[2], lines: [{ ...orders[2].lines[0], lineNumber: 1 }] };
  const tooLong = writePartner({ ...t, compiled: { ...t.compiled } }, [{ ...long, orderId: '113-1111111-2222222', shipTo: { ...long.shipTo, stateOrRegion: 'COLORADO-LONG-NAME' } }]);
  assert.equal(tooLong.documents[0].status, 'rejected');
  assert.match(tooLong.documents[0].problems.map((p) => p.message).join('\n'), /the layout wrote an invalid 940: .*element N402: .*COLORADO-LONG-NAME/);
  assert.equal(tooLong.bytes, null);
});

test('an FBA replenishment without a valid Amazon Shipment ID is refused on the way out: no 940 is written without its N9*BM', () => {
  const fba = orders.find((o) => o.type === 'fba-inbound')!;
  assert.ok(fba?.fbaInbound, 'the sample has an FBA inbound order');
  const t = translator(mappings, 'reno-wms', 'ship-order');
  const good = writePartner(t, [fba]);
  assert.equal(good.documents[0].status, 'ok');
  assert.match(good.bytes!.toString(), new RegExp(`N9\\*BM\\*${fba.fbaInbound.shipmentId}`), 'the Shipment ID in the BOL reference');
  const { fbaInbound: _dropped, ...without } = fba;
  for (const [doc, field] of [
    [without, 'fbaInbound'],
    [{ ...fba, fbaInbound: { ...fba.fbaInbound, shipmentId: 'NOT-A-SHIPMENT' } }, 'fbaInbound.shipmentId'],
  ] as const) {
    const w = writePartner(t, [doc as ShipOrder]);
    assert.equal(w.documents[0].status, 'rejected', JSON.stringify(w.documents[0]));
    assert.equal(w.documents[0].problems[0].field, field);
    assert.match(w.documents[0].problems[0].message, /ShipOrder fbaInbound/);
    assert.equal(w.bytes, null, 'nothing written');
  }
});

