/** The typed report parsers refuse bad rows with the report type, row, column and what was expected. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCustomerReturns, parseMerchantListings, parseRemovalShipments, ReportRowError } from '../../src/amazon/reports.ts';

const removal = { 'request-date': '2026-11-18T08:00:00+00:00', 'order-id': 'RMV-1', 'shipment-date': '2026-11-21T15:00:00+00:00', sku: 'A', fnsku: 'X1', disposition: 'Sellable', 'shipped-quantity': '3', carrier: 'UPS', 'tracking-number': '1Z', 'removal-order-type': 'Return' };

function located(run: () => unknown, expected: { reportType: string; row: number; column: string }): void {
  const e = (() => {
    try {
      run();
    } catch (err) {
      return err;
    }
    return undefined;
  })();
  assert.ok(e instanceof ReportRowError, 'a ReportRowError');
  assert.deepEqual({ reportType: e.reportType, row: e.row, column: e.column }, expected);
  assert.match(e.message, new RegExp(`row ${expected.row}, column ${expected.column}: expected`));
}

test('removal shipments: quantities are whole numbers, dates dates, order ids present', () => {
  assert.equal(parseRemovalShipments([removal])[0].shippedQuantity, 3);
  const type = 'GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA';
  located(() => parseRemovalShipments([removal, { ...removal, 'shipped-quantity': '2.5' }]), { reportType: type, row: 2, column: 'shipped-quantity' });
  located(() => parseRemovalShipments([{ ...removal, 'request-date': 'yesterday' }]), { reportType: type, row: 1, column: 'request-date' });
  located(() => parseRemovalShipments([{ ...removal, 'order-id': ' ' }]), { reportType: type, row: 1, column: 'order-id' });
  const { carrier: _c, ...noCarrier } = removal;
  located(() => parseRemovalShipments([noCarrier]), { reportType: type, row: 1, column: 'carrier' });
});

test('customer returns: an empty license plate number is allowed, a missing quantity is not', () => {
  const row = { 'return-date': '2026-11-20T10:11:12+00:00', 'order-id': '111-0000000-0000009', sku: 'A', asin: 'B0', fnsku: 'X1', 'product-name': 'p', quantity: '1', 'fulfillment-center-id': 'RNO4', 'detailed-disposition': 'SELLABLE', reason: 'R', status: 'S', 'license-plate-number': '', 'customer-comments': '' };
  assert.equal(parseCustomerReturns([row])[0].licensePlateNumber, '');
  located(() => parseCustomerReturns([{ ...row, quantity: '' }]), { reportType: 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA', row: 1, column: 'quantity' });
});

test('merchant listings: FBA rows have no quantity; a DEFAULT row without one is refused at its row', () => {
  const row = { 'seller-sku': 'A', asin1: 'B0', quantity: '4', 'fulfillment-channel': 'DEFAULT', status: 'Active' };
  assert.deepEqual(parseMerchantListings([row, { ...row, 'seller-sku': 'B', quantity: '', 'fulfillment-channel': 'AMAZON_NA' }]).map((r) => r.quantity), [4, null]);
  located(() => parseMerchantListings([row, row, { ...row, quantity: '' }]), { reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', row: 3, column: 'quantity' });
  located(() => parseMerchantListings([{ ...row, quantity: '-1' }]), { reportType: 'GET_MERCHANT_LISTINGS_ALL_DATA', row: 1, column: 'quantity' });
});
