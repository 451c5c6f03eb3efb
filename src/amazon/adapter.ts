/**
 * Dockgate's way to Amazon for one seller: the amazon-sp-api client with its own throttling and
 * remote-timeout retries switched off, our token buckets in front, request timeouts, bounded
 * retries with exponential backoff and jitter for what can get better (429, 5xx, timeouts,
 * dropped connections), Amazon's code and message for what cannot, and one token refresh when
 * an access token has expired. Versions are pinned per call.
 */
import { createRequire } from 'node:module';
import https from 'node:https';
import net from 'node:net';
import { gunzipSync } from 'node:zlib';
import type { LwaCredentials } from './credentials.ts';
import { AmazonApiError, AmazonConfigError, classifyThrown, kindOfStatus } from './errors.ts';
import { QuotaRegistry, realClock, type Clock } from './quota.ts';
import { parseCustomerReturns, parseMerchantListings, parseRemovalShipments, REPORT_TYPES, type CustomerReturnRow, type MerchantListingRow, type RemovalShipmentRow } from './reports.ts';
import type { AmazonOrder, ConfirmationOutcome, ConfirmShipmentPackage, FbaInventoryLine, InboundAddress, InboundShipmentDetail, InboundShipmentSummary, InboundTracking, ListingsItem, ListingsSubmission } from './types.ts';

export interface AmazonSeller {
  id: string;
  sellingPartnerId: string;
  region: 'na' | 'eu' | 'fe';
  marketplaces: string[];
  credentials: LwaCredentials;
}

export type AdapterEvent =
  | { type: 'retry'; seller: string; operation: string; attempt: number; delayMs: number; code: string; status?: number }
  | { type: 'token-refresh'; seller: string; operation: string }
  | { type: 'throttled'; seller: string; operation: string };

/**
 * What the gateway's metrics learn from the adapter: once per HTTP attempt of an operation, and
 * once per LWA token refresh (the access token's lifetime is LWA's hour; the client does not
 * give the expires_in it received).
 */
export interface AdapterObserver {
  call(e: { seller: string; operation: string; status: number | null; throttled: boolean; ms: number; retry: boolean; errorKind?: string }): void;
  tokenRefresh(e: { seller: string; ok: boolean; expiresAt?: string; error?: string }): void;
}

/** LWA access tokens live an hour. */
const ACCESS_TOKEN_SECONDS = 3600;

export interface AdapterOptions {
  /** Send everything to a local emulator instead of Amazon. */
  endpoint?: { host?: string; port: number };
  /** Without an endpoint override, calls go to Amazon's production hosts: only for production partners. */
  allowProduction?: boolean;
  /** The emulator's speed-up, applied to our buckets and backoff alike. Default 1. */
  timeScale?: number;
  /** Per-request timeout (time to first byte), ms. Default 30 s. */
  timeoutMs?: number;
  /** Attempts per call, the first included. Default 6. */
  maxAttempts?: number;
  backoff?: { baseMs: number; capMs: number };
  /** Share buckets between adapters of the same process (default: one per adapter). */
  quota?: QuotaRegistry;
  clock?: Clock;
  random?: () => number;
  onEvent?: (e: AdapterEvent) => void;
  observer?: AdapterObserver;
}

/** The part of the amazon-sp-api client Dockgate uses (its typings do not cover every operation we call). */
interface SpClient {
  callAPI(params: Record<string, unknown>): Promise<unknown>;
  refreshAccessToken(): Promise<void>;
  readonly access_token: string | undefined;
}
const { SellingPartner } = createRequire(import.meta.url)('amazon-sp-api') as { SellingPartner: new (config: Record<string, unknown>) => SpClient };

/** Where each operation lives in the client, with its pinned version. */
const OPERATIONS: Record<string, { endpoint: string; version: string }> = {
  searchOrders: { endpoint: 'orders', version: '2026-01-01' },
  getOrder: { endpoint: 'orders', version: '2026-01-01' },
  confirmShipment: { endpoint: 'orders', version: 'v0' },
  getListingsItem: { endpoint: 'listingsItems', version: '2021-08-01' },
  patchListingsItem: { endpoint: 'listingsItems', version: '2021-08-01' },
  getInventorySummaries: { endpoint: 'fbaInventory', version: 'v1' },
  listInboundPlans: { endpoint: 'fulfillmentInbound', version: '2024-03-20' },
  getInboundPlan: { endpoint: 'fulfillmentInbound', version: '2024-03-20' },
  getShipment: { endpoint: 'fulfillmentInbound', version: '2024-03-20' },
  listShipmentBoxes: { endpoint: 'fulfillmentInbound', version: '2024-03-20' },
  listShipmentItems: { endpoint: 'fulfillmentInbound', version: '2024-03-20' },
  updateShipmentTrackingDetails: { endpoint: 'fulfillmentInbound', version: '2024-03-20' },
  getInboundOperationStatus: { endpoint: 'fulfillmentInbound', version: '2024-03-20' },
  getLabels: { endpoint: 'fulfillmentInbound', version: 'v0' },
  createReport: { endpoint: 'reports', version: '2021-06-30' },
  getReport: { endpoint: 'reports', version: '2021-06-30' },
  getReportDocument: { endpoint: 'reports', version: '2021-06-30' },
  createFeedDocument: { endpoint: 'feeds', version: '2021-06-30' },
  createFeed: { endpoint: 'feeds', version: '2021-06-30' },
  getFeed: { endpoint: 'feeds', version: '2021-06-30' },
  getFeedDocument: { endpoint: 'feeds', version: '2021-06-30' },
  createRestrictedDataToken: { endpoint: 'tokens', version: '2021-03-01' },
};

