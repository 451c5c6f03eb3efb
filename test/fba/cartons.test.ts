/**
 * The carton check (src/fba/cartons.ts) and the tracking / ASN built from it
 * (src/flows/fba-shipped.ts): data in, findings out.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCartons, ssccFinding, boxIdOf } from '../../src/fba/cartons.ts';
import { asnOf, mergeShipped, trackingKey, trackingOf } from '../../src/flows/fba-shipped.ts';
import { parseCanonical } from '../../src/model/index.ts';
import type { FbaBox, FbaShipmentRecord, FbaShippedCarton } from '../../src/store/fba.ts';
import { gs1CheckDigit } from '../../src/x12/validate/sscc.ts';

const ID = 'FBA15ABCD1234';
const SKU = 'TSHIRT-RED-M-FBA';
/** A valid SSCC-18 in the 20-digit form from 17 digits. */
const sscc = (first17: string) => `00${first17}${gs1CheckDigit(first17)}`;
const S1 = sscc('00614141123456789');
const S2 = sscc('00614141123456790');

const boxes: FbaBox[] = [
  { boxId: `${ID}U000001`, sscc: S1, items: [{ msku: SKU, fnsku: 'X00123ABCE', quantity: 24 }] },
  { boxId: `${ID}U000002`, sscc: S2, items: [{ msku: SKU, fnsku: 'X00123ABCE', quantity: 24 }] },
];
const carton = (n: number, extra: Partial<FbaShippedCarton> = {}): FbaShippedCarton => ({ boxId: `${ID}U00000${n}`, sscc: n === 1 ? S1 : S2, trackingNumber: `1Z999AA1000000000${n}`, contents: [{ sellerSku: SKU, quantity: 24 }], ...extra });

test('matching cartons: no findings, each carton paired with its box', () => {
  const r = checkCartons(ID, boxes, [carton(1), carton(2)]);
  assert.deepEqual(r.findings, []);
  assert.deepEqual(r.matches.map((m) => m.box.boxId), [`${ID}U000001`, `${ID}U000002`]);
});

test('a missing box is named, with the count and the SKU total', () => {
  const r = checkCartons(ID, boxes, [carton(1)]);
  const messages = r.findings.map((f) => f.message);
  assert.ok(messages.includes(`box ${ID}U000002: missing`), messages.join('\n'));
  assert.ok(messages.includes(`1 carton(s) shipped, Amazon has 2 box(es) for ${ID}`));
  assert.ok(messages.includes(`${SKU}: 48 expected, 24 shipped`));
});

test('a wrong SSCC check digit says which digit it should be, naming the box', () => {
  const bad = `${S2.slice(0, 19)}${(Number(S2[19]) + 1) % 10}`;
  const f = ssccFinding(bad, `${ID}U000002`);
  assert.equal(f?.code, 'sscc-check-digit');
  assert.equal(f?.message, `SSCC ${bad} (box ${ID}U000002): check digit should be ${S2[19]}`);
  const r = checkCartons(ID, boxes, [carton(1), carton(2, { sscc: bad })]);
  assert.deepEqual(r.findings.map((x) => x.code), ['sscc-check-digit']);
  // A carton known only by its (bad) SSCC cannot be paired: its box is missing too.
  const r2 = checkCartons(ID, boxes, [carton(1), carton(2, { boxId: undefined, sscc: bad })]);
  assert.deepEqual(r2.findings.map((x) => x.code).sort(), ['box-missing', 'sscc-check-digit']);
  assert.equal(ssccFinding('123')?.code, 'sscc-invalid');
  assert.equal(ssccFinding(S1), null);
});

test('extra units of a SKU: per box and in total', () => {
  const r = checkCartons(ID, boxes, [carton(1), carton(2, { contents: [{ sellerSku: SKU, quantity: 30 }, { sellerSku: 'MUG-12OZ-WHT', quantity: 2 }] })]);
  const messages = r.findings.map((f) => f.message);
  assert.deepEqual(messages, [`box ${ID}U000002: MUG-12OZ-WHT: 0 expected, 2 shipped`, `box ${ID}U000002: ${SKU}: 24 expected, 30 shipped`, `MUG-12OZ-WHT: 0 expected, 2 shipped`, `${SKU}: 48 expected, 54 shipped`]);
});

