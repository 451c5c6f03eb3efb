/**
 * FBA inbound shipments in SQLite (migration 0008): one row per (seller, Amazon Shipment ID),
 * written back whole by the flow that read it. Queries in sql/fba.sql.
 */
import type Database from 'better-sqlite3';
import { FBA_SHIPMENT_STATES, type FbaBox, type FbaShipmentRecord, type FbaShipmentsRepo, type FbaShipmentState } from '../fba.ts';
import { namedQueries } from './named-sql.ts';
import { prepared } from './statements.ts';
import { isoTime, oneOf } from './states.ts';

const q = namedQueries('fba.sql');
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

export class SqliteFbaShipments implements FbaShipmentsRepo {
  constructor(private readonly db: Database.Database) {}

  async get(seller: string, shipmentId: string): Promise<FbaShipmentRecord | null> {
    const r = prepared(this.db, q.get).get(seller, shipmentId) as Row | undefined;
    return r ? toRecord(r) : null;
  }

  async put(s: FbaShipmentRecord): Promise<void> {
    prepared(this.db, q.put).run({
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
    const rows = prepared(this.db, q.list).all({ seller: filter.seller ?? null, partner: filter.partner ?? null, states, limit: filter.limit ?? -1 }) as Row[];
    return rows.map(toRecord);
  }
}
