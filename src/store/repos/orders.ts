/**
 * Orders (migration 0004), one implementation for every backend: one row per (seller,
 * AmazonOrderId) with its state, and one revision row per ship-order set that carried it.
 * Queries in sqlite/sql/orders.sql; on PostgreSQL `get` locks the order's row for the rest of
 * the transaction (postgres/sql/orders.sql), so that a flow reading an order, deciding, and
 * writing it back in one transaction is never overtaken by another instance doing the same.
 */
import { isoTime, oneOf } from '../states.ts';
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import { ORDER_STATES, type OrderLineRecord, type OrderRecord, type OrderRevisionRecord, type OrderState, type OrdersRepo } from '../work.ts';
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

export class SqlOrders implements OrdersRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'orders.sql');
  }

  async get(seller: string, orderId: string): Promise<OrderRecord | null> {
    const row = await this.sql.get<Row>(this.q.get, [seller, orderId]);
    return row ? toRecord(row) : null;
  }

  async put(order: OrderRecord): Promise<void> {
    await this.sql.run(this.q.put, {
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
    const rows = await this.sql.all<Row>(this.q.list, {
      seller: filter.seller ?? null,
      partner: filter.partner ?? null,
      states: filter.states ? JSON.stringify(filter.states.map((s) => oneOf(ORDER_STATES, s, 'order state'))) : null,
      limit: filter.limit ?? -1,
    });
    return rows.map(toRecord);
  }

  async dueBefore(before: string, limit?: number): Promise<OrderRecord[]> {
    return (await this.sql.all<Row>(this.q.dueBefore, { before: isoTime(before, 'before'), limit: limit ?? -1 })).map(toRecord);
  }

  async addRevision(r: OrderRevisionRecord): Promise<void> {
    await this.sql.run(this.q.addRevision, {
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
    return (await this.sql.all<RevisionRow>(this.q.revisions, [seller, orderId])).map(toRevision);
  }

  async bySetMessage(setMessageId: number): Promise<OrderRecord[]> {
    return (await this.sql.all<Row>(this.q.bySetMessage, setMessageId)).map(toRecord);
  }

  async byFileMessage(fileMessageId: number): Promise<OrderRecord[]> {
    return (await this.sql.all<Row>(this.q.byFileMessage, fileMessageId)).map(toRecord);
  }
}
