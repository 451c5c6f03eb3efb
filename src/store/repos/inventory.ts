/**
 * Inventory (migration 0006): published quantities, SKU channels, the last snapshot applied per
 * (partner, seller) and the stock it left. Queries in inventory.sql (src/store/sqlite/sql, with
 * PostgreSQL's own where the dialects differ).
 */
import type { SqlRunner } from '../sql/runner.ts';
import { queries } from '../sql/queries.ts';
import type { InventoryRepo, PublishedQuantity, SkuChannel } from '../work.ts';

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

export class SqlInventory implements InventoryRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'inventory.sql');
  }

  async quantity(seller: string, sku: string): Promise<PublishedQuantity | null> {
    const r = await this.sql.get<QuantityRow>(this.q.quantity, [seller, sku]);
    return r ? toQuantity(r) : null;
  }

  async quantities(seller: string): Promise<PublishedQuantity[]> {
    return (await this.sql.all<QuantityRow>(this.q.quantities, seller)).map(toQuantity);
  }

  async setPending(seller: string, sku: string, quantity: number, now: string): Promise<void> {
    await this.sql.run(this.q.setPending, { seller, sku, quantity, now });
  }

  /** Amazon accepted `quantity`; the pending quantity is cleared only when it is this one (a newer one stays in flight). */
  async accepted(seller: string, sku: string, quantity: number, now: string): Promise<void> {
    await this.sql.run(this.q.accepted, { seller, sku, quantity, now });
  }

  async clearPending(seller: string, sku: string): Promise<void> {
    await this.sql.run(this.q.clearPending, [seller, sku]);
  }

  async channel(seller: string, sku: string): Promise<SkuChannel | null> {
    const r = await this.sql.get<{ seller: string; sku: string; channel: SkuChannel['channel']; checked_at: string }>(this.q.channel, [seller, sku]);
    return r ? { seller: r.seller, sku: r.sku, channel: r.channel, checkedAt: r.checked_at } : null;
  }

  async setChannel(c: SkuChannel): Promise<void> {
    await this.sql.run(this.q.setChannel, { seller: c.seller, sku: c.sku, channel: c.channel, checkedAt: c.checkedAt });
  }

  async lastSnapshot(partner: string, seller: string): Promise<{ asOf: string; appliedAt: string; fileMessageId: number } | null> {
    const r = await this.sql.get<{ as_of: string; applied_at: string; file_message_id: number }>(this.q.lastSnapshot, [partner, seller]);
    return r ? { asOf: r.as_of, appliedAt: r.applied_at, fileMessageId: r.file_message_id } : null;
  }

  async setLastSnapshot(partner: string, seller: string, asOf: string, appliedAt: string, fileMessageId: number): Promise<void> {
    await this.sql.run(this.q.setLastSnapshot, { partner, seller, asOf: utc(asOf), appliedAt, fileMessageId });
  }

  async stock(partner: string, seller: string): Promise<Array<{ warehouseItem: string; state: string; quantity: number }>> {
    const rows = await this.sql.all<{ warehouse_item: string; state: string; quantity: number }>(this.q.stock, [partner, seller]);
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
    // Whole with the store transaction every repository call runs in.
    await this.sql.run(this.q.clearStock, [partner, seller]);
    for (const i of summed.values()) await this.sql.run(this.q.insertStock, { partner, seller, ...i });
  }
}
