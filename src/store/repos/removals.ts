/**
 * Expected arrivals from Amazon and the receipt postings against them, in SQLite (migration
 * 0008). Queries in sql/removals.sql. An arrival's state follows from received vs expected, here
 * in one place, so every writer agrees on it.
 */
import type Database from 'better-sqlite3';
import { StoreError } from '../errors.ts';
import { ARRIVAL_STATES, RECEIPT_DISPOSITIONS, type ArrivalState, type ExpectedArrival, type ReceiptPosting, type RemovalsRepo } from '../removals.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime, oneOf } from './states.ts';

const q = namedQueries('removals.sql');
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

export class SqliteRemovals implements RemovalsRepo {
  constructor(private readonly db: Database.Database) {}

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
    const run = this.db.transaction(() => {
      const found = prepared(this.db, q.findExpected).get(params) as ArrivalRow | undefined;
      if (!found) return { record: arrival(prepared(this.db, q.insertExpected).get(params) as ArrivalRow), created: true };
      const state = arrivalState(params.expected, found.received, found.state as ArrivalState);
      return { record: arrival(prepared(this.db, q.refreshExpected).get({ ...params, id: found.id, state }) as ArrivalRow), created: false };
    });
    return run();
  }

  async getExpected(id: number): Promise<ExpectedArrival | null> {
    const r = prepared(this.db, q.getExpected).get(id) as ArrivalRow | undefined;
    return r ? arrival(r) : null;
  }

  async listExpected(filter: Parameters<RemovalsRepo['listExpected']>[0]): Promise<ExpectedArrival[]> {
    const states = filter.states ? JSON.stringify(filter.states.map((s) => oneOf(ARRIVAL_STATES, s, 'arrival state'))) : null;
    const rows = prepared(this.db, q.listExpected).all({
      seller: filter.seller ?? null,
      states,
      sellerSku: filter.sellerSku ?? null,
      reference: filter.reference ?? null,
      lpn: filter.lpn ?? null,
      trackingNumber: filter.trackingNumber ?? null,
      limit: filter.limit ?? -1,
    }) as ArrivalRow[];
    return rows.map(arrival);
  }

  async receive(id: number, quantity: number, now: string): Promise<ExpectedArrival> {
    count(quantity, 'received quantity');
    const at = isoTime(now, 'now');
    const run = this.db.transaction(() => {
      const r = prepared(this.db, q.getExpected).get(id) as ArrivalRow | undefined;
      if (!r) throw new StoreError(`no expected arrival ${id}`, { id });
      const received = r.received + quantity;
      return arrival(prepared(this.db, q.setReceived).get({ id, received, state: arrivalState(r.expected, received, r.state as ArrivalState), now: at }) as ArrivalRow);
    });
    return run();
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
    const run = this.db.transaction(() => {
      // The same receipt line again (its file processed again): the posting made the first time.
      const found = prepared(this.db, q.findPosting).get(params) as PostingRow | undefined;
      if (found) return posting(found);
      return posting(prepared(this.db, q.insertPosting).get(params) as PostingRow);
    });
    return run();
  }

  async getPosting(id: number): Promise<ReceiptPosting | null> {
    const r = prepared(this.db, q.getPosting).get(id) as PostingRow | undefined;
    return r ? posting(r) : null;
  }

  async postings(filter: Parameters<RemovalsRepo['postings']>[0]): Promise<ReceiptPosting[]> {
    const rows = prepared(this.db, q.postings).all({
      seller: filter.seller ?? null,
      fileMessageId: filter.fileMessageId ?? null,
      arrivalId: filter.arrivalId ?? null,
      state: filter.state === undefined ? null : oneOf(POSTING_STATES, filter.state, 'posting state'),
      limit: filter.limit ?? -1,
    }) as PostingRow[];
    return rows.map(posting);
  }

  async matchPosting(id: number, arrivalId: number, matchedBy: NonNullable<ReceiptPosting['matchedBy']>, now: string): Promise<void> {
    const r = prepared(this.db, q.matchPosting).run({ id, arrivalId, matchedBy: oneOf(MATCHED_BY, matchedBy, 'matched by'), now: isoTime(now, 'now') });
    if (r.changes === 0) throw new StoreError(`no receipt posting ${id}`, { id });
  }
}
