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

export const SeedInboundPlan = z
  .object({
    inboundPlanId: z.string().regex(/^wf[0-9a-f-]{8,}$/i, 'an inbound plan id like wf1234abcd-...'),
    name: z.string(),
    status: z.enum(['ACTIVE', 'VOIDED', 'SHIPPED']).default('ACTIVE'),
    createdAt: z.iso.datetime(),
    marketplaceIds: z.array(z.string()).min(1),
    shipments: z
      .array(
        z
          .object({
            shipmentId: z.string().regex(/^sh[0-9a-f-]{8,}$/i, 'a shipment id like sh1234abcd-...'),
            confirmationId: z.string().regex(/^FBA[0-9A-Z]{6,12}$/),
            amazonReferenceId: z.string().optional(),
            destinationFc: z.string(),
            status: z.string().default('WORKING'),
            boxes: z.array(SeedBox).default([]),
          })
          .strict(),
      )
      .default([]),
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
    /** Report contents (tab-separated text) by report type. */
    reports: z.record(z.string(), z.string()).default({}),
  })
  .strict();

export const Seed = z.object({ sellers: z.array(SeedSeller).min(1) }).strict();
export type Seed = z.input<typeof Seed>;
export type SeedSellerT = z.infer<typeof SeedSeller>;
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
  reports: Map<string, { reportId: string; reportType: string; marketplaceIds: string[]; createdTime: string; documentId: string }>;
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
    feedDocuments: new Map(),
    feeds: new Map(),
  };
}
