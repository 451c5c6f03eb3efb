/**
 * Orders in SQLite (migration 0004): one row per (seller, AmazonOrderId) with its state, and one
 * revision row per ship-order set that carried it. Queries in sql/orders.sql.
 */
import type Database from 'better-sqlite3';
import { ORDER_STATES, type OrderLineRecord, type OrderRecord, type OrderRevisionRecord, type OrderState, type OrdersRepo } from '../work.ts';
import { namedQueries } from './named-sql.ts';
import { isoTime, oneOf } from './states.ts';

const q = () => namedQueries('orders.sql');
const PURPOSES = ['new', 'change', 'cancel'] as const;

interface Row {
  seller: string;
  order_id: string;
  marketplace_id: string;
  partner: string;
  state: OrderState;
  amazon_updated_at: string;
  amazon_status: string;
  ship_by: string | null;
  document_sha256: string;
  address_hash: string;
  lines: string;
  revision: number;
  held_by: number | null;
  created_at: string;
  updated_at: string;
}

interface RevisionRow {
  seller: string;
  order_id: string;
  revision: number;
  purpose: OrderRevisionRecord['purpose'];
  file_message_id: number;
  set_message_id: number | null;
  created_at: string;
}

function toRecord(r: Row): OrderRecord {
  return {
    seller: r.seller,
    orderId: r.order_id,
    marketplaceId: r.marketplace_id,
    partner: r.partner,
    state: r.state,
    amazonUpdatedAt: r.amazon_updated_at,
    amazonStatus: r.amazon_status,
    shipBy: r.ship_by,
    documentSha256: r.document_sha256,
    addressHash: r.address_hash,
    lines: JSON.parse(r.lines) as OrderLineRecord[],
    revision: r.revision,
    heldBy: r.held_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const toRevision = (r: RevisionRow): OrderRevisionRecord => ({
  seller: r.seller,
  orderId: r.order_id,
  revision: r.revision,
  purpose: r.purpose,
  fileMessageId: r.file_message_id,
  setMessageId: r.set_message_id,
  createdAt: r.created_at,
});

export class SqliteOrders implements OrdersRepo {
  /** Prepared once per connection: the orders flow runs these for every order of every poll. */
  private readonly statements = new Map<string, Database.Statement>();
  constructor(private readonly db: Database.Database) {}

  private st(name: string): Database.Statement {
    let s = this.statements.get(name);
    if (!s) {
      s = this.db.prepare(q()[name]);
      this.statements.set(name, s);
    }
    return s;
  }

  async get(seller: string, orderId: string): Promise<OrderRecord | null> {
    const row = this.st('get').get(seller, orderId) as Row | undefined;
    return row ? toRecord(row) : null;
  }

  async put(order: OrderRecord): Promise<void> {
    this.st('put').run({
      seller: order.seller,
      orderId: order.orderId,
      marketplaceId: order.marketplaceId,
      partner: order.partner,
      state: oneOf(ORDER_STATES, order.state, `order ${order.orderId} state`),
      amazonUpdatedAt: order.amazonUpdatedAt,
      amazonStatus: order.amazonStatus,
      // Stored in UTC so that the late-order query compares text as time.
      shipBy: order.shipBy === null ? null : isoTime(order.shipBy, `order ${order.orderId} ship-by`),
      documentSha256: order.documentSha256,
      addressHash: order.addressHash,
      lines: JSON.stringify(order.lines),
      revision: order.revision,
      heldBy: order.heldBy,
      createdAt: order.createdAt,
      updatedAt: order.updatedAt,
    });
  }

  async list(filter: { seller?: string; partner?: string; states?: OrderState[]; limit?: number }): Promise<OrderRecord[]> {
    const rows = this.st('list').all({
      seller: filter.seller ?? null,
      partner: filter.partner ?? null,
      states: filter.states ? JSON.stringify(filter.states.map((s) => oneOf(ORDER_STATES, s, 'order state'))) : null,
      limit: filter.limit ?? -1,
    }) as Row[];
    return rows.map(toRecord);
  }

  async dueBefore(before: string, limit?: number): Promise<OrderRecord[]> {
    return (this.st('dueBefore').all({ before: isoTime(before, 'before'), limit: limit ?? -1 }) as Row[]).map(toRecord);
  }

  async addRevision(r: OrderRevisionRecord): Promise<void> {
    this.st('addRevision').run({
      seller: r.seller,
      orderId: r.orderId,
      revision: r.revision,
      purpose: oneOf(PURPOSES, r.purpose, `order ${r.orderId} revision purpose`),
      fileMessageId: r.fileMessageId,
      setMessageId: r.setMessageId,
      createdAt: r.createdAt,
    });
  }

  async revisions(seller: string, orderId: string): Promise<OrderRevisionRecord[]> {
    return (this.st('revisions').all(seller, orderId) as RevisionRow[]).map(toRevision);
  }

  async bySetMessage(setMessageId: number): Promise<OrderRecord[]> {
    return (this.st('bySetMessage').all(setMessageId) as Row[]).map(toRecord);
  }

  async byFileMessage(fileMessageId: number): Promise<OrderRecord[]> {
    return (this.st('byFileMessage').all(fileMessageId) as Row[]).map(toRecord);
  }
}
