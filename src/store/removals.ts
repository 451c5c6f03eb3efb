/**
 * Removals and customer returns coming back to the 3PL (issue 12): what Amazon says it shipped
 * back (the removal shipment report, the customer returns report with license plate numbers),
 * stored as expected arrivals; and each warehouse receipt line posted against one of them
 * (matched by LPN, else removal order id, else tracking number + SKU) or left unmatched with an
 * exception.
 */

export const ARRIVAL_STATES = ['expected', 'partially-received', 'received', 'over-received', 'cancelled'] as const;
export type ArrivalState = (typeof ARRIVAL_STATES)[number];

export interface ExpectedArrival {
  id: number;
  seller: string;
  /** removal: GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA; return: GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA. */
  source: 'removal' | 'return';
  /** Removal order id (RMV-...) or, for a return, the Amazon order id. */
  reference: string;
  sellerSku: string;
  fnsku: string | null;
  lpn: string | null;
  carrier: string | null;
  trackingNumber: string | null;
  /** Amazon's disposition of the units (Sellable, Unsellable, ...) as the report gives it. */
  disposition: string | null;
  expected: number;
  received: number;
  shippedAt: string | null;
  state: ArrivalState;
  createdAt: string;
  updatedAt: string;
}

/** What decides whether received units become sellable (the seller's disposition rules). */
export const RECEIPT_DISPOSITIONS = ['sellable', 'damaged', 'quarantine'] as const;
export type ReceiptDisposition = (typeof RECEIPT_DISPOSITIONS)[number];

export interface ReceiptPosting {
  id: number;
  seller: string | null;
  partner: string;
  fileMessageId: number;
  receiptId: string;
  /** The receipt line's position (0-based) within its document. */
  line: number;
  arrivalId: number | null;
  sellerSku: string | null;
  warehouseItem: string | null;
  quantity: number;
  condition: string;
  disposition: ReceiptDisposition;
  matchedBy: 'lpn' | 'removal-order' | 'tracking-sku' | 'manual' | null;
  state: 'posted' | 'unmatched';
  exceptionId: number | null;
  at: string;
}

export interface RemovalsRepo {
  /**
   * Insert an expected arrival, or refresh it (quantity, carrier, tracking, disposition) when the
   * same one is reported again: one per (seller, source, reference, sellerSku, trackingNumber, lpn).
   */
  upsertExpected(a: Omit<ExpectedArrival, 'id' | 'received' | 'state' | 'createdAt' | 'updatedAt'>, now: string): Promise<{ record: ExpectedArrival; created: boolean }>;
  getExpected(id: number): Promise<ExpectedArrival | null>;
  listExpected(filter: { seller?: string; states?: ArrivalState[]; sellerSku?: string; reference?: string; lpn?: string; trackingNumber?: string; limit?: number }): Promise<ExpectedArrival[]>;
  /** Add received units; the state follows (partially-received, received, over-received). */
  receive(id: number, quantity: number, now: string): Promise<ExpectedArrival>;
  addPosting(p: Omit<ReceiptPosting, 'id'>): Promise<ReceiptPosting>;
  getPosting(id: number): Promise<ReceiptPosting | null>;
  postings(filter: { seller?: string; fileMessageId?: number; arrivalId?: number; state?: ReceiptPosting['state']; limit?: number }): Promise<ReceiptPosting[]>;
  /** A posting matched later (by hand): its arrival, how, and its state. */
  matchPosting(id: number, arrivalId: number, matchedBy: NonNullable<ReceiptPosting['matchedBy']>, now: string): Promise<void>;
}
