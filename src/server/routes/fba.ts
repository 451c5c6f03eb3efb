/**
 * /api/v1/fba-shipments: the FBA inbound shipments Dockgate sends to warehouses
 * (src/flows/fba-replenishment.ts) and what became of them (src/flows/fba-shipped.ts): one
 * shipment's record with its ship order's delivery and acknowledgement (the OrderRecord and the
 * file's message axes: the ship order is an order like the others, orderId = the Shipment ID)
 * and the exceptions that name it. No buyer data here: the ship-to is a fulfilment centre.
 */
import { z } from 'zod';
import { FBA_SHIPMENT_STATES, type FbaShipmentRecord } from '../../store/fba.ts';
import type { GatewayStore } from '../../store/work.ts';
import { ApiError, defineRoute, type RouteModule } from '../api.ts';
import { orderDetail } from '../views/order-timeline.ts';
import { cursorOf, decodeCursor, Limit } from '../views/paging.ts';
import { OrderDetailSchema } from './orders.ts';

const Nullable = <T extends z.ZodType>(t: T) => t.nullable();

const Item = z.strictObject({ msku: z.string(), fnsku: z.string().optional(), asin: z.string().optional(), quantity: z.number().int() });

export const FbaShipmentSchema = z.strictObject({
  seller: z.string(),
  shipmentId: z.string().describe('The Amazon Shipment ID (FBA...), also the ship order id'),
  inboundPlanId: z.string(),
  amazonShipmentId: z.string().describe('The 2024-03-20 shipment id (sh...)'),
  planName: Nullable(z.string()),
  marketplaceId: z.string(),
  partner: z.string(),
  destinationFc: z.string(),
  amazonReferenceId: Nullable(z.string()),
  amazonStatus: z.string(),
  boxes: z.array(z.strictObject({ boxId: z.string(), sscc: z.string().optional(), items: z.array(Item) })),
  labelsUrl: Nullable(z.string()),
  state: z.enum(FBA_SHIPMENT_STATES),
  source: z.enum(['poll', 'manual']),
  sentAt: Nullable(z.string()),
  shippedAt: Nullable(z.string()),
  trackingAt: Nullable(z.string()),
  shipped: Nullable(
    z.strictObject({
      cartons: z.array(
        z.strictObject({
          boxId: z.string().optional(),
          sscc: z.string().optional(),
          lpn: z.string().optional(),
          trackingNumber: z.string().optional(),
          contents: z.array(z.strictObject({ sellerSku: z.string(), fnsku: z.string().optional(), quantity: z.number().int() })),
        }),
      ),
      bol: z.string().optional(),
      proNumber: z.string().optional(),
      carrierScac: z.string().optional(),
      fileMessageId: z.number().int(),
    }),
  ),
  problems: z.array(z.string()),
  asnMessageId: Nullable(z.number().int()),
  exceptionId: Nullable(z.number().int()),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const FbaShipmentDetailSchema = z.strictObject({
  shipment: FbaShipmentSchema,
  /** The ship order as the orders API shows it (null while held: nothing was sent). */
  shipOrder: Nullable(z.strictObject({ order: OrderDetailSchema.shape.order, revisions: OrderDetailSchema.shape.revisions })),
  exceptions: z.array(z.strictObject({ id: z.number().int(), kind: z.string(), state: z.string(), severity: z.string(), key: z.string(), message: z.string(), firstSeen: z.string(), lastSeen: z.string(), resolvedAt: Nullable(z.string()) })),
});

/** Most records read for one page: FBA shipments are tens to hundreds a seller, not orders' millions. */
const SCAN = 10_000;

type Position = { updatedAt: string; seller: string; shipmentId: string };
const position = (r: FbaShipmentRecord): Position => ({ updatedAt: r.updatedAt, seller: r.seller, shipmentId: r.shipmentId });
const fbaCursor = (v: unknown): Position | null => {
  if (!Array.isArray(v) || v.length !== 3 || !v.every((x) => typeof x === 'string')) return null;
  return { updatedAt: v[0] as string, seller: v[1] as string, shipmentId: v[2] as string };
};
/** Newest first, then seller and id: a total order, so a page boundary is never ambiguous. */
const before = (a: Position, b: Position) => a.updatedAt > b.updatedAt || (a.updatedAt === b.updatedAt && (a.seller < b.seller || (a.seller === b.seller && a.shipmentId < b.shipmentId)));

async function exceptionsNaming(store: GatewayStore, r: FbaShipmentRecord) {
  const all = await store.work.exceptions.list({ seller: r.seller, limit: 1000 });
  return all
    .filter((x) => x.refs.includes(r.shipmentId) || x.key === r.shipmentId || x.key === `cancelled:${r.shipmentId}` || x.id === r.exceptionId || ((x.context.details as { released?: string[] } | undefined)?.released ?? []).includes(r.shipmentId))
    .map((x) => ({ id: x.id, kind: x.kind, state: x.state, severity: x.severity, key: x.key, message: x.message, firstSeen: x.firstSeen, lastSeen: x.lastSeen, resolvedAt: x.resolvedAt }));
}

export const fbaRoutes: RouteModule = {
  name: 'fba-shipments',
  routes: [
    defineRoute({
      method: 'get',
      path: '/fba-shipments',
      operationId: 'listFbaShipments',
      summary: 'FBA inbound shipments sent (or held, shipped, ...), most recently changed first',
      tags: ['fba'],
      query: z.strictObject({
        seller: z.string().min(1).optional(),
        partner: z.string().min(1).optional(),
        state: z.enum(FBA_SHIPMENT_STATES).optional(),
        limit: Limit,
        cursor: z.string().min(1).optional().describe("The list's `next`, to continue it"),
      }),
      responses: { 200: { description: 'A page of FBA shipments', schema: z.strictObject({ items: z.array(FbaShipmentSchema), next: Nullable(z.string()) }) } },
      async handler({ query, deps }) {
        const after = query.cursor ? decodeCursor(query.cursor, fbaCursor) : undefined;
        const all = await deps.ctx.store.work.fba.list({ seller: query.seller, partner: query.partner, ...(query.state && { states: [query.state] }), limit: SCAN });
        const sorted = all.sort((a, b) => (before(position(a), position(b)) ? -1 : 1));
        const rest = after ? sorted.filter((r) => before(after, position(r))) : sorted;
        const items = rest.slice(0, query.limit);
        const more = rest.length > query.limit;
        const last = items[items.length - 1];
        return { json: { items, next: more && last ? cursorOf([last.updatedAt, last.seller, last.shipmentId]) : null } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/fba-shipments/{seller}/{shipmentId}',
      operationId: 'getFbaShipment',
      summary: "One FBA shipment: its record, its ship order's delivery and acknowledgement, and the exceptions that name it",
      tags: ['fba'],
      params: z.strictObject({ seller: z.string().min(1), shipmentId: z.string().min(1) }),
      responses: { 200: { description: 'The FBA shipment', schema: FbaShipmentDetailSchema } },
      async handler({ params, deps }) {
        const store = deps.ctx.store;
        const r = await store.work.fba.get(params.seller, params.shipmentId);
        if (!r) throw new ApiError('not-found', `no FBA shipment ${params.shipmentId} of seller ${params.seller}`, 'path.shipmentId');
        const order = await orderDetail(store, r.seller, r.shipmentId, { buyerData: false });
        return { json: { shipment: r, shipOrder: order ? { order: order.order, revisions: order.revisions } : null, exceptions: await exceptionsNaming(store, r) } };
      },
    }),
  ],
  schemas: { FbaShipment: FbaShipmentSchema, FbaShipmentDetail: FbaShipmentDetailSchema },
};
