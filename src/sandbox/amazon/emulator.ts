/**
 * A local SP-API emulator: the LWA token endpoint and the operations Dockgate uses, with state,
 * Amazon's published rate limits (optionally sped up by a time scale), request validation as
 * Amazon does it, and injected faults. Every behaviour is listed with its source in
 * docs/sandbox-amazon.md; where Amazon's behaviour is not documented or reported the emulator
 * simply agrees with the caller.
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import express, { type Request, type Response } from 'express';
import rateLimits from '../../amazon/rate-limits.json' with { type: 'json' };
import fulfillmentCenters from './fulfillment-centers.json' with { type: 'json' };
import type { z } from 'zod';
import {
  GenerateOrders,
  GenerateListings,
  NewOrder,
  SeedCustomerReturn,
  SeedInboundPlan,
  SeedRemovalShipment,
  SHIPMENT_STATUSES,
  orderState,
  Recipient,
  Seed as SeedSchema,
  sellerState,
  type Confirmation,
  type GenerateListingsInput,
  type GenerateOrdersInput,
  type InboundTrackingState,
  type SeedInboundPlanT,
  type SeedInboundShipmentT,
  type ShipmentStatus,
  type NewOrderInput,
  type OrderState,
  type Seed as SeedInput,
  type SellerState,
} from './state.ts';

export interface FaultOptions {
  /** Share of requests answered 429 QuotaExceeded regardless of quota (0..1). */
  throttleShare?: number;
  /** Share of requests answered 500 InternalFailure. */
  errorShare?: number;
  /** Added latency per request, in milliseconds (not scaled). */
  latencyMs?: number;
  /** Share of requests whose connection is dropped without an answer. */
  dropShare?: number;
  /** Share of requests never answered (the connection hangs until the client gives up). */
  hangShare?: number;
  /** Access tokens expire after this many seconds of emulated time (Amazon: 3600). */
  tokenLifetimeSeconds?: number;
}

export interface EmulatorOptions {
  seed: SeedInput;
  /** Rates are multiplied by this (100 = a hundred times Amazon's published rate). Default 1. */
  timeScale?: number;
  faults?: FaultOptions;
  /** Deterministic randomness for faults (tests). */
  random?: () => number;
  /**
   * Where emulated time comes from: rate buckets, token lifetimes, and the times orders change
   * (lastUpdatedTime of a new, cancelled, re-addressed or confirmed order). Tests share one with
   * the adapter or the gateway; epoch milliseconds or a Date.
   */
  clock?: { now(): number | Date };
  /**
   * Where only the times the emulator shows come from (orders' changes, calls' arrival), when they should follow a test's clock but the
   * rate buckets and tokens should not (a clock that stands still would never refill a bucket).
   * Default: `clock`.
   */
  orderClock?: { now(): number | Date };
}

export interface RecordedCall {
  /** When it arrived, on the emulator's clock (ISO 8601 with milliseconds). */
  at: string;
  operation: string;
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  body?: unknown;
  status: number;
  response?: unknown;
  seller?: string;
}

/** A refusal of the emulator's own buyer and view API (not SP-API): 400 bad input, 404 unknown, 409 not in a state for it. */
export class EmulatorRequestError extends Error {
  constructor(
    message: string,
    readonly status: 400 | 404 | 409,
    /** The input field at fault, as a dotted path (e.g. `order.items.0.quantity`). */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'EmulatorRequestError';
  }
}

/** What /emulator/calls shows of a call: never its tokens, query or body (they may carry buyer data). */
export interface CallView {
  at: string;
  operation: string;
  method: string;
  path: string;
  seller?: string;
  status: number;
}

/** An order as /emulator/orders shows it: state, items with shipped quantities, confirmations; no buyer data. */
export interface OrderView {
  seller: string;
  orderId: string;
  marketplaceId: string;
  fulfilledBy: 'MERCHANT' | 'AMAZON';
  status: OrderState['status'];
  createdTime: string;
  lastUpdatedTime: string;
  shipBy?: string;
  items: Array<{ orderItemId: string; sellerSku: string; quantity: number; shipped: number }>;
  confirmations: Confirmation[];
  cancellation?: OrderState['cancellation'];
  addressChangedTime?: string;
}

/** A listing as /emulator/listings shows it: the channel quantities Amazon holds. */
export interface ListingView {
  seller: string;
  sku: string;
  asin: string;
  productType: string;
  channels: Array<{ code: string; quantity?: number }>;
  /** The merchant (DEFAULT) channel's quantity; null when the listing has no such channel or no quantity. */
  mfnQuantity: number | null;
  /** Quantity updates accepted (patchListingsItem or JSON_LISTINGS_FEED) while the emulator ran. */
  quantityUpdates: number;
  lastQuantityUpdateTime?: string;
}

/** GET_MERCHANT_LISTINGS_ALL_DATA's columns, in order (docs/sandbox-amazon.md gives the source). */
/** An inbound shipment as inboundShipments() and /emulator/inbound-shipments show it. */
export interface InboundShipmentView {
  seller: string;
  inboundPlanId: string;
  planName: string;
  planStatus: string;
  shipmentId: string;
  confirmationId: string;
  destinationFc: string;
  status: string;
  boxes: Array<{ boxId: string; sscc?: string; items: Array<{ msku: string; fnsku: string; asin: string; quantity: number }> }>;
  /** What updateShipmentTrackingDetails recorded last (merged per box for small parcel), or null. */
  tracking: InboundTrackingState | null;
}

const MERCHANT_LISTINGS_COLUMNS = [
  'item-name', 'item-description', 'listing-id', 'seller-sku', 'price', 'quantity', 'open-date', 'image-url', 'item-is-marketplace', 'product-id-type',
  'zshop-shipping-fee', 'item-note', 'item-condition', 'zshop-category1', 'zshop-browse-path', 'zshop-storefront-feature', 'asin1', 'asin2', 'asin3',
  'will-ship-internationally', 'expedited-shipping', 'zshop-boldface', 'product-id', 'bid-for-featured-placement', 'add-delete', 'pending-quantity',
  'fulfillment-channel', 'merchant-shipping-group', 'status',
] as const;
const REMOVAL_SHIPMENT_COLUMNS = ['request-date', 'order-id', 'shipment-date', 'sku', 'fnsku', 'disposition', 'shipped-quantity', 'carrier', 'tracking-number', 'removal-order-type'] as const;
const CUSTOMER_RETURN_COLUMNS = ['return-date', 'order-id', 'sku', 'asin', 'fnsku', 'product-name', 'quantity', 'fulfillment-center-id', 'detailed-disposition', 'reason', 'status', 'license-plate-number', 'customer-comments'] as const;

