/**
 * Packages (migration 0005), one implementation for every backend: one row per (seller, order,
 * tracking number), with our own id as the package number Amazon is given. Queries in
 * sqlite/sql/packages.sql, PostgreSQL's own in postgres/sql/packages.sql.
 */
import { queries } from '../sql/queries.ts';
import type { SqlRunner } from '../sql/runner.ts';
import type { PackageRecord, PackageState, PackagesRepo } from '../work.ts';

interface Row {
  id: number;
  seller: string;
  order_id: string;
  marketplace_id: string;
  partner: string;
  file_message_id: number;
  warehouse_package_id: string | null;
  tracking_number: string;
  carrier_code: string | null;
  carrier_name: string | null;
  shipping_method: string | null;
  items: string;
  shipped_at: string;
  state: PackageState;
  confirmed_at: string | null;
  lag_seconds: number | null;
  created_at: string;
  updated_at: string;
}

function toRecord(r: Row): PackageRecord {
  return {
    id: r.id,
    seller: r.seller,
    orderId: r.order_id,
    marketplaceId: r.marketplace_id,
    partner: r.partner,
    fileMessageId: r.file_message_id,
    warehousePackageId: r.warehouse_package_id,
    trackingNumber: r.tracking_number,
    carrierCode: r.carrier_code,
    carrierName: r.carrier_name,
    shippingMethod: r.shipping_method,
    items: JSON.parse(r.items) as PackageRecord['items'],
    shippedAt: r.shipped_at,
    state: r.state,
    confirmedAt: r.confirmed_at,
    lagSeconds: r.lag_seconds,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export class SqlPackages implements PackagesRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'packages.sql');
  }

  async add(p: Omit<PackageRecord, 'id' | 'createdAt' | 'updatedAt' | 'confirmedAt' | 'lagSeconds'>, now: string): Promise<{ record: PackageRecord; created: boolean }> {
    // Insert-or-keep in one statement: two processes adding the same package get one row (the
    // second waits for the first one's commit, then reads its row).
    const inserted = await this.sql.run(this.q.insert, {
      seller: p.seller,
      orderId: p.orderId,
      marketplaceId: p.marketplaceId,
      partner: p.partner,
      fileMessageId: p.fileMessageId,
      warehousePackageId: p.warehousePackageId,
      trackingNumber: p.trackingNumber,
      carrierCode: p.carrierCode,
      carrierName: p.carrierName,
      shippingMethod: p.shippingMethod,
      items: JSON.stringify(p.items),
      shippedAt: p.shippedAt,
      state: p.state,
      now,
    });
    const row = (await this.sql.get<Row>(this.q.byKey, [p.seller, p.orderId, p.trackingNumber]))!;
    return { record: toRecord(row), created: inserted.changes === 1 };
  }

  async get(id: number): Promise<PackageRecord | null> {
    const row = await this.sql.get<Row>(this.q.byId, id);
    return row ? toRecord(row) : null;
  }

  async forOrder(seller: string, orderId: string): Promise<PackageRecord[]> {
    return (await this.sql.all<Row>(this.q.forOrder, [seller, orderId])).map(toRecord);
  }

  /** With `confirmedAt`, the confirmation time and the tracking lag (confirmedAt - shippedAt) are set too. */
  async setState(id: number, state: PackageState, now: string, confirmedAt?: string): Promise<void> {
    if (confirmedAt === undefined) {
      await this.sql.run(this.q.setState, { id, state, now });
      return;
    }
    // Read then write without a row lock: shipped_at never changes once the package is added.
    const row = await this.sql.get<Row>(this.q.byId, id);
    if (!row) return;
    const lagSeconds = Math.round((Date.parse(confirmedAt) - Date.parse(row.shipped_at)) / 1000);
    await this.sql.run(this.q.setConfirmed, { id, state, now, confirmedAt, lagSeconds: Number.isFinite(lagSeconds) ? lagSeconds : null });
  }

  async list(filter: { seller?: string; states?: PackageState[]; limit?: number }): Promise<PackageRecord[]> {
    const rows = await this.sql.all<Row>(this.q.list, {
      seller: filter.seller ?? null,
      states: filter.states ? JSON.stringify(filter.states) : null,
      limit: filter.limit ?? -1,
    });
    return rows.map(toRecord);
  }
}
