/**
 * The emulator's world: sellers with their orders, listings, FBA inventory, inbound plans and
 * report contents, seeded from a file (JSON or YAML) and changed by the calls it receives.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const Money = z.object({ amount: z.string(), currencyCode: z.string() }).strict();

export const SeedOrderItem = z
  .object({ orderItemId: z.string().regex(/^\d{14}$/), sellerSku: z.string(), asin: z.string(), title: z.string().default('Item'), quantity: z.number().int().positive(), price: Money.optional() })
  .strict();

export const Recipient = z
  .object({
    name: z.string().min(1),
    addressLine1: z.string().min(1),
    addressLine2: z.string().optional(),
    city: z.string().min(1),
    stateOrRegion: z.string().optional(),
    postalCode: z.string().min(1),
    countryCode: z.string().regex(/^[A-Z]{2}$/, 'a two-letter ISO 3166-1 country code'),
    phone: z.string().optional(),
  })
  .strict();

export const SeedOrder = z
  .object({
    orderId: z.string().regex(/^\d{3}-\d{7}-\d{7}$/),
    marketplaceId: z.string(),
    fulfilledBy: z.enum(['MERCHANT', 'AMAZON']).default('MERCHANT'),
    status: z.enum(['PENDING', 'UNSHIPPED', 'PARTIALLY_SHIPPED', 'SHIPPED', 'CANCELLED']).default('UNSHIPPED'),
    createdTime: z.iso.datetime(),
    lastUpdatedTime: z.iso.datetime().optional(),
    shipBy: z.iso.datetime().optional(),
    deliverBy: z.iso.datetime().optional(),
    recipient: Recipient,
    buyer: z.object({ buyerName: z.string().optional(), buyerEmail: z.string().optional() }).strict().optional(),
    items: z.array(SeedOrderItem).min(1),
  })
  .strict();

export const SeedListing = z
  .object({
    sku: z.string(),
    asin: z.string(),
    productType: z.string().default('PRODUCT'),
    itemName: z.string().default('Item'),
    /** Fulfillment channels: DEFAULT is the merchant (MFN) channel, AMAZON_* are FBA. */
    channels: z.array(z.object({ code: z.string(), quantity: z.number().int().nonnegative().optional() }).strict()).min(1),
    /** The offer's price, as GET_MERCHANT_LISTINGS_ALL_DATA's `price` column shows it (e.g. "19.99"). */
    price: z.string().regex(/^\d+(\.\d{1,2})?$/).optional(),
    /** When the listing was opened (the report's `open-date`); default the seed's first order date or 2026-01-01. */
    openDate: z.iso.datetime().optional(),
    /** Active / Inactive / Incomplete, as the report's `status` column. */
    status: z.enum(['Active', 'Inactive', 'Incomplete']).default('Active'),
  })
  .strict();

export const SeedFbaItem = z
  .object({ sku: z.string(), asin: z.string(), fnsku: z.string(), fulfillable: z.number().int().nonnegative(), inboundShipped: z.number().int().nonnegative().default(0), reserved: z.number().int().nonnegative().default(0) })
  .strict();

export const SeedBox = z
  .object({
    boxId: z.string(),
    sscc: z.string().optional(),
    weightLb: z.number().positive().optional(),
    items: z.array(z.object({ msku: z.string(), fnsku: z.string(), asin: z.string(), quantity: z.number().int().positive() }).strict()).min(1),
  })
  .strict();

/** Shipment statuses as the 2024-03-20 model's ShipmentSummary.status enumerates them. */
export const SHIPMENT_STATUSES = ['ABANDONED', 'CANCELLED', 'CHECKED_IN', 'CLOSED', 'DELETED', 'DELIVERED', 'IN_TRANSIT', 'MIXED', 'READY_TO_SHIP', 'RECEIVING', 'SHIPPED', 'UNCONFIRMED', 'WORKING'] as const;
/** Inbound plan statuses (InboundPlanSummary.status). */
export const PLAN_STATUSES = ['ACTIVE', 'VOIDED', 'SHIPPED', 'ERRORED'] as const;

/** An Address of the 2024-03-20 model (a fulfilment centre's, here). */
export const InboundAddress = z
  .object({
    name: z.string().min(1).max(50),
    companyName: z.string().min(1).max(50).optional(),
    addressLine1: z.string().min(1).max(180),
    addressLine2: z.string().min(1).max(60).optional(),
    city: z.string().min(1).max(30),
    stateOrProvinceCode: z.string().min(1).max(64).optional(),
    postalCode: z.string().min(1).max(32),
    countryCode: z.string().regex(/^[A-Z]{2}$/),
  })
  .strict();