/** Report types generated from rows: with no rows, Amazon cancels the report (no data), it does not fail it. */
const NO_DATA_CANCELLED: ReadonlySet<string> = new Set(['GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA', 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA']);
const FULFILLMENT_STATUSES = ['PENDING_AVAILABILITY', 'PENDING', 'UNSHIPPED', 'PARTIALLY_SHIPPED', 'SHIPPED', 'CANCELLED', 'UNFULFILLABLE'];

/** A zod failure as a request error naming the first field at fault. */
function parsed<S extends z.ZodType>(schema: S, value: unknown, name: string): z.infer<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const field = [name, ...i.path.map(String)].join('.');
  throw new EmulatorRequestError(`${field}: ${i.message}`, 400, field);
}

interface Bucket {
  tokens: number;
  at: number;
}

type Handler = (req: Request, seller: SellerState) => { status: number; body?: unknown; headers?: Record<string, string> };

const errors = (status: number, code: string, message: string, details?: string) => ({ status, body: { errors: [{ code, message, ...(details !== undefined && { details }) }] } });
const invalid = (message: string, details?: string) => errors(400, 'InvalidInput', message, details);

/** Query values as the client sends them: arrays comma-separated. */
function list(v: unknown): string[] | undefined {
  if (v === undefined) return undefined;
  const all = (Array.isArray(v) ? v : [v]).flatMap((x) => String(x).split(','));
  return all.filter((x) => x !== '');
}

/** A stable UUID-shaped id (the models want 38-character package ids: pk + a UUID). */
function uuidFrom(text: string): string {
  const h = createHash('sha256').update(text).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

export class AmazonEmulator {
  readonly calls: RecordedCall[] = [];
  private readonly sellers = new Map<string, SellerState>();
  private readonly tokens = new Map<string, { seller: string; expires: number }>();
  private readonly buckets = new Map<string, Bucket>();
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  private readonly timeScale: number;
  private readonly faults: FaultOptions;
  private readonly random: () => number;
  private readonly now: () => number;
  private readonly orderNow: () => number;
  private seq = 0;
  /** Orders made by generateOrders so far: their ids and item ids count up from here. */
  private generated = 0;
  /** searchOrders result lists by search id, so that pages are cut from one list (bounded: oldest dropped). */
  private readonly searches = new Map<string, OrderState[]>();
  port = 0;

  constructor(options: EmulatorOptions) {
    const seed = SeedSchema.parse(options.seed);
    for (const s of seed.sellers) this.sellers.set(s.id, sellerState(s));
    this.timeScale = options.timeScale ?? 1;
    this.faults = options.faults ?? {};
    this.random = options.random ?? Math.random;
    const millis = (c: { now(): number | Date } | undefined) =>
      c
        ? () => {
            const t = c.now();
            return typeof t === 'number' ? t : t.getTime();
          }
        : Date.now;
    this.now = millis(options.clock);
    this.orderNow = options.orderClock ? millis(options.orderClock) : this.now;
  }

  seller(id: string): SellerState | undefined {
    return this.sellers.get(id);
  }

  /** Faults can be changed while running (tests turn them on and off). */
  setFaults(f: FaultOptions): void {
    Object.assign(this.faults, f);
    for (const k of Object.keys(this.faults) as Array<keyof FaultOptions>) if (f[k] === undefined && k in f) delete this.faults[k];
  }

  // ---------------------------------------------------------------- the buyer's side, and the view from outside

  /** The emulator's now as Amazon writes times: ISO 8601 to the second (rounded down, so a watermark taken the same second still finds it). */
  private isoNow(): string {
    return new Date(Math.floor(this.orderNow() / 1000) * 1000).toISOString().replace('.000Z', 'Z');
  }

  private sellerOrFail(sellerId: unknown): SellerState {
    if (typeof sellerId !== 'string' || sellerId === '') throw new EmulatorRequestError('seller: the seller id is required (one of the seed\'s sellers)', 400, 'seller');
    const s = this.sellers.get(sellerId);
    if (!s) throw new EmulatorRequestError(`seller: no seller '${sellerId}' (the seed has ${[...this.sellers.keys()].join(', ')})`, 404, 'seller');
    return s;
  }

  private orderOrFail(s: SellerState, orderId: string): OrderState {
    const o = s.orders.get(orderId);
    if (!o) throw new EmulatorRequestError(`order ${orderId} is not an order of seller ${s.seed.id}`, 404, 'orderId');
    return o;
  }

  /** The order's lastUpdatedTime moves to now, never back (a seeded order may carry a later time). */
  private touch(o: OrderState): string {
    const now = this.isoNow();
    if (Date.parse(now) > Date.parse(o.lastUpdatedTime)) o.lastUpdatedTime = now;
    return o.lastUpdatedTime;
  }

  /** A buyer places an order: it appears with lastUpdatedTime now, so a search after the gateway's watermark finds it. */
  addOrder(sellerId: string, order: NewOrderInput): OrderView {
    const s = this.sellerOrFail(sellerId);
    const o = parsed(NewOrder, order, 'order');
    if (s.orders.has(o.orderId)) throw new EmulatorRequestError(`order.orderId: seller ${s.seed.id} already has order ${o.orderId}`, 409, 'order.orderId');
    if (!s.seed.marketplaces.includes(o.marketplaceId)) throw new EmulatorRequestError(`order.marketplaceId: ${o.marketplaceId} is not a marketplace of seller ${s.seed.id} (${s.seed.marketplaces.join(', ')})`, 400, 'order.marketplaceId');
    const ids = o.items.map((i) => i.orderItemId);
    const twice = ids.find((id, i) => ids.indexOf(id) !== i);
    if (twice) throw new EmulatorRequestError(`order.items: orderItemId ${twice} appears twice`, 400, 'order.items');
    const now = this.isoNow();
    const createdTime = o.createdTime ?? now;
    const state = orderState({ ...o, createdTime }, Date.parse(createdTime) > Date.parse(now) ? createdTime : now);
    s.orders.set(o.orderId, state);
    return this.orderView(s, state);
  }

  /**
   * Many orders at once (benches, load and crash tests): one line of one SKU each, synthetic
   * recipients, ids counting up from 902-0000000-0000001 (skipping any the seller has).
   */
  generateOrders(sellerId: string, spec: GenerateOrdersInput): string[] {
    const s = this.sellerOrFail(sellerId);
    const g = parsed(GenerateOrders, spec, 'generate');
    const marketplaceId = g.marketplaceId ?? s.seed.marketplaces[0];
    if (!s.seed.marketplaces.includes(marketplaceId)) throw new EmulatorRequestError(`generate.marketplaceId: ${marketplaceId} is not a marketplace of seller ${s.seed.id}`, 400, 'generate.marketplaceId');
    const now = this.isoNow();
    const start = g.startTime ? Date.parse(g.startTime) : Date.parse(now);
    const asin = s.listings.get(g.sku)?.asin ?? 'B000000000';
    const made: string[] = [];
    for (let i = 0; i < g.count; i++) {
      let n: number;
      let orderId: string;
      do {
        n = ++this.generated;
        const digits = String(n).padStart(14, '0');
        orderId = `902-${digits.slice(0, 7)}-${digits.slice(7)}`;
      } while (s.orders.has(orderId));
      const createdTime = new Date(start + i * g.spacingSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      const order = {
        orderId,
        marketplaceId,
        fulfilledBy: 'MERCHANT' as const,
        status: 'UNSHIPPED' as const,
        createdTime,
        recipient: { name: `Buyer ${n}`, addressLine1: `${n} Main St`, city: 'Reno', stateOrRegion: 'NV', postalCode: '89502', countryCode: 'US' },
        items: [{ orderItemId: String(90_000_000_000_000 + n), sellerSku: g.sku, asin, title: 'Item', quantity: g.quantity }],
      };
      s.orders.set(orderId, orderState(order, createdTime > now ? createdTime : now));
      made.push(orderId);
    }
    return made;
  }

  /**
   * The buyer cancels: the order turns CANCELLED (the 2026-01-01 FulfillmentStatus) with the
   * items' cancellation, and lastUpdatedTime moves to now. Refused (409) once a package of it is
   * confirmed shipped, or when it is already cancelled.
   */
  cancelOrder(sellerId: string, orderId: string, options: { reason?: string } = {}): OrderView {
    const s = this.sellerOrFail(sellerId);
    const o = this.orderOrFail(s, orderId);
    if (o.status === 'CANCELLED') throw new EmulatorRequestError(`order ${orderId} is already cancelled`, 409, 'orderId');
    if (o.confirmations.length > 0 || o.status === 'SHIPPED' || o.status === 'PARTIALLY_SHIPPED') {
      throw new EmulatorRequestError(`order ${orderId} is ${o.status}: an order cannot be cancelled once it has shipped`, 409, 'orderId');
    }
    o.status = 'CANCELLED';
    o.cancellation = { by: 'BUYER', at: this.touch(o), ...(options.reason !== undefined && { reason: options.reason }) };
    return this.orderView(s, o);
  }

  /** The ship-to address changes before the order ships; lastUpdatedTime moves to now. Refused (409) once shipped or cancelled. */
  changeAddress(sellerId: string, orderId: string, recipient: z.input<typeof Recipient>): OrderView {
    const s = this.sellerOrFail(sellerId);
    const o = this.orderOrFail(s, orderId);
    const r = parsed(Recipient, recipient, 'recipient');
    if (o.status === 'CANCELLED' || o.confirmations.length > 0 || o.status === 'SHIPPED' || o.status === 'PARTIALLY_SHIPPED') {
      throw new EmulatorRequestError(`order ${orderId} is ${o.status}: its address can only change before it ships`, 409, 'orderId');
    }
    o.recipient = r;
    o.addressChangedTime = this.touch(o);
    return this.orderView(s, o);
  }

  private orderView(s: SellerState, o: OrderState): OrderView {
    return {
      seller: s.seed.id,
      orderId: o.seed.orderId,
      marketplaceId: o.seed.marketplaceId,
      fulfilledBy: o.seed.fulfilledBy,
      status: o.status,
      createdTime: o.seed.createdTime,
      lastUpdatedTime: o.lastUpdatedTime,
      ...(o.seed.shipBy && { shipBy: o.seed.shipBy }),
      items: o.seed.items.map((i) => ({ orderItemId: i.orderItemId, sellerSku: i.sellerSku, quantity: i.quantity, shipped: o.shipped.get(i.orderItemId) ?? 0 })),
      confirmations: o.confirmations.map((c) => structuredClone(c)),
      ...(o.cancellation && { cancellation: { ...o.cancellation } }),
      ...(o.addressChangedTime && { addressChangedTime: o.addressChangedTime }),
    };
  }

  private sellersFor(sellerId: string | undefined): SellerState[] {
    return sellerId === undefined ? [...this.sellers.values()] : [this.sellerOrFail(sellerId)];
  }

  /** Every order of one seller (or of all), with its state and confirmations. */
  orders(sellerId?: string): OrderView[] {
    return this.sellersFor(sellerId).flatMap((s) => [...s.orders.values()].map((o) => this.orderView(s, o)));
  }

  // ---------------------------------------------------------------- FBA inbound, removals, returns and listings hooks (tests, demo)

  private findShipment(s: SellerState, confirmationId: string): { plan: SeedInboundPlanT; shipment: SeedInboundShipmentT } {
    for (const plan of s.seed.inboundPlans) for (const shipment of plan.shipments) if (shipment.confirmationId === confirmationId) return { plan, shipment };
    throw new EmulatorRequestError(`shipment ${confirmationId} is not a shipment of seller ${s.seed.id}`, 404, 'confirmationId');
  }

  /** Amazon moves a shipment on (READY_TO_SHIP once labels exist, SHIPPED, RECEIVING, CLOSED, ...): the plan's lastUpdatedAt is now. */
  setInboundShipmentStatus(sellerId: string, confirmationId: string, status: string): InboundShipmentView {
    const s = this.sellerOrFail(sellerId);
    if (!(SHIPMENT_STATUSES as readonly string[]).includes(status)) throw new EmulatorRequestError(`status: one of ${SHIPMENT_STATUSES.join(', ')} (the model's shipment statuses)`, 400, 'status');
    const { plan, shipment } = this.findShipment(s, confirmationId);
    shipment.status = status as ShipmentStatus;
    plan.lastUpdatedAt = this.isoNow();
    return this.inboundShipmentView(s, plan, shipment);
  }

  /** Every inbound shipment of the seller with its status, boxes and the tracking Amazon accepted. */
  inboundShipments(sellerId?: string): InboundShipmentView[] {
    return this.sellersFor(sellerId).flatMap((s) => s.seed.inboundPlans.flatMap((p) => p.shipments.map((x) => this.inboundShipmentView(s, p, x))));
  }

  private inboundShipmentView(s: SellerState, p: SeedInboundPlanT, x: SeedInboundShipmentT): InboundShipmentView {
    const t = s.inboundTracking.get(x.shipmentId);
    return {
      seller: s.seed.id,
      inboundPlanId: p.inboundPlanId,
      planName: p.name,
      planStatus: p.status,
      shipmentId: x.shipmentId,
      confirmationId: x.confirmationId,
      destinationFc: x.destinationFc,
      status: x.status,
      boxes: x.boxes.map((b) => ({ boxId: b.boxId, ...(b.sscc && { sscc: b.sscc }), items: b.items.map((i) => ({ ...i })) })),
      tracking: t ? structuredClone(t) : null,
    };
  }

  /** A new inbound plan in the seed's shape (what a seller creates in Seller Central or through createInboundPlan). */
  addInboundPlan(sellerId: string, plan: z.input<typeof SeedInboundPlan>): InboundShipmentView[] {
    const s = this.sellerOrFail(sellerId);
    const p = parsed(SeedInboundPlan, plan, 'plan');
    if (s.seed.inboundPlans.some((x) => x.inboundPlanId === p.inboundPlanId)) throw new EmulatorRequestError(`plan.inboundPlanId: ${p.inboundPlanId} already exists`, 409, 'plan.inboundPlanId');
    const ids = new Set(s.seed.inboundPlans.flatMap((x) => x.shipments.flatMap((y) => [y.shipmentId, y.confirmationId])));
    for (const [i, x] of p.shipments.entries()) {
      if (ids.has(x.shipmentId) || ids.has(x.confirmationId)) throw new EmulatorRequestError(`plan.shipments.${i}: ${x.shipmentId} / ${x.confirmationId} already exists`, 409, `plan.shipments.${i}`);
    }
    p.lastUpdatedAt ??= this.isoNow();
    s.seed.inboundPlans.push(p);
    return p.shipments.map((x) => this.inboundShipmentView(s, p, x));
  }

  /** Amazon ships a removal order (a row of the removal shipment report from then on). */
  addRemovalShipment(sellerId: string, row: unknown): void {
    const s = this.sellerOrFail(sellerId);
    s.seed.removalShipments.push(parsed(SeedRemovalShipment, row, 'row'));
  }

  /** A buyer's return reaches an FC (a row of the customer returns report from then on). */
  addCustomerReturn(sellerId: string, row: unknown): void {
    const s = this.sellerOrFail(sellerId);
    s.seed.customerReturns.push(parsed(SeedCustomerReturn, row, 'row'));
  }

  /**
   * Many listings at once (the 50,000-SKU reconciliation bench): `${prefix}000001` ..., MFN with
   * `quantity`, every round(1/fbaShare)-th FBA (AMAZON_NA). SKUs the seller has are left as they are.
   */
  generateListings(sellerId: string, input: GenerateListingsInput): string[] {
    const s = this.sellerOrFail(sellerId);
    const g = parsed(GenerateListings, input, 'generate');
    const every = g.fbaShare > 0 ? Math.max(1, Math.round(1 / g.fbaShare)) : 0;
    const skus: string[] = [];
    for (let n = 1; n <= g.count; n++) {
      const sku = `${g.prefix}${String(n).padStart(6, '0')}`;
      if (s.listings.has(sku)) continue;
      const fba = every > 0 && n % every === 0;
      s.listings.set(sku, { sku, asin: `B0${String(n).padStart(8, '0')}`, productType: g.productType, itemName: `Bench item ${n}`, status: 'Active', channels: [fba ? { code: 'AMAZON_NA' } : { code: 'DEFAULT', quantity: g.quantity }] });
      skus.push(sku);
    }
    return skus;
  }

  /** Every listing of one seller (or of all), with the quantities Amazon holds per channel. */
  listings(sellerId?: string): ListingView[] {
    return this.sellersFor(sellerId).flatMap((s) =>
      [...s.listings.values()].map((l) => {
        const u = s.listingUpdates.get(l.sku);
        return {
          seller: s.seed.id,
          sku: l.sku,
          asin: l.asin,
          productType: l.productType,
          channels: l.channels.map((c) => ({ ...c })),
          mfnQuantity: l.channels.find((c) => c.code === 'DEFAULT')?.quantity ?? null,
          quantityUpdates: u?.count ?? 0,
          ...(u && { lastQuantityUpdateTime: u.at }),
        };
      }),
    );
  }

  /** The calls received (SP-API and LWA), without tokens, queries or bodies; optionally of some operations, at or after a time. */
  callLog(filter: { operations?: string[]; since?: string } = {}): CallView[] {
    let since: number | undefined;
    if (filter.since !== undefined) {
      if (!ISO_DATE_TIME.test(filter.since)) throw new EmulatorRequestError(`since: '${filter.since}' is not an ISO 8601 date-time`, 400, 'since');
      since = Date.parse(filter.since);
    }
    return this.calls
      .filter((c) => (!filter.operations || filter.operations.includes(c.operation)) && (since === undefined || Date.parse(c.at) >= since))
      .map((c) => ({ at: c.at, operation: c.operation, method: c.method, path: c.path, ...(c.seller && { seller: c.seller }), status: c.status }));
  }

  private listingUpdated(s: SellerState, sku: string): void {
    const u = s.listingUpdates.get(sku);
    s.listingUpdates.set(sku, { count: (u?.count ?? 0) + 1, at: this.isoNow() });
  }

  /** The /emulator/ buyer and view routes: JSON in and out, errors as { error, field? }. */
  private view(app: ReturnType<typeof express>): void {
    const answer = (res: Response, run: () => { status: number; body: unknown }) => {
      try {
        const r = run();
        res.status(r.status).json(r.body);
      } catch (e) {
        if (!(e instanceof EmulatorRequestError)) throw e;
        res.status(e.status).json({ error: e.message, ...(e.field && { field: e.field }) });
      }
    };
    const one = (v: unknown, name: string): string | undefined => {
      if (v === undefined) return undefined;
      if (typeof v !== 'string' || v === '') throw new EmulatorRequestError(`${name}: give it once, as text`, 400, name);
      return v;
    };
    const body = (req: Request): Record<string, unknown> => {
      const b: unknown = req.body;
      if (!req.is('application/json') || typeof b !== 'object' || b === null || Array.isArray(b)) throw new EmulatorRequestError('body: a JSON object (content-type application/json) is required', 400, 'body');
      return b as Record<string, unknown>;
    };
    app.get('/emulator/calls', (req, res) =>
      answer(res, () => ({ status: 200, body: { calls: this.callLog({ operations: list(one(req.query.operation, 'operation')), since: one(req.query.since, 'since') }) } })),
    );
    app.get('/emulator/orders', (req, res) => answer(res, () => ({ status: 200, body: { orders: this.orders(one(req.query.seller, 'seller')) } })));
    app.get('/emulator/listings', (req, res) => answer(res, () => ({ status: 200, body: { listings: this.listings(one(req.query.seller, 'seller')) } })));
    app.get('/emulator/inbound-shipments', (req, res) => answer(res, () => ({ status: 200, body: { shipments: this.inboundShipments(one(req.query.seller, 'seller')) } })));
    app.post('/emulator/inbound-shipments/:confirmationId/status', (req, res) =>
      answer(res, () => {
        const b = body(req);
        return { status: 200, body: { shipment: this.setInboundShipmentStatus(b.seller as string, String(req.params.confirmationId), b.status as string) } };
      }),
    );
    app.post('/emulator/inbound-plans', (req, res) =>
      answer(res, () => {
        const b = body(req);
        return { status: 201, body: { shipments: this.addInboundPlan(b.seller as string, b.plan as z.input<typeof SeedInboundPlan>) } };
      }),
    );
    app.post('/emulator/listings', (req, res) =>
      answer(res, () => {
        const b = body(req);
        return { status: 201, body: { skus: this.generateListings(b.seller as string, b.generate as GenerateListingsInput).length } };
      }),
    );
    app.post('/emulator/removal-shipments', (req, res) =>
      answer(res, () => {
        const b = body(req);
        this.addRemovalShipment(b.seller as string, b.row);
        return { status: 201, body: {} };
      }),
    );
    app.post('/emulator/customer-returns', (req, res) =>
      answer(res, () => {
        const b = body(req);
        this.addCustomerReturn(b.seller as string, b.row);
        return { status: 201, body: {} };
      }),
    );
    app.post('/emulator/orders', (req, res) =>
      answer(res, () => {
        const b = body(req);
        const seller = b.seller as string;
        if (b.order !== undefined && b.generate !== undefined) throw new EmulatorRequestError('order, generate: give one of them, not both', 400, 'order');
        if (b.generate !== undefined) return { status: 201, body: { orderIds: this.generateOrders(seller, b.generate as GenerateOrdersInput) } };
        if (b.order === undefined) throw new EmulatorRequestError('order: the order to add is required (or generate: {count, sku})', 400, 'order');
        this.sellerOrFail(seller);
        return { status: 201, body: { order: this.addOrder(seller, b.order as NewOrderInput) } };
      }),
    );
    app.post('/emulator/orders/:orderId/cancel', (req, res) =>
      answer(res, () => {
        const b = body(req);
        if (b.reason !== undefined && typeof b.reason !== 'string') throw new EmulatorRequestError('reason: text when given', 400, 'reason');
        return { status: 200, body: { order: this.cancelOrder(b.seller as string, String(req.params.orderId), { reason: b.reason as string | undefined }) } };
      }),
    );
    app.post('/emulator/orders/:orderId/address', (req, res) =>
      answer(res, () => {
        const b = body(req);
        const s = this.sellerOrFail(b.seller);
        this.orderOrFail(s, String(req.params.orderId));
        if (b.recipient === undefined) throw new EmulatorRequestError('recipient: the new ship-to address is required', 400, 'recipient');
        return { status: 200, body: { order: this.changeAddress(s.seed.id, String(req.params.orderId), b.recipient as z.input<typeof Recipient>) } };
      }),
    );
  }

  async start(port = 0, host = '127.0.0.1'): Promise<number> {
    const app = this.app();
    this.server = createServer(app);
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    // A port in use is an 'error' event, not a callback: without the listener it would crash the process.
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  // ---------------------------------------------------------------- plumbing

  private app() {
    const app = express();
    app.disable('x-powered-by');
    // Feed uploads go to a pre-signed URL (PUT), outside the API and its quota: raw bytes, before any JSON parsing.
    app.put('/emulator/uploads/:sellerId/:documentId', express.raw({ type: () => true, limit: '50mb' }), (req, res) => this.upload(req, res));
    app.use(express.json({ limit: '5mb' }));
    app.use(express.urlencoded({ extended: false }));
    app.post('/auth/o2/token', (req, res) => this.token(req, res));
    const op = (method: 'get' | 'post' | 'patch' | 'put', path: string, operation: keyof typeof rateLimits.operations | string, handler: Handler) => {
      app[method](path, (req, res) => void this.serve(operation, req, res, handler));
    };
    op('get', '/orders/2026-01-01/orders', 'searchOrders', (req, s) => this.searchOrders(req, s));
    op('get', '/orders/2026-01-01/orders/:orderId', 'getOrder', (req, s) => this.getOrder(req, s));
    op('post', '/orders/v0/orders/:orderId/shipmentConfirmation', 'confirmShipment', (req, s) => this.confirmShipment(req, s));
    op('get', '/listings/2021-08-01/items/:sellerId/:sku', 'getListingsItem', (req, s) => this.getListingsItem(req, s));
    op('patch', '/listings/2021-08-01/items/:sellerId/:sku', 'patchListingsItem', (req, s) => this.patchListingsItem(req, s));
    op('get', '/fba/inventory/v1/summaries', 'getInventorySummaries', (req, s) => this.getInventorySummaries(req, s));
    op('get', '/inbound/fba/2024-03-20/inboundPlans', 'listInboundPlans', (req, s) => this.listInboundPlans(req, s));
    op('get', '/inbound/fba/2024-03-20/inboundPlans/:planId', 'getInboundPlan', (req, s) => this.getInboundPlan(req, s));
    op('get', '/inbound/fba/2024-03-20/inboundPlans/:planId/shipments/:shipmentId', 'getShipment', (req, s) => this.getShipment(req, s));
    op('get', '/inbound/fba/2024-03-20/inboundPlans/:planId/shipments/:shipmentId/boxes', 'listShipmentBoxes', (req, s) => this.listShipmentBoxes(req, s));
    op('get', '/inbound/fba/2024-03-20/inboundPlans/:planId/shipments/:shipmentId/items', 'listShipmentItems', (req, s) => this.listShipmentItems(req, s));
    op('put', '/inbound/fba/2024-03-20/inboundPlans/:planId/shipments/:shipmentId/trackingDetails', 'updateShipmentTrackingDetails', (req, s) => this.updateShipmentTrackingDetails(req, s));
    op('get', '/inbound/fba/2024-03-20/operations/:operationId', 'getInboundOperationStatus', (req, s) => this.getInboundOperationStatus(req, s));
    op('get', '/fba/inbound/v0/shipments/:shipmentId/labels', 'getLabels', (req, s) => this.getLabels(req, s));
    op('post', '/reports/2021-06-30/reports', 'createReport', (req, s) => this.createReport(req, s));
    op('get', '/reports/2021-06-30/reports/:reportId', 'getReport', (req, s) => this.getReport(req, s));
    op('get', '/reports/2021-06-30/documents/:documentId', 'getReportDocument', (req, s) => this.getReportDocument(req, s));
    op('post', '/feeds/2021-06-30/documents', 'createFeedDocument', (req, s) => this.createFeedDocument(req, s));
    op('post', '/feeds/2021-06-30/feeds', 'createFeed', (req, s) => this.createFeed(req, s));
    op('get', '/feeds/2021-06-30/feeds/:feedId', 'getFeed', (req, s) => this.getFeed(req, s));
    op('get', '/feeds/2021-06-30/documents/:documentId', 'getFeedDocument', (req, s) => this.getFeedDocument(req, s));
    op('post', '/tokens/2021-03-01/restrictedDataToken', 'createRestrictedDataToken', (req, s) => this.createRestrictedDataToken(req, s));
    app.get('/emulator/feed-documents/:sellerId/:documentId', (req, res) => this.feedDocument(req, res));
    // The buyer's side and the view from outside: not SP-API, no token, not recorded as calls.
    this.view(app);
    // Report documents and labels are fetched from a pre-signed URL, outside the API and its quota.
    app.get('/emulator/documents/:sellerId/:documentId', (req, res) => this.document(req, res));
    app.get('/emulator/labels/:confirmationId.pdf', (req, res) => res.type('application/pdf').send(Buffer.from(`%PDF-1.4\n% labels for ${req.params.confirmationId}\n`)));
    // A body that is not JSON gets Amazon's shape of error, not an HTML page.
    app.use((err: Error & { status?: number }, req: Request, res: Response, next: (e?: unknown) => void) => {
      if (res.headersSent) return next(err);
      if (req.path.startsWith('/emulator/')) {
        res.status(400).json({ error: `body: not readable as JSON: ${err.message}`, field: 'body' });
        return;
      }
      this.record('unreadable', req, 400);
      res.status(err.status ?? 400).json({ errors: [{ code: 'InvalidInput', message: `The request body could not be read: ${err.message}` }] });
    });
    app.use((req: Request, res: Response) => {
      this.record('unknown', req, 404);
      res.status(404).json({ errors: [{ code: 'NotFound', message: `${req.method} ${req.path} is not an operation this emulator serves` }] });
    });
    return app;
  }

  private record(operation: string, req: Request, status: number, response?: unknown, seller?: string): void {
    this.calls.push({ at: new Date(this.orderNow()).toISOString(), operation, method: req.method, path: req.path, query: req.query as RecordedCall['query'], body: req.method === 'GET' ? undefined : req.body, status, response, seller });
  }

  /** LWA: refresh token -> access token. */
  private token(req: Request, res: Response): void {
    const body = (req.body ?? {}) as Record<string, string>;
    const fail = (error: string, description: string) => {
      this.record('lwaToken', req, 400, { error });
      res.status(400).json({ error, error_description: description });
    };
    if (body.grant_type !== 'refresh_token') return fail('unsupported_grant_type', 'grant_type must be refresh_token');
    if (!body.client_id || !body.client_secret) return fail('invalid_client', 'Client authentication failed');
    const token = body.refresh_token ?? '';
    let seller = [...this.sellers.values()].find((s) => s.seed.refreshToken === token);
    if (!seller && /^Atzr\|[\w\-|=+/.]{4,}$/.test(token)) seller = [...this.sellers.values()].find((s) => !s.seed.refreshToken);
    if (!seller) return fail('invalid_grant', 'The request has an invalid grant parameter : refresh_token');
    const access = `Atza|emu-${seller.seed.id}-${++this.seq}-${randomUUID()}`;
    const lifetime = this.faults.tokenLifetimeSeconds ?? 3600;
    this.tokens.set(access, { seller: seller.seed.id, expires: this.now() + (lifetime * 1000) / this.timeScale });
    this.record('lwaToken', req, 200, undefined, seller.seed.id);
    res.json({ access_token: access, refresh_token: token, token_type: 'bearer', expires_in: lifetime });
  }

  /** Amazon's token bucket per seller and operation: rate x time scale, burst as published. */
  private take(seller: string, operation: string): boolean {
    const limit = (rateLimits.operations as Record<string, { rate: number; burst: number }>)[operation];
    if (!limit) return true;
    const key = `${seller}\u0000${operation}`;
    const now = this.now();
    const b = this.buckets.get(key) ?? { tokens: limit.burst, at: now };
    b.tokens = Math.min(limit.burst, b.tokens + ((now - b.at) / 1000) * limit.rate * this.timeScale);
    b.at = now;
    this.buckets.set(key, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  private async serve(operation: string, req: Request, res: Response, handler: Handler): Promise<void> {
    const f = this.faults;
    if (f.latencyMs) await new Promise((r) => setTimeout(r, f.latencyMs));
    if (f.dropShare && this.random() < f.dropShare) {
      this.record(operation, req, 0);
      req.socket.destroy();
      return;
    }
    if (f.hangShare && this.random() < f.hangShare) {
      this.record(operation, req, -1);
      return; // never answered; the socket is destroyed at stop()
    }
    const access = String(req.headers['x-amz-access-token'] ?? '');
    const t = this.tokens.get(access);
    const send = (r: { status: number; body?: unknown; headers?: Record<string, string> }, seller?: string) => {
      this.record(operation, req, r.status, r.body, seller);
      for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
      res.setHeader('x-amzn-RequestId', randomUUID());
      if (r.status === 204 || r.body === undefined) res.status(r.status).end();
      else res.status(r.status).json(r.body);
    };
    if (!t) return send(errors(403, 'Unauthorized', 'Access to requested resource is denied.', 'The access token you provided is revoked, malformed or invalid.'));
    if (this.now() > t.expires) return send(errors(403, 'Unauthorized', 'Access to requested resource is denied.', 'The access token you provided has expired.'), t.seller);
    const seller = this.sellers.get(t.seller)!;
    if ((f.throttleShare && this.random() < f.throttleShare) || !this.take(t.seller, operation)) {
      // Real 429s often come without x-amzn-RateLimit-Limit (FACTS.md).
      return send(errors(429, 'QuotaExceeded', 'You exceeded your quota for the requested resource.'), t.seller);
    }
    if (f.errorShare && this.random() < f.errorShare) return send(errors(500, 'InternalFailure', 'We encountered an internal error. Please try again.'), t.seller);
    let r: { status: number; body?: unknown; headers?: Record<string, string> };
    try {
      r = handler(req, seller);
    } catch (e) {
      r = errors(500, 'InternalFailure', (e as Error).message);
    }
    const limit = (rateLimits.operations as Record<string, { rate: number }>)[operation];
    if (r.status < 300 && limit) r.headers = { ...r.headers, 'x-amzn-RateLimit-Limit': String(limit.rate) };
    send(r, t.seller);
  }

  // ---------------------------------------------------------------- orders

  private orderJson(o: OrderState, included: string[]): Record<string, unknown> {
    const s = o.seed;
    const items = s.items.map((i) => {
      const shipped = o.shipped.get(i.orderItemId) ?? 0;
      return {
        orderItemId: i.orderItemId,
        quantityOrdered: i.quantity,
        product: { asin: i.asin, title: i.title, sellerSku: i.sellerSku, ...(i.price && { price: { unitPrice: i.price } }) },
        ...(o.cancellation && {
          cancellation: {
            cancellationRequest: { requester: o.cancellation.by, ...(o.cancellation.reason !== undefined && { cancelReason: o.cancellation.reason }) },
            cancellationExecution: { cancelledBy: o.cancellation.by, ...(o.cancellation.reason !== undefined && { cancelReason: o.cancellation.reason }) },
          },
        }),
        ...(included.includes('FULFILLMENT') && { fulfillment: { quantityFulfilled: shipped, quantityUnfulfilled: i.quantity - shipped } }),
      };
    });
    return {
      orderId: s.orderId,
      createdTime: s.createdTime,
      lastUpdatedTime: o.lastUpdatedTime,
      salesChannel: { channelName: 'AMAZON', marketplaceId: s.marketplaceId },
      ...(included.includes('BUYER') && s.buyer && { buyer: s.buyer }),
      ...(included.includes('RECIPIENT') && {
        recipient: { deliveryAddress: { ...o.recipient, addressType: 'RESIDENTIAL' } },
      }),
      fulfillment: {
        fulfillmentStatus: o.status,
        fulfilledBy: s.fulfilledBy,
        fulfillmentServiceLevel: 'STANDARD',
        ...(s.shipBy && { shipByWindow: { latestDateTime: s.shipBy } }),
        ...(s.deliverBy && { deliverByWindow: { latestDateTime: s.deliverBy } }),
      },
      orderItems: items,
      ...(included.includes('PACKAGES') && {
        packages: o.confirmations.map((c) => ({
          packageReferenceId: c.packageReferenceId,
          createdTime: c.at,
          packageStatus: { status: 'SHIPPED' },
          carrier: c.carrierCode === 'Other' ? (c.carrierName ?? 'Other') : c.carrierCode,
          shipTime: c.shipDate,
          ...(c.shippingMethod && { shippingService: c.shippingMethod }),
          trackingNumber: c.trackingNumber,
          packageItems: c.items,
        })),
      }),
    };
  }

  private searchOrders(req: Request, s: SellerState) {
    const q = req.query as Record<string, string | undefined>;
    const createdAfter = q.createdAfter;
    const updatedAfter = q.lastUpdatedAfter;
    if (!createdAfter && !updatedAfter) return invalid('Either createdAfter or lastUpdatedAfter must be specified.');
    if (createdAfter && updatedAfter) return invalid('createdAfter and lastUpdatedAfter cannot both be specified.');
    for (const [k, v] of Object.entries({ createdAfter, lastUpdatedAfter: updatedAfter, createdBefore: q.createdBefore, lastUpdatedBefore: q.lastUpdatedBefore })) {
      if (v !== undefined && !ISO_DATE_TIME.test(v)) return invalid(`${k} must be an ISO 8601 date-time.`);
    }
    // The model: with lastUpdatedAfter no createdBefore; with lastUpdatedBefore neither createdAfter nor createdBefore.
    if (updatedAfter && q.createdBefore) return invalid('createdBefore cannot be specified with lastUpdatedAfter.');
    if (createdAfter && q.lastUpdatedBefore) return invalid('lastUpdatedBefore cannot be specified with createdAfter.');
    const marketplaces = list(q.marketplaceIds) ?? s.seed.marketplaces;
    const statuses = list(q.fulfillmentStatuses);
    const unknown = statuses?.find((x) => !FULFILLMENT_STATUSES.includes(x));
    if (unknown) return invalid(`Invalid fulfillmentStatuses value ${unknown}.`);
    const by = list(q.fulfilledBy);
    const included = list(q.includedData) ?? [];
    const max = q.maxResultsPerPage ? Number(q.maxResultsPerPage) : 100;
    if (!Number.isInteger(max) || max < 1 || max > 100) return invalid('maxResultsPerPage must be between 1 and 100.');
    // Without a requested bound the emulator answers every order up to its now: it does not hold
    // back the last two minutes, and a seed's orders dated after the emulator's clock still count.
    const asked = createdAfter ? q.createdBefore : q.lastUpdatedBefore;
    const before = asked === undefined ? Number.POSITIVE_INFINITY : Date.parse(asked);
    let all: OrderState[];
    let start = 0;
    let searchId: string;
    if (q.paginationToken) {
      // Pages are cut from the list the first page was cut from, so that orders changing between pages neither repeat nor vanish.
      const m = /^([0-9a-f-]{36})\.(\d+)$/.exec(Buffer.from(q.paginationToken, 'base64url').toString());
      const kept = m ? this.searches.get(m[1]) : undefined;
      if (!m || !kept) return invalid('Invalid paginationToken.');
      [searchId, all, start] = [m[1], kept, Number(m[2])];
    } else {
      const after = Date.parse((createdAfter ?? updatedAfter)!);
      all = [...s.orders.values()]
        .filter((o) => marketplaces.includes(o.seed.marketplaceId))
        .filter((o) => {
          const t = Date.parse(createdAfter ? o.seed.createdTime : o.lastUpdatedTime);
          return t >= after && t <= before;
        })
        .filter((o) => !statuses || statuses.includes(o.status))
        .filter((o) => !by || by.includes(o.seed.fulfilledBy))
        .sort((a, b) => a.seed.createdTime.localeCompare(b.seed.createdTime));
      searchId = randomUUID();
    }
    const page = all.slice(start, start + max);
    let next: string | undefined;
    if (start + max < all.length) {
      next = Buffer.from(`${searchId}.${start + max}`).toString('base64url');
      this.searches.set(searchId, all);
      if (this.searches.size > 50) this.searches.delete(this.searches.keys().next().value!);
    } else this.searches.delete(searchId);
    const bound = asked ?? this.isoNow();
    return { status: 200, body: { orders: page.map((o) => this.orderJson(o, included)), ...(next && { pagination: { nextToken: next } }), [createdAfter ? 'createdBefore' : 'lastUpdatedBefore']: bound } };
  }

  private getOrder(req: Request, s: SellerState) {
    const o = s.orders.get(String(req.params.orderId));
    if (!o) return errors(404, 'NotFound', 'The requested order was not found.');
    return { status: 200, body: { order: this.orderJson(o, list(req.query.includedData) ?? []) } };
  }

  private confirmShipment(req: Request, s: SellerState) {
    const o = s.orders.get(String(req.params.orderId));
    const body = (req.body ?? {}) as { marketplaceId?: unknown; packageDetail?: Record<string, unknown> };
    if (!o) return errors(404, 'NotFound', 'The requested order was not found.');
    if (typeof body.marketplaceId !== 'string') return invalid('Missing required field: marketplaceId');
    if (body.marketplaceId !== o.seed.marketplaceId) return invalid(`Invalid marketplaceId ${body.marketplaceId} for order ${o.seed.orderId}`);
    const p = body.packageDetail;
    if (!p || typeof p !== 'object') return invalid('Missing required field: packageDetail');
    // packageReferenceId is a string holding a positive number; a JSON number is refused (FACTS.md).
    if (typeof p.packageReferenceId !== 'string' || !/^[1-9]\d*$/.test(p.packageReferenceId)) return invalid('Invalid Input', 'packageReferenceId must be a string holding a positive number');
    if (typeof p.shipDate !== 'string' || !ISO_DATE_TIME.test(p.shipDate)) return invalid('Invalid Input', 'shipDate must be an ISO 8601 date-time');
    if (typeof p.carrierCode !== 'string' || p.carrierCode === '') return invalid('Missing required field: carrierCode');
    if (p.carrierCode === 'Other' && (typeof p.carrierName !== 'string' || p.carrierName === '')) return invalid('carrierName is required when carrierCode is Other');
    if (typeof p.trackingNumber !== 'string' || p.trackingNumber === '') return invalid('Missing required field: trackingNumber');
    const items = p.orderItems as Array<{ orderItemId?: unknown; quantity?: unknown }> | undefined;
    if (!Array.isArray(items) || items.length === 0) return invalid('Missing required field: orderItems');
    if (o.seed.fulfilledBy !== 'MERCHANT') return invalid(`Order ${o.seed.orderId} is fulfilled by Amazon`);
    if (o.status === 'CANCELLED') return invalid(`Order ${o.seed.orderId} is cancelled`);
    if (o.confirmations.some((c) => c.packageReferenceId === p.packageReferenceId)) {
      return errors(400, 'PackageToUpdateNotFound', `Package ${p.packageReferenceId} of order ${o.seed.orderId} has already been confirmed`);
    }
    for (const i of items) {
      const item = o.seed.items.find((x) => x.orderItemId === i.orderItemId);
      if (!item) return invalid('OrderItemId is invalid', `orderItemId ${String(i.orderItemId)}`);
      if (!Number.isInteger(i.quantity) || (i.quantity as number) < 1) return invalid('Invalid Input', `quantity of ${item.orderItemId} must be a positive whole number`);
      if ((o.shipped.get(item.orderItemId) ?? 0) + (i.quantity as number) > item.quantity) {
        return errors(400, 'PackageToUpdateNotFound', `Order item ${item.orderItemId} is already fulfilled`);
      }
    }
    const c: Confirmation = {
      packageReferenceId: p.packageReferenceId,
      carrierCode: p.carrierCode,
      carrierName: p.carrierName as string | undefined,
      shippingMethod: p.shippingMethod as string | undefined,
      trackingNumber: p.trackingNumber,
      shipDate: p.shipDate,
      items: items.map((i) => ({ orderItemId: String(i.orderItemId), quantity: i.quantity as number })),
      at: this.isoNow(),
    };
    o.confirmations.push(c);
    for (const i of c.items) o.shipped.set(i.orderItemId, (o.shipped.get(i.orderItemId) ?? 0) + i.quantity);
    o.status = o.seed.items.every((i) => (o.shipped.get(i.orderItemId) ?? 0) >= i.quantity) ? 'SHIPPED' : 'PARTIALLY_SHIPPED';
    this.touch(o);
    return { status: 204 };
  }

  // ---------------------------------------------------------------- listings and inventory

  private listingJson(s: SellerState, sku: string, included: string[]) {
    const l = s.listings.get(sku)!;
    const marketplace = s.seed.marketplaces[0];
    return {
      sku,
      ...(included.includes('summaries') && {
        summaries: [{ marketplaceId: marketplace, asin: l.asin, productType: l.productType, status: ['BUYABLE', 'DISCOVERABLE'], itemName: l.itemName, createdDate: '2025-01-01T00:00:00Z', lastUpdatedDate: '2026-01-01T00:00:00Z' }],
      }),
      ...(included.includes('attributes') && { attributes: { fulfillment_availability: l.channels.map((c) => ({ fulfillment_channel_code: c.code, ...(c.quantity !== undefined && { quantity: c.quantity }) })) } }),
      ...(included.includes('fulfillmentAvailability') && { fulfillmentAvailability: l.channels.map((c) => ({ fulfillmentChannelCode: c.code, ...(c.quantity !== undefined && { quantity: c.quantity }) })) }),
      ...(included.includes('productTypes') && { productTypes: [{ marketplaceId: marketplace, productType: l.productType }] }),
    };
  }

  private getListingsItem(req: Request, s: SellerState) {
    if (req.params.sellerId !== s.seed.sellingPartnerId) return errors(403, 'Unauthorized', 'Access to requested resource is denied.');
    if (!list(req.query.marketplaceIds)?.length) return invalid('Missing required parameter: marketplaceIds');
    const sku = String(req.params.sku);
    if (!s.listings.has(sku)) return errors(404, 'NOT_FOUND', `SKU '${sku}' not found in marketplace`);
    return { status: 200, body: this.listingJson(s, sku, list(req.query.includedData) ?? ['summaries']) };
  }

  private patchListingsItem(req: Request, s: SellerState) {
    if (req.params.sellerId !== s.seed.sellingPartnerId) return errors(403, 'Unauthorized', 'Access to requested resource is denied.');
    if (!list(req.query.marketplaceIds)?.length) return invalid('Missing required parameter: marketplaceIds');
    const sku = String(req.params.sku);
    const body = (req.body ?? {}) as { productType?: unknown; patches?: Array<{ op?: string; path?: string; value?: unknown }> };
    if (typeof body.productType !== 'string' || !Array.isArray(body.patches) || body.patches.length === 0) return invalid('productType and patches are required');
    const l = s.listings.get(sku);
    const submissionId = randomUUID().replace(/-/g, '');
    if (!l) return { status: 200, body: { sku, status: 'INVALID', submissionId, issues: [{ code: '4000001', message: `SKU ${sku} does not exist`, severity: 'ERROR', categories: ['INVALID_ATTRIBUTE'] }] } };
    if (body.productType !== l.productType) {
      return { status: 200, body: { sku, status: 'INVALID', submissionId, issues: [{ code: '90220', message: `productType ${body.productType} does not match the listing's ${l.productType}`, severity: 'ERROR', categories: ['INVALID_ATTRIBUTE'] }] } };
    }
    for (const p of body.patches) {
      if (p.path === '/attributes/fulfillment_availability' && (p.op === 'replace' || p.op === 'merge')) {
        for (const v of (p.value as Array<{ fulfillment_channel_code?: string; quantity?: number }>) ?? []) {
          const c = l.channels.find((x) => x.code === v.fulfillment_channel_code);
          if (c) c.quantity = v.quantity;
          else if (v.fulfillment_channel_code) l.channels.push({ code: v.fulfillment_channel_code, quantity: v.quantity });
        }
        this.listingUpdated(s, sku);
      }
    }
    s.submissions.push({ sku, submissionId, patches: body.patches, at: new Date().toISOString() });
    return { status: 200, body: { sku, status: 'ACCEPTED', submissionId, issues: [] } };
  }

  private getInventorySummaries(req: Request, s: SellerState) {
    const q = req.query as Record<string, string | undefined>;
    if (q.granularityType !== 'Marketplace' || !q.granularityId) return invalid('granularityType must be Marketplace with a granularityId');
    if (!list(q.marketplaceIds)?.length) return invalid('Missing required parameter: marketplaceIds');
    const skus = list(q.sellerSkus);
    const all = s.seed.fbaInventory.filter((i) => !skus || skus.includes(i.sku));
    const start = q.nextToken ? Number.parseInt(Buffer.from(q.nextToken, 'base64url').toString(), 10) : 0;
    const page = all.slice(start, start + 50);
    const details = q.details === 'true';
    return {
      status: 200,
      body: {
        payload: {
          granularity: { granularityType: 'Marketplace', granularityId: q.granularityId },
          inventorySummaries: page.map((i) => ({
            asin: i.asin,
            fnSku: i.fnsku,
            sellerSku: i.sku,
            condition: 'NewItem',
            ...(details && { inventoryDetails: { fulfillableQuantity: i.fulfillable, inboundWorkingQuantity: 0, inboundShippedQuantity: i.inboundShipped, inboundReceivingQuantity: 0 } }),
            lastUpdatedTime: '2026-01-01T00:00:00Z',
            productName: i.sku,
            totalQuantity: i.fulfillable + i.inboundShipped + i.reserved,
          })),
        },
        ...(start + 50 < all.length && { pagination: { nextToken: Buffer.from(String(start + 50)).toString('base64url') } }),
      },
    };
  }

  // ---------------------------------------------------------------- FBA inbound

  private plan(s: SellerState, id: string) {
    return s.seed.inboundPlans.find((p) => p.inboundPlanId === id);
  }

  private static readonly SOURCE = { name: 'Warehouse', addressLine1: '1200 Logistics Way', city: 'Reno', postalCode: '89502', countryCode: 'US', stateOrProvinceCode: 'NV' };

  /** The FC's address: the seed's, else the FC table's, else a placeholder naming the code (the model requires name, addressLine1, city, postalCode, countryCode). */
  private static fcAddress(x: SeedInboundShipmentT) {
    const known = (fulfillmentCenters.centers as Record<string, { name: string; addressLine1: string; city: string; stateOrProvinceCode?: string; postalCode: string; countryCode: string }>)[x.destinationFc];
    return x.destinationAddress ?? known ?? { name: `Amazon.com Services LLC ${x.destinationFc}`, addressLine1: `${x.destinationFc} Fulfillment Center`, city: 'Unknown', postalCode: '00000', countryCode: 'US' };
  }

  private static lastUpdated(p: SeedInboundPlanT): string {
    return p.lastUpdatedAt ?? p.createdAt;
  }

  private listInboundPlans(req: Request, s: SellerState) {
    const status = req.query.status as string | undefined;
    // The query's enum (ACTIVE, VOIDED, SHIPPED) is narrower than the plan statuses (ERRORED too).
    if (status !== undefined && !['ACTIVE', 'VOIDED', 'SHIPPED'].includes(status)) return invalid(`Invalid status ${status}`, 'status must be one of ACTIVE, VOIDED, SHIPPED');
    const sortBy = (req.query.sortBy as string | undefined) ?? 'LAST_UPDATED_TIME';
    const sortOrder = (req.query.sortOrder as string | undefined) ?? 'ASC';
    if (!['LAST_UPDATED_TIME', 'CREATION_TIME'].includes(sortBy)) return invalid(`Invalid sortBy ${sortBy}`);
    if (!['ASC', 'DESC'].includes(sortOrder)) return invalid(`Invalid sortOrder ${sortOrder}`);
    const size = req.query.pageSize ? Number(req.query.pageSize) : 10;
    if (!Number.isInteger(size) || size < 1 || size > 30) return invalid('pageSize must be between 1 and 30');
    const start = req.query.paginationToken ? Number.parseInt(Buffer.from(String(req.query.paginationToken), 'base64url').toString(), 10) : 0;
    if (!Number.isInteger(start) || start < 0) return invalid('paginationToken is not valid');
    const key = (p: SeedInboundPlanT) => Date.parse(sortBy === 'CREATION_TIME' ? p.createdAt : AmazonEmulator.lastUpdated(p));
    const all = s.seed.inboundPlans.filter((p) => !status || p.status === status).sort((x, y) => (sortOrder === 'DESC' ? key(y) - key(x) : key(x) - key(y)));
    const page = all.slice(start, start + size);
    return {
      status: 200,
      body: {
        inboundPlans: page.map((p) => ({ createdAt: p.createdAt, inboundPlanId: p.inboundPlanId, lastUpdatedAt: AmazonEmulator.lastUpdated(p), marketplaceIds: p.marketplaceIds, name: p.name, sourceAddress: AmazonEmulator.SOURCE, status: p.status })),
        ...(start + size < all.length && { pagination: { nextToken: Buffer.from(String(start + size)).toString('base64url') } }),
      },
    };
  }

  private getInboundPlan(req: Request, s: SellerState) {
    const p = this.plan(s, String(req.params.planId));
    if (!p) return errors(404, 'NotFound', 'The inbound plan was not found.');
    return {
      status: 200,
      body: { createdAt: p.createdAt, inboundPlanId: p.inboundPlanId, lastUpdatedAt: AmazonEmulator.lastUpdated(p), marketplaceIds: p.marketplaceIds, name: p.name, sourceAddress: AmazonEmulator.SOURCE, status: p.status, shipments: p.shipments.map((x) => ({ shipmentId: x.shipmentId, status: x.status })) },
    };
  }

  private shipment(req: Request, s: SellerState) {
    return this.plan(s, String(req.params.planId))?.shipments.find((x) => x.shipmentId === req.params.shipmentId);
  }

  private trackingJson(t: InboundTrackingState | undefined) {
    if (!t) return undefined;
    // The read side (TrackingDetails) gives each SPD item's validation status: Amazon validates later (NOT_VALIDATED until then).
    if (t.kind === 'small-parcel') return { spdTrackingDetail: { spdTrackingItems: t.boxes.map((b) => ({ boxId: b.boxId, trackingId: b.trackingId, trackingNumberValidationStatus: 'NOT_VALIDATED' })) } };
    return { ltlTrackingDetail: { ...(t.billOfLadingNumber && { billOfLadingNumber: t.billOfLadingNumber }), freightBillNumber: t.freightBillNumbers } };
  }

  private getShipment(req: Request, s: SellerState) {
    const x = this.shipment(req, s);
    if (!x) return errors(404, 'NotFound', 'The shipment was not found.');
    const tracking = this.trackingJson(s.inboundTracking.get(x.shipmentId));
    return {
      status: 200,
      body: {
        shipmentId: x.shipmentId,
        shipmentConfirmationId: x.confirmationId,
        ...(x.amazonReferenceId && { amazonReferenceId: x.amazonReferenceId }),
        ...(x.name && { name: x.name }),
        placementOptionId: `pl${x.shipmentId.slice(2)}`,
        source: { sourceType: 'SELLER_ADDRESS', address: AmazonEmulator.SOURCE },
        destination: { destinationType: 'AMAZON_WAREHOUSE', warehouseId: x.destinationFc, address: AmazonEmulator.fcAddress(x) },
        status: x.status,
        ...(tracking && { trackingDetails: tracking }),
      },
    };
  }

  /** 2024-03-20 list pages: pageSize 1..1000 (default 10), paginationToken an offset. */
  private static page<T>(req: Request, all: T[]): { items: T[]; pagination?: { nextToken: string } } | { error: ReturnType<typeof invalid> } {
    const size = req.query.pageSize ? Number(req.query.pageSize) : 10;
    if (!Number.isInteger(size) || size < 1 || size > 1000) return { error: invalid('pageSize must be between 1 and 1000') };
    const start = req.query.paginationToken ? Number.parseInt(Buffer.from(String(req.query.paginationToken), 'base64url').toString(), 10) : 0;
    if (!Number.isInteger(start) || start < 0) return { error: invalid('paginationToken is not valid') };
    return { items: all.slice(start, start + size), ...(start + size < all.length && { pagination: { nextToken: Buffer.from(String(start + size)).toString('base64url') } }) };
  }

  private listShipmentBoxes(req: Request, s: SellerState) {
    const x = this.shipment(req, s);
    if (!x) return errors(404, 'NotFound', 'The shipment was not found.');
    const all = x.boxes.map((b, i) => ({
      boxId: b.boxId,
      packageId: `pk${uuidFrom(`${x.shipmentId}/${i}`)}`,
      ...(b.sscc && { externalContainerIdentifier: b.sscc, externalContainerIdentifierType: 'SSCC' }),
      contentInformationSource: 'BOX_CONTENT_PROVIDED',
      quantity: b.items.reduce((a, it) => a + it.quantity, 0),
      items: b.items.map((it) => ({ asin: it.asin, fnsku: it.fnsku, labelOwner: 'SELLER', msku: it.msku, prepInstructions: [], quantity: it.quantity })),
      ...(b.weightLb && { weight: { unit: 'LB', value: b.weightLb } }),
    }));
    const p = AmazonEmulator.page(req, all);
    if ('error' in p) return p.error;
    return { status: 200, body: { boxes: p.items, ...(p.pagination && { pagination: p.pagination }) } };
  }

  private listShipmentItems(req: Request, s: SellerState) {
    const x = this.shipment(req, s);
    if (!x) return errors(404, 'NotFound', 'The shipment was not found.');
    const items = new Map<string, { asin: string; fnsku: string; labelOwner: string; msku: string; prepInstructions: never[]; quantity: number }>();
    for (const b of x.boxes) {
      for (const it of b.items) {
        const e = items.get(it.msku) ?? { asin: it.asin, fnsku: it.fnsku, labelOwner: 'SELLER', msku: it.msku, prepInstructions: [], quantity: 0 };
        e.quantity += it.quantity;
        items.set(it.msku, e);
      }
    }
    const p = AmazonEmulator.page(req, [...items.values()]);
    if ('error' in p) return p.error;
    return { status: 200, body: { items: p.items, ...(p.pagination && { pagination: p.pagination }) } };
  }

  /** Statuses in which a shipment no longer takes tracking (it is gone or finished). */
  private static readonly NO_TRACKING: ReadonlySet<string> = new Set(['CANCELLED', 'DELETED', 'ABANDONED', 'CLOSED']);

  /**
   * updateShipmentTrackingDetails: the body as the model has it (trackingDetails with
   * spdTrackingDetail.spdTrackingItems [{boxId, trackingId}] or ltlTrackingDetail
   * {billOfLadingNumber?, freightBillNumber[1]}), each box id one of the shipment's. Accepted:
   * recorded on the shipment, 202 with an operationId whose status reads SUCCESS.
   */
  private updateShipmentTrackingDetails(req: Request, s: SellerState) {
    const x = this.shipment(req, s);
    if (!x) return errors(404, 'NotFound', 'The shipment was not found.');
    const body = req.body as { trackingDetails?: { spdTrackingDetail?: { spdTrackingItems?: unknown }; ltlTrackingDetail?: { billOfLadingNumber?: unknown; freightBillNumber?: unknown } } } | undefined;
    const td = body?.trackingDetails;
    if (!td || typeof td !== 'object') return invalid('trackingDetails is required');
    const spd = td.spdTrackingDetail;
    const ltl = td.ltlTrackingDetail;
    if ((spd === undefined) === (ltl === undefined)) return invalid('Exactly one of spdTrackingDetail or ltlTrackingDetail is required', 'trackingDetails');
    if (AmazonEmulator.NO_TRACKING.has(x.status)) return invalid(`Shipment ${x.shipmentId} is ${x.status} and does not take tracking details`, 'shipmentId');
    const operationId = randomUUID();
    const at = this.isoNow();
    const before = s.inboundTracking.get(x.shipmentId);
    let recorded: InboundTrackingState;
    if (spd !== undefined) {
      const items = spd.spdTrackingItems;
      if (!Array.isArray(items) || items.length === 0) return invalid('spdTrackingDetail.spdTrackingItems is required and must not be empty', 'spdTrackingItems');
      const known = new Set(x.boxes.map((b) => b.boxId));
      const seen = new Set<string>();
      for (const [i, it] of (items as Array<{ boxId?: unknown; trackingId?: unknown }>).entries()) {
        if (typeof it?.boxId !== 'string' || it.boxId.length < 1 || it.boxId.length > 1024) return invalid(`spdTrackingItems[${i}].boxId is required (1 to 1024 characters)`, 'boxId');
        if (typeof it.trackingId !== 'string' || it.trackingId.length < 1 || it.trackingId.length > 64) return invalid(`spdTrackingItems[${i}].trackingId is required (1 to 64 characters)`, 'trackingId');
        if (!known.has(it.boxId)) return invalid(`Box ${it.boxId} is not a box of shipment ${x.shipmentId}`, `spdTrackingItems[${i}].boxId`);
        if (seen.has(it.boxId)) return invalid(`Box ${it.boxId} is given more than once`, `spdTrackingItems[${i}].boxId`);
        seen.add(it.boxId);
      }
      // Boxes not named keep the tracking they had: an update names the boxes it changes.
      const boxes = new Map(before?.kind === 'small-parcel' ? before.boxes.map((b) => [b.boxId, b.trackingId] as const) : []);
      for (const it of items as Array<{ boxId: string; trackingId: string }>) boxes.set(it.boxId, it.trackingId);
      recorded = { kind: 'small-parcel', boxes: x.boxes.filter((b) => boxes.has(b.boxId)).map((b) => ({ boxId: b.boxId, trackingId: boxes.get(b.boxId)! })), operationId, at, updates: (before?.updates ?? 0) + 1 };
    } else {
      const fb = ltl!.freightBillNumber;
      if (!Array.isArray(fb) || fb.length !== 1) return invalid('ltlTrackingDetail.freightBillNumber is required: one freight bill (PRO) number', 'freightBillNumber');
      if (fb.some((f) => typeof f !== 'string' || f.length < 1 || f.length > 64 || !/^[a-zA-Z0-9-._ ]*$/.test(f))) return invalid('freightBillNumber: 1 to 64 of letters, digits, - . _ and space', 'freightBillNumber');
      const bol = ltl!.billOfLadingNumber;
      if (bol !== undefined && (typeof bol !== 'string' || bol.length < 1 || bol.length > 1024)) return invalid('ltlTrackingDetail.billOfLadingNumber: 1 to 1024 characters', 'billOfLadingNumber');
      recorded = { kind: 'ltl', ...(bol !== undefined && { billOfLadingNumber: bol as string }), freightBillNumbers: fb as string[], operationId, at, updates: (before?.updates ?? 0) + 1 };
    }
    s.inboundTracking.set(x.shipmentId, recorded);
    s.inboundOperations.set(operationId, { operationId, operation: 'updateShipmentTrackingDetails', status: 'SUCCESS', problems: [], at });
    return { status: 202, body: { operationId } };
  }

  private getInboundOperationStatus(req: Request, s: SellerState) {
    const o = s.inboundOperations.get(String(req.params.operationId));
    if (!o) return errors(404, 'NotFound', 'The operation was not found.');
    return { status: 200, body: { operation: o.operation, operationId: o.operationId, operationProblems: o.problems, operationStatus: o.status } };
  }

  private getLabels(req: Request, s: SellerState) {
    const id = String(req.params.shipmentId);
    const pageType = req.query.PageType as string | undefined;
    const labelType = req.query.LabelType as string | undefined;
    if (!pageType || !labelType) return invalid('PageType and LabelType are required');
    if (!['BARCODE_2D', 'UNIQUE', 'PALLET'].includes(labelType)) return invalid(`Invalid LabelType ${labelType}`);
    // v0 getLabels takes the shipment confirmation id (FBA...), not the 2024-03-20 sh... id (FACTS.md).
    const known = s.seed.inboundPlans.some((p) => p.shipments.some((x) => x.confirmationId === id));
    if (!known) return invalid(`Shipment ${id} was not found`);
    return { status: 200, body: { payload: { DownloadURL: `http://127.0.0.1:${this.port}/emulator/labels/${id}.pdf` } } };
  }

  // ---------------------------------------------------------------- reports

  /**
   * The report's document as Amazon would write it now, or null when the emulator has none for
   * the type (getReport then says FATAL). Generated types come from the live state; the seed's
   * static text is served for a type the seller has no structured rows for.
   */
  private reportContent(s: SellerState, reportType: string, marketplaceIds: string[]): string | null {
    const tsv = (columns: readonly string[], rows: Array<Array<string | number>>) =>
      [columns.join('\t'), ...rows.map((r) => r.map((v) => String(v).replace(/[\t\r\n]+/g, ' ')).join('\t'))].join('\n') + '\n';
    const fixed = s.seed.reports[reportType];
    if (reportType === 'GET_MERCHANT_LISTINGS_ALL_DATA') return tsv(MERCHANT_LISTINGS_COLUMNS, this.merchantListingRows(s, marketplaceIds[0] ?? s.seed.marketplaces[0]));
    if (reportType === 'GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA' && s.seed.removalShipments.length > 0) {
      return tsv(REMOVAL_SHIPMENT_COLUMNS, s.seed.removalShipments.map((r) => [r.requestDate, r.orderId, r.shipmentDate, r.sku, r.fnsku, r.disposition, r.shippedQuantity, r.carrier, r.trackingNumber, r.removalOrderType]));
    }
    if (reportType === 'GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA' && s.seed.customerReturns.length > 0) {
      return tsv(CUSTOMER_RETURN_COLUMNS, s.seed.customerReturns.map((r) => [r.returnDate, r.orderId, r.sku, r.asin, r.fnsku, r.productName, r.quantity, r.fulfillmentCenterId, r.detailedDisposition, r.reason, r.status, r.licensePlateNumber, r.customerComments]));
    }
    return fixed ?? null;
  }

  /** One row per listing: FBA listings (no DEFAULT channel) show their AMAZON_* channel and no quantity. */
  private merchantListingRows(s: SellerState, marketplaceId: string): Array<Array<string | number>> {
    const region = marketplaceId === 'A1F83G8C2ARO7P' || marketplaceId.startsWith('A1PA') || marketplaceId === 'A13V1IB3VIYZZH' || marketplaceId === 'APJ6JRA9NG5V4' ? 'EU' : 'NA';
    const opened = s.seed.orders[0]?.createdTime ?? '2026-01-01T00:00:00Z';
    const rows: Array<Array<string | number>> = [];
    let n = 0;
    for (const l of s.listings.values()) {
      n++;
      const mfn = l.channels.find((c) => c.code === 'DEFAULT');
      const channel = mfn ? 'DEFAULT' : (l.channels.find((c) => c.code.startsWith('AMAZON_'))?.code ?? `AMAZON_${region}`);
      const listingId = `${String(n).padStart(4, '0')}${createHash('sha1').update(`${s.seed.id}/${l.sku}`).digest('hex').slice(0, 6).toUpperCase()}`;
      const openDate = (l.openDate ?? opened).replace('T', ' ').replace(/(\.\d+)?Z$/, ' UTC');
      const row: Record<(typeof MERCHANT_LISTINGS_COLUMNS)[number], string | number> = {
        'item-name': l.itemName,
        'item-description': '',
        'listing-id': listingId,
        'seller-sku': l.sku,
        price: l.price ?? '',
        quantity: mfn ? (mfn.quantity ?? 0) : '',
        'open-date': openDate,
        'image-url': '',
        'item-is-marketplace': 'y',
        'product-id-type': '1',
        'zshop-shipping-fee': '',
        'item-note': '',
        'item-condition': '11',
        'zshop-category1': '',
        'zshop-browse-path': '',
        'zshop-storefront-feature': '',
        asin1: l.asin,
        asin2: '',
        asin3: '',
        'will-ship-internationally': '',
        'expedited-shipping': '',
        'zshop-boldface': '',
        'product-id': l.asin,
        'bid-for-featured-placement': '',
        'add-delete': '',
        'pending-quantity': mfn ? 0 : '',
        'fulfillment-channel': channel,
        'merchant-shipping-group': mfn ? 'Migrated Template' : '',
        status: l.status,
      };
      rows.push(MERCHANT_LISTINGS_COLUMNS.map((c) => row[c]));
    }
    return rows;
  }

  private createReport(req: Request, s: SellerState) {
    const body = (req.body ?? {}) as { reportType?: unknown; marketplaceIds?: unknown };
    if (typeof body.reportType !== 'string' || !Array.isArray(body.marketplaceIds) || body.marketplaceIds.length === 0) return invalid('reportType and marketplaceIds are required');
    const reportId = String(50_000_000_000 + s.reports.size + 1);
    const marketplaceIds = body.marketplaceIds as string[];
    // A report is a snapshot: its content is fixed when it is requested.
    s.reports.set(reportId, { reportId, reportType: body.reportType, marketplaceIds, createdTime: this.isoNow(), documentId: `amzn1.spdoc.1.4.na.${randomUUID()}`, content: this.reportContent(s, body.reportType, marketplaceIds) });
    return { status: 202, body: { reportId } };
  }

  private getReport(req: Request, s: SellerState) {
    const r = s.reports.get(String(req.params.reportId));
    if (!r) return errors(404, 'NotFound', 'The report was not found.');
    // The emulator prepares reports at once: DONE with a document. A type it generates from rows
    // and has none for is CANCELLED, as Amazon cancels a report with no data to return (Reports
    // API 2021-06-30, processingStatus); any other type it has no content for is FATAL.
    const has = r.content !== null;
    const noData = !has && NO_DATA_CANCELLED.has(r.reportType);
    return {
      status: 200,
      body: { reportId: r.reportId, reportType: r.reportType, marketplaceIds: r.marketplaceIds, createdTime: r.createdTime, processingStatus: has ? 'DONE' : noData ? 'CANCELLED' : 'FATAL', processingStartTime: r.createdTime, processingEndTime: r.createdTime, ...(has && { reportDocumentId: r.documentId }) },
    };
  }

  private getReportDocument(req: Request, s: SellerState) {
    const r = [...s.reports.values()].find((x) => x.documentId === req.params.documentId);
    if (!r) return errors(404, 'NotFound', 'The report document was not found.');
    return { status: 200, body: { reportDocumentId: r.documentId, url: `http://127.0.0.1:${this.port}/emulator/documents/${s.seed.id}/${encodeURIComponent(r.documentId)}` } };
  }

  // ---------------------------------------------------------------- feeds and restricted data tokens

  private createFeedDocument(req: Request, s: SellerState) {
    const contentType = (req.body as { contentType?: unknown } | undefined)?.contentType;
    if (typeof contentType !== 'string' || contentType === '') return invalid('contentType is required');
    const id = `amzn1.tortuga.4.na.${randomUUID()}`;
    s.feedDocuments.set(id, { contentType });
    return { status: 201, body: { feedDocumentId: id, url: `http://127.0.0.1:${this.port}/emulator/uploads/${s.seed.id}/${encodeURIComponent(id)}` } };
  }

  private upload(req: Request, res: Response): void {
    const d = this.sellers.get(String(req.params.sellerId))?.feedDocuments.get(String(req.params.documentId));
    if (!d) {
      res.status(403).type('application/xml').send('<Error><Code>AccessDenied</Code></Error>');
      return;
    }
    d.content = Buffer.isBuffer(req.body) ? req.body : Buffer.from(String(req.body ?? ''));
    res.status(200).end();
  }

  /**
   * JSON_LISTINGS_FEED: each message PATCHes a listing; the processing report lists issues per
   * message and a summary. Other feed types are accepted and reported done with no issues.
   */
  private createFeed(req: Request, s: SellerState) {
    const body = (req.body ?? {}) as { feedType?: unknown; marketplaceIds?: unknown; inputFeedDocumentId?: unknown };
    if (typeof body.feedType !== 'string' || !Array.isArray(body.marketplaceIds) || typeof body.inputFeedDocumentId !== 'string') return invalid('feedType, marketplaceIds and inputFeedDocumentId are required');
    const input = s.feedDocuments.get(body.inputFeedDocumentId);
    if (!input) return invalid(`inputFeedDocumentId ${body.inputFeedDocumentId} is not a feed document of this seller`);
    const feedId = String(60_000_000_000 + s.feeds.size + 1);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    let status = 'DONE';
    let report: unknown = { header: { sellerId: s.seed.sellingPartnerId, version: '2.0', feedId }, issues: [], summary: { errors: 0, warnings: 0, messagesProcessed: 0, messagesAccepted: 0, messagesInvalid: 0 } };
    if (body.feedType === 'JSON_LISTINGS_FEED') {
      let feed: { header?: { sellerId?: string }; messages?: Array<{ messageId?: number; sku?: string; operationType?: string; productType?: string; patches?: Array<{ op?: string; path?: string; value?: unknown }> }> };
      try {
        feed = JSON.parse(input.content?.toString('utf8') ?? '');
      } catch {
        feed = {};
      }
      if (!Array.isArray(feed.messages)) status = 'FATAL';
      else {
        const issues: Array<{ messageId: number; code: string; severity: string; message: string }> = [];
        let accepted = 0;
        for (const m of feed.messages) {
          const l = m.sku ? s.listings.get(m.sku) : undefined;
          const fail = (code: string, message: string) => issues.push({ messageId: m.messageId ?? 0, code, severity: 'ERROR', message });
          if (!l) fail('4000001', `SKU ${m.sku ?? '?'} does not exist`);
          else if (m.operationType !== 'PATCH' && m.operationType !== 'PARTIAL_UPDATE') fail('4000003', `operationType ${m.operationType} is not supported by this emulator`);
          else if (m.productType !== l.productType) fail('90220', `productType ${m.productType} does not match the listing's ${l.productType}`);
          else {
            for (const p of m.patches ?? []) {
              if (p.path !== '/attributes/fulfillment_availability') continue;
              for (const v of (p.value as Array<{ fulfillment_channel_code?: string; quantity?: number }>) ?? []) {
                const c = l.channels.find((x) => x.code === v.fulfillment_channel_code);
                if (c) c.quantity = v.quantity;
              }
              this.listingUpdated(s, l.sku);
            }
            accepted++;
          }
        }
        report = { header: { sellerId: s.seed.sellingPartnerId, version: '2.0', feedId }, issues, summary: { errors: issues.length, warnings: 0, messagesProcessed: feed.messages.length, messagesAccepted: accepted, messagesInvalid: feed.messages.length - accepted } };
      }
    }
    const resultId = `amzn1.tortuga.4.na.${randomUUID()}`;
    s.feedDocuments.set(resultId, { contentType: 'application/json', content: Buffer.from(JSON.stringify(report)) });
    s.feeds.set(feedId, { feedId, feedType: body.feedType, marketplaceIds: body.marketplaceIds as string[], createdTime: now, processingStatus: status, resultFeedDocumentId: resultId });
    return { status: 202, body: { feedId } };
  }

  private getFeed(req: Request, s: SellerState) {
    const f = s.feeds.get(String(req.params.feedId));
    if (!f) return errors(404, 'NotFound', 'The feed was not found.');
    return { status: 200, body: { feedId: f.feedId, feedType: f.feedType, marketplaceIds: f.marketplaceIds, createdTime: f.createdTime, processingStatus: f.processingStatus, processingStartTime: f.createdTime, processingEndTime: f.createdTime, ...(f.resultFeedDocumentId && { resultFeedDocumentId: f.resultFeedDocumentId }) } };
  }

  private getFeedDocument(req: Request, s: SellerState) {
    const id = String(req.params.documentId);
    if (!s.feedDocuments.has(id)) return errors(404, 'NotFound', 'The feed document was not found.');
    return { status: 200, body: { feedDocumentId: id, url: `http://127.0.0.1:${this.port}/emulator/feed-documents/${s.seed.id}/${encodeURIComponent(id)}` } };
  }

  private feedDocument(req: Request, res: Response): void {
    const d = this.sellers.get(String(req.params.sellerId))?.feedDocuments.get(String(req.params.documentId));
    if (!d?.content) {
      res.status(404).end();
      return;
    }
    res.type(d.contentType).send(d.content);
  }

  /** A restricted data token works like the seller's access token for the resources it names. */
  private createRestrictedDataToken(req: Request, s: SellerState) {
    const r = (req.body as { restrictedResources?: Array<{ method?: string; path?: string }> } | undefined)?.restrictedResources;
    if (!Array.isArray(r) || r.length === 0 || r.some((x) => !x.method || !x.path)) return invalid('restrictedResources with method and path are required');
    const token = `Atz.sprdt|emu-${s.seed.id}-${randomUUID()}`;
    this.tokens.set(token, { seller: s.seed.id, expires: this.now() + (3600 * 1000) / this.timeScale });
    return { status: 200, body: { restrictedDataToken: token, expiresIn: 3600 } };
  }

  private document(req: Request, res: Response): void {
    const s = this.sellers.get(String(req.params.sellerId));
    const r = s && [...s.reports.values()].find((x) => x.documentId === req.params.documentId);
    if (!s || !r) {
      res.status(404).end();
      return;
    }
    res.type('text/tab-separated-values').send(r.content ?? '');
  }
}