/** An https agent whose connections go to a local port in plain HTTP: the client keeps its fixed hosts (FACTS.md). */
class LocalAgent extends https.Agent {
  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {
    super({ keepAlive: true, maxSockets: 16 });
  }
  override createConnection(): net.Socket {
    return net.createConnection({ host: this.host, port: this.port });
  }
}

/** The code of the error a call made under an expired restricted data token throws. */
export const RDT_EXPIRED = 'RestrictedDataTokenExpired';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export class AmazonAdapter {
  private readonly sp: SpClient;
  private readonly quota: QuotaRegistry;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly timeScale: number;
  private readonly maxAttempts: number;
  private readonly backoff: { baseMs: number; capMs: number };
  private readonly agent: LocalAgent | undefined;
  /** FBA confirmation id -> where it lives, learnt once. */
  private readonly inboundIndex = new Map<string, { inboundPlanId: string; shipmentId: string }>();

  constructor(
    readonly seller: AmazonSeller,
    private readonly options: AdapterOptions = {},
  ) {
    if (!options.endpoint && !options.allowProduction) {
      throw new AmazonConfigError(`seller ${seller.id}: this partner is not in production: calls to Amazon's production endpoints are refused (configure an emulator endpoint)`);
    }
    this.timeScale = options.timeScale ?? 1;
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.quota = options.quota ?? new QuotaRegistry(this.timeScale, this.clock);
    this.maxAttempts = options.maxAttempts ?? 6;
    this.backoff = options.backoff ?? { baseMs: 1000, capMs: 60_000 };
    const timeoutMs = options.timeoutMs ?? 30_000;
    this.agent = options.endpoint ? new LocalAgent(options.endpoint.host ?? '127.0.0.1', options.endpoint.port) : undefined;
    this.sp = new SellingPartner({
      region: seller.region,
      refresh_token: seller.credentials.refreshToken,
      credentials: { SELLING_PARTNER_APP_CLIENT_ID: seller.credentials.clientId, SELLING_PARTNER_APP_CLIENT_SECRET: seller.credentials.clientSecret },
      options: {
        auto_request_tokens: true,
        // Throttling and retries are ours: the client's retry 429s without a cap and time-outs forever (FACTS.md).
        auto_request_throttled: false,
        retry_remote_timeout: false,
        version_fallback: false,
        debug_log: false,
        timeouts: { response: timeoutMs, idle: timeoutMs, deadline: timeoutMs * 4 },
        ...(this.agent && { https_proxy_agent: this.agent }),
      },
      endpoints_versions: { listingsItems: '2021-08-01', fulfillmentInbound: '2024-03-20', fbaInventory: 'v1', reports: '2021-06-30' },
    });
  }

  private tokenRequest: Promise<void> | null = null;

  /** One LWA request however many calls start at once. */
  private async ensureAccessToken(operation: string): Promise<void> {
    if (this.sp.access_token) return;
    this.tokenRequest ??= this.refreshToken().finally(() => {
      this.tokenRequest = null;
    });
    try {
      await this.tokenRequest;
    } catch (e) {
      throw classifyThrown(e, operation);
    }
  }

  /** One LWA refresh, told to the observer. */
  private async refreshToken(): Promise<void> {
    const observer = this.options.observer;
    try {
      await this.sp.refreshAccessToken();
    } catch (e) {
      observer?.tokenRefresh({ seller: this.seller.id, ok: false, error: e instanceof Error ? e.message : String(e) });
      throw e;
    }
    observer?.tokenRefresh({ seller: this.seller.id, ok: true, expiresAt: new Date(this.clock.now() + ACCESS_TOKEN_SECONDS * 1000).toISOString() });
  }

  close(): void {
    this.agent?.destroy();
  }

  private delay(attempt: number, minimumMs = 0): number {
    const exp = Math.min(this.backoff.capMs, this.backoff.baseMs * 2 ** (attempt - 1));
    const jittered = exp * (0.5 + this.random() / 2);
    return Math.max(minimumMs, jittered) / this.timeScale;
  }

  /** One operation, with quota, retries, backoff and one token refresh. */
  async call(operation: string, params: { path?: Record<string, string>; query?: Record<string, unknown>; body?: unknown; restricted_data_token?: string }): Promise<Raw> {
    const where = OPERATIONS[operation];
    if (!where) throw new Error(`unknown operation ${operation}`);
    const emit = this.options.onEvent ?? (() => undefined);
    let refreshed = false;
    for (let attempt = 1; ; attempt++) {
      // The access token first: a quota token taken while waiting for LWA would be spent late,
      // and late requests bunch up at Amazon.
      await this.ensureAccessToken(operation);
      await this.quota.acquire(this.seller.id, operation);
      let res: { statusCode: number; headers: Record<string, string | string[] | undefined>; body: string };
      const started = performance.now();
      const observe = (status: number | null, errorKind?: string) =>
        this.options.observer?.call({ seller: this.seller.id, operation, status, throttled: status === 429 || errorKind === 'throttled', ms: performance.now() - started, retry: attempt > 1, ...(errorKind && { errorKind }) });
      try {
        res = (await this.sp.callAPI({ operation, endpoint: where.endpoint, ...params, options: { version: where.version, raw_result: true } })) as typeof res;
      } catch (e) {
        const err = classifyThrown(e, operation);
        observe(err.status ?? null, err.kind);
        if (!err.retryable || attempt >= this.maxAttempts) throw err;
        const ms = this.delay(attempt);
        emit({ type: 'retry', seller: this.seller.id, operation, attempt, delayMs: ms, code: err.code });
        await this.clock.sleep(ms);
        continue;
      }
      let body: unknown;
      if (res.body) {
        try {
          body = JSON.parse(res.body);
        } catch {
          body = res.body;
        }
      }
      observe(res.statusCode, res.statusCode < 300 ? undefined : kindOfStatus(res.statusCode));
      if (res.statusCode < 300) {
        const h = res.headers['x-amzn-ratelimit-limit'];
        await this.quota.observe(this.seller.id, operation, Array.isArray(h) ? h[0] : h);
        return { status: res.statusCode, headers: res.headers, body };
      }
      const first = (body as { errors?: Array<{ code?: string; message?: string; details?: string }> } | undefined)?.errors?.[0] ?? {};
      const code = first.code ?? `HTTP${res.statusCode}`;
      if (res.statusCode === 403 && /access token.*expired/i.test(first.details ?? '') && params.restricted_data_token) {
        // The token that expired is the restricted data token (it stands in for the access token
        // on this call): refreshing the LWA token would not help; its caller takes a new one.
        throw new AmazonApiError(`${operation}: 403 ${code}: the restricted data token expired`, operation, 'auth', 403, RDT_EXPIRED, first.details);
      }
      if (res.statusCode === 403 && /access token.*expired/i.test(first.details ?? '') && !refreshed) {
        // An expired access token is refreshed once, and the call is made again (not counted as a retry).
        refreshed = true;
        emit({ type: 'token-refresh', seller: this.seller.id, operation });
        try {
          await this.refreshToken();
        } catch (e) {
          throw classifyThrown(e, operation);
        }
        attempt--;
        continue;
      }
      const kind = kindOfStatus(res.statusCode);
      const err = new AmazonApiError(`${operation}: ${res.statusCode} ${code}: ${first.message ?? ''}${first.details ? ` (${first.details})` : ''}`, operation, kind, res.statusCode, code, first.details);
      if (kind === 'throttled') {
        await this.quota.throttled(this.seller.id, operation);
        emit({ type: 'throttled', seller: this.seller.id, operation });
      }
      if (!err.retryable || attempt >= this.maxAttempts) throw err;
      const limit = this.quota.limit(this.seller.id, operation);
      const ms = this.delay(attempt, kind === 'throttled' ? (1000 / limit.rate) * this.timeScale : 0);
      emit({ type: 'retry', seller: this.seller.id, operation, attempt, delayMs: ms, code, status: res.statusCode });
      await this.clock.sleep(ms);
    }
  }

  // ---------------------------------------------------------------- orders

  /** A restricted data token for operations that return buyer personal data. */
  async restrictedDataToken(resources: Array<{ method: 'GET' | 'PUT' | 'POST' | 'DELETE'; path: string; dataElements?: string[] }>): Promise<string> {
    const r = await this.call('createRestrictedDataToken', { body: { restrictedResources: resources } });
    return (r.body as { restrictedDataToken: string }).restrictedDataToken;
  }

  /**
   * Merchant-fulfilled orders updated since a time that still need shipping, every page. With
   * `buyerData` the ship-to address and buyer come with them, under a restricted data token.
   */
  async *searchMfnOrders(options: { lastUpdatedAfter: Date; statuses?: string[]; includedData?: string[]; marketplaceIds?: string[]; buyerData?: boolean }): AsyncGenerator<AmazonOrder> {
    const takeRdt = () => this.restrictedDataToken([{ method: 'GET', path: '/orders/2026-01-01/orders', dataElements: ['buyerInfo', 'shippingAddress'] }]);
    let rdt = options.buyerData ? await takeRdt() : undefined;
    // A restricted data token lives an hour: a long search (thousands of orders at the published
    // quota) outlives it, and the page it expired on is asked again under a new one.
    const page = async (query: Record<string, unknown>) => {
      try {
        return await this.call('searchOrders', { ...(rdt && { restricted_data_token: rdt }), query });
      } catch (e) {
        if (!(e instanceof AmazonApiError) || e.code !== RDT_EXPIRED) throw e;
        rdt = await takeRdt();
        return this.call('searchOrders', { restricted_data_token: rdt, query });
      }
    };
    type Page = { orders: AmazonOrder[]; pagination?: { nextToken?: string } };
    const fetch = (paginationToken?: string): Promise<Page> =>
      page({
        lastUpdatedAfter: options.lastUpdatedAfter.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        marketplaceIds: options.marketplaceIds ?? this.seller.marketplaces,
        fulfilledBy: ['MERCHANT'],
        fulfillmentStatuses: options.statuses ?? ['UNSHIPPED', 'PARTIALLY_SHIPPED'],
        includedData: options.includedData ?? ['RECIPIENT', 'FULFILLMENT'],
        maxResultsPerPage: 100,
        ...(paginationToken && { paginationToken }),
      }).then((r) => r.body as Page);
    let next: Promise<Page> | null = fetch();
    while (next) {
      const body: Page = await next;
      const token = body.pagination?.nextToken;
      // The next page is asked for while the caller handles this one (within the quota, which
      // the bucket still enforces): the search and the work on its orders overlap.
      next = token ? fetch(token) : null;
      // A caller that stops early leaves the page in flight: its failure is nobody's to report.
      next?.catch(() => undefined);
      for (const o of body.orders) yield o;
    }
  }

  async getOrder(orderId: string, includedData: string[] = ['FULFILLMENT', 'PACKAGES']): Promise<AmazonOrder> {
    const r = await this.call('getOrder', { path: { orderId }, query: { includedData } });
    return (r.body as { order: AmazonOrder }).order;
  }

  /**
   * Confirm one package. When Amazon answers that the package is already there, the order is
   * read back: only if it shows our tracking number is the confirmation done; otherwise both
   * sides are shown in the error.
   */
  async confirmShipment(orderId: string, marketplaceId: string, pkg: ConfirmShipmentPackage): Promise<ConfirmationOutcome> {
    const packageDetail = { ...pkg, packageReferenceId: String(pkg.packageReferenceId) };
    // What Amazon would refuse is not sent (its model says so): a bad shipDate or package number.
    const refuse = (why: string) => new AmazonApiError(`confirmShipment ${orderId}: ${why}; not sent`, 'confirmShipment', 'client', undefined, 'InvalidInput');
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(pkg.shipDate)) throw refuse(`shipDate '${pkg.shipDate}' is not an ISO 8601 date-time`);
    if (!/^[1-9]\d*$/.test(packageDetail.packageReferenceId)) throw refuse(`packageReferenceId '${packageDetail.packageReferenceId}' is not a positive number`);
    if (pkg.carrierCode === 'Other' && !pkg.carrierName) throw refuse('carrierCode Other needs a carrierName');
    if (pkg.orderItems.length === 0 || pkg.orderItems.some((i) => !Number.isInteger(i.quantity) || i.quantity < 1)) throw refuse('every package needs order items with positive whole quantities');
    try {
      await this.call('confirmShipment', { path: { orderId }, body: { marketplaceId, packageDetail } });
      return { outcome: 'confirmed' };
    } catch (e) {
      if (!(e instanceof AmazonApiError) || e.status !== 400 || !/PackageToUpdateNotFound|already (been )?(fulfilled|shipped|confirmed)/i.test(`${e.code} ${e.message}`)) throw e;
      const order = await this.getOrder(orderId);
      const ours = order.packages?.find((p) => p.trackingNumber === pkg.trackingNumber);
      if (ours) return { outcome: 'already-confirmed', package: ours };
      const theirs = (order.packages ?? []).map((p) => `${p.packageReferenceId}: ${p.carrier ?? '?'} ${p.trackingNumber ?? '?'} (${(p.packageItems ?? []).map((i) => `${i.quantity} x ${i.orderItemId}`).join(', ')})`).join('; ') || 'none';
      throw new AmazonApiError(
        `confirmShipment ${orderId}: Amazon refused package ${packageDetail.packageReferenceId} (${e.code}) and does not show its tracking number. Ours: ${pkg.carrierCode} ${pkg.trackingNumber} (${pkg.orderItems.map((i) => `${i.quantity} x ${i.orderItemId}`).join(', ')}). Amazon's packages: ${theirs}`,
        'confirmShipment',
        'client',
        400,
        'ConfirmationConflict',
      );
    }
  }

  // ---------------------------------------------------------------- listings and inventory

  async getListingsItem(sku: string, includedData = ['summaries', 'attributes', 'fulfillmentAvailability', 'productTypes']): Promise<ListingsItem | null> {
    try {
      const r = await this.call('getListingsItem', { path: { sellerId: this.seller.sellingPartnerId, sku }, query: { marketplaceIds: [this.seller.marketplaces[0]], includedData } });
      return r.body as ListingsItem;
    } catch (e) {
      if (e instanceof AmazonApiError && e.status === 404) return null;
      throw e;
    }
  }

  /** Which channels a listing is offered on, read from the listing itself (not guessed from FBA inventory). */
  static channels(item: ListingsItem): string[] {
    const a = item.fulfillmentAvailability?.map((f) => f.fulfillmentChannelCode) ?? [];
    const b = item.attributes?.fulfillment_availability?.map((f) => f.fulfillment_channel_code) ?? [];
    return [...new Set([...a, ...b])];
  }

  /**
   * Set the merchant-fulfilled quantity of a SKU. An FBA listing is never fed from warehouse
   * stock: a SKU without the DEFAULT channel is refused.
   */
  async setMfnQuantity(sku: string, quantity: number): Promise<ListingsSubmission> {
    const item = await this.getListingsItem(sku);
    if (!item) throw new AmazonApiError(`patchListingsItem: ${sku} has no listing for seller ${this.seller.id}`, 'patchListingsItem', 'client', 404, 'NOT_FOUND');
    const channels = AmazonAdapter.channels(item);
    if (!channels.includes('DEFAULT')) {
      throw new AmazonApiError(`patchListingsItem: ${sku} is fulfilled by Amazon (${channels.join(', ') || 'no channel'}): warehouse stock never feeds an FBA listing`, 'patchListingsItem', 'client', undefined, 'FbaListing');
    }
    const productType = item.productTypes?.[0]?.productType ?? item.summaries?.[0]?.productType;
    if (!productType) throw new AmazonApiError(`patchListingsItem: ${sku}: the listing shows no product type`, 'patchListingsItem', 'client', undefined, 'NoProductType');
    const r = await this.call('patchListingsItem', {
      path: { sellerId: this.seller.sellingPartnerId, sku },
      query: { marketplaceIds: [this.seller.marketplaces[0]] },
      body: { productType, patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity }] }] },
    });
    const s = r.body as ListingsSubmission;
    if (s.status === 'INVALID') {
      throw new AmazonApiError(`patchListingsItem: ${sku}: ${(s.issues ?? []).map((i) => `${i.code} ${i.message}`).join('; ')}`, 'patchListingsItem', 'client', r.status, 'INVALID');
    }
    return s;
  }

  /** FBA positions: fulfillable is what Amazon can pick now; total includes inbound and reserved. */
  async fbaInventory(skus?: string[]): Promise<FbaInventoryLine[]> {
    const out: FbaInventoryLine[] = [];
    let next: string | undefined;
    do {
      const r = await this.call('getInventorySummaries', {
        query: { details: true, granularityType: 'Marketplace', granularityId: this.seller.marketplaces[0], marketplaceIds: [this.seller.marketplaces[0]], ...(skus && { sellerSkus: skus }), ...(next && { nextToken: next }) },
      });
      const body = r.body as { payload: { inventorySummaries: Array<{ sellerSku: string; fnSku?: string; asin?: string; totalQuantity?: number; inventoryDetails?: { fulfillableQuantity?: number } }> }; pagination?: { nextToken?: string } };
      for (const s of body.payload.inventorySummaries) out.push({ sellerSku: s.sellerSku, fnsku: s.fnSku, asin: s.asin, fulfillable: s.inventoryDetails?.fulfillableQuantity ?? 0, total: s.totalQuantity ?? 0 });
      next = body.pagination?.nextToken;
    } while (next);
    return out;
  }

  /**
   * Bulk MFN quantities through a JSON_LISTINGS_FEED: one PATCH message per SKU (product type
   * read from each listing), uploaded, processed, and the processing report read back. FBA
   * listings are left out and reported, never fed.
   */
  async setMfnQuantitiesByFeed(entries: Array<{ sku: string; quantity: number }>, options: { pollMs?: number; maxPolls?: number } = {}): Promise<{
    feedId: string;
    accepted: string[];
    rejected: Array<{ sku: string; reason: string }>;
  }> {
    const rejected: Array<{ sku: string; reason: string }> = [];
    const messages: Array<Record<string, unknown>> = [];
    const bySku = new Map<number, string>();
    for (const e of entries) {
      const item = await this.getListingsItem(e.sku);
      if (!item) {
        rejected.push({ sku: e.sku, reason: 'no listing' });
        continue;
      }
      if (!AmazonAdapter.channels(item).includes('DEFAULT')) {
        rejected.push({ sku: e.sku, reason: `fulfilled by Amazon (${AmazonAdapter.channels(item).join(', ')}): never fed from warehouse stock` });
        continue;
      }
      const productType = item.productTypes?.[0]?.productType ?? item.summaries?.[0]?.productType;
      if (!productType) {
        rejected.push({ sku: e.sku, reason: 'the listing shows no product type' });
        continue;
      }
      const messageId = messages.length + 1;
      bySku.set(messageId, e.sku);
      messages.push({ messageId, sku: e.sku, operationType: 'PATCH', productType, patches: [{ op: 'replace', path: '/attributes/fulfillment_availability', value: [{ fulfillment_channel_code: 'DEFAULT', quantity: e.quantity }] }] });
    }
    if (messages.length === 0) return { feedId: '', accepted: [], rejected };
    const content = JSON.stringify({ header: { sellerId: this.seller.sellingPartnerId, version: '2.0', issueLocale: 'en_US' }, messages });
    const doc = (await this.call('createFeedDocument', { body: { contentType: 'application/json; charset=UTF-8' } })).body as { feedDocumentId: string; url: string };
    const put = await fetch(doc.url, { method: 'PUT', headers: { 'content-type': 'application/json; charset=UTF-8' }, body: content, signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
    if (!put.ok) throw new AmazonApiError(`createFeedDocument: upload answered ${put.status}`, 'createFeedDocument', kindOfStatus(put.status), put.status, `HTTP${put.status}`);
    const { feedId } = (await this.call('createFeed', { body: { feedType: 'JSON_LISTINGS_FEED', marketplaceIds: [this.seller.marketplaces[0]], inputFeedDocumentId: doc.feedDocumentId } })).body as { feedId: string };
    for (let i = 0; i < (options.maxPolls ?? 60); i++) {
      const f = (await this.call('getFeed', { path: { feedId } })).body as { processingStatus: string; resultFeedDocumentId?: string };
      if (f.processingStatus === 'DONE' && f.resultFeedDocumentId) {
        const d = (await this.call('getFeedDocument', { path: { feedDocumentId: f.resultFeedDocumentId } })).body as { url: string; compressionAlgorithm?: string };
        const bytes = await this.download(d, 'getFeedDocument');
        const report = JSON.parse(bytes.toString('utf8')) as { issues?: Array<{ messageId: number; code: string; severity: string; message: string }> };
        const failed = new Map<number, string>();
        for (const issue of report.issues ?? []) if (issue.severity === 'ERROR') failed.set(issue.messageId, `${issue.code} ${issue.message}`);
        for (const [id, reason] of failed) rejected.push({ sku: bySku.get(id) ?? `message ${id}`, reason });
        return { feedId, accepted: [...bySku.entries()].filter(([id]) => !failed.has(id)).map(([, sku]) => sku), rejected };
      }
      if (['FATAL', 'CANCELLED'].includes(f.processingStatus)) throw new AmazonApiError(`JSON_LISTINGS_FEED ${feedId}: ${f.processingStatus}`, 'getFeed', 'client', undefined, f.processingStatus);
      await this.clock.sleep((options.pollMs ?? 30_000) / this.timeScale);
    }
    throw new AmazonApiError(`JSON_LISTINGS_FEED ${feedId}: not done after ${options.maxPolls ?? 60} polls`, 'getFeed', 'timeout', undefined, 'FEED_TIMEOUT');
  }

  // ---------------------------------------------------------------- FBA inbound

  /** Every plan of the seller, newest first, pages followed; VOIDED ones left out. */
  private async inboundPlans(): Promise<Array<{ inboundPlanId: string; name?: string; status: string }>> {
    const out: Array<{ inboundPlanId: string; name?: string; status: string }> = [];
    let token: string | undefined;
    do {
      const r = await this.call('listInboundPlans', { query: { pageSize: 30, sortBy: 'LAST_UPDATED_TIME', sortOrder: 'DESC', ...(token && { paginationToken: token }) } });
      const body = r.body as { inboundPlans?: Array<{ inboundPlanId: string; name?: string; status: string }>; pagination?: { nextToken?: string } };
      for (const plan of body.inboundPlans ?? []) if (plan.status !== 'VOIDED') out.push(plan);
      token = body.pagination?.nextToken;
    } while (token);
    return out;
  }

  /**
   * Every shipment of every non-voided inbound plan, with its status and destination FC
   * (listInboundPlans, getInboundPlan per plan, getShipment per shipment). `statuses` keeps only
   * shipments in one of them (the model's ShipmentSummary statuses, e.g. READY_TO_SHIP).
   */
  async listInboundShipments(options: { statuses?: string[] } = {}): Promise<InboundShipmentSummary[]> {
    const out: InboundShipmentSummary[] = [];
    for (const plan of await this.inboundPlans()) {
      const p = (await this.call('getInboundPlan', { path: { inboundPlanId: plan.inboundPlanId } })).body as { name?: string; shipments?: Array<{ shipmentId: string; status: string }> };
      for (const s of p.shipments ?? []) {
        // The plan's summary carries the status: a shipment in another one needs no getShipment call.
        if (options.statuses && !options.statuses.includes(s.status)) continue;
        const sh = (await this.call('getShipment', { path: { inboundPlanId: plan.inboundPlanId, shipmentId: s.shipmentId } })).body as { shipmentConfirmationId?: string; status?: string; destination?: { warehouseId?: string } };
        const status = sh.status ?? s.status;
        if (options.statuses && !options.statuses.includes(status)) continue;
        if (sh.shipmentConfirmationId) this.inboundIndex.set(sh.shipmentConfirmationId, { inboundPlanId: plan.inboundPlanId, shipmentId: s.shipmentId });
        out.push({ inboundPlanId: plan.inboundPlanId, planName: p.name ?? plan.name ?? null, shipmentId: s.shipmentId, confirmationId: sh.shipmentConfirmationId ?? '', status, destinationFc: sh.destination?.warehouseId ?? null });
      }
    }
    return out;
  }

  /** From the Amazon Shipment ID on the labels (FBA...) to the 2024-03-20 shipment, its destination, boxes and items. */
  async inboundShipment(confirmationId: string): Promise<InboundShipmentDetail | null> {
    let where = this.inboundIndex.get(confirmationId);
    if (!where) {
      search: for (const plan of await this.inboundPlans()) {
        const p = (await this.call('getInboundPlan', { path: { inboundPlanId: plan.inboundPlanId } })).body as { shipments?: Array<{ shipmentId: string }> };
        for (const s of p.shipments ?? []) {
          const sh = (await this.call('getShipment', { path: { inboundPlanId: plan.inboundPlanId, shipmentId: s.shipmentId } })).body as { shipmentConfirmationId?: string };
          if (sh.shipmentConfirmationId) this.inboundIndex.set(sh.shipmentConfirmationId, { inboundPlanId: plan.inboundPlanId, shipmentId: s.shipmentId });
          if (sh.shipmentConfirmationId === confirmationId) break search;
        }
      }
      where = this.inboundIndex.get(confirmationId);
      if (!where) return null;
    }
    const path = { inboundPlanId: where.inboundPlanId, shipmentId: where.shipmentId };
    const plan = (await this.call('getInboundPlan', { path: { inboundPlanId: where.inboundPlanId } })).body as { name?: string };
    const sh = (await this.call('getShipment', { path })).body as {
      shipmentConfirmationId: string;
      amazonReferenceId?: string;
      status?: string;
      destination?: { warehouseId?: string; address?: { name: string; addressLine1: string; addressLine2?: string; city: string; stateOrProvinceCode?: string; postalCode?: string; countryCode: string } };
    };
    const boxes = await this.pages<{ boxId?: string; externalContainerIdentifier?: string; externalContainerIdentifierType?: string; items?: Array<{ msku: string; fnsku: string; asin: string; quantity: number }> }>('listShipmentBoxes', path, 'boxes');
    const items = await this.pages<{ msku: string; fnsku: string; asin: string; quantity: number }>('listShipmentItems', path, 'items');
    const a = sh.destination?.address;
    const destinationAddress: InboundAddress | undefined = a && {
      name: a.name,
      addressLine1: a.addressLine1,
      ...(a.addressLine2 && { addressLine2: a.addressLine2 }),
      city: a.city,
      ...(a.stateOrProvinceCode && { stateOrRegion: a.stateOrProvinceCode }),
      ...(a.postalCode && { postalCode: a.postalCode }),
      countryCode: a.countryCode,
    };
    return {
      ...where,
      confirmationId: sh.shipmentConfirmationId,
      amazonReferenceId: sh.amazonReferenceId,
      destinationFc: sh.destination?.warehouseId,
      ...(destinationAddress && { destinationAddress }),
      ...(plan.name && { planName: plan.name }),
      status: sh.status,
      boxes: boxes.map((b) => ({ boxId: b.boxId, ...(b.externalContainerIdentifierType === 'SSCC' && { sscc: b.externalContainerIdentifier }), items: (b.items ?? []).map(({ msku, fnsku, asin, quantity }) => ({ msku, fnsku, asin, quantity })) })),
      items: items.map(({ msku, fnsku, asin, quantity }) => ({ msku, fnsku, asin, quantity })),
    };
  }

  /** A 2024-03-20 list operation's pages (pageSize / paginationToken, pagination.nextToken). */
  private async pages<T>(operation: string, path: Record<string, string>, key: string): Promise<T[]> {
    const out: T[] = [];
    let token: string | undefined;
    do {
      const r = (await this.call(operation, { path, query: { pageSize: 1000, ...(token && { paginationToken: token }) } })).body as Record<string, unknown> & { pagination?: { nextToken?: string } };
      out.push(...((r[key] as T[] | undefined) ?? []));
      token = r.pagination?.nextToken;
    } while (token);
    return out;
  }

  /**
   * Give Amazon the carrier's tracking for a shipment: a tracking id per box (small parcel) or the
   * BOL and PRO numbers (LTL). Amazon answers 202 with an operationId (the work is asynchronous;
   * inboundOperationStatus reads how it went).
   */
  async updateShipmentTrackingDetails(where: { inboundPlanId: string; shipmentId: string }, tracking: InboundTracking): Promise<{ operationId: string }> {
    // What the model refuses is refused here, before a call is spent: one freight bill (PRO) number, at least one box.
    const refuse = (why: string) => new AmazonApiError(`updateShipmentTrackingDetails ${where.shipmentId}: ${why}`, 'updateShipmentTrackingDetails', 'client', undefined, 'InvalidTracking');
    if (tracking.kind === 'small-parcel' && tracking.boxes.length === 0) throw refuse('no box to give tracking for');
    if (tracking.kind === 'ltl' && tracking.freightBillNumbers.length !== 1) throw refuse(`Amazon takes exactly one freight bill (PRO) number, got ${tracking.freightBillNumbers.length}`);
    const trackingDetails =
      tracking.kind === 'small-parcel'
        ? { spdTrackingDetail: { spdTrackingItems: tracking.boxes.map((b) => ({ boxId: b.boxId, trackingId: b.trackingId })) } }
        : { ltlTrackingDetail: { billOfLadingNumber: tracking.billOfLadingNumber, freightBillNumber: tracking.freightBillNumbers } };
    const r = await this.call('updateShipmentTrackingDetails', { path: { inboundPlanId: where.inboundPlanId, shipmentId: where.shipmentId }, body: { trackingDetails } });
    return { operationId: (r.body as { operationId: string }).operationId };
  }

  /** How an asynchronous inbound operation went: IN_PROGRESS, SUCCESS or FAILED, with its problems. */
  async inboundOperationStatus(operationId: string): Promise<{ operation: string; operationId: string; operationStatus: string; operationProblems: Array<{ code: string; message: string; severity: string; details?: string }> }> {
    const r = await this.call('getInboundOperationStatus', { path: { operationId } });
    return r.body as { operation: string; operationId: string; operationStatus: string; operationProblems: Array<{ code: string; message: string; severity: string; details?: string }> };
  }

  /** Box labels through v0 getLabels, which takes the Amazon Shipment ID (FBA...). */
  async labelsUrl(confirmationId: string, pageType = 'PackageLabel_Thermal', labelType: 'BARCODE_2D' | 'UNIQUE' | 'PALLET' = 'UNIQUE', numberOfPackages?: number): Promise<string> {
    const r = await this.call('getLabels', { path: { shipmentId: confirmationId }, query: { PageType: pageType, LabelType: labelType, ...(numberOfPackages && { NumberOfPackages: numberOfPackages }) } });
    return (r.body as { payload: { DownloadURL: string } }).payload.DownloadURL;
  }

  /** A report or feed document from its pre-signed URL (outside the API and its quota), unzipped. */
  private async download(d: { url: string; compressionAlgorithm?: string }, operation: string): Promise<Buffer> {
    const res = await fetch(d.url, { signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
    if (!res.ok) throw new AmazonApiError(`${operation}: document download answered ${res.status}`, operation, kindOfStatus(res.status), res.status, `HTTP${res.status}`);
    const bytes = Buffer.from(await res.arrayBuffer());
    return d.compressionAlgorithm === 'GZIP' ? gunzipSync(bytes) : bytes;
  }

  // ---------------------------------------------------------------- reports

  /** Request a report, wait for it, download and split its rows (tab-separated, header first). */
  async report(reportType: string, options: { pollMs?: number; maxPolls?: number } = {}): Promise<Array<Record<string, string>>> {
    const created = (await this.call('createReport', { body: { reportType, marketplaceIds: [this.seller.marketplaces[0]] } })).body as { reportId: string };
    for (let i = 0; i < (options.maxPolls ?? 60); i++) {
      const r = (await this.call('getReport', { path: { reportId: created.reportId } })).body as { processingStatus: string; reportDocumentId?: string };
      if (r.processingStatus === 'DONE' && r.reportDocumentId) {
        const d = (await this.call('getReportDocument', { path: { reportDocumentId: r.reportDocumentId } })).body as { url: string; compressionAlgorithm?: string };
        const bytes = await this.download(d, 'getReportDocument');
        const [head, ...rows] = bytes.toString('utf8').split(/\r?\n/).filter((l) => l !== '');
        const names = head?.split('\t') ?? [];
        return rows.map((row) => Object.fromEntries(row.split('\t').map((v, k) => [names[k] ?? `column${k + 1}`, v])));
      }
      if (['FATAL', 'CANCELLED'].includes(r.processingStatus)) throw new AmazonApiError(`report ${reportType}: ${r.processingStatus}`, 'getReport', 'client', undefined, r.processingStatus);
      await this.clock.sleep((options.pollMs ?? 30_000) / this.timeScale);
    }
    throw new AmazonApiError(`report ${reportType}: not done after ${options.maxPolls ?? 60} polls`, 'getReport', 'timeout', undefined, 'REPORT_TIMEOUT');
  }

  /** The removal shipment report, typed (GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA). */
  async removalShipments(options: { pollMs?: number; maxPolls?: number } = {}): Promise<RemovalShipmentRow[]> {
    return parseRemovalShipments(await this.report(REPORT_TYPES.removalShipments, options));
  }

  /** The FBA customer returns report, typed (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA). */
  async customerReturns(options: { pollMs?: number; maxPolls?: number } = {}): Promise<CustomerReturnRow[]> {
    return parseCustomerReturns(await this.report(REPORT_TYPES.customerReturns, options));
  }

  /** Every listing with its MFN quantity in one report (GET_MERCHANT_LISTINGS_ALL_DATA), not one call per SKU. */
  async merchantListings(options: { pollMs?: number; maxPolls?: number } = {}): Promise<MerchantListingRow[]> {
    return parseMerchantListings(await this.report(REPORT_TYPES.merchantListings, options));
  }
}
