/**
 * Inventory in SQLite (migration 0006): published quantities, SKU channels, the last snapshot
 * applied per (partner, seller) and the stock it left. Queries in sql/inventory.sql.
 */
import type Database from 'better-sqlite3';
import type { InventoryRepo, PublishedQuantity, SkuChannel } from '../work.ts';
import { namedQueries } from './named-sql.ts';

const q = () => namedQueries('inventory.sql');

interface QuantityRow {
  seller: string;
  sku: string;
  accepted: number | null;
  accepted_at: string | null;
  pending: number | null;
  pending_since: string | null;
}

const toQuantity = (r: QuantityRow): PublishedQuantity => ({ seller: r.seller, sku: r.sku, accepted: r.accepted, acceptedAt: r.accepted_at, pending: r.pending, pendingSince: r.pending_since });

/** As-of times are compared as text: one form (UTC, milliseconds) whatever offset the snapshot carried. */
const utc = (iso: string): string => {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new RangeError(`not a timestamp: ${JSON.stringify(iso)}`);
  return new Date(t).toISOString();
};

export class SqliteInventory implements InventoryRepo {
  constructor(private readonly db: Database.Database) {}

  async quantity(seller: string, sku: string): Promise<PublishedQuantity | null> {
    const r = this.db.prepare(q().quantity).get(seller, sku) as QuantityRow | undefined;
    return r ? toQuantity(r) : null;
  }

  async quantities(seller: string): Promise<PublishedQuantity[]> {
    return (this.db.prepare(q().quantities).all(seller) as QuantityRow[]).map(toQuantity);
  }

  async setPending(seller: string, sku: string, quantity: number, now: string): Promise<void> {
    this.db.prepare(q().setPending).run({ seller, sku, quantity, now });
  }

  /** Amazon accepted `quantity`; the pending quantity is cleared only when it is this one (a newer one stays in flight). */
  async accepted(seller: string, sku: string, quantity: number, now: string): Promise<void> {
    this.db.prepare(q().accepted).run({ seller, sku, quantity, now });
  }

  async clearPending(seller: string, sku: string): Promise<void> {
    this.db.prepare(q().clearPending).run(seller, sku);
  }

  async channel(seller: string, sku: string): Promise<SkuChannel | null> {
    const r = this.db.prepare(q().channel).get(seller, sku) as { seller: string; sku: string; channel: SkuChannel['channel']; checked_at: string } | undefined;
    return r ? { seller: r.seller, sku: r.sku, channel: r.channel, checkedAt: r.checked_at } : null;
  }

  async setChannel(c: SkuChannel): Promise<void> {
    this.db.prepare(q().setChannel).run({ seller: c.seller, sku: c.sku, channel: c.channel, checkedAt: c.checkedAt });
  }

  async lastSnapshot(partner: string, seller: string): Promise<{ asOf: string; appliedAt: string; fileMessageId: number } | null> {
    const r = this.db.prepare(q().lastSnapshot).get(partner, seller) as { as_of: string; applied_at: string; file_message_id: number } | undefined;
    return r ? { asOf: r.as_of, appliedAt: r.applied_at, fileMessageId: r.file_message_id } : null;
  }

  async setLastSnapshot(partner: string, seller: string, asOf: string, appliedAt: string, fileMessageId: number): Promise<void> {
    this.db.prepare(q().setLastSnapshot).run({ partner, seller, asOf: utc(asOf), appliedAt, fileMessageId });
  }

  async stock(partner: string, seller: string): Promise<Array<{ warehouseItem: string; state: string; quantity: number }>> {
    const rows = this.db.prepare(q().stock).all(partner, seller) as Array<{ warehouse_item: string; state: string; quantity: number }>;
    return rows.map((r) => ({ warehouseItem: r.warehouse_item, state: r.state, quantity: r.quantity }));
  }

  /** Replace the partner's stock for the seller with these counts (lines of one item and state are summed). */
  async setStock(partner: string, seller: string, items: Array<{ warehouseItem: string; state: string; quantity: number }>): Promise<void> {
    const summed = new Map<string, { warehouseItem: string; state: string; quantity: number }>();
    for (const i of items) {
      const k = `${i.warehouseItem}\u0000${i.state}`;
      const s = summed.get(k);
      if (s) s.quantity += i.quantity;
      else summed.set(k, { ...i });
    }
    const clear = this.db.prepare(q().clearStock);
    const insert = this.db.prepare(q().insertStock);
    // Its own transaction when called alone; inside GatewayStore.transaction it nests as a savepoint.
    this.db.transaction(() => {
      clear.run(partner, seller);
      for (const i of summed.values()) insert.run({ partner, seller, ...i });
    })();
  }
}