export const SeedInboundShipment = z
  .object({
    shipmentId: z.string().regex(/^sh[0-9a-f-]{8,}$/i, 'a shipment id like sh1234abcd-...'),
    confirmationId: z.string().regex(/^FBA[0-9A-Z]{6,12}$/),
    amazonReferenceId: z.string().optional(),
    name: z.string().optional(),
    destinationFc: z.string(),
    /** The FC's address; default from the emulator's FC table (src/sandbox/amazon/fulfillment-centers.json). */
    destinationAddress: InboundAddress.optional(),
    status: z.enum(SHIPMENT_STATUSES).default('WORKING'),
    boxes: z.array(SeedBox).default([]),
  })
  .strict();

export const SeedInboundPlan = z
  .object({
    inboundPlanId: z.string().regex(/^wf[0-9a-f-]{8,}$/i, 'an inbound plan id like wf1234abcd-...'),
    name: z.string(),
    status: z.enum(PLAN_STATUSES).default('ACTIVE'),
    createdAt: z.iso.datetime(),
    lastUpdatedAt: z.iso.datetime().optional(),
    marketplaceIds: z.array(z.string()).min(1),
    shipments: z
      .array(SeedInboundShipment)
      .default([]),
  })
  .strict();

/** A row of GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA, as structured seed data. */
export const SeedRemovalShipment = z
  .object({
    requestDate: z.iso.datetime({ offset: true }),
    /** The removal order id (the report's order-id column). */
    orderId: z.string().min(1),
    shipmentDate: z.iso.datetime({ offset: true }),
    sku: z.string().min(1),
    fnsku: z.string().min(1),
    disposition: z.string().default('Sellable'),
    shippedQuantity: z.number().int().nonnegative(),
    carrier: z.string().default(''),
    trackingNumber: z.string().default(''),
    removalOrderType: z.enum(['Return', 'Disposal', 'Liquidations']).default('Return'),
  })
  .strict();

/** A row of GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA, as structured seed data. */
export const SeedCustomerReturn = z
  .object({
    returnDate: z.iso.datetime({ offset: true }),
    orderId: z.string().regex(/^\d{3}-\d{7}-\d{7}$/),
    sku: z.string().min(1),
    asin: z.string().min(1),
    fnsku: z.string().min(1),
    productName: z.string().default(''),
    quantity: z.number().int().positive(),
    fulfillmentCenterId: z.string().default(''),
    detailedDisposition: z.enum(['SELLABLE', 'DAMAGED', 'CUSTOMER_DAMAGED', 'DEFECTIVE', 'CARRIER_DAMAGED', 'DISTRIBUTOR_DAMAGED', 'EXPIRED']).default('SELLABLE'),
    reason: z.string().default(''),
    status: z.string().default(''),
    licensePlateNumber: z.string().default(''),
    customerComments: z.string().default(''),
  })
  .strict();

