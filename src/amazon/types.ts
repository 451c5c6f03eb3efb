/**
 * The shapes of the SP-API requests and responses Dockgate uses, as far as it reads them
 * (the models in ../shared/spapi-models are the full truth; tests validate against them).
 */

export interface Money {
  amount: string;
  currencyCode: string;
}

/** Orders 2026-01-01 Order. */
export interface AmazonOrder {
  orderId: string;
  createdTime: string;
  lastUpdatedTime: string;
  salesChannel: { channelName: string; marketplaceId?: string };
  buyer?: { buyerName?: string; buyerEmail?: string };
  recipient?: {
    deliveryAddress?: {
      name?: string;
      companyName?: string;
      addressLine1?: string;
      addressLine2?: string;
      addressLine3?: string;
      city?: string;
      stateOrRegion?: string;
      postalCode?: string;
      countryCode?: string;
      phone?: string;
    };
  };
  fulfillment?: {
    fulfillmentStatus: string;
    fulfilledBy?: 'MERCHANT' | 'AMAZON';
    shipByWindow?: { earliestDateTime?: string; latestDateTime?: string };
    deliverByWindow?: { earliestDateTime?: string; latestDateTime?: string };
  };
  orderItems: Array<{
    orderItemId: string;
    quantityOrdered: number;
    product: { asin?: string; sellerSku?: string; title?: string };
    fulfillment?: { quantityFulfilled?: number; quantityUnfulfilled?: number };
  }>;
  packages?: Array<{
    packageReferenceId: string;
    carrier?: string;
    trackingNumber?: string;
    shipTime?: string;
    shippingService?: string;
    packageItems?: Array<{ orderItemId: string; quantity: number }>;
  }>;
}

/** Orders v0 confirmShipment packageDetail. */
export interface ConfirmShipmentPackage {
  /** A string holding a positive number (a JSON number is refused by Amazon). */
  packageReferenceId: string;
  carrierCode: string;
  carrierName?: string;
  shippingMethod?: string;
  trackingNumber: string;
  /** ISO 8601 date-time. */
  shipDate: string;
  orderItems: Array<{ orderItemId: string; quantity: number }>;
}

export type ConfirmationOutcome =
  | { outcome: 'confirmed' }
  /** Amazon already had this package (a retry after a lost answer): the read-back shows our tracking number. */
  | { outcome: 'already-confirmed'; package: NonNullable<AmazonOrder['packages']>[number] };

/** Listings Items 2021-08-01 Item (the parts Dockgate reads). */
export interface ListingsItem {
  sku: string;
  summaries?: Array<{ marketplaceId: string; asin?: string; productType: string; itemName?: string; status?: string[] }>;
  attributes?: { fulfillment_availability?: Array<{ fulfillment_channel_code: string; quantity?: number }> } & Record<string, unknown>;
  fulfillmentAvailability?: Array<{ fulfillmentChannelCode: string; quantity?: number }>;
  productTypes?: Array<{ marketplaceId: string; productType: string }>;
}

export interface ListingsSubmission {
  sku: string;
  status: 'ACCEPTED' | 'INVALID' | 'VALID';
  submissionId: string;
  issues?: Array<{ code: string; message: string; severity: string; attributeNames?: string[] }>;
}

export interface FbaInventoryLine {
  sellerSku: string;
  fnsku?: string;
  asin?: string;
  /** What Amazon can pick now. */
  fulfillable: number;
  /** Including inbound and reserved: not stock to sell. */
  total: number;
}

export interface InboundShipmentDetail {
  inboundPlanId: string;
  /** The 2024-03-20 shipment id (sh...). */
  shipmentId: string;
  /** The Amazon Shipment ID on labels and paperwork (FBA...). */
  confirmationId: string;
  amazonReferenceId?: string;
  destinationFc?: string;
  /** The FC's address, from getShipment's destination.address (ShipmentDestination in the 2024-03-20 model). */
  destinationAddress?: InboundAddress;
  /** The inbound plan's name. */
  planName?: string;
  status?: string;
  boxes: Array<{ boxId?: string; sscc?: string; items: Array<{ msku: string; fnsku: string; asin: string; quantity: number }> }>;
  items: Array<{ msku: string; fnsku: string; asin: string; quantity: number }>;
}

/** An FC address as the 2024-03-20 model's Address gives it (stateOrProvinceCode read as stateOrRegion). */
export interface InboundAddress {
  name: string;
  addressLine1: string;
  addressLine2?: string;
  city: string;
  stateOrRegion?: string;
  postalCode?: string;
  countryCode: string;
}

/** One shipment of a non-voided inbound plan, as listInboundShipments gives it. */
export interface InboundShipmentSummary {
  inboundPlanId: string;
  planName: string | null;
  /** The 2024-03-20 shipment id (sh...). */
  shipmentId: string;
  /** The Amazon Shipment ID (FBA...); empty string when Amazon has not confirmed one yet. */
  confirmationId: string;
  /** The model's shipment status: UNCONFIRMED, WORKING, READY_TO_SHIP, SHIPPED, IN_TRANSIT, DELIVERED, CHECKED_IN, RECEIVING, CLOSED, CANCELLED, ... */
  status: string;
  destinationFc: string | null;
}

/** What updateShipmentTrackingDetails sends: per-box tracking for small parcel, BOL and PRO for LTL. */
export type InboundTracking =
  | { kind: 'small-parcel'; boxes: Array<{ boxId: string; trackingId: string }> }
  | { kind: 'ltl'; billOfLadingNumber: string; freightBillNumbers: string[] };
