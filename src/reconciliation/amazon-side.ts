/**
 * What Amazon shows now for a seller's SKUs, read in bulk: the merchant listings report
 * (GET_MERCHANT_LISTINGS_ALL_DATA: one createReport, its polls and one document for every
 * listing, never a getListingsItem per SKU) for each listing's channel and MFN quantity, and,
 * when the seller has FBA listings, FBA inventory's fulfillable units (getInventorySummaries,
 * paged; `fulfillableQuantity` only, never the total supply that counts stock still inbound).
 *
 * The result is stored by the reconciliation run (src/reconciliation/store.ts) so that the API
 * and the dashboard show it without calling Amazon per request.
 */
import type { GatewayContext } from '../flows/context.ts';

export interface AmazonListing {
  /** The report's fulfillment-channel: DEFAULT is the merchant channel, AMAZON_* an FBA one. */
  fulfillmentChannel: string;
  /** MFN quantity (null for an FBA listing, which the report leaves empty). */
  quantity: number | null;
  status: string;
  asin: string;
}

export interface AmazonSide {
  seller: string;
  checkedAt: string;
  listings: Map<string, AmazonListing>;
  /** FBA SKUs: fulfillable units. */
  fulfillable: Map<string, number>;
}

/** The stored form (maps as entry lists). */
export interface StoredAmazonSide {
  seller: string;
  checkedAt: string;
  listings: Array<[string, AmazonListing]>;
  fulfillable: Array<[string, number]>;
}

export const toStored = (a: AmazonSide): StoredAmazonSide => ({ seller: a.seller, checkedAt: a.checkedAt, listings: [...a.listings], fulfillable: [...a.fulfillable] });
export const fromStored = (a: StoredAmazonSide): AmazonSide => ({ seller: a.seller, checkedAt: a.checkedAt, listings: new Map(a.listings), fulfillable: new Map(a.fulfillable) });

/** Report polls: Amazon takes minutes to generate a large listings report; the adapter's time scale shortens the wait against the emulator. */
const REPORT_POLL = { pollMs: 30_000, maxPolls: 60 };

export async function readAmazonSide(ctx: GatewayContext, seller: string): Promise<AmazonSide> {
  const amazon = ctx.amazon(seller);
  const checkedAt = ctx.clock.now().toISOString();
  const listings = new Map<string, AmazonListing>();
  for (const l of await amazon.merchantListings(REPORT_POLL)) {
    listings.set(l.sellerSku, { fulfillmentChannel: l.fulfillmentChannel, quantity: l.fulfillmentChannel === 'DEFAULT' ? l.quantity : null, status: l.status, asin: l.asin });
  }
  const fulfillable = new Map<string, number>();
  const fba = [...listings].filter(([, l]) => l.fulfillmentChannel !== 'DEFAULT').map(([sku]) => sku);
  if (fba.length) {
    // One paged read of the whole FBA position (50 a page) rather than sellerSkus batches: the same number of pages, and no SKU left out of a batch.
    for (const line of await amazon.fbaInventory()) if (listings.has(line.sellerSku)) fulfillable.set(line.sellerSku, line.fulfillable);
  }
  ctx.log.info({ event: 'reconcile.amazon-read', seller, listings: listings.size, fba: fba.length }, 'read what Amazon shows');
  return { seller, checkedAt, listings, fulfillable };
}
