/**
 * The adapter for a seller of the mapping files: credentials from the variables or secrets file
 * its seller file names; production hosts only for a partner in production.
 */
import type { PartnerFile, SellerFile } from '../mapping/schema.ts';
import { AmazonAdapter, type AdapterOptions } from './adapter.ts';
import { resolveCredentials } from './credentials.ts';

export { AmazonAdapter, type AdapterEvent, type AdapterOptions, type AmazonSeller } from './adapter.ts';
export { AmazonApiError, AmazonConfigError, classifyThrown, type FailureKind } from './errors.ts';
export { QuotaRegistry, PUBLISHED_LIMITS } from './quota.ts';
export { resolveCredentials, type LwaCredentials } from './credentials.ts';
export type * from './types.ts';

/**
 * `partner` is the warehouse whose documents cause the calls: a test partner (ISA15 T) never
 * reaches Amazon's production endpoints, whatever `options` say.
 */
export function adapterForSeller(seller: SellerFile, partner: Pick<PartnerFile, 'usage'>, options: Omit<AdapterOptions, 'allowProduction'> = {}, env: NodeJS.ProcessEnv = process.env): AmazonAdapter {
  return new AmazonAdapter(
    { id: seller.id, sellingPartnerId: seller.sellingPartnerId, region: seller.region, marketplaces: seller.marketplaces, credentials: resolveCredentials(seller, env) },
    { ...options, allowProduction: partner.usage === 'production' },
  );
}
