/**
 * FBA inbound shipments as the gateway tracks them (issue 12): an Amazon inbound-plan shipment
 * (its Amazon Shipment ID FBA..., destination FC, boxes) sent to the warehouse holding the stock
 * as a ship order of type fba-inbound, shipped by it, its tracking given to Amazon. The ship
 * order itself is an OrderRecord (orderId = the Amazon Shipment ID) so delivery and 997
 * tracking are the orders' own; this record holds what only FBA has.
 */

export const FBA_SHIPMENT_STATES = [
  /** Cannot be sent as it stands: an exception (fba-shipment-problem, unmapped-sku) says why. */
  'held',
  /** In a ship-order file to the warehouse (its OrderRecord says delivered / acknowledged). */
  'sent',
  /** The warehouse shipped it and its cartons match Amazon's boxes; tracking is in the outbox. */
  'shipped',
  /** The warehouse shipped it and its cartons do not match Amazon's boxes: fba-carton-mismatch. */
  'mismatched',
  /** Amazon accepted the tracking (updateShipmentTrackingDetails). */
  'tracking-accepted',
  /** Amazon refused the tracking for good: amazon-refused. */
  'tracking-refused',
  /** Cancelled (voided at Amazon, or by hand) before it shipped. */
  'cancelled',
] as const;
export type FbaShipmentState = (typeof FBA_SHIPMENT_STATES)[number];

/** One of Amazon's boxes for the shipment (listShipmentBoxes). */
export interface FbaBox {
  /** FBA box id: the Amazon Shipment ID + U + 6 digits. */
  boxId: string;
  sscc?: string;
  items: Array<{ msku: string; fnsku?: string; asin?: string; quantity: number }>;
}

/** One carton as the warehouse reported it shipped (945 package, 856 pack, CSV rows). */
export interface FbaShippedCarton {
  boxId?: string;
  sscc?: string;
  lpn?: string;
  trackingNumber?: string;
  contents: Array<{ sellerSku: string; fnsku?: string; quantity: number }>;
}

export interface FbaShipmentRecord {
  seller: string;
  /** The Amazon Shipment ID (shipmentConfirmationId, FBA...): the key, and the ship order's orderId. */
  shipmentId: string;
  inboundPlanId: string;
  /** The 2024-03-20 shipment id (sh...). */
  amazonShipmentId: string;
  planName: string | null;
  marketplaceId: string;
  /** The warehouse it went (goes) to. */
  partner: string;
  destinationFc: string;
  amazonReferenceId: string | null;
  /** Amazon's shipment status when last read (WORKING, READY_TO_SHIP, SHIPPED, ...). */
  amazonStatus: string;
  boxes: FbaBox[];
  labelsUrl: string | null;
  state: FbaShipmentState;
  /** How it was started: polled from Amazon, or `dockgate fba send`. */
  source: 'poll' | 'manual';
  sentAt: string | null;
  shippedAt: string | null;
  trackingAt: string | null;
  /** What the warehouse shipped (null until it did), and the file it said so in. */
  shipped: { cartons: FbaShippedCarton[]; bol?: string; proNumber?: string; carrierScac?: string; fileMessageId: number } | null;
  /** The mismatches found between shipped cartons and Amazon's boxes, one line each. */
  problems: string[];
  /** The generated 856 ASN's outbound file message, when one was sent. */
  asnMessageId: number | null;
  /** The exception holding or flagging it, when any. */
  exceptionId: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface FbaShipmentsRepo {
  get(seller: string, shipmentId: string): Promise<FbaShipmentRecord | null>;
  /** Insert or replace the record whole (the caller read it, decided, and writes it back). */
  put(record: FbaShipmentRecord): Promise<void>;
  /** Newest first by updatedAt. */
  list(filter: { seller?: string; partner?: string; states?: FbaShipmentState[]; limit?: number }): Promise<FbaShipmentRecord[]>;
}
