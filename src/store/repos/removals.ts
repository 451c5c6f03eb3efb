/**
 * Expected arrivals from Amazon and the receipt postings against them (migration 0008). Queries
 * in removals.sql (src/store/sqlite/sql, with PostgreSQL's own where the dialects differ). An
 * arrival's state follows from received vs expected, here in one place, so every writer agrees
 * on it. The read-then-write calls (upsertExpected, receive, addPosting) read with the row
 * locked on PostgreSQL, and an insert racing another instance's takes the row that won.
 */
import { StoreError } from '../errors.ts';
import { ARRIVAL_STATES, RECEIPT_DISPOSITIONS, type ArrivalState, type ExpectedArrival, type ReceiptPosting, type RemovalsRepo } from '../removals.ts';
import { queries } from '../sql/queries.ts';
import { NO_LIMIT, type SqlRunner } from '../sql/runner.ts';
import { isoTime, oneOf } from '../states.ts';

const SOURCES = ['removal', 'return'] as const;
const MATCHED_BY = ['lpn', 'removal-order', 'tracking-sku', 'manual'] as const;
const POSTING_STATES = ['posted', 'unmatched'] as const;

interface ArrivalRow {
  id: number;
  seller: string;
  source: string;
  reference: string;
  seller_sku: string;
  fnsku: string | null;
  lpn: string | null;
  carrier: string | null;
  tracking_number: string | null;
  disposition: string | null;
  expected: number;
  received: number;
  shipped_at: string | null;
  state: string;
  created_at: string;
  updated_at: string;
}

interface PostingRow {
  id: number;
  seller: string | null;
  partner: string;
  file_message_id: number;
  receipt_id: string;
  line: number;
  arrival_id: number | null;
  seller_sku: string | null;
  warehouse_item: string | null;
  quantity: number;
  condition: string;
  disposition: string;
  matched_by: string | null;
  state: string;
  exception_id: number | null;
  at: string;
}