export const SeedSeller = z
  .object({
    id: z.string(),
    sellingPartnerId: z.string(),
    /** When set, only this refresh token is accepted for the seller; otherwise any well-formed one (Atzr|...). */
    refreshToken: z.string().optional(),
    marketplaces: z.array(z.string()).min(1),
    orders: z.array(SeedOrder).default([]),
    listings: z.array(SeedListing).default([]),
    fbaInventory: z.array(SeedFbaItem).default([]),
    inboundPlans: z.array(SeedInboundPlan).default([]),
    /** Rows of the removal shipment report (generated as GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA). */
    removalShipments: z.array(SeedRemovalShipment).default([]),
    /** Rows of the customer returns report (generated as GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA). */
    customerReturns: z.array(SeedCustomerReturn).default([]),
    /**
     * Report contents (tab-separated text) by report type, served as they are. A type the emulator
     * generates (merchant listings, removal shipments, customer returns) is served from this text
     * only while the seller has no structured rows for it (docs/sandbox-amazon.md).
     */
    reports: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const Seed = z.object({ sellers: z.array(SeedSeller).min(1) }).strict();
export type Seed = z.input<typeof Seed>;
export type SeedSellerT = z.infer<typeof SeedSeller>;
export type SeedInboundPlanT = z.infer<typeof SeedInboundPlan>;
export type SeedInboundShipmentT = z.infer<typeof SeedInboundShipment>;
export type SeedRemovalShipmentT = z.infer<typeof SeedRemovalShipment>;
export type SeedCustomerReturnT = z.infer<typeof SeedCustomerReturn>;
export type ShipmentStatus = (typeof SHIPMENT_STATUSES)[number];
export type SeedOrderT = z.infer<typeof SeedOrder>;
export type RecipientT = z.infer<typeof Recipient>;

/**
 * An order a buyer places while the emulator runs: a seed order whose creation time defaults to
 * the emulator's now (its lastUpdatedTime is always the emulator's now: the order just appeared).
 */
export const NewOrder = SeedOrder.omit({ lastUpdatedTime: true }).partial({ createdTime: true });
export type NewOrderInput = z.input<typeof NewOrder>;

/** Many orders at once, for benches and load tests: one SKU each, synthetic recipients. */
export const GenerateOrders = z
  .object({
    count: z.number().int().positive().max(1_000_000),
    sku: z.string().min(1),
    quantity: z.number().int().positive().default(1),
    marketplaceId: z.string().optional(),
    /** Creation time of the first order (default: the emulator's now). */
    startTime: z.iso.datetime().optional(),
    /** Seconds between consecutive orders' creation times. */
    spacingSeconds: z.number().nonnegative().default(0),
  })
  .strict();
export type GenerateOrdersInput = z.input<typeof GenerateOrders>;

export function loadSeed(file: string): z.infer<typeof Seed> {
  const text = readFileSync(file, 'utf8');
  const value: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  const r = Seed.safeParse(value);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${file}: ${i.path.join('.') || '(seed)'}: ${i.message}`);
  }
  return r.data;
}

/** A confirmation the emulator accepted. */
export interface Confirmation {
  packageReferenceId: string;
  carrierCode: string;
  carrierName?: string;
  shippingMethod?: string;
  trackingNumber: string;
  shipDate: string;
  items: Array<{ orderItemId: string; quantity: number }>;
  at: string;
}

export interface OrderState {
  seed: SeedOrderT;
  status: SeedOrderT['status'];
  lastUpdatedTime: string;
  shipped: Map<string, number>;
  confirmations: Confirmation[];
  /** Where it ships now: the seed's recipient until the buyer changes the address. */
  recipient: RecipientT;
  /** Set when the order was cancelled while the emulator ran. */
  cancellation?: { by: 'BUYER'; reason?: string; at: string };
  addressChangedTime?: string;
}

export function orderState(o: SeedOrderT, lastUpdatedTime = o.lastUpdatedTime ?? o.createdTime): OrderState {
  return { seed: o, status: o.status, lastUpdatedTime, shipped: new Map(), confirmations: [], recipient: o.recipient };
}

export interface SellerState {
  seed: SeedSellerT;
  orders: Map<string, OrderState>;
  listings: Map<string, z.infer<typeof SeedListing>>;
  /** Quantity updates Amazon accepted per SKU (patch or feed), and when the last one was. */
  listingUpdates: Map<string, { count: number; at: string }>;
  submissions: Array<{ sku: string; submissionId: string; patches: unknown; at: string }>;
  /** Reports requested; `content` is the document as of createReport (a report is a snapshot), null when the emulator has none for the type. */
  reports: Map<string, { reportId: string; reportType: string; marketplaceIds: string[]; createdTime: string; documentId: string; content: string | null }>;
  /** Tracking Amazon accepted per shipment (sh... id), the last update replacing the one before. */
  inboundTracking: Map<string, InboundTrackingState>;
  /** Asynchronous inbound operations by operationId. */
  inboundOperations: Map<string, { operationId: string; operation: string; status: 'SUCCESS' | 'FAILED' | 'IN_PROGRESS'; problems: Array<{ code: string; message: string; severity: string }>; at: string }>;
  /** Feed documents: uploaded inputs and processing reports, by document id. */
  feedDocuments: Map<string, { contentType: string; content?: Buffer }>;
  feeds: Map<string, { feedId: string; feedType: string; marketplaceIds: string[]; createdTime: string; processingStatus: string; resultFeedDocumentId?: string }>;
}

export function sellerState(seed: SeedSellerT): SellerState {
  return {
    seed,
    orders: new Map(seed.orders.map((o) => [o.orderId, orderState(o)])),
    listings: new Map(seed.listings.map((l) => [l.sku, structuredClone(l)])),
    listingUpdates: new Map(),
    submissions: [],
    reports: new Map(),
    inboundTracking: new Map(),
    inboundOperations: new Map(),
    feedDocuments: new Map(),
    feeds: new Map(),
  };
}

/** Tracking recorded on a shipment by updateShipmentTrackingDetails. */
export type InboundTrackingState =
  | { kind: 'small-parcel'; boxes: Array<{ boxId: string; trackingId: string }>; operationId: string; at: string; updates: number }
  | { kind: 'ltl'; billOfLadingNumber?: string; freightBillNumbers: string[]; operationId: string; at: string; updates: number };

/** Many listings at once, for the 50,000-SKU reconciliation bench: SKUs `${prefix}${n}` (n from 1, zero-padded to 6). */
export const GenerateListings = z
  .object({
    count: z.number().int().positive().max(1_000_000),
    prefix: z.string().min(1).default('BENCH-'),
    /** The MFN quantity of each merchant listing. */
    quantity: z.number().int().nonnegative().default(10),
    /** Share of the listings (0..1) that are FBA (AMAZON_NA, no quantity): every round(1/share)-th. */
    fbaShare: z.number().min(0).max(1).default(0),
    productType: z.string().default('PRODUCT'),
  })
  .strict();
export type GenerateListingsInput = z.input<typeof GenerateListings>;
