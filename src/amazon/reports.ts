/**
 * Typed rows of the flat-file reports Dockgate reads, from adapter.report(type)'s rows (header
 * names as keys). A row that does not hold what the report documents is refused with a located
 * ReportRowError (report type, row number counted from the first data row as 1, column, what was
 * expected): a half-read report would post stock against the wrong removal order or SKU.
 * Column names: Amazon's report type documentation (docs/sandbox-amazon.md lists them).
 */

export const REPORT_TYPES = {
  removalShipments: 'GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA',
  customerReturns: 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA',
  merchantListings: 'GET_MERCHANT_LISTINGS_ALL_DATA',
} as const;

export class ReportRowError extends Error {
  constructor(
    readonly reportType: string,
    /** 1 = the first row after the header. */
    readonly row: number,
    readonly column: string,
    readonly expected: string,
    readonly value: string | undefined,
  ) {
    super(`${reportType} row ${row}, column ${column}: expected ${expected}, got ${value === undefined ? 'no such column' : JSON.stringify(value)}`);
    this.name = 'ReportRowError';
  }
}

export interface RemovalShipmentRow {
  /** ISO 8601 as the report gives it. */
  requestDate: string;
  /** The report's order-id: the removal order id (e.g. RMV-5120-0042). */
  removalOrderId: string;
  shipmentDate: string;
  sellerSku: string;
  fnsku: string;
  disposition: string;
  shippedQuantity: number;
  carrier: string;
  trackingNumber: string;
  /** Return, Disposal, Liquidations. */
  removalOrderType: string;
}

export interface CustomerReturnRow {
  returnDate: string;
  orderId: string;
  sellerSku: string;
  asin: string;
  fnsku: string;
  quantity: number;
  fulfillmentCenterId: string;
  detailedDisposition: string;
  reason: string;
  status: string;
  /** Empty when Amazon gives none. */
  licensePlateNumber: string;
}

export interface MerchantListingRow {
  sellerSku: string;
  asin: string;
  /** The MFN quantity; null for an FBA listing (the report leaves it empty). */
  quantity: number | null;
  /** DEFAULT (merchant) or AMAZON_NA / AMAZON_EU / ... (FBA). */
  fulfillmentChannel: string;
  /** Active, Inactive, Incomplete. */
  status: string;
}

type Row = Record<string, string>;

class Reader {
  constructor(
    private readonly reportType: string,
    private readonly row: Row,
    private readonly n: number,
  ) {}
  fail(column: string, expected: string): never {
    throw new ReportRowError(this.reportType, this.n, column, expected, this.row[column]);
  }
  text(column: string): string {
    const v = this.row[column];
    if (v === undefined) this.fail(column, 'the column');
    return v.trim();
  }
  required(column: string): string {
    const v = this.text(column);
    if (v === '') this.fail(column, 'a value');
    return v;
  }
  date(column: string): string {
    const v = this.required(column);
    if (Number.isNaN(Date.parse(v))) this.fail(column, 'an ISO 8601 date');
    return v;
  }
  count(column: string): number {
    const v = this.required(column);
    if (!/^\d+$/.test(v)) this.fail(column, 'a whole number of units');
    return Number(v);
  }
  optionalCount(column: string): number | null {
    const v = this.text(column);
    if (v === '') return null;
    if (!/^\d+$/.test(v)) this.fail(column, 'a whole number of units or nothing');
    return Number(v);
  }
}

function each<T>(reportType: string, rows: Row[], read: (r: Reader) => T): T[] {
  return rows.map((row, i) => read(new Reader(reportType, row, i + 1)));
}

export function parseRemovalShipments(rows: Row[]): RemovalShipmentRow[] {
  return each(REPORT_TYPES.removalShipments, rows, (r) => ({
    requestDate: r.date('request-date'),
    removalOrderId: r.required('order-id'),
    shipmentDate: r.date('shipment-date'),
    sellerSku: r.required('sku'),
    fnsku: r.required('fnsku'),
    disposition: r.required('disposition'),
    shippedQuantity: r.count('shipped-quantity'),
    carrier: r.text('carrier'),
    trackingNumber: r.text('tracking-number'),
    removalOrderType: r.required('removal-order-type'),
  }));
}

export function parseCustomerReturns(rows: Row[]): CustomerReturnRow[] {
  return each(REPORT_TYPES.customerReturns, rows, (r) => ({
    returnDate: r.date('return-date'),
    orderId: r.required('order-id'),
    sellerSku: r.required('sku'),
    asin: r.required('asin'),
    fnsku: r.required('fnsku'),
    quantity: r.count('quantity'),
    fulfillmentCenterId: r.text('fulfillment-center-id'),
    detailedDisposition: r.required('detailed-disposition'),
    reason: r.text('reason'),
    status: r.text('status'),
    licensePlateNumber: r.text('license-plate-number'),
  }));
}

export function parseMerchantListings(rows: Row[]): MerchantListingRow[] {
  return each(REPORT_TYPES.merchantListings, rows, (r) => {
    const fulfillmentChannel = r.required('fulfillment-channel');
    const quantity = r.optionalCount('quantity');
    if (fulfillmentChannel === 'DEFAULT' && quantity === null) r.fail('quantity', 'a quantity for a DEFAULT (merchant) listing');
    return { sellerSku: r.required('seller-sku'), asin: r.text('asin1'), quantity, fulfillmentChannel, status: r.text('status') };
  });
}