const arrival = (r: ArrivalRow): ExpectedArrival => ({
  id: r.id,
  seller: r.seller,
  source: r.source as ExpectedArrival['source'],
  reference: r.reference,
  sellerSku: r.seller_sku,
  fnsku: r.fnsku,
  lpn: r.lpn,
  carrier: r.carrier,
  trackingNumber: r.tracking_number,
  disposition: r.disposition,
  expected: r.expected,
  received: r.received,
  shippedAt: r.shipped_at,
  state: r.state as ArrivalState,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const posting = (r: PostingRow): ReceiptPosting => ({
  id: r.id,
  seller: r.seller,
  partner: r.partner,
  fileMessageId: r.file_message_id,
  receiptId: r.receipt_id,
  line: r.line,
  arrivalId: r.arrival_id,
  sellerSku: r.seller_sku,
  warehouseItem: r.warehouse_item,
  quantity: r.quantity,
  condition: r.condition,
  disposition: r.disposition as ReceiptPosting['disposition'],
  matchedBy: r.matched_by as ReceiptPosting['matchedBy'],
  state: r.state as ReceiptPosting['state'],
  exceptionId: r.exception_id,
  at: r.at,
});

/** The state received units put an arrival in (a cancelled one stays cancelled). */
export function arrivalState(expected: number, received: number, current?: ArrivalState): ArrivalState {
  if (current === 'cancelled') return 'cancelled';
  if (received === 0) return 'expected';
  if (received < expected) return 'partially-received';
  return received === expected ? 'received' : 'over-received';
}

const count = (n: number, what: string) => {
  if (!Number.isInteger(n) || n < 0) throw new StoreError(`${what} ${n} is not a whole number of units`, { what, value: n });
  return n;
};

export class SqlRemovals implements RemovalsRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'removals.sql');
  }

  async upsertExpected(a: Parameters<RemovalsRepo['upsertExpected']>[0], now: string): Promise<{ record: ExpectedArrival; created: boolean }> {
    const at = isoTime(now, 'now');
    const params = {
      seller: a.seller,
      source: oneOf(SOURCES, a.source, 'arrival source'),
      reference: a.reference,
      sellerSku: a.sellerSku,
      fnsku: a.fnsku,
      lpn: a.lpn,
      carrier: a.carrier,
      trackingNumber: a.trackingNumber,
      disposition: a.disposition,
      expected: count(a.expected, 'expected'),
      shippedAt: a.shippedAt === null ? null : isoTime(a.shippedAt, 'shippedAt'),
      now: at,
    };
    let found = await this.sql.get<ArrivalRow>(this.q.findExpected, params);
    if (!found) {
      // Nothing when another writer inserted it first (PostgreSQL: ON CONFLICT DO NOTHING): that one is refreshed below.
      const inserted = await this.sql.get<ArrivalRow>(this.q.insertExpected, params);
      if (inserted) return { record: arrival(inserted), created: true };
      found = await this.sql.get<ArrivalRow>(this.q.findExpected, params);
      if (!found) throw new StoreError(`expected arrival ${a.reference} / ${a.sellerSku}: neither inserted nor found`, { reference: a.reference, sellerSku: a.sellerSku });
    }
    const state = arrivalState(params.expected, found.received, found.state as ArrivalState);
    return { record: arrival((await this.sql.get<ArrivalRow>(this.q.refreshExpected, { ...params, id: found.id, state }))!), created: false };
  }

  async getExpected(id: number): Promise<ExpectedArrival | null> {
    const r = await this.sql.get<ArrivalRow>(this.q.getExpected, id);
    return r ? arrival(r) : null;
  }

  async listExpected(filter: Parameters<RemovalsRepo['listExpected']>[0]): Promise<ExpectedArrival[]> {
    const states = filter.states ? JSON.stringify(filter.states.map((s) => oneOf(ARRIVAL_STATES, s, 'arrival state'))) : null;
    const rows = await this.sql.all<ArrivalRow>(this.q.listExpected, {
      seller: filter.seller ?? null,
      states,
      sellerSku: filter.sellerSku ?? null,
      reference: filter.reference ?? null,
      lpn: filter.lpn ?? null,
      trackingNumber: filter.trackingNumber ?? null,
      limit: filter.limit ?? NO_LIMIT,
    });
    return rows.map(arrival);
  }

  async receive(id: number, quantity: number, now: string): Promise<ExpectedArrival> {
    count(quantity, 'received quantity');
    const at = isoTime(now, 'now');
    const r = await this.sql.get<ArrivalRow>(this.q.lockExpected, id);
    if (!r) throw new StoreError(`no expected arrival ${id}`, { id });
    const received = r.received + quantity;
    return arrival((await this.sql.get<ArrivalRow>(this.q.setReceived, { id, received, state: arrivalState(r.expected, received, r.state as ArrivalState), now: at }))!);
  }

  async addPosting(p: Omit<ReceiptPosting, 'id'>): Promise<ReceiptPosting> {
    const params = {
      ...p,
      quantity: count(p.quantity, 'posted quantity'),
      disposition: oneOf(RECEIPT_DISPOSITIONS, p.disposition, 'receipt disposition'),
      matchedBy: p.matchedBy === null ? null : oneOf(MATCHED_BY, p.matchedBy, 'matched by'),
      state: oneOf(POSTING_STATES, p.state, 'posting state'),
      at: isoTime(p.at, 'at'),
    };
    // The same receipt line again (its file processed again, or by two instances at once): the posting made the first time.
    const inserted = await this.sql.get<PostingRow>(this.q.insertPosting, params);
    if (inserted) return posting(inserted);
    const found = await this.sql.get<PostingRow>(this.q.findPosting, params);
    if (!found) throw new StoreError(`receipt ${p.receiptId} line ${p.line}: neither inserted nor found`, { receiptId: p.receiptId, line: p.line });
    return posting(found);
  }

  async getPosting(id: number): Promise<ReceiptPosting | null> {
    const r = await this.sql.get<PostingRow>(this.q.getPosting, id);
    return r ? posting(r) : null;
  }

  async postings(filter: Parameters<RemovalsRepo['postings']>[0]): Promise<ReceiptPosting[]> {
    const rows = await this.sql.all<PostingRow>(this.q.postings, {
      seller: filter.seller ?? null,
      fileMessageId: filter.fileMessageId ?? null,
      arrivalId: filter.arrivalId ?? null,
      state: filter.state === undefined ? null : oneOf(POSTING_STATES, filter.state, 'posting state'),
      limit: filter.limit ?? NO_LIMIT,
    });
    return rows.map(posting);
  }

  async matchPosting(id: number, arrivalId: number, matchedBy: NonNullable<ReceiptPosting['matchedBy']>, now: string): Promise<void> {
    const r = await this.sql.run(this.q.matchPosting, { id, arrivalId, matchedBy: oneOf(MATCHED_BY, matchedBy, 'matched by'), now: isoTime(now, 'now') });
    if (r.changes === 0) throw new StoreError(`no receipt posting ${id}`, { id });
  }
}
