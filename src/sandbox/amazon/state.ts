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
    recipient: z
      .object({
        name: z.string(),
        addressLine1: z.string(),
        addressLine2: z.string().optional(),
        city: z.string(),
        stateOrRegion: z.string().optional(),
        postalCode: z.string(),
        countryCode: z.string(),
        phone: z.string().optional(),
      })
      .strict(),
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
}

export interface SellerState {
  seed: SeedSellerT;
  orders: Map<string, OrderState>;
  listings: Map<string, z.infer<typeof SeedListing>>;
  submissions: Array<{ sku: string; submissionId: string; patches: unknown; at: string }>;
  reports: Map<string, { reportId: string; reportType: string; marketplaceIds: string[]; createdTime: string; documentId: string }>;
  /** Feed documents: uploaded inputs and processing reports, by document id. */
  feedDocuments: Map<string, { contentType: string; content?: Buffer }>;
  feeds: Map<string, { feedId: string; feedType: string; marketplaceIds: string[]; createdTime: string; processingStatus: string; resultFeedDocumentId?: string }>;
}

export function sellerState(seed: SeedSellerT): SellerState {
  return {
    seed,
    orders: new Map(seed.orders.map((o) => [o.orderId, { seed: o, status: o.status, lastUpdatedTime: o.lastUpdatedTime ?? o.createdTime, shipped: new Map(), confirmations: [] }])),
    listings: new Map(seed.listings.map((l) => [l.sku, structuredClone(l)])),
    submissions: [],
    reports: new Map(),
    feedDocuments: new Map(),
    feeds: new Map(),
  };
}