test('box ids of another shipment, unknown, twice; an SSCC Amazon has otherwise; cartons paired by SSCC or by an FBA label scanned as LPN', () => {
  const other = checkCartons(ID, boxes, [carton(1), carton(2, { boxId: 'FBA99ZZZZ999U000002' })]);
  assert.ok(other.findings.some((f) => f.message === `box FBA99ZZZZ999U000002: belongs to shipment FBA99ZZZZ999, not ${ID}`));
  const unknown = checkCartons(ID, boxes, [carton(1), carton(2, { boxId: `${ID}U000009` })]);
  assert.ok(unknown.findings.some((f) => f.message === `box ${ID}U000009: not one of Amazon's boxes for ${ID}`));
  const twice = checkCartons(ID, boxes, [carton(1), carton(1)]);
  assert.deepEqual(twice.findings.map((f) => f.code).sort(), ['box-missing', 'box-repeated']);
  const differs = checkCartons(ID, boxes, [carton(1), carton(2, { sscc: S1 })]);
  assert.ok(differs.findings.some((f) => f.code === 'sscc-differs' && f.box === `${ID}U000002`));
  const bySscc = checkCartons(ID, boxes, [carton(1, { boxId: undefined }), carton(2, { boxId: undefined, sscc: S2.slice(2) })]);
  assert.deepEqual(bySscc.findings, []);
  assert.equal(boxIdOf({ lpn: `${ID.toLowerCase()}u000001` }), `${ID}U000001`);
  assert.equal(boxIdOf({ lpn: 'LPN000123' }), undefined);
});

test('tracking: small parcel per box; LTL when a PRO and no per-carton tracking (or every carton carries the PRO); the key follows the set', () => {
  const matched = checkCartons(ID, boxes, [carton(1), carton(2)]).matches;
  const spd = trackingOf({ cartons: [carton(1), carton(2)], fileMessageId: 1 }, matched);
  assert.deepEqual(spd, { tracking: { kind: 'small-parcel', boxes: [{ boxId: `${ID}U000001`, trackingId: '1Z999AA10000000001' }, { boxId: `${ID}U000002`, trackingId: '1Z999AA10000000002' }] } });
  const freight = [carton(1, { trackingNumber: undefined }), carton(2, { trackingNumber: undefined })];
  const ltl = trackingOf({ cartons: freight, bol: 'BOL778812', proNumber: 'PRO-55512', fileMessageId: 1 }, checkCartons(ID, boxes, freight).matches);
  assert.deepEqual(ltl, { tracking: { kind: 'ltl', billOfLadingNumber: 'BOL778812', freightBillNumbers: ['PRO-55512'] } });
  const same = [carton(1, { trackingNumber: 'PRO-55512' }), carton(2, { trackingNumber: 'PRO-55512' })];
  assert.deepEqual(trackingOf({ cartons: same, bol: 'BOL778812', fileMessageId: 1 }, checkCartons(ID, boxes, same).matches), ltl);
  assert.match((trackingOf({ cartons: freight, fileMessageId: 1 }, checkCartons(ID, boxes, freight).matches) as { problem: string }).problem, /no tracking number for box/);
  assert.match((trackingOf({ cartons: freight, proNumber: 'P1', fileMessageId: 1 }, checkCartons(ID, boxes, freight).matches) as { problem: string }).problem, /without a bill of lading/);
  const k1 = trackingKey('acme', ID, (spd as { tracking: never }).tracking);
  assert.equal(k1, trackingKey('acme', ID, structuredClone((spd as { tracking: never }).tracking)));
  assert.notEqual(k1, trackingKey('acme', ID, (ltl as { tracking: never }).tracking));
});

test('the 945 and the 856 of one shipment: what one lacks is kept from the other', () => {
  const from945 = { cartons: [carton(1), carton(2)], fileMessageId: 1 };
  const from856 = { cartons: [carton(1, { trackingNumber: undefined }), carton(2, { trackingNumber: undefined })], bol: 'BOL1', fileMessageId: 2 };
  const merged = mergeShipped(from945, from856);
  assert.deepEqual(merged.cartons.map((c) => c.trackingNumber), ['1Z999AA10000000001', '1Z999AA10000000002']);
  assert.equal(merged.bol, 'BOL1');
  assert.equal(merged.fileMessageId, 2);
});

test('the ASN: one carton per Amazon box with its 20-digit SSCC, box id and contents, valid in the canonical model', () => {
  const record = { seller: 'acme', shipmentId: ID, marketplaceId: 'ATVPDKIKX0DER', amazonReferenceId: '3K7QXZ9A' } as FbaShipmentRecord;
  const shipped = { cartons: [carton(1, { sscc: S1.slice(2), lpn: 'LPN0001' }), carton(2)], bol: 'BOL1', carrierScac: 'UPSN', fileMessageId: 1 };
  const asn = asnOf(record, shipped, checkCartons(ID, boxes, shipped.cartons).matches, '2026-11-02T12:00:00Z');
  assert.doesNotThrow(() => parseCanonical(asn));
  assert.deepEqual(asn.cartons.map((c) => [c.boxId, c.sscc, c.lpn]), [[`${ID}U000001`, S1, 'LPN0001'], [`${ID}U000002`, S2, undefined]]);
  assert.equal(asn.referenceId, '3K7QXZ9A');
});
