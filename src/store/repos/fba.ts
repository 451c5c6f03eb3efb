/**
 * FBA inbound shipments (migration 0008): one row per (seller, Amazon Shipment ID), written back
 * whole by the flow that read it (an upsert: two writers of one shipment never fail on the key).
 * Queries in fba.sql (src/store/sqlite/sql, with PostgreSQL's own where the dialects differ).
 */
import { FBA_SHIPMENT_STATES, type FbaBox, type FbaShipmentRecord, type FbaShipmentsRepo, type FbaShipmentState } from '../fba.ts';
import { queries } from '../sql/queries.ts';
import { NO_LIMIT, type SqlRunner } from '../sql/runner.ts';
import { isoTime, oneOf } from '../states.ts';

const SOURCES = ['poll', 'manual'] as const;

interface Row {
  seller: string;
  shipment_id: string;
  inbound_plan_id: string;
  amazon_shipment_id: string;
  plan_name: string | null;
  marketplace_id: string;
  partner: string;
  destination_fc: string;
  amazon_reference_id: string | null;
  amazon_status: string;
  boxes: string;
  labels_url: string | null;
  state: string;
  source: string;
  sent_at: string | null;
  shipped_at: string | null;
  tracking_at: string | null;
  shipped: string | null;
  problems: string;
  asn_message_id: number | null;
  exception_id: number | null;
  created_at: string;
  updated_at: string;
}

function toRecord(r: Row): FbaShipmentRecord {
  return {
    seller: r.seller,
    shipmentId: r.shipment_id,
    inboundPlanId: r.inbound_plan_id,
    amazonShipmentId: r.amazon_shipment_id,
    planName: r.plan_name,
    marketplaceId: r.marketplace_id,
    partner: r.partner,
    destinationFc: r.destination_fc,
    amazonReferenceId: r.amazon_reference_id,
    amazonStatus: r.amazon_status,
    boxes: JSON.parse(r.boxes) as FbaBox[],
    labelsUrl: r.labels_url,
    state: r.state as FbaShipmentState,
    source: r.source as FbaShipmentRecord['source'],
    sentAt: r.sent_at,
    shippedAt: r.shipped_at,
    trackingAt: r.tracking_at,
    shipped: r.shipped === null ? null : (JSON.parse(r.shipped) as FbaShipmentRecord['shipped']),
    problems: JSON.parse(r.problems) as string[],
    asnMessageId: r.asn_message_id,
    exceptionId: r.exception_id,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

const time = (v: string | null, what: string) => (v === null ? null : isoTime(v, what));

export class SqlFbaShipments implements FbaShipmentsRepo {
  private readonly q: Record<string, string>;
  constructor(private readonly sql: SqlRunner) {
    this.q = queries(sql.dialect, 'fba.sql');
  }

  async get(seller: string, shipmentId: string): Promise<FbaShipmentRecord | null> {
    const r = await this.sql.get<Row>(this.q.get, [seller, shipmentId]);
    return r ? toRecord(r) : null;
  }

  async put(s: FbaShipmentRecord): Promise<void> {
    await this.sql.run(this.q.put, {
      ...s,
      state: oneOf(FBA_SHIPMENT_STATES, s.state, 'FBA shipment state'),
      source: oneOf(SOURCES, s.source, 'FBA shipment source'),
      boxes: JSON.stringify(s.boxes),
      shipped: s.shipped === null ? null : JSON.stringify(s.shipped),
      problems: JSON.stringify(s.problems),
      sentAt: time(s.sentAt, 'sentAt'),
      shippedAt: time(s.shippedAt, 'shippedAt'),
      trackingAt: time(s.trackingAt, 'trackingAt'),
      createdAt: isoTime(s.createdAt, 'createdAt'),
      updatedAt: isoTime(s.updatedAt, 'updatedAt'),
    });
  }

  async list(filter: Parameters<FbaShipmentsRepo['list']>[0]): Promise<FbaShipmentRecord[]> {
    const states = filter.states ? JSON.stringify(filter.states.map((s) => oneOf(FBA_SHIPMENT_STATES, s, 'FBA shipment state'))) : null;
    const rows = await this.sql.all<Row>(this.q.list, { seller: filter.seller ?? null, partner: filter.partner ?? null, states, limit: filter.limit ?? NO_LIMIT });
    return rows.map(toRecord);
  }
}
