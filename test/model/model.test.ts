import assert from 'node:assert/strict';
import { test } from 'node:test';
import { carriesBuyerData, CanonicalDocumentError, parseCanonical } from '../../src/model/index.ts';

const address = { name: 'JANE DOE', lines: ['123 MAIN ST', 'APT 4'], city: 'SEATTLE', stateOrRegion: 'WA', postalCode: '98101', countryCode: 'US' };

const mfnOrder = {
  kind: 'ShipOrder',
  orderId: '112-3456789-1234567',
  type: 'mfn',
  seller: 'acme',
  marketplaceId: 'ATVPDKIKX0DER',
  purpose: 'new',
  shipTo: address,
  shipBy: '2026-11-25',
  gift: { message: 'HAPPY BIRTHDAY' },
  lines: [
    { lineNumber: 1, sellerSku: 'TSHIRT-RED-M', quantity: 2, orderItemId: '12345678901234' },
    { lineNumber: 2, sellerSku: 'MUG-12OZ-WHT', gtin: '012345678912', quantity: 1 },
  ],
};

const advice = {
  kind: 'ShipmentAdvice',
  orderId: '112-3456789-1234567',
  seller: 'acme',
  marketplaceId: 'ATVPDKIKX0DER',
  shippedAt: '2026-11-24T16:22:00-08:00',
  packages: [
    { packageId: '1', carrierScac: 'UPSN', trackingNumber: '1Z999AA10123456784', lines: [{ sellerSku: 'TSHIRT-RED-M', quantity: 2 }] },
    { packageId: '2', carrierScac: 'UPSN', trackingNumber: '1Z999AA10123456791', sscc: '00006141411234567890', lines: [{ sellerSku: 'MUG-12OZ-WHT', quantity: 1 }] },
  ],
  lines: [
    { sellerSku: 'TSHIRT-RED-M', ordered: 2, shipped: 2 },
    { sellerSku: 'MUG-12OZ-WHT', ordered: 2, shipped: 1, shortReason: 'OUT OF STOCK' },
  ],
};

function problem(doc: unknown): string {
  try {
    parseCanonical(doc);
  } catch (e) {
    assert.ok(e instanceof CanonicalDocumentError);
    return e.message;
  }
  return 'accepted';
}

test('valid documents of every kind are accepted, with defaults filled in', () => {
  const order = parseCanonical(mfnOrder);
  assert.equal(order.kind, 'ShipOrder');
  assert.equal(order.kind === 'ShipOrder' && order.lines[0].unit, 'EA');
  assert.ok(carriesBuyerData(order));
  assert.equal(parseCanonical(advice).kind, 'ShipmentAdvice');
  assert.equal(parseCanonical({ kind: 'InventorySnapshot', warehouse: 'RENO', asOf: '2026-11-24T06:00:00Z', scope: 'change', items: [{ warehouseItem: 'A1', state: 'available', quantity: -3 }] }).kind, 'InventorySnapshot');
  const asn = parseCanonical({
    kind: 'InboundAsn',
    seller: 'acme',
    marketplaceId: 'ATVPDKIKX0DER',
    shipmentId: 'FBA15ABCD1234',
    bol: 'FBA15ABCD1234',
    shippedAt: '2026-11-26T15:30:00-08:00',
    cartons: [{ boxId: 'FBA15ABCD1234U000001', sscc: '00006141411234567890', contents: [{ sellerSku: 'TSHIRT-RED-M', fnsku: 'X00123ABCD', quantity: 24 }] }],
  });
  assert.ok(!carriesBuyerData(asn));
  assert.equal(parseCanonical({ kind: 'Receipt', warehouse: 'RENO', receiptId: 'RCV812', receivedAt: '2026-11-24T11:00:00-08:00', lines: [{ fnsku: 'X00123ABCD', lpn: 'LPN9876543210', condition: 'sellable', quantity: 12 }] }).kind, 'Receipt');
});

test('problems are reported with the path and what was expected', () => {
  assert.match(problem({ ...mfnOrder, kind: 'Order' }), /kind must be one of ShipOrder, ShipmentAdvice/);
  assert.match(problem({ ...mfnOrder, orderId: 'ORDER-1' }), /ShipOrder orderId: an MFN order needs an Amazon order id/);
  assert.match(problem({ ...mfnOrder, shipTo: { ...address, countryCode: 'USA' } }), /shipTo\.countryCode: an ISO 3166-1 alpha-2 country code/);
  assert.match(problem({ ...mfnOrder, lines: [mfnOrder.lines[0], { ...mfnOrder.lines[1], lineNumber: 1 }] }), /lines\[1\]\.lineNumber: line number 1 is used twice/);
  assert.match(problem({ ...mfnOrder, type: 'fba-inbound', orderId: 'REPL-77' }), /fbaInbound: an FBA inbound order needs its Amazon Shipment ID/);
  assert.match(problem({ ...mfnOrder, colour: 'red' }), /Unrecognized key/);
  assert.match(problem({ ...advice, shippedAt: '2026-11-24T16:22:00' }), /shippedAt/, 'a time without its zone is refused');
  // A partial shipment without a reason is accepted (the rest may follow in another advice).
  const shortNoReason = { ...advice, lines: [advice.lines[0], { ...advice.lines[1], shortReason: undefined }] };
  assert.equal((parseCanonical(shortNoReason) as { lines: Array<{ shipped: number; ordered: number }> }).lines[1].shipped < advice.lines[1].ordered, true);
  assert.match(problem({ ...advice, packages: [advice.packages[0]] }), /1 of MUG-12OZ-WHT shipped but in no package/);
  assert.match(problem({ ...advice, packages: [{ ...advice.packages[1], sscc: '00006141411234567891' }, advice.packages[0]] }), /packages\[0\]\.sscc: an SSCC-18/);
  assert.match(problem({ ...advice, packages: [{ ...advice.packages[0], packageId: 'PKG-1' }, advice.packages[1]] }), /packageId: a package number/);
  assert.match(problem({ kind: 'InventorySnapshot', warehouse: 'RENO', asOf: '2026-11-24T06:00:00Z', scope: 'full', items: [{ warehouseItem: 'A1', state: 'available', quantity: -3 }] }), /a full count cannot be negative/);
  assert.match(
    problem({ kind: 'InboundAsn', seller: 'acme', marketplaceId: 'ATVPDKIKX0DER', shipmentId: 'FBA15ABCD1234', shippedAt: '2026-11-26T15:30:00Z', cartons: [{ boxId: 'FBA99ZZZZ999U000001', contents: [{ sellerSku: 'A', quantity: 1 }] }] }),
    /box FBA99ZZZZ999U000001 does not belong to shipment FBA15ABCD1234/,
  );
  assert.match(problem({ kind: 'Receipt', warehouse: 'RENO', receiptId: 'R1', receivedAt: '2026-11-24T11:00:00Z', lines: [{ condition: 'sellable', quantity: 1 }] }), /needs a seller SKU, a warehouse item or an FNSKU/);
});
